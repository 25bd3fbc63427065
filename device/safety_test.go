package device

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

// A lock that fails is retried, with backoff, until it works; the door
// reports not-locked meanwhile and a relay_fault alarm.
func TestRelayLockFailureIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = grant(1)
		r.card("r1", 1)
		r.b.mu.Lock()
		r.b.failLock["1"] = 3
		r.b.mu.Unlock()
		r.sleep(5 * time.Second) // relock fails
		r.wantRelay("1", true)
		r.wantAlarms("1", AlarmRelayFault)
		if s := r.state("1"); s.Locked {
			t.Error("state says locked while the lock is failing")
		}
		r.sleep(100 * time.Millisecond) // retry 1 fails
		r.sleep(200 * time.Millisecond) // retry 2 fails
		r.wantRelay("1", true)
		r.sleep(400*time.Millisecond - time.Nanosecond)
		r.wantRelay("1", true)
		r.sleep(time.Nanosecond) // retry 3 works
		r.wantRelay("1", false)
		r.wantAlarms("1")
		r.wantTypes(EventAccessGranted, EventRelayFault, EventRelayFaultCleared)
		if !r.state("1").Locked {
			t.Error("state not locked after the retry worked")
		}
		var fails int
		for _, w := range r.b.relayWrites("1") {
			if w.err {
				fails++
			}
		}
		if fails != 3 {
			t.Errorf("%d failed writes, want 3", fails)
		}
	})
}

func TestRelayRetryBackoffIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = grant(1)
		r.card("r1", 1)
		r.b.mu.Lock()
		r.b.failLock["1"] = 1000
		r.b.mu.Unlock()
		r.sleep(5 * time.Second)
		r.sleep(time.Minute)
		w := r.b.relayWrites("1")
		last := w[len(w)-1].at.Sub(w[len(w)-2].at)
		if last != retryMax {
			t.Errorf("retry interval %v, want %v", last, retryMax)
		}
		r.b.mu.Lock()
		r.b.failLock["1"] = 0
		r.b.mu.Unlock()
		r.sleep(retryMax)
		r.wantRelay("1", false)
	})
}

// An unlock that fails becomes a lock: the door never sits half-decided.
func TestRelayUnlockFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.b.mu.Lock()
		r.b.failOpen["1"] = 1
		r.b.mu.Unlock()
		r.d.card = grant(1)
		r.card("r1", 1)
		r.wantRelay("1", false)
		w := r.b.relayWrites("1")
		if n := len(w); n != 3 || !w[1].err || w[2].unlocked {
			t.Errorf("relay writes = %+v, want start lock, failed unlock, lock", w)
		}
		r.wantTypes(EventRelayFault, EventRelayFaultCleared, EventAccessGranted)
		if ev := r.ev.find(EventRelayFault)[0]; ev.Detail != "unlock: relay 1 stuck" {
			t.Errorf("relay_fault detail = %q", ev.Detail)
		}
		if r.state("1").LastEvent.Type != EventAccessGranted {
			t.Error("LastEvent")
		}
	})
}

func TestNewLocksEveryRelayFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2 := door1()
		d2.ID, d2.Readers = "2", nil
		r := newRig(t, door1(), d2)
		for _, id := range []string{"1", "2"} {
			w := r.b.relayWrites(id)
			if len(w) != 1 || w[0].unlocked {
				t.Errorf("door %s writes at start = %+v, want one lock", id, w)
			}
		}
	})
}

func TestNewFailsOnUnknownDoor(t *testing.T) {
	b := newFakeBoard()
	c := door1()
	c.ID, c.Readers = "nosuch", nil
	_, err := New(Config{Doors: []DoorConfig{door1(), c}}, b, &fakeDecider{}, nil, nil)
	var ue *board.UnknownError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a board.UnknownError", err)
	}
	if b.secured != 1 {
		t.Error("New failed without securing the board")
	}
}

// Close stops every goroutine (synctest fails the test on a leak) and
// leaves every relay locked, whatever the doors were doing.
func TestCloseLocksEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2, d3 := door1(), door1()
		d2.ID, d2.Readers = "2", []string{"r2"}
		d3.ID, d3.Readers = "3", nil
		r := newRig(t, door1(), d2, d3)
		r.d.card = grant(1)
		r.card("r1", 1)
		r.rt.SetMode("2", access.DoorUnlocked, "op")
		r.rt.Open("3", "op")
		if len(r.b.anyUnlocked()) != 3 {
			t.Fatalf("unlocked = %v, want all three", r.b.anyUnlocked())
		}
		r.rt.Close()
		if u := r.b.anyUnlocked(); len(u) != 0 {
			t.Fatalf("after Close unlocked = %v", u)
		}
		if r.b.secured == 0 {
			t.Error("Close did not Secure the board")
		}
		for _, id := range []string{"1", "2", "3"} {
			// each door locks its own relay too, not only Secure
			if w := r.b.relayWrites(id); w[len(w)-1].unlocked {
				t.Errorf("door %s: last relay write before Secure unlocks", id)
			}
		}
		if r.b.ledOn("r1") || r.b.ledOn("r2") {
			t.Error("LEDs left on")
		}
		if err := r.rt.SetMode("1", access.DoorUnlocked, "op"); !errors.Is(err, ErrClosed) {
			t.Errorf("SetMode after Close: %v", err)
		}
		if err := r.rt.Open("1", "op"); !errors.Is(err, ErrClosed) {
			t.Errorf("Open after Close: %v", err)
		}
		r.sleep(time.Hour)
		if u := r.b.anyUnlocked(); len(u) != 0 {
			t.Fatalf("a timer unlocked %v after Close", u)
		}
		r.rt.Close() // idempotent
	})
}

// A panic in a door goroutine (here the engine) leaves no relay unlocked:
// the board is secured, the door stays locked and out of service, the
// other doors go on (a door in unlocked mode unlocks again).
func TestPanicSecures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2 := door1()
		d2.ID, d2.Readers = "2", []string{"r2"}
		r := newRig(t, door1(), d2)
		r.initial("1")
		r.d.card = func(rd string, c uint64, m access.DoorMode, now time.Time) access.Outcome {
			if c == 666 {
				panic("engine bug")
			}
			return grant(1)(rd, c, m, now)
		}
		r.card("r1", 1) // door 1 momentarily unlocked
		r.rt.SetMode("2", access.DoorUnlocked, "op")
		r.wantRelay("1", true)
		r.card("r1", 666)
		r.wantRelay("1", false)
		r.wantRelay("2", true) // reasserted after the Secure
		if r.b.secured != 1 {
			t.Errorf("Secure called %d times", r.b.secured)
		}
		s := r.state("1")
		if !s.Locked || len(s.Alarms) != 1 || s.Alarms[0] != AlarmFault || s.LastEvent.Type != EventDoorFault {
			t.Errorf("faulted door state = %+v", s)
		}
		if ev := r.ev.find(EventDoorFault); len(ev) != 1 || ev[0].Door != "1" || ev[0].Detail != "panic of type string" { // never the text: it may hold a credential
			t.Errorf("door_fault events = %+v", ev)
		}
		// The faulted door drops its input without holding up the others.
		for range 2 * inboxSize {
			r.card("r1", 1)
			r.input("1", board.KindContact, true)
		}
		r.wantRelay("1", false)
		r.sleep(time.Hour)
		r.wantRelay("1", false)
		r.card("r2", 1)
		if n := len(r.ev.find(EventAccessGranted)); n != 2 {
			t.Errorf("%d grants, want 2 (door 2 still works)", n)
		}
		if err := r.rt.Open("1", "op"); !errors.Is(err, ErrFault) {
			t.Errorf("Open(faulted) = %v, want ErrFault", err)
		}
		if err := r.rt.SetMode("1", access.DoorUnlocked, "op"); !errors.Is(err, ErrFault) {
			t.Errorf("SetMode(faulted) = %v, want ErrFault", err)
		}
		r.wantRelay("1", false)
	})
}

// A panic while a command waits for its reply answers ErrFault.
func TestPanicDuringCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newFakeBoard()
		ev := &panicSink{b: b}
		rt, err := New(Config{Doors: []DoorConfig{door1()}, Log: discard()}, b, &fakeDecider{}, ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		if err := rt.Open("1", "op"); !errors.Is(err, ErrFault) {
			t.Errorf("Open = %v, want ErrFault", err)
		}
		if b.unlocked("1") {
			t.Error("relay left unlocked by a panic after the unlock")
		}
	})
}

type panicSink struct{ b *fakeBoard }

func (s *panicSink) Emit(e Event) {
	if e.Type == EventRemoteOpen {
		panic("sink bug")
	}
}

// A door that dies while the dispatcher waits on its full inbox must not
// hold up the other doors.
func TestPanicWhileInboxFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2 := door1()
		d2.ID, d2.Readers = "2", []string{"r2"}
		r := newRig(t, door1(), d2)
		release := make(chan struct{})
		r.d.card = func(rd string, c uint64, m access.DoorMode, now time.Time) access.Outcome {
			if rd == "r1" {
				<-release
				panic("engine bug")
			}
			return grant(1)(rd, c, m, now)
		}
		go func() {
			for range inboxSize + 2 { // one in the engine, a full inbox, one in the dispatcher
				r.b.reads <- board.Read{Reader: "r1", Card: &board.Card{Value: 1}}
			}
		}()
		synctest.Wait()
		close(release)
		synctest.Wait()
		r.card("r2", 1)
		r.wantRelay("2", true)
		r.wantRelay("1", false)
	})
}

func TestBadReadNeverOpens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.mu.Lock()
		r.d.any = func(string, access.Presentation, time.Time) access.Outcome { // grants anything
			return access.Outcome{Kind: access.OutcomeGranted}
		}
		r.d.mu.Unlock()
		r.badRead("r1", "parity")
		r.wantRelay("1", false)
		r.wantTypes(EventAccessDenied)
	})
}
