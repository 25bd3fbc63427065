package store_test

import (
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A full ring reuses the pages of the events it evicts: the file stops
// growing at the ring's size however many more events go through it, and
// every evicted event is counted. DefaultEventCapacity's bound on the file
// (capacity × bytes per event, BENCHMARKS.md "Event log") rests on this.
func TestEventRingFileBounded(t *testing.T) {
	const capacity = 5_000
	st := storetest.Open(t)
	l := openLog(t, st, store.EventOptions{QueueSize: 1 << 13, Capacity: capacity}, nil)
	fill := func(from, n int) {
		for i := range n {
			l.Append(benchEvent(from + i))
			if i%4096 == 4095 {
				l.Flush() // keep the queue from overflowing: nothing is dropped
			}
		}
		l.Flush()
	}
	fill(0, capacity)
	full, err := st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	inuse := store.EventSpaceForTest(st)
	fill(capacity, 3*capacity)
	after, err := st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	s := l.Stats()
	if s.Dropped != 0 || s.Failed != 0 {
		t.Fatalf("events dropped %d, failed %d: the test must not overflow the queue", s.Dropped, s.Failed)
	}
	if s.Evicted != 3*capacity {
		t.Errorf("evicted %d, want %d (every event beyond the capacity, counted)", s.Evicted, 3*capacity)
	}
	// bbolt grows a file in steps (doubling, then 16 MB); one step of
	// slack for the pages a transaction holds before the old ones free.
	if after.FileSize > 2*full.FileSize {
		t.Errorf("file %d bytes after 3 more rings, %d when first full: the ring does not reuse its pages", after.FileSize, full.FileSize)
	}
	perEvent := inuse / capacity
	if perEvent > 300 {
		t.Errorf("%d bytes of pages per event, want at most 300", perEvent)
	}
	t.Logf("file %d → %d bytes; %d bytes/event: a full default ring (%d) ≈ %d MB", full.FileSize, after.FileSize,
		perEvent, store.DefaultEventCapacity, perEvent*store.DefaultEventCapacity>>20)
}
