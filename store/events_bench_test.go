package store_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func benchEvent(i int) store.Event {
	return store.Event{Type: store.EventAccessGranted, Door: "door" + strconv.Itoa(i%4), Reader: "r" + strconv.Itoa(i%8),
		UserID: "6f1c2a7e-1b2c-4d3e-8f40-5a6b7c8d9e01", UserUID: uint64(i%100000 + 1),
		CredentialType: "card", Credential: "••••95"}
}

// BenchmarkEventAppend is the door path's cost: Append with the writer
// running (events that overflow the queue are dropped, which is Append's
// cheapest path, so the queue is large).
func BenchmarkEventAppend(b *testing.B) {
	st := storetest.Open(b)
	l := openLog(b, st, store.EventOptions{QueueSize: 1 << 16}, nil)
	ev := benchEvent(1)
	b.ReportAllocs()
	for b.Loop() {
		l.Append(ev)
	}
	b.StopTimer()
	l.Flush()
	s := l.Stats()
	b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
}

func BenchmarkEventAppendParallel(b *testing.B) {
	st := storetest.Open(b)
	l := openLog(b, st, store.EventOptions{QueueSize: 1 << 16}, nil)
	ev := benchEvent(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Append(ev)
		}
	})
	b.StopTimer()
	l.Flush()
}

// BenchmarkEventWriteSustained is the writer's rate to bbolt: b.N events
// appended in chunks that fit the queue, each chunk flushed, with the ring
// at capacity (every batch also evicts) when evicting is set.
func BenchmarkEventWriteSustained(b *testing.B) {
	for _, c := range []struct {
		name     string
		capacity int
	}{{"growing", 0}, {"evicting", 10000}} {
		b.Run(c.name, func(b *testing.B) {
			st := storetest.Open(b)
			l := openLog(b, st, store.EventOptions{QueueSize: 1 << 16, Capacity: c.capacity}, nil)
			if c.capacity > 0 {
				for i := range c.capacity {
					l.Append(benchEvent(i))
				}
				l.Flush()
			}
			before := l.Stats().Written
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; {
				for n := 0; n < 1<<15 && i < b.N; n, i = n+1, i+1 {
					l.Append(benchEvent(i))
				}
				l.Flush()
			}
			el := time.Since(start)
			b.StopTimer()
			s := l.Stats()
			if s.Dropped > 0 || s.Written-before != uint64(b.N) {
				b.Fatalf("stats %+v", s)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
		})
	}
}

// BenchmarkEventQuery pages through a ring of 200,000 events
// (DOORD_BENCH_EVENTS=1000000 for a million: the BAS-IP log list's
// figure in BENCHMARKS.md).
func BenchmarkEventQuery(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("DOORD_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	st := storetest.Open(b)
	l := openLog(b, st, store.EventOptions{QueueSize: 1 << 16, Capacity: n}, nil)
	for i := range n {
		ev := benchEvent(i)
		if i%1000 == 0 {
			ev.Type = store.EventDoorForced
		}
		l.Append(ev)
		if i%(1<<15) == 0 {
			l.Flush()
		}
	}
	l.Flush()
	fs, _ := st.Stats()
	inuse := store.EventSpaceForTest(st)
	b.Logf("%d events: file %d bytes; event buckets use %d bytes, %.0f bytes/event", n, fs.FileSize, inuse, float64(inuse)/float64(n))
	for _, c := range []struct {
		name string
		f    store.EventFilter
	}{
		{"latest100", store.EventFilter{Latest: true}},
		{"after1000", store.EventFilter{After: uint64(n / 2), Limit: 1000}},
		{"latest100-door", store.EventFilter{Latest: true, Door: "door2"}},
		{"latest100-rare-type", store.EventFilter{Latest: true, Types: []string{store.EventDoorForced}}},
		{"latest100-user+door-miss", store.EventFilter{Latest: true, UserUID: 7, Door: "door1"}}, // lists interleave, never meet
		{"latest100-time-outside", store.EventFilter{Latest: true, To: time.Unix(0, 0)}},         // budget-bound scan
		// The BAS-IP log list's query: the newest 1,000 of some types
		// within from/to (GET /api/v1/log/list pages through them).
		{"basip-log-window", store.EventFilter{Latest: true, Limit: store.MaxEventLimit,
			Types: []string{store.EventAccessGranted, store.EventAccessDenied}, From: time.Unix(0, 0), To: time.Now().Add(time.Hour)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var got int
			for b.Loop() {
				page, _, err := l.Query(c.f)
				if err != nil {
					b.Fatal(err)
				}
				got = len(page)
			}
			b.ReportMetric(float64(got), "events/page")
		})
	}
}
