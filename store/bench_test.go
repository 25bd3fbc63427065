package store_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// BenchmarkCreateUserParallel creates users from 1 and ~64 goroutines, as
// HTTP clients would; group commit (commit.go) should commit a lone
// writer's create at once and coalesce 64 into few fsyncs. users/s is the
// number to watch.
func BenchmarkCreateUserParallel(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := storetest.Open(b)
			var n atomic.Uint64
			create := func() error {
				u := store.User{Name: fmt.Sprint("Bench User ", n.Add(1)), Email: "bench@example.org", Tags: []string{"bench"}}
				_, err := s.CreateUser(&u, "bench")
				return err
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			if writers == 1 {
				for range b.N {
					if err := create(); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := create(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "users/s")
		})
	}
}

// BenchmarkGetUserByUID reads random users out of 100,000.
func BenchmarkGetUserByUID(b *testing.B) {
	s := storetest.Open(b)
	const n = 100000
	users := make([]store.User, n)
	for i := range users {
		users[i] = store.User{Name: fmt.Sprint("User ", i), Email: "u@example.org", Tags: []string{"t"}}
	}
	if err := s.BulkLoad(users, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		uid := users[(i*7919)%n].UID
		if _, err := s.GetUserByUID(uid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBulkLoad loads 100,000 users with one card each per op.
func BenchmarkBulkLoad(b *testing.B) {
	for range b.N {
		b.StopTimer()
		s := storetest.Open(b)
		const n = 100000
		users := make([]store.User, n)
		for i := range users {
			users[i] = store.User{UID: uint64(i + 1), Name: fmt.Sprint("User ", i), Tags: []string{"t"}}
		}
		creds := make([]store.Credential, n)
		for i := range creds {
			creds[i] = store.Credential{UserUID: uint64(i + 1), Type: store.CredCard, Value: fmt.Sprint(1000000 + i)}
		}
		b.StartTimer()
		start := time.Now()
		if err := s.BulkLoad(users, creds); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "users+cards/s")
		b.StopTimer()
		s.Close()
	}
}
