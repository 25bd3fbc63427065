package store

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/board/fault"
)

// Feed delivery policy. Every subscriber has its own goroutine and queue,
// so a subscriber can neither stop the feed nor hold up the others:
//
//   - A panic in a subscriber is recovered on that goroutine, logged
//     (its type and a stack without argument values: no credential
//     value), counted (FeedStats.Panics), and the subscriber is resynced:
//     a Follower rebuilds its state from the store (Sync) and goes on
//     from the snapshot's seq; a plain Subscribe callback skips the
//     commit it panicked on.
//   - A queue holds at most Options.FeedQueue commits. A subscriber that falls
//     further behind loses its queue (FeedStats.Overflows) and is resynced
//     the same way; the feed never grows without bound behind it.
//   - A writer returns once its records reached every subscriber (so a
//     2xx means the access engine already decides on the write), but it
//     waits at most Options.FeedWait per commit: past that it returns
//     anyway, the write being durable, and FeedStats.Late counts it.
//
// The door path never waits on any of this: the engine answers from its
// current index while its feed goroutine applies or resyncs.

// DefaultFeedQueue is how many commits a subscriber may fall behind
// before it is resynced instead (Options.FeedQueue).
const DefaultFeedQueue = 4096

// DefaultFeedWait bounds a writer's wait for its records' delivery.
const DefaultFeedWait = 2 * time.Second

// Follower is a change-feed subscriber whose state is built from the
// store (the access engine's index): it can be rebuilt from a snapshot
// whenever the feed cannot be trusted to have reached it whole.
type Follower interface {
	// Sync rebuilds the follower's state from a snapshot of the store
	// and returns the snapshot's sequence number. It runs before the
	// first Apply and again after a panic or an overflow, never
	// concurrently with Apply.
	Sync() (seq uint64, err error)
	// Apply brings the state up to date with one commit's records, in
	// seq order, each after the last Sync's seq. It must not write to
	// the store.
	Apply([]Change)
}

// A Skipper is a Follower that also wants the records a Sync's snapshot
// already held, which Apply never sees: records that confirm something
// the follower did itself (the access engine's pass spends, PassSpent)
// would otherwise stay unconfirmed in its books. Skip runs on the feed
// goroutine after the Sync that covered the records; a panic in it is
// handled as one in Apply.
type Skipper interface {
	Skip([]Change)
}

// maxHeld bounds the PassSpent records kept across a dropped queue for a
// Skipper (one per spent pass; beyond it a spend stays unconfirmed in the
// engine, which then under-counts that credential's passes until the next
// start: denies, never grants, on doubt).
const maxHeld = 1 << 16

// FeedStats count the change feed's faults since Open.
type FeedStats struct {
	Subscribers  int    `json:"subscribers"`
	Panics       uint64 `json:"panics"`        // subscriber panics recovered
	Overflows    uint64 `json:"overflows"`     // queues dropped for a slow subscriber
	Resyncs      uint64 `json:"resyncs"`       // Syncs after a panic or an overflow that succeeded
	ResyncErrors uint64 `json:"resync_errors"` // Syncs that failed or panicked (retried)
	Late         uint64 `json:"late"`          // commits whose writer stopped waiting (FeedWait)
}

type feedCounters struct {
	panics, overflows, resyncs, resyncErrors, late atomic.Uint64
}

// FeedStats reads the feed's counters.
func (s *Store) FeedStats() FeedStats {
	s.dmu.Lock()
	n := len(s.subs)
	s.dmu.Unlock()
	c := &s.feed
	return FeedStats{
		Subscribers: n, Panics: c.panics.Load(), Overflows: c.overflows.Load(),
		Resyncs: c.resyncs.Load(), ResyncErrors: c.resyncErrors.Load(), Late: c.late.Load(),
	}
}

// subscriber is one follower's goroutine and queue.
type subscriber struct {
	s    *Store
	name string
	f    Follower
	// rebuilds: f is a Follower (Sync after a panic or overflow); a
	// plain Subscribe callback has nothing to rebuild and goes on.
	rebuilds bool

	mu       sync.Mutex
	queue    [][]Change
	held     []Change      // PassSpent records of a dropped queue, for a Skipper
	resync   bool          // Sync before applying more
	progress chan struct{} // closed (and replaced) when done advances
	done     atomic.Uint64 // every record ≤ done is in the follower's state
	lagging  atomic.Bool   // a writer gave up waiting; logged once until it catches up

	wake chan struct{} // cap 1
	stop chan struct{}
	once sync.Once
}

// plain adapts a Subscribe callback: nothing to rebuild, so its Sync only
// says where it starts; after a panic it goes on with the next commit.
type plain struct {
	s  *Store
	fn func([]Change)
}

func (p plain) Sync() (uint64, error) { return p.s.Seq(), nil }
func (p plain) Apply(cs []Change)     { p.fn(cs) }

// Subscribe adds a plain listener to the change feed: fn receives each
// commit's records after the commit, in seq order, on a goroutine of its
// own, never inside a transaction; it must not write to the store. A
// writer returns after fn saw its records (at most FeedWait later). A
// panic in fn is recovered and counted and fn goes on with the next
// commit; so does an overflow of its queue. A listener that keeps state
// derived from the store should be a Follower (see Follow), which is
// rebuilt instead. cancel removes the listener.
func (s *Store) Subscribe(fn func([]Change)) (cancel func()) {
	cancel, _ = s.follow("subscriber", plain{s, fn}, false)
	return cancel
}

// Follow adds f to the change feed: it Syncs f (on the caller's
// goroutine; an error is returned and f is not added), then applies every
// later commit to it on a goroutine of its own, Syncing it again after a
// panic or an overflow (see the policy above). name is for logs. cancel
// removes f; it does not wait for an Apply in progress.
func (s *Store) Follow(name string, f Follower) (cancel func(), err error) {
	return s.follow(name, f, true)
}

func (s *Store) follow(name string, f Follower, resyncs bool) (cancel func(), err error) {
	sub := &subscriber{s: s, name: name, f: f, rebuilds: resyncs, progress: make(chan struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	// Joining under dmu: every commit after this point is queued for it.
	s.dmu.Lock()
	if s.closed {
		s.dmu.Unlock()
		return func() {}, ErrClosed
	}
	sub.done.Store(s.next - 1)
	s.subs = append(s.subs[:len(s.subs):len(s.subs)], sub)
	s.dmu.Unlock()
	cancel = func() { s.unsubscribe(sub) }
	if resyncs {
		seq, err := sub.sync()
		if err != nil {
			cancel()
			return nil, err
		}
		sub.advance(seq)
	}
	s.feedWG.Add(1)
	fault.Go("store.feed "+name, func() { defer s.feedWG.Done(); sub.run() })
	return cancel, nil
}

func (s *Store) unsubscribe(sub *subscriber) {
	s.dmu.Lock()
	var rest []*subscriber
	for _, x := range s.subs {
		if x != sub {
			rest = append(rest, x)
		}
	}
	s.subs = rest
	s.dmu.Unlock()
	sub.once.Do(func() { close(sub.stop) })
}

// holdSpends keeps the PassSpent records of the queue about to be
// dropped (under mu): the Sync that follows holds their counts, and Skip
// must still see them.
func (sub *subscriber) holdSpends() {
	for _, recs := range sub.queue {
		for i := range recs {
			if recs[i].PassSpent && len(sub.held) < maxHeld {
				sub.held = append(sub.held, recs[i])
			}
		}
	}
}

// push queues one commit's records (called under dmu, in seq order). It
// never blocks: a full queue is dropped and the subscriber resynced.
func (sub *subscriber) push(recs []Change) {
	sub.mu.Lock()
	if len(sub.queue) >= sub.s.feedQ {
		if _, ok := sub.f.(Skipper); ok {
			sub.holdSpends()
		}
		sub.queue = nil
		sub.s.feed.overflows.Add(1)
		sub.s.log.Error("store: change feed subscriber fell behind; its queue was dropped",
			"subscriber", sub.name, "queue", sub.s.feedQ, "resync", sub.rebuilds)
		if !sub.rebuilds {
			// Writers must not wait for records it will never see.
			sub.advanceLocked(recs[len(recs)-1].Seq)
			sub.mu.Unlock()
			return
		}
		sub.resync = true
	}
	sub.queue = append(sub.queue, recs)
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// hasReset reports whether a commit replaced the users and credentials
// whole (Change.Reset).
func hasReset(recs []Change) bool {
	for i := range recs {
		if recs[i].Reset {
			return true
		}
	}
	return false
}

// reset resyncs a Follower for a commit that replaced the users and
// credentials whole (called under dmu, in seq order, instead of push):
// what is queued before it is dropped (the Sync covers it, a Skipper
// still gets its PassSpent records) and the Follower Syncs from a
// snapshot that holds the commit, deciding on its old state meanwhile.
// Commits after it queue as usual and are skipped up to the snapshot.
func (sub *subscriber) reset() {
	sub.mu.Lock()
	if _, ok := sub.f.(Skipper); ok {
		sub.holdSpends()
	}
	sub.queue = nil
	sub.resync = true
	sub.mu.Unlock()
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// waitFeed waits until every subscriber has every record up to seq, at
// most d (false then): after a swap, whose resyncs take longer than a
// writer's usual FeedWait at a million users.
func (s *Store) waitFeed(seq uint64, d time.Duration) bool {
	s.dmu.Lock()
	subs := s.subs
	s.dmu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	for _, sub := range subs {
		if !sub.waitFor(seq, t.C) {
			return false
		}
	}
	return true
}

func (sub *subscriber) run() {
	for {
		select {
		case <-sub.stop:
			return
		case <-sub.wake:
		}
		for {
			select {
			case <-sub.stop:
				return
			default:
			}
			sub.mu.Lock()
			if sub.resync {
				sub.resync = false
				sub.mu.Unlock()
				if !sub.resyncNow() {
					return // stopped while retrying
				}
				continue
			}
			if len(sub.queue) == 0 {
				sub.mu.Unlock()
				break
			}
			recs := sub.queue[0]
			sub.queue[0] = nil
			sub.queue = sub.queue[1:]
			sub.mu.Unlock()
			// Records a Sync's snapshot already holds are skipped
			// (a Skipper still sees them).
			done := sub.done.Load()
			n := 0
			for n < len(recs) && recs[n].Seq <= done {
				n++
			}
			if n > 0 && !sub.skip(recs[:n]) {
				continue
			}
			recs = recs[n:]
			if len(recs) == 0 {
				continue
			}
			last := recs[len(recs)-1].Seq
			if !sub.apply(recs) && sub.rebuilds {
				sub.mu.Lock()
				sub.resync = true
				sub.mu.Unlock()
				continue
			}
			sub.advance(last)
		}
	}
}

// skip hands a Skipper the records a Sync covered; false when it
// panicked and a resync is due.
func (sub *subscriber) skip(recs []Change) bool {
	sk, ok := sub.f.(Skipper)
	if !ok {
		return true
	}
	if !sub.guard(recs[0].Seq, func() { sk.Skip(recs) }) {
		sub.mu.Lock()
		sub.resync = true
		sub.mu.Unlock()
		return false
	}
	return true
}

// apply runs Apply, recovering a panic (false).
func (sub *subscriber) apply(recs []Change) (ok bool) {
	return sub.guard(recs[0].Seq, func() { sub.f.Apply(recs) })
}

// guard runs fn, recovering, logging and counting a panic (false).
func (sub *subscriber) guard(firstSeq uint64, fn func()) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			sub.s.feed.panics.Add(1)
			sub.s.log.Error("store: change feed subscriber panicked",
				"subscriber", sub.name, "panic", fault.Describe(v), "first_seq", firstSeq,
				"resync", sub.rebuilds, "stack", fault.Stack())
			ok = false
		}
	}()
	fn()
	return true
}

// sync runs Sync, turning a panic into an error.
func (sub *subscriber) sync() (seq uint64, err error) {
	defer func() {
		if v := recover(); v != nil {
			sub.s.log.Error("store: change feed subscriber panicked in Sync",
				"subscriber", sub.name, "panic", fault.Describe(v), "stack", fault.Stack())
			err = fmt.Errorf("store: %s: Sync panicked: %s", sub.name, fault.Describe(v))
		}
	}()
	return sub.f.Sync()
}

// resyncNow Syncs until it works (backing off from 10ms to 5s: the store
// may be briefly unreadable, and a follower left stale could grant a
// revoked card), or until the subscriber is stopped (false).
func (sub *subscriber) resyncNow() bool {
	delay := 10 * time.Millisecond
	for {
		seq, err := sub.sync()
		if err == nil {
			sub.s.feed.resyncs.Add(1)
			sub.s.log.Warn("store: change feed subscriber resynced", "subscriber", sub.name, "seq", seq)
			sub.advance(seq)
			sub.mu.Lock()
			held := sub.held
			sub.held = nil
			sub.mu.Unlock()
			if len(held) > 0 {
				sub.skip(held) // the snapshot holds them all: they were committed before it
			}
			return true
		}
		sub.s.feed.resyncErrors.Add(1)
		sub.s.log.Error("store: resyncing a change feed subscriber failed; retrying",
			"subscriber", sub.name, "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-sub.stop:
			t.Stop()
			return false
		case <-t.C:
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func (sub *subscriber) advance(seq uint64) {
	sub.mu.Lock()
	sub.advanceLocked(seq)
	sub.mu.Unlock()
}

func (sub *subscriber) advanceLocked(seq uint64) {
	if seq <= sub.done.Load() {
		return
	}
	sub.done.Store(seq)
	if sub.lagging.Load() && seq >= sub.s.seq.Load() {
		sub.lagging.Store(false) // caught up with every commit
	}
	close(sub.progress)
	sub.progress = make(chan struct{})
}

// waitFor returns when sub has every record up to seq, is stopped, or at
// deadline (false).
func (sub *subscriber) waitFor(seq uint64, deadline <-chan time.Time) bool {
	for {
		sub.mu.Lock()
		if sub.done.Load() >= seq {
			sub.mu.Unlock()
			return true
		}
		ch := sub.progress
		sub.mu.Unlock()
		select {
		case <-ch:
		case <-sub.stop:
			return true
		case <-deadline:
			return false
		}
	}
}

// publish records a commit's last seq, queues its records for every
// subscriber in global seq order, and returns once they were delivered
// (or FeedWait passed). Commit handlers run after bbolt released the
// writer lock, so the next commit's handler may get here first; its
// records then wait in pending until this one's arrive. It never runs
// subscriber code: that happens on their goroutines.
func (s *Store) publish(recs []Change) {
	if len(recs) == 0 {
		return
	}
	last := recs[len(recs)-1].Seq
	for {
		cur := s.seq.Load()
		if cur >= last || s.seq.CompareAndSwap(cur, last) {
			break
		}
	}
	// The sequencer runs even with nobody listening, so that a Subscribe
	// later starts from the right place.
	s.dmu.Lock()
	s.pending[recs[0].Seq] = recs
	for {
		r, ok := s.pending[s.next]
		if !ok {
			break
		}
		delete(s.pending, s.next)
		reset := hasReset(r)
		for _, sub := range s.subs {
			if reset && sub.rebuilds {
				sub.reset()
				continue
			}
			sub.push(r)
		}
		s.next = r[len(r)-1].Seq + 1
	}
	subs := s.subs // copy-on-write: safe to range without dmu
	s.dmu.Unlock()
	if len(subs) == 0 || hasReset(recs) {
		return // a swap's writer waits for the resyncs itself (waitFeed)
	}
	t := time.NewTimer(s.feedWait)
	defer t.Stop()
	for _, sub := range subs {
		if !sub.waitFor(last, t.C) {
			s.feed.late.Add(1)
			if !sub.lagging.Swap(true) { // once per episode, not per write
				s.log.Warn("store: writes return before a change feed subscriber has them",
					"subscriber", sub.name, "seq", last, "waited", s.feedWait)
			}
			return
		}
	}
}

// closeFeed stops every subscriber's goroutine and waits for them.
func (s *Store) closeFeed() {
	s.dmu.Lock()
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.dmu.Unlock()
	for _, sub := range subs {
		sub.once.Do(func() { close(sub.stop) })
	}
	s.feedWG.Wait()
}

// loggerOr is l, or slog's default.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
