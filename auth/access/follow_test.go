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
	cancel, err := e.Follow(faultyFeed{s, 7, &n})
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
