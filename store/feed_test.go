package store_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// profileSet is a Follower whose state is the set of time profile ids,
// built like the access engine's index: Sync reads a snapshot, Apply
// follows the feed. It panics in Apply while armed, and blocks in Apply
// while gate is set.
type profileSet struct {
	st    *store.Store
	mu    sync.Mutex
	ids   map[uint64]bool
	seq   uint64
	syncs int

	armed   atomic.Int32  // panics left
	gate    chan struct{} // non-nil: Apply waits for it to close
	entered chan struct{} // signalled when Apply is entered (cap 1)
}

func (p *profileSet) Sync() (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.syncs++
	p.ids = map[uint64]bool{}
	seq := p.st.Seq() // before the list: the list holds at least this
	var cursor string
	for {
		page, next, err := p.st.ListTimeProfiles(cursor, 1000)
		if err != nil {
			return 0, err
		}
		for _, tp := range page {
			p.ids[tp.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	p.seq = seq
	return seq, nil
}

func (p *profileSet) Apply(cs []store.Change) {
	if p.entered != nil {
		select {
		case p.entered <- struct{}{}:
		default:
		}
	}
	if p.gate != nil {
		<-p.gate
	}
	if p.armed.Add(-1) >= 0 {
		panic(fmt.Errorf("subscriber bug with a secret %s", "0004242"))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		if c.Kind == store.KindTimeProfile {
			if c.Deleted {
				delete(p.ids, c.ID)
			} else {
				p.ids[c.ID] = true
			}
		}
		p.seq = c.Seq
	}
}

func (p *profileSet) state() []uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []uint64
	for id := range p.ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func storedProfiles(t *testing.T, st *store.Store) []uint64 {
	t.Helper()
	page, _, err := st.ListTimeProfiles("", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, tp := range page {
		out = append(out, tp.ID)
	}
	return out
}

func newProfile(t *testing.T, st *store.Store) uint64 {
	t.Helper()
	p := store.TimeProfile{Name: "p", Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
	if err := st.CreateTimeProfile(&p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// within runs fn and fails the test if it has not returned in 10s: a
// commit that waits forever on a dead subscriber is the defect.
func within(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return: the change feed is stuck", what)
	}
}

// A subscriber that panics once, on the batched (group commit: the panic
// used to run on bbolt's batch goroutine and kill the process) and the
// unbatched (db.Update: it used to leave the feed "delivering" forever)
// write paths: the commits go on, the panic is counted, and the follower
// is resynced to exactly what the store holds.
func TestFeedSubscriberPanicIsRecoveredAndResynced(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, st *store.Store, ids []uint64) error
	}{
		{"batched", func(t *testing.T, st *store.Store, _ []uint64) error {
			p := store.TimeProfile{Name: "x", Intervals: []store.Interval{{Days: []time.Weekday{2}, Start: "08:00", End: "09:00"}}}
			return st.CreateTimeProfile(&p)
		}},
		{"unbatched", func(t *testing.T, st *store.Store, ids []uint64) error {
			return st.DeleteTimeProfile(ids[0])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := storetest.Open(t, store.Options{FeedWait: time.Minute})
			ids := []uint64{newProfile(t, st), newProfile(t, st)}
			f := &profileSet{st: st}
			cancel, err := st.Follow("test", f)
			if err != nil {
				t.Fatal(err)
			}
			defer cancel()
			f.armed.Store(1)
			within(t, "the write whose delivery panics", func() error { return tc.write(t, st, ids) })
			within(t, "the next write", func() error { _ = newProfile(t, st); return nil })
			if got, want := f.state(), storedProfiles(t, st); !slices.Equal(got, want) {
				t.Errorf("follower holds %v, store %v", got, want)
			}
			s := st.FeedStats()
			if s.Panics != 1 || s.Resyncs != 1 || s.Late != 0 {
				t.Errorf("feed stats %+v, want 1 panic, 1 resync, none late", s)
			}
			if f.syncs != 2 {
				t.Errorf("%d Syncs, want the first and one resync", f.syncs)
			}
		})
	}
}

// A plain Subscribe callback that panics goes on with the next commit.
func TestFeedPlainSubscriberPanicSkipsOneCommit(t *testing.T) {
	st := storetest.Open(t, store.Options{FeedWait: time.Minute})
	var n atomic.Int32
	var got atomic.Uint64
	cancel := st.Subscribe(func(cs []store.Change) {
		if n.Add(1) == 1 {
			panic("first")
		}
		got.Store(cs[len(cs)-1].Seq)
	})
	defer cancel()
	within(t, "write 1", func() error { return st.PutSetting("a", []byte("1")) })
	within(t, "write 2", func() error { return st.PutSetting("a", []byte("2")) })
	if got.Load() != st.Seq() {
		t.Errorf("subscriber at seq %d, store at %d", got.Load(), st.Seq())
	}
	if s := st.FeedStats(); s.Panics != 1 || s.Resyncs != 0 {
		t.Errorf("feed stats %+v, want 1 panic and no resync", s)
	}
}

// A subscriber that stops (a wedged Apply) delays each writer by at most
// FeedWait, and once its queue overflows it is resynced rather than fed
// an unbounded backlog; when it comes back its state is the store's.
func TestFeedSlowSubscriberBoundsCommitsAndIsResynced(t *testing.T) {
	st := storetest.Open(t, store.Options{FeedWait: 20 * time.Millisecond, FeedQueue: 2})
	f := &profileSet{st: st, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	cancel, err := st.Follow("slow", f)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	for i := range 5 { // 1 in Apply, 2 queued, 2 overflowing
		within(t, fmt.Sprint("write ", i), func() error { _ = newProfile(t, st); return nil })
		if i == 0 {
			<-f.entered
		}
	}
	s := st.FeedStats()
	if s.Late != 5 || s.Overflows == 0 {
		t.Errorf("feed stats %+v, want 5 late writes and an overflow", s)
	}
	close(f.gate)
	// The next write waits (FeedWait is short, so wait for progress
	// instead) until the follower resynced and caught up.
	deadline := time.Now().Add(10 * time.Second)
	for st.FeedStats().Resyncs == 0 || !slices.Equal(f.state(), storedProfiles(t, st)) {
		if time.Now().After(deadline) {
			t.Fatalf("follower never caught up: %v vs %v, %+v", f.state(), storedProfiles(t, st), st.FeedStats())
		}
		within(t, "a write after the release", func() error { _ = newProfile(t, st); return nil })
	}
}

// Close stops the subscriber goroutines; Follow after Close is refused.
func TestFeedCloseStopsSubscribers(t *testing.T) {
	st := storetest.Open(t)
	f := &profileSet{st: st}
	if _, err := st.Follow("x", f); err != nil {
		t.Fatal(err)
	}
	within(t, "Close", st.Close)
	if _, err := st.Follow("y", &profileSet{st: st}); err == nil {
		t.Error("Follow after Close succeeded")
	}
}

// spendBook is a Skipper: it notes every PassSpent record it is given,
// by Apply or by Skip, as the access engine settles its pass spends.
type spendBook struct {
	*profileSet
	mu      sync.Mutex
	applied map[uint64]int // seq → times seen
	skipped map[uint64]int
}

func (b *spendBook) note(m map[uint64]int, cs []store.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		if c.PassSpent {
			m[c.Seq]++
		}
	}
}

func (b *spendBook) Apply(cs []store.Change) {
	b.profileSet.Apply(cs)
	b.note(b.applied, cs)
}

func (b *spendBook) Skip(cs []store.Change) { b.note(b.skipped, cs) }

// A pass spend whose record falls into a dropped queue is still handed
// to a Skipper after the resync (Skip): otherwise the access engine would
// count the spend as unsaved for good and take one pass too many off the
// credential. Every PassSpent record reaches the follower exactly once.
func TestFeedSkipperSeesSpendsOfADroppedQueue(t *testing.T) {
	st := storetest.Open(t, store.Options{FeedWait: 20 * time.Millisecond, FeedQueue: 2})
	u := store.User{Name: "U", Locks: store.LocksBoth}
	if _, err := st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "4242", MaxPasses: 10, Locks: store.LocksBoth}
	if err := st.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	b := &spendBook{profileSet: &profileSet{st: st, gate: make(chan struct{}), entered: make(chan struct{}, 1)},
		applied: map[uint64]int{}, skipped: map[uint64]int{}}
	cancel, err := st.Follow("spends", b)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	within(t, "a write that blocks the follower", func() error { _ = newProfile(t, st); return nil })
	<-b.entered
	var spends []uint64
	for i := range 6 { // 2 queued, the rest overflowing
		within(t, fmt.Sprint("spend ", i), func() error {
			if _, err := st.UsePass(c.ID); err != nil {
				return err
			}
			spends = append(spends, st.Seq())
			return nil
		})
	}
	if st.FeedStats().Overflows == 0 {
		t.Fatalf("no overflow: %+v", st.FeedStats())
	}
	close(b.gate)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		n := len(b.applied) + len(b.skipped)
		b.mu.Unlock()
		if n >= len(spends) && st.FeedStats().Resyncs > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spends seen %d of %d (applied %v, skipped %v), %+v", n, len(spends), b.applied, b.skipped, st.FeedStats())
		}
		within(t, "a write after the release", func() error { _ = newProfile(t, st); return nil })
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, seq := range spends {
		if got := b.applied[seq] + b.skipped[seq]; got != 1 {
			t.Errorf("spend at seq %d seen %d times (applied %d, skipped %d), want once", seq, got, b.applied[seq], b.skipped[seq])
		}
	}
	if len(b.skipped) == 0 {
		t.Errorf("no spend was skipped: the test did not drop a queue with spends in it")
	}
}
