package device

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

// Exit always works: after the door's goroutine faulted (here the engine
// panicked), an exit button press still unlocks the relay for the unlock
// time, then locks it; nothing else opens the door.
func TestREXAfterFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome { panic("engine bug") }
		r.card("r1", 1)
		if s := r.state("1"); len(s.Alarms) != 1 || s.Alarms[0] != AlarmFault {
			t.Fatalf("state after the panic = %+v", s)
		}
		r.wantRelay("1", false)
		for range 2 {
			r.input("1", board.KindREX, true)
			r.wantRelay("1", true)
			if s := r.state("1"); s.Locked {
				t.Error("state says locked while egress holds the relay unlocked")
			}
			r.input("1", board.KindREX, false)
			r.sleep(5*time.Second - time.Millisecond)
			r.wantRelay("1", true)
			r.sleep(time.Millisecond)
			r.wantRelay("1", false)
		}
		if n := len(r.ev.find(EventREX)); n != 2 {
			t.Errorf("%d rex events after the fault, want 2", n)
		}
		// Cards and the contact open nothing.
		r.card("r1", 1)
		r.input("1", board.KindContact, true)
		r.wantRelay("1", false)
	})
}

// With rex_unlocks off the exit button never drives the relay, faulted
// or not (mechanical egress).
func TestREXAfterFaultWithoutREXUnlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := door1()
		d.REXUnlocks = false
		r := newRig(t, d)
		r.initial("1")
		r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome { panic("engine bug") }
		r.card("r1", 1)
		r.input("1", board.KindREX, true)
		r.wantRelay("1", false)
	})
}
