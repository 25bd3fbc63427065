package access

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// slowDisk is a PassStore in front of a real store whose every UsePass
// waits until the test releases it: spends pile up unpersisted while the
// change feed (operator PATCHes) goes on.
type slowDisk struct {
	s       *store.Store
	release chan struct{} // one receive per UsePass; close to let all through
	done    chan uint64   // each finished UsePass
	mu      sync.Mutex
	refused []error // UsePass errors other than a deleted credential
}

func newSlowDisk(s *store.Store) *slowDisk {
	return &slowDisk{s: s, release: make(chan struct{}), done: make(chan uint64, 64)}
}

func (d *slowDisk) UsePass(id uint64) (uint32, error) {
	<-d.release
	left, err := d.s.UsePass(id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		d.mu.Lock()
		d.refused = append(d.refused, err)
		d.mu.Unlock()
	}
	d.done <- id
	return left, err
}

// persistOne lets one queued spend reach the disk and waits for it.
func (d *slowDisk) persistOne(t *testing.T) {
	t.Helper()
	d.release <- struct{}{}
	<-d.done
}

func (d *slowDisk) check(t *testing.T) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, err := range d.refused {
		t.Errorf("the store refused a spend the engine granted (an unrecorded grant): %v", err)
	}
}

// passRig is an engine following a real store, persisting through a slow
// disk, with one user and a limited card.
type passRig struct {
	t    *testing.T
	s    *store.Store
	disk *slowDisk
	e    *Engine
	uid  uint64
	cred uint64
}

func newPassRig(t *testing.T, maxPasses uint32, queue int) *passRig {
	t.Helper()
	s := storetest.Open(t)
	r := &passRig{t: t, s: s, disk: newSlowDisk(s)}
	u := store.User{Name: "guest"}
	if _, err := s.CreateUser(&u, ""); err != nil {
		t.Fatal(err)
	}
	r.uid = u.UID
	r.cred = r.addCard("4242", maxPasses)
	r.e = NewEngine(EngineConfig{Readers: testReaders, Passes: r.disk, PassQueue: queue})
	cancel, err := r.e.Follow(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(r.disk.release) // let whatever is queued through
		r.e.Close()
		cancel()
		r.disk.check(t)
	})
	return r
}

func (r *passRig) addCard(v string, maxPasses uint32) uint64 {
	c := store.Credential{UserUID: r.uid, Type: store.CredCard, Value: v, MaxPasses: maxPasses}
	if err := r.s.CreateCredential(&c); err != nil {
		r.t.Fatal(err)
	}
	return c.ID
}

// swipe presents card v and, like the door runtime, commits the pass a
// grant reserved.
func (r *passRig) swipe(v uint64) Outcome {
	o := r.e.Present("card", cardP(v), time.Now())
	if o.Kind == OutcomeGranted {
		r.e.Commit(o)
	}
	return o
}

// patch edits the credential without touching its passes, as an operator
// renaming a guest does.
func (r *passRig) patch(id uint64, name string) {
	if _, err := r.s.UpdateCredential(id, func(c *store.Credential) error { c.OwnerName = name; return nil }); err != nil {
		r.t.Fatal(err)
	}
}

func (r *passRig) left(id uint64) uint32 {
	c, err := r.s.GetCredential(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return c.PassesLeft
}

// Passes are never over-granted while spends wait for a slow disk: a
// PATCH (or any feed record) carrying the not-yet-decremented count must
// not give the spent passes back.
func TestPassesExactWithSlowStore(t *testing.T) {
	r := newPassRig(t, 2, 0)
	grants := 0
	for i := range 2 {
		if o := r.swipe(4242); o.Kind == OutcomeGranted {
			grants++
		} else {
			t.Fatalf("swipe %d: %+v", i+1, o)
		}
	}
	// Both spends are queued, none on disk: the store still says 2, and
	// a PATCH brings that record back through the feed.
	r.patch(r.cred, "renamed")
	if got := r.left(r.cred); got != 2 {
		t.Fatalf("store passes_left before persisting = %d, want 2 (the disk is slow)", got)
	}
	want(t, "third swipe after a PATCH", r.swipe(4242), OutcomeDenied, ReasonPassesUsedUp)
	// Concurrent PATCHes while the spends reach the disk one by one.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r.patch(r.cred, "guest "+string(rune('a'+i%26)))
		}
	})
	for range 2 {
		for range 20 {
			if r.swipe(4242).Kind == OutcomeGranted {
				grants++
			}
		}
		r.disk.persistOne(t)
		for range 20 {
			if r.swipe(4242).Kind == OutcomeGranted {
				grants++
			}
		}
	}
	close(stop)
	wg.Wait()
	if grants != 2 {
		t.Errorf("grants = %d, want exactly max_passes = 2", grants)
	}
	if got := r.left(r.cred); got != 0 {
		t.Errorf("store passes_left = %d, want 0", got)
	}
}

// An operator raising max_passes deliberately starts a fresh budget in the
// store; a spend still queued lands on the new budget, and the engine
// counts it there too: the engine never grants a pass the store would
// refuse.
func TestPassesRaisedWhileSpendQueued(t *testing.T) {
	r := newPassRig(t, 2, 0)
	want(t, "first", r.swipe(4242), OutcomeGranted, ReasonNone)
	if _, err := r.s.UpdateCredential(r.cred, func(c *store.Credential) error { c.MaxPasses = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	grants := 0
	for range 10 {
		if r.swipe(4242).Kind == OutcomeGranted {
			grants++
		}
	}
	// The store's fresh budget is 3, one of which the queued spend takes.
	if grants != 2 {
		t.Errorf("grants after raising max_passes to 3 with one spend queued = %d, want 2", grants)
	}
	for range 3 {
		r.disk.persistOne(t)
	}
	want(t, "after the disk caught up", r.swipe(4242), OutcomeDenied, ReasonPassesUsedUp)
	if got := r.left(r.cred); got != 0 {
		t.Errorf("store passes_left = %d, want 0", got)
	}
}

// A credential deleted with a spend queued, and re-created with the same
// value, starts with its full budget: the old spend does not reach it.
func TestPassesDeletedAndRecreated(t *testing.T) {
	r := newPassRig(t, 1, 0)
	want(t, "first", r.swipe(4242), OutcomeGranted, ReasonNone)
	if err := r.s.DeleteCredential(r.cred); err != nil {
		t.Fatal(err)
	}
	id := r.addCard("4242", 2)
	r.disk.persistOne(t) // the old credential's spend: not found
	grants := 0
	for range 5 {
		if r.swipe(4242).Kind == OutcomeGranted {
			grants++
		}
	}
	r.disk.persistOne(t)
	r.disk.persistOne(t)
	if grants != 2 {
		t.Errorf("grants of the re-created card = %d, want 2", grants)
	}
	if got := r.left(id); got != 0 {
		t.Errorf("store passes_left of the re-created card = %d, want 0", got)
	}
}

// A full spend queue denies rather than granting a pass it cannot record.
func TestPassQueueFullDenies(t *testing.T) {
	r := newPassRig(t, 5, 1)
	want(t, "first", r.swipe(4242), OutcomeGranted, ReasonNone)
	want(t, "queue full", r.swipe(4242), OutcomeDenied, ReasonPassQueueFull)
	r.disk.persistOne(t)
	// The slot frees once UsePass returned; Close waits for the writer,
	// so nothing here races with it.
	r.e.Close()
	want(t, "queue drained", r.e.Present("card", cardP(4242), time.Now()), OutcomeGranted, ReasonNone)
}

// A refunded reservation gives the pass back and writes nothing.
func TestPassRefund(t *testing.T) {
	r := newPassRig(t, 1, 0)
	o := r.e.Present("card", cardP(4242), time.Now())
	want(t, "reserved", o, OutcomeGranted, ReasonNone)
	want(t, "while reserved", r.e.Present("card", cardP(4242), time.Now()), OutcomeDenied, ReasonPassesUsedUp)
	r.e.Refund(o)
	want(t, "after the refund", r.swipe(4242), OutcomeGranted, ReasonNone)
	r.disk.persistOne(t)
	if got := r.left(r.cred); got != 0 {
		t.Errorf("store passes_left = %d, want 0 (one committed spend)", got)
	}
}

// A reload of the index (a resync) keeps the spends not yet on disk.
func TestPassesSurviveReload(t *testing.T) {
	r := newPassRig(t, 1, 0)
	want(t, "first", r.swipe(4242), OutcomeGranted, ReasonNone)
	if _, err := r.e.Load(r.s); err != nil {
		t.Fatal(err)
	}
	want(t, "after a reload", r.swipe(4242), OutcomeDenied, ReasonPassesUsedUp)
	r.disk.persistOne(t)
	want(t, "after the disk caught up", r.swipe(4242), OutcomeDenied, ReasonPassesUsedUp)
}

// Close persists every queued spend before it returns, so a stop and a
// start (a restart) keep the count exact.
func TestPassesExactAcrossRestart(t *testing.T) {
	s := storetest.Open(t)
	u := store.User{Name: "guest"}
	if _, err := s.CreateUser(&u, ""); err != nil {
		t.Fatal(err)
	}
	c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "4242", MaxPasses: 3}
	if err := s.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	disk := newSlowDisk(s)
	e := NewEngine(EngineConfig{Readers: testReaders, Passes: disk})
	cancel, err := e.Follow(s)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		o := e.Present("card", cardP(4242), time.Now())
		want(t, "before the restart", o, OutcomeGranted, ReasonNone)
		e.Commit(o)
	}
	close(disk.release)
	e.Close() // returns once both spends are on disk
	cancel()
	disk.check(t)
	if got, _ := s.GetCredential(c.ID); got.PassesLeft != 1 {
		t.Fatalf("passes_left after stop = %d, want 1", got.PassesLeft)
	}
	e2 := NewEngine(EngineConfig{Readers: testReaders, Passes: s})
	defer e2.Close()
	if _, err := e2.Load(s); err != nil {
		t.Fatal(err)
	}
	o := e2.Present("card", cardP(4242), time.Now())
	want(t, "after the restart", o, OutcomeGranted, ReasonNone)
	e2.Commit(o)
	want(t, "then none", e2.Present("card", cardP(4242), time.Now()), OutcomeDenied, ReasonPassesUsedUp)
}
