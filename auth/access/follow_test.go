package access

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// faultyFeed hands the store a follower whose Apply panics every nth
// commit after applying half of it: the index is left half-updated, the
// worst case for a resync to repair.
type faultyFeed struct {
	*store.Store
	every int32
	n     *atomic.Int32
	// scanPanic: the scan with this number (1 = the first Load) panics
	// in the engine's credential visitor, on a store worker goroutine.
	scanPanic int32
	scans     *atomic.Int32
}

func (f faultyFeed) ScanAccess(v store.AccessVisitor) (uint64, error) {
	if f.scans != nil && f.scans.Add(1) == f.scanPanic {
		v.Credential = func(*store.AccessCredential) error { panic("index bug during a reload") }
	}
	return f.Store.ScanAccess(v)
}

func (f faultyFeed) Follow(name string, fl store.Follower) (func(), error) {
	return f.Store.Follow(name, halfApply{fl, f})
}

type halfApply struct {
	store.Follower
	f faultyFeed
}

func (h halfApply) Apply(cs []store.Change) {
	if h.f.n.Add(1)%h.f.every == 0 {
		h.Follower.Apply(cs[:len(cs)/2])
		panic("engine bug")
	}
	h.Follower.Apply(cs)
}

// TestFollowResyncsAfterPanic: an engine whose feed delivery panics now
// and then (through store.Follow, batched and unbatched writes alike)
// is reloaded each time and ends equal to an engine loaded afresh.
func TestFollowResyncsAfterPanic(t *testing.T) {
	s := storetest.Open(t)
	var n atomic.Int32
	e := NewEngine(EngineConfig{})
	cancel, err := e.Follow(faultyFeed{Store: s, every: 7, n: &n})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	randomWrites(t, s, rand.New(rand.NewPCG(1, 2)), 150)
	st := s.FeedStats()
	if st.Panics == 0 || st.Resyncs != st.Panics || st.Late != 0 {
		t.Fatalf("feed stats %+v: want panics, each resynced, no late write", st)
	}
	fresh := NewEngine(EngineConfig{})
	if _, err := fresh.Load(s); err != nil {
		t.Fatal(err)
	}
	want := dump(fresh)
	if len(want) < 20 {
		t.Fatalf("only %d index entries: the write mix does too little", len(want))
	}
	diff(t, "resynced follower vs fresh Load", dump(e), want)
}

// TestFollowSurvivesAPanicDuringResync: the reload after a panic panics
// too, inside the store's parallel scan (a worker goroutine, where an
// unrecovered panic ends the process): the scan fails with an error, the
// store retries the resync, and the engine still ends equal to the store.
func TestFollowSurvivesAPanicDuringResync(t *testing.T) {
	s := storetest.Open(t)
	randomWrites(t, s, rand.New(rand.NewPCG(3, 4)), 100) // records for the scan to visit
	var n, scans atomic.Int32
	e := NewEngine(EngineConfig{})
	cancel, err := e.Follow(faultyFeed{Store: s, every: 5, n: &n, scanPanic: 2, scans: &scans})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	randomWrites(t, s, rand.New(rand.NewPCG(5, 6)), 50)
	st := s.FeedStats()
	if st.ResyncErrors == 0 || st.Resyncs == 0 || st.Late != 0 {
		t.Fatalf("feed stats %+v: want a failed resync, then resyncs, no late write", st)
	}
	fresh := NewEngine(EngineConfig{})
	if _, err := fresh.Load(s); err != nil {
		t.Fatal(err)
	}
	diff(t, "resynced follower vs fresh Load", dump(e), dump(fresh))
}
