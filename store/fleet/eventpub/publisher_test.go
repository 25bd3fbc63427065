package eventpub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go"
)

// fakeSink is a stream that keeps each seq once (as message-id dedup
// does) and fails or hangs on demand.
type fakeSink struct {
	mu       sync.Mutex
	stored   []uint64
	seen     map[uint64]bool
	calls    []time.Time
	failNext int  // fail this many publish calls, after acknowledging ackFirst events of each
	ackFirst int  //
	hang     bool // publish blocks until the publisher closes
	down     atomic.Bool
	status   chan nats.Status
}

func newFakeSink() *fakeSink {
	return &fakeSink{seen: map[uint64]bool{}, status: make(chan nats.Status, 10)}
}

func (f *fakeSink) up() bool                         { return !f.down.Load() }
func (f *fakeSink) changed() <-chan nats.Status      { return f.status }
func (f *fakeSink) ensure(ctx context.Context) error { return nil }
func (f *fakeSink) close()                           {}

func (f *fakeSink) publish(ctx context.Context, evs []store.Event) (int, error) {
	f.mu.Lock()
	f.calls = append(f.calls, time.Now())
	hang := f.hang
	n, err := len(evs), error(nil)
	if f.failNext > 0 {
		f.failNext--
		n, err = min(f.ackFirst, len(evs)), errors.New("no acknowledgement")
	}
	for _, ev := range evs[:n] {
		if !f.seen[ev.Seq] {
			f.seen[ev.Seq] = true
			f.stored = append(f.stored, ev.Seq)
		}
	}
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return n, err
}

func (f *fakeSink) snapshot() (stored []uint64, calls []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stored), slices.Clone(f.calls)
}

func startFake(t *testing.T, f *fakeSink, st *store.Store, l *store.EventLog, opt Options) *Publisher {
	t.Helper()
	opt.Site, opt.Controller, opt.Log, opt.Store = site, ctl, l, st
	p, err := start(f, opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A failing stream is retried after 100 ms, 200 ms, 400 ms (doubling),
// and once it works every event is there once, in order.
func TestFailuresBackOffAndRetryInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{})
		f := newFakeSink()
		f.failNext = 3
		appendN(l, 20, "front")
		p := startFake(t, f, st, l, Options{})
		defer p.Close()
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		stored, calls := f.snapshot()
		if len(calls) != 4 {
			t.Fatalf("%d publish calls, want 3 failures and a success", len(calls))
		}
		for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
			if got := calls[i+1].Sub(calls[i]); got != want {
				t.Errorf("retry %d after %v, want %v", i+1, got, want)
			}
		}
		if !slices.Equal(stored, span(1, 20)) {
			t.Fatalf("stored %v, want 1..20", stored)
		}
		if s := p.Stats(); s.Cursor != 20 || s.Published != 20 {
			t.Fatalf("stats = %+v", s)
		}
	})
}

// A window acknowledged in part moves the cursor over the acknowledged
// run only; the rest is published again from its first event.
func TestPartialAcknowledgementResumesAtFirstUnacknowledged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{})
		f := newFakeSink()
		f.failNext, f.ackFirst = 2, 3
		appendN(l, 10, "front")
		p := startFake(t, f, st, l, Options{Window: 4})
		defer p.Close()
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		stored, calls := f.snapshot()
		// 1-4: 1-3 acked, fail; 4-7: 4-6 acked, fail; 7-10; then nothing left.
		if len(calls) != 3 {
			t.Fatalf("%d publish calls, want 3", len(calls))
		}
		if !slices.Equal(stored, span(1, 10)) {
			t.Fatalf("stored %v, want 1..10", stored)
		}
		if c := p.Stats().Cursor; c != 10 {
			t.Fatalf("cursor %d", c)
		}
	})
}

// The cursor is written to the store off the publishing path, at most
// once per PersistEvery, and Close writes the last one.
func TestCursorPersistedAtMostOncePerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{})
		f := newFakeSink()
		// The three are in the log before the publisher starts, so its
		// first publish carries all of them (appended after, the feed
		// may hand over 1-2 and then 3, and the cursor of the second
		// acknowledgement waits for PersistEvery: 2, not 3).
		appendN(l, 3, "front")
		p := startFake(t, f, st, l, Options{PersistEvery: time.Second})
		synctest.Wait()
		if cur, _, _ := loadCursor(st); cur != 3 {
			t.Fatalf("stored cursor %d after the first acknowledgement, want 3", cur)
		}
		appendN(l, 2, "front")
		synctest.Wait()
		if cur, _, _ := loadCursor(st); cur != 3 {
			t.Fatalf("stored cursor %d within PersistEvery, want still 3", cur)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if cur, _, _ := loadCursor(st); cur != 5 {
			t.Fatalf("stored cursor %d after PersistEvery, want 5", cur)
		}
		appendN(l, 1, "front")
		synctest.Wait()
		p.Close()
		if cur, _, _ := loadCursor(st); cur != 6 {
			t.Fatalf("stored cursor %d after Close, want 6", cur)
		}
	})
}

// A stream that hangs holds up neither the log nor its feed: the
// publisher's subscription keeps draining, so the log never drops it
// and every event is written.
func TestHungStreamNeverHoldsUpTheLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{SubscriberBuffer: 16})
		f := newFakeSink()
		f.hang = true
		p := startFake(t, f, st, l, Options{})
		appendN(l, 2000, "front")
		synctest.Wait()
		ls := l.Stats()
		if ls.Written != 2000 || ls.Dropped != 0 || ls.SlowSubscribers != 0 {
			t.Fatalf("log stats = %+v, want all written, none dropped, no slow subscriber", ls)
		}
		if s := p.Stats(); s.Pending != 2000 || s.Cursor != 0 {
			t.Fatalf("publisher stats = %+v", s)
		}
		p.Close() // returns although the stream never answered
	})
}

// On the very first start (no cursor stored) what the ring evicted
// before the fleet was enabled is not counted as lost to the fleet.
func TestFirstStartPublishesTheRingWithoutCountingOlderEvictions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{Capacity: 10})
		appendN(l, 30, "front")
		f := newFakeSink()
		p := startFake(t, f, st, l, Options{})
		defer p.Close()
		synctest.Wait()
		stored, _ := f.snapshot()
		if !slices.Equal(stored, span(21, 30)) {
			t.Fatalf("stored %v, want the ring 21..30", stored)
		}
		if s := p.Stats(); s.Dropped != 0 {
			t.Fatalf("dropped %d on the first start", s.Dropped)
		}
	})
}

// A cursor beyond the log (an older backup restored under it) must not
// hold back new events until the log catches up with it.
func TestCursorBeyondTheLogRestartsAtTheLogsEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{})
		appendN(l, 3, "front")
		if err := st.PutSetting(CursorKey, []byte{0, 0, 0, 0, 0, 0, 0, 100}); err != nil {
			t.Fatal(err)
		}
		f := newFakeSink()
		p := startFake(t, f, st, l, Options{})
		defer p.Close()
		appendN(l, 2, "front")
		synctest.Wait()
		if stored, _ := f.snapshot(); !slices.Equal(stored, []uint64{4, 5}) {
			t.Fatalf("stored %v, want the new events 4, 5", stored)
		}
	})
}

// The first start stores its cursor at once: what the ring evicts while
// the connection was never up counts as dropped.
func TestEvictionsBeforeTheFirstAcknowledgementAreCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, l := openLog(t, storePath(t), store.EventOptions{Capacity: 10})
		appendN(l, 4, "front")
		f := newFakeSink()
		f.down.Store(true)
		p := startFake(t, f, st, l, Options{})
		if cur, fresh, _ := loadCursor(st); fresh || cur != 0 {
			t.Fatalf("stored cursor %d (fresh %v) at the first start, want 0", cur, fresh)
		}
		appendN(l, 26, "front") // seqs 5..30; the ring keeps 21..30
		p.Close()
		if stored, calls := f.snapshot(); len(stored) > 0 {
			t.Fatalf("published while down: %v at %v", stored, calls)
		}

		p = startFake(t, f, st, l, Options{})
		defer p.Close()
		f.down.Store(false)
		f.status <- nats.CONNECTED
		synctest.Wait()
		stored, _ := f.snapshot()
		if want := append(span(21, 30), 31); !slices.Equal(stored, want) {
			t.Fatalf("stored %v, want %v (the ring, then events_unpublished)", stored, want)
		}
		if s := p.Stats(); s.Dropped != 20 {
			t.Fatalf("dropped %d, want 20", s.Dropped)
		}
	})
}
