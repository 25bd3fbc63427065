package device

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

func TestModeUnlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		if err := r.rt.SetMode("1", access.DoorUnlocked, "alice"); err != nil {
			t.Fatal(err)
		}
		// SetMode returns once applied: no Wait needed to see the relay.
		r.wantRelay("1", true)
		r.wantTypes(EventModeChanged)
		if ev := r.ev.find(EventModeChanged)[0]; ev.Operator != "alice" || ev.Detail != "unlocked (was normal)" {
			t.Errorf("mode_changed = %+v", ev)
		}
		if s := r.state("1"); s.Mode != "unlocked" || s.Locked {
			t.Errorf("state = %+v", s)
		}
		// Opening is neither forced nor held; grants do not relock.
		r.input("1", board.KindContact, true)
		r.d.card = grant(1)
		r.card("r1", 1)
		if p := r.d.lastPresent(); p.p.DoorMode != access.DoorUnlocked {
			t.Errorf("presented mode %v, want unlocked", p.p.DoorMode)
		}
		r.sleep(time.Hour)
		r.wantRelay("1", true)
		r.wantAlarms("1")
		// Back to normal with the door open: locked at once, and now held.
		if err := r.rt.SetMode("1", access.DoorNormal, "bob"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", false)
		r.sleep(30 * time.Second)
		r.wantAlarms("1", AlarmHeld)
		r.wantTypes(EventModeChanged, EventDoorOpened, EventAccessGranted, EventModeChanged, EventDoorHeldPrealarm, EventDoorHeld)
		if ev := r.ev.find(EventAccessGranted)[0]; ev.Detail != "h10301 26 bits; door in unlocked mode" {
			t.Errorf("granted detail = %q", ev.Detail)
		}
	})
}

func TestUnlockedModeClearsHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.input("1", board.KindREX, true)
		r.input("1", board.KindContact, true)
		r.sleep(30 * time.Second)
		r.wantAlarms("1", AlarmHeld)
		r.rt.SetMode("1", access.DoorUnlocked, "op")
		r.wantAlarms("1")
		r.wantTypes(EventREX, EventDoorOpened, EventDoorHeldPrealarm, EventDoorHeld, EventDoorHeldCleared, EventModeChanged)
	})
}

func TestSameModeIsNoOp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		if err := r.rt.SetMode("1", access.DoorNormal, "op"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		r.wantTypes()
	})
}

func TestLockedDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		// The engine lets only security users through a locked-down door.
		r.d.card = func(_ string, c uint64, m access.DoorMode, _ time.Time) access.Outcome {
			if m == access.DoorLockedDown && c != 1 {
				return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonDoorMode}
			}
			return access.Outcome{Kind: access.OutcomeGranted, UserUID: c}
		}
		r.card("r1", 2) // a grant in progress...
		r.wantRelay("1", true)
		r.rt.SetMode("1", access.DoorLockedDown, "guard")
		r.wantRelay("1", false) // ...is cut short by the lockdown
		if s := r.state("1"); s.Mode != "locked_down" || !s.Locked {
			t.Errorf("state = %+v", s)
		}
		r.card("r1", 2)
		r.wantRelay("1", false)
		if ev := r.ev.find(EventAccessDenied); len(ev) != 1 || ev[0].Reason != "door_mode" {
			t.Fatalf("denials = %+v", ev)
		}
		r.card("r1", 1) // security user: momentary open
		r.wantRelay("1", true)
		r.sleep(5 * time.Second)
		r.wantRelay("1", false)
		if err := r.rt.Open("1", "op"); !errors.Is(err, ErrModeRefuses) {
			t.Errorf("remote open in lockdown: err = %v, want ErrModeRefuses", err)
		}
		r.wantRelay("1", false)
		// Egress still works.
		r.input("1", board.KindREX, true)
		r.wantRelay("1", true)
	})
}

func TestDisabled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.rt.SetMode("1", access.DoorDisabled, "op")
		// An engine that (wrongly) grants is overruled: deny on doubt.
		r.d.card = grant(1)
		r.card("r1", 1)
		r.wantRelay("1", false)
		if ev := r.ev.find(EventAccessDenied); len(ev) != 1 || ev[0].Reason != "door_mode" {
			t.Fatalf("events = %+v", r.ev.all())
		}
		if n := len(r.ev.find(EventAccessGranted)); n != 0 {
			t.Fatal("access_granted at a disabled door")
		}
		if err := r.rt.Open("1", "op"); !errors.Is(err, ErrModeRefuses) {
			t.Errorf("remote open of a disabled door: err = %v", err)
		}
		r.wantRelay("1", false)
		// Exit works in every mode (life safety).
		r.input("1", board.KindREX, true)
		r.wantRelay("1", true)
		r.sleep(5 * time.Second)
		r.wantRelay("1", false)
	})
}

func TestStartMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := door1()
		c.Mode = access.DoorUnlocked
		r := newRig(t, c)
		r.wantRelay("1", true)
		if !r.b.ledOn("r1") {
			t.Error("LED off on a door that starts unlocked")
		}
		w := r.b.relayWrites("1")
		if len(w) < 2 || w[0].unlocked {
			t.Errorf("relay writes %+v: want locked first, then unlocked", w)
		}
	})
}

func TestRemoteOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		if err := r.rt.Open("1", "carol"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", true)
		synctest.Wait()
		r.wantTypes(EventRemoteOpen)
		if ev := r.ev.find(EventRemoteOpen)[0]; ev.Operator != "carol" || ev.Door != "1" {
			t.Errorf("remote_open = %+v", ev)
		}
		r.input("1", board.KindContact, true) // authorized
		r.wantAlarms("1")
		r.sleep(5 * time.Second)
		r.wantRelay("1", false)
		if err := r.rt.Open("9", "carol"); !errors.Is(err, ErrUnknownDoor) {
			t.Errorf("Open(unknown) err = %v", err)
		}
		if err := r.rt.SetMode("9", access.DoorNormal, "carol"); !errors.Is(err, ErrUnknownDoor) {
			t.Errorf("SetMode(unknown) err = %v", err)
		}
		if err := r.rt.SetMode("1", access.DoorMode(9), "carol"); err == nil {
			t.Error("SetMode(bad mode) accepted")
		}
	})
}

func TestDoors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2 := door1()
		d2.ID, d2.Lock, d2.Readers = "2", 2, []string{"r2", "r3"}
		r := newRig(t, door1(), d2)
		ds := r.rt.Doors()
		if len(ds) != 2 || ds[0].ID != "1" || ds[1].ID != "2" || ds[1].Lock != 2 || len(ds[1].Readers) != 2 {
			t.Fatalf("Doors() = %+v", ds)
		}
		for _, s := range ds {
			if s.Mode != "normal" || !s.Locked || s.Open || len(s.Alarms) != 0 {
				t.Errorf("door %s at start = %+v", s.ID, s)
			}
		}
		if _, ok := r.rt.Door("3"); ok {
			t.Error("Door(3) found")
		}
		// Readers route to their own door.
		r.d.card = grant(1)
		r.card("r3", 1)
		r.wantRelay("2", true)
		r.wantRelay("1", false)
		// A snapshot is a copy.
		s := r.state("2")
		s.Readers[0] = "x"
		if r.state("2").Readers[0] != "r2" {
			t.Error("DoorState shares its slices")
		}
		if got := r.state("2").LastEvent; got.Type != EventAccessGranted || got.Reader != "r3" {
			t.Errorf("LastEvent = %+v", got)
		}
	})
}
