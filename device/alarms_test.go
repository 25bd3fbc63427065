package device

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

func TestForcedOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.wantTypes()
		r.input("1", board.KindContact, true)
		r.wantTypes(EventDoorOpened, EventDoorForced)
		r.wantAlarms("1", AlarmForced)
		if s := r.state("1"); !s.Open || !s.Locked || s.LastEvent.Type != EventDoorForced {
			t.Errorf("state = %+v", s)
		}
		r.sleep(time.Hour) // forced is not also held
		r.wantTypes(EventDoorOpened, EventDoorForced)
		r.input("1", board.KindContact, false)
		r.wantTypes(EventDoorOpened, EventDoorForced, EventDoorForcedCleared, EventDoorClosed)
		r.wantAlarms("1")
		if r.state("1").Open {
			t.Error("state still open")
		}
	})
}

func TestOpeningAfterTheUnlockWindowIsForced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.d.card = grant(1)
		r.card("r1", 1)
		r.sleep(5 * time.Second)
		r.input("1", board.KindContact, true)
		r.wantTypes(EventAccessGranted, EventDoorOpened, EventDoorForced)
	})
}

func TestAuthorizedOpenHeldWithPrealarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.d.card = grant(1)
		r.card("r1", 1)
		r.sleep(time.Second)
		r.input("1", board.KindContact, true) // opened at +1s
		r.wantTypes(EventAccessGranted, EventDoorOpened)
		r.wantAlarms("1")
		r.sleep(4 * time.Second) // the relay relocks behind the open door
		r.wantRelay("1", false)
		r.sleep(16*time.Second - time.Nanosecond) // held 30 s from +1s, pre-alarm 10 s before: +21s
		r.wantTypes(EventAccessGranted, EventDoorOpened)
		r.sleep(time.Nanosecond)
		r.wantTypes(EventAccessGranted, EventDoorOpened, EventDoorHeldPrealarm)
		r.wantAlarms("1", AlarmPrealarm)
		r.sleep(10*time.Second - time.Nanosecond)
		r.wantAlarms("1", AlarmPrealarm)
		r.sleep(time.Nanosecond)
		r.wantTypes(EventAccessGranted, EventDoorOpened, EventDoorHeldPrealarm, EventDoorHeld)
		r.wantAlarms("1", AlarmHeld)
		if ev := r.ev.find(EventDoorHeld)[0]; ev.At.Sub(r.start) != 31*time.Second {
			t.Errorf("door_held at +%v, want +31s", ev.At.Sub(r.start))
		}
		r.input("1", board.KindContact, false)
		r.wantTypes(EventAccessGranted, EventDoorOpened, EventDoorHeldPrealarm, EventDoorHeld, EventDoorHeldCleared, EventDoorClosed)
		r.wantAlarms("1")
	})
}

func TestClosedInTimeRaisesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.d.card = grant(1)
		r.card("r1", 1)
		r.input("1", board.KindContact, true)
		r.sleep(19 * time.Second)
		r.input("1", board.KindContact, false)
		r.sleep(time.Hour)
		r.wantTypes(EventAccessGranted, EventDoorOpened, EventDoorClosed)
	})
}

func TestExtendedGrantLengthensHeldTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeGranted, UserUID: 1, ExtendedOpen: true}
		}
		r.card("r1", 1)
		r.input("1", board.KindContact, true)
		r.sleep(30 * time.Second)
		if n := len(r.ev.find(EventDoorHeld)); n != 0 {
			t.Fatal("door_held at the normal held time after an extended grant")
		}
		r.sleep(10 * time.Second) // 30 + (15 - 5)
		if n := len(r.ev.find(EventDoorHeld)); n != 1 {
			t.Fatal("no door_held at the extended held time")
		}
	})
}

func TestHeldAlarmOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := door1()
		c.HeldOpenTime, c.PreAlarmTime = -1, 0
		r := newRig(t, c)
		r.initial("1")
		r.d.card = grant(1)
		r.card("r1", 1)
		r.input("1", board.KindContact, true)
		r.sleep(24 * time.Hour)
		r.wantTypes(EventAccessGranted, EventDoorOpened)
	})
}

func TestRelockOnClose(t *testing.T) {
	for _, relock := range []bool{true, false} {
		name := "relock_on_close"
		if !relock {
			name = "wait_unlock_time"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := door1()
				c.RelockOnClose = relock
				r := newRig(t, c)
				r.initial("1")
				r.d.card = grant(1)
				r.card("r1", 1)
				r.sleep(time.Second)
				r.input("1", board.KindContact, true)
				r.sleep(time.Second)
				r.input("1", board.KindContact, false) // closed at +2s
				r.wantRelay("1", !relock)
				r.sleep(3 * time.Second)
				r.wantRelay("1", false)
				if relock {
					// relocked before the door_closed event
					if r.ev.relayNow[len(r.ev.relayNow)-1] {
						t.Error("door_closed emitted before the relock")
					}
					// and a second opening is now forced
					r.input("1", board.KindContact, true)
					if len(r.ev.find(EventDoorForced)) != 1 {
						t.Error("opening after the early relock is not forced")
					}
				}
			})
		})
	}
}

func TestTamper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.input("1", board.KindTamper, true)
		r.wantTypes(EventTamper)
		r.wantAlarms("1", AlarmTamper)
		r.input("1", board.KindTamper, true) // no repeat
		r.input("1", board.KindTamper, false)
		r.wantTypes(EventTamper, EventTamperCleared)
		r.wantAlarms("1")
	})
}

func TestInputsAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		// The board's first report of each input is its state at start.
		r.input("1", board.KindREX, true) // a stuck button opens nothing
		r.wantRelay("1", false)
		r.input("1", board.KindTamper, true)
		r.input("1", board.KindContact, true) // open at start: not forced, but may be held
		r.wantTypes(EventTamper, EventDoorOpened)
		if ev := r.ev.find(EventDoorOpened)[0]; ev.Detail != "open at start" {
			t.Errorf("door_opened detail = %q", ev.Detail)
		}
		r.sleep(30 * time.Second)
		r.wantAlarms("1", AlarmHeld, AlarmTamper)
		r.wantRelay("1", false)
		for _, w := range r.b.relayWrites("1") {
			if w.unlocked {
				t.Fatal("relay unlocked at start")
			}
		}
	})
}

func TestREX(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.input("1", board.KindREX, true)
		r.wantRelay("1", true)
		r.input("1", board.KindREX, false)
		r.input("1", board.KindContact, true)
		r.wantTypes(EventREX, EventDoorOpened)
		if !r.ev.relayNow[0] {
			t.Error("rex emitted before the relay unlocked")
		}
		r.sleep(5 * time.Second)
		r.wantRelay("1", false)
	})
}

// Without rex_unlocks the button still masks door_forced: egress through
// a lever handle is not a forced door.
func TestREXWithoutUnlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := door1()
		c.REXUnlocks = false
		r := newRig(t, c)
		r.initial("1")
		r.input("1", board.KindREX, true)
		r.wantRelay("1", false)
		r.input("1", board.KindContact, true)
		r.input("1", board.KindContact, false)
		r.wantTypes(EventREX, EventDoorOpened, EventDoorClosed)
		r.sleep(5 * time.Second) // the mask ends with the unlock time
		r.input("1", board.KindContact, true)
		r.wantTypes(EventREX, EventDoorOpened, EventDoorClosed, EventDoorOpened, EventDoorForced)
		for _, w := range r.b.relayWrites("1") {
			if w.unlocked {
				t.Fatal("relay unlocked by rex with rex_unlocks off")
			}
		}
	})
}

func TestInputOfUnknownDoorIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.input("9", board.KindContact, true)
		r.wantTypes()
	})
}
