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

// BenchmarkCreateUserParallel creates users from ~64 goroutines, as 64
// HTTP clients would; db.Batch should coalesce them into few fsyncs.
// users/s is the number to watch (target ≥ 5,000 on 2 cores). The
// sub-benchmarks compare batch delays.
func BenchmarkCreateUserParallel(b *testing.B) {
	for _, d := range []time.Duration{0, 10 * time.Millisecond, 2 * time.Millisecond, time.Millisecond} {
		name := "delay=default"
		if d > 0 {
			name = "delay=" + d.String()
		}
		b.Run(name, func(b *testing.B) {
			s := storetest.Open(b, store.Options{MaxBatchDelay: d})
			b.SetParallelism((64 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			var n atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					u := store.User{Name: fmt.Sprint("Bench User ", i), Email: "bench@example.org", Tags: []string{"bench"}}
					if _, err := s.CreateUser(&u, "bench"); err != nil {
						b.Error(err)
						return
					}
				}
			})
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
