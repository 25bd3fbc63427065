package device

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/store"
)

// An emergency open holds the door unlocked for its time (an opening is
// neither forced nor held meanwhile), audited with the operator, and
// ends by itself: the relay locks and emergency_closed says it expired.
func TestEmergencyOpenEndsByItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		if err := r.rt.EmergencyOpen("1", 10*time.Minute, "alice"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", true)
		until := time.Now().Add(10 * time.Minute)
		if s := r.state("1"); s.Mode != "unlocked" || s.SetMode != "normal" || !s.EmergencyUntil.Equal(until) {
			t.Fatalf("state = %+v, want unlocked until %v", s, until)
		}
		ev := r.ev.find(EventEmergencyOpen)
		if len(ev) != 1 || ev[0].Operator != "alice" || ev[0].Detail != "until "+stamp(until)+"; unlocked (was normal)" {
			t.Fatalf("emergency_open events = %+v", ev)
		}
		r.input("1", board.KindContact, true)
		r.sleep(10*time.Minute - time.Second)
		r.wantRelay("1", true)
		r.wantAlarms("1")
		r.sleep(time.Second)
		r.wantRelay("1", false)
		if s := r.state("1"); s.Mode != "normal" || !s.EmergencyUntil.IsZero() {
			t.Fatalf("after the end state = %+v", s)
		}
		ev = r.ev.find(EventEmergencyClosed)
		if len(ev) != 1 || ev[0].Operator != "" || ev[0].Detail != "expired; normal (was unlocked)" {
			t.Fatalf("emergency_closed events = %+v", ev)
		}
		// The door still open now counts as held.
		r.sleep(30 * time.Second)
		r.wantAlarms("1", AlarmHeld)
		r.wantTypes(EventEmergencyOpen, EventDoorOpened, EventEmergencyClosed, EventDoorHeldPrealarm, EventDoorHeld)
	})
}

// EmergencyClose ends it early, naming who did.
func TestEmergencyCloseEndsEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		if err := r.rt.EmergencyOpen("1", time.Hour, "alice"); err != nil {
			t.Fatal(err)
		}
		r.sleep(time.Minute)
		if err := r.rt.EmergencyClose("1", "bob"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", false)
		ev := r.ev.find(EventEmergencyClosed)
		if len(ev) != 1 || ev[0].Operator != "bob" || ev[0].Detail != "closed early; normal (was unlocked)" {
			t.Fatalf("emergency_closed events = %+v", ev)
		}
		// Closing a door without one changes nothing and says nothing.
		if err := r.rt.EmergencyClose("1", "bob"); err != nil {
			t.Fatal(err)
		}
		r.sleep(2 * time.Hour)
		r.wantRelay("1", false)
		r.wantTypes(EventEmergencyOpen, EventEmergencyClosed)
	})
}

// A door in locked_down or disabled refuses an emergency open, as it
// refuses a remote open, and nothing of it is stored.
func TestEmergencyRefusedByLockdown(t *testing.T) {
	for _, mode := range []access.DoorMode{access.DoorLockedDown, access.DoorDisabled} {
		t.Run(ModeName(mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := openStore(t, t.TempDir())
				defer st.Close()
				r := newRigConfig(t, Config{Modes: st})
				r.initial("1")
				if err := r.rt.SetMode("1", mode, "alice"); err != nil {
					t.Fatal(err)
				}
				if err := r.rt.EmergencyOpen("1", time.Hour, "bob"); !errors.Is(err, ErrModeRefuses) {
					t.Fatalf("EmergencyOpen = %v, want ErrModeRefuses", err)
				}
				r.wantRelay("1", false)
				settings, _, err := st.DoorSettings()
				if err != nil {
					t.Fatal(err)
				}
				if e := settings["1"].Emergency; e != nil {
					t.Fatalf("stored emergency %+v after it was refused", e)
				}
			})
		})
	}
}

// A lockdown during an emergency open ends it (and its record): going
// back to normal afterwards does not unlock the door again.
func TestLockdownEndsEmergency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		r := newRigConfig(t, Config{Modes: st})
		r.initial("1")
		if err := r.rt.EmergencyOpen("1", time.Hour, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := r.rt.SetMode("1", access.DoorLockedDown, "bob"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", false)
		if err := r.rt.SetMode("1", access.DoorNormal, "bob"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		r.wantRelay("1", false)
		r.wantTypes(EventEmergencyOpen, EventModeChanged, EventEmergencyClosed, EventModeChanged)
		if ev := r.ev.find(EventEmergencyClosed)[0]; ev.Operator != "bob" || ev.Detail != "ended by locked_down; locked_down (was locked_down)" {
			t.Fatalf("emergency_closed = %+v", ev)
		}
		settings, _, err := st.DoorSettings()
		if err != nil {
			t.Fatal(err)
		}
		if e := settings["1"].Emergency; e != nil {
			t.Fatalf("stored emergency %+v after the lockdown", e)
		}
	})
}

// An emergency open the store refused is not applied: a restart would
// forget it, and an unlock is never applied on doubt.
func TestEmergencyNotPersistedNotApplied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fm := &failingModes{err: errors.New("disk full")}
		r := newRigConfig(t, Config{Modes: fm})
		r.initial("1")
		if err := r.rt.EmergencyOpen("1", time.Hour, "alice"); !errors.Is(err, ErrNotPersisted) {
			t.Fatalf("EmergencyOpen = %v, want ErrNotPersisted", err)
		}
		r.wantRelay("1", false)
		r.wantTypes()
	})
}

// Times outside BAS-IP's range (1 s to one week) are refused.
func TestEmergencyOpenRange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		for _, d := range []time.Duration{0, 999 * time.Millisecond, store.MaxEmergencyOpen + time.Second} {
			if err := r.rt.EmergencyOpen("1", d, "alice"); err == nil {
				t.Errorf("EmergencyOpen(%v) = nil, want an error", d)
			}
		}
		if err := r.rt.EmergencyOpen("nope", time.Second, "alice"); !errors.Is(err, ErrUnknownDoor) {
			t.Errorf("unknown door: %v", err)
		}
		r.wantRelay("1", false)
	})
}

// An emergency open survives a crash while it lasts: the next runtime
// locks first, unlocks once it is up (emergency_open "resumed at
// start", naming who ordered it), and locks at the original end; the
// ended record is then removed from the store.
func TestEmergencyResumedAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		st := openStore(t, dir)
		r := newRigConfig(t, Config{Modes: st})
		r.initial("1")
		if err := r.rt.EmergencyOpen("1", time.Hour, "alice"); err != nil {
			t.Fatal(err)
		}
		until := time.Now().Add(time.Hour)
		// "Crash": reopen the file without stopping the runtime first.
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute)
		st = openStore(t, dir)
		defer st.Close()
		r2 := newRigConfig(t, restartFrom(t, st))
		if w := r2.b.relayWrites("1"); len(w) != 2 || w[0].unlocked || !w[1].unlocked {
			t.Fatalf("relay writes = %+v, want lock then unlock", w)
		}
		ev := r2.ev.find(EventEmergencyOpen)
		if len(ev) != 1 || ev[0].Operator != "alice" || ev[0].Detail != "until "+stamp(until)+"; resumed at start; unlocked (was normal)" {
			t.Fatalf("emergency_open at start = %+v", ev)
		}
		r2.sleep(50*time.Minute - time.Second)
		r2.wantRelay("1", true)
		r2.sleep(time.Second)
		r2.wantRelay("1", false)
		settings, _, err := st.DoorSettings()
		if err != nil {
			t.Fatal(err)
		}
		if e := settings["1"].Emergency; e != nil {
			t.Fatalf("stored emergency %+v after it ended", e)
		}
	})
}

// A stored emergency open is never resumed when it has no time left, nor
// when the clock at start is earlier than when it was ordered (a board
// without a real-time clock booting on an old time), nor when its span
// is longer than any accepted one: the door starts locked, says nothing
// about it, and the record is removed.
func TestEmergencyNotResumedOnDoubt(t *testing.T) {
	for name, mk := range map[string]func(now time.Time) store.DoorEmergency{
		"expired": func(now time.Time) store.DoorEmergency {
			return store.DoorEmergency{At: now.Add(-2 * time.Hour), Until: now.Add(-time.Hour)}
		},
		"ends now": func(now time.Time) store.DoorEmergency {
			return store.DoorEmergency{At: now.Add(-time.Hour), Until: now}
		},
		"clock early": func(now time.Time) store.DoorEmergency {
			return store.DoorEmergency{At: now.Add(time.Hour), Until: now.Add(2 * time.Hour)}
		},
		"too long": func(now time.Time) store.DoorEmergency {
			return store.DoorEmergency{At: now.Add(-time.Hour), Until: now.Add(store.MaxEmergencyOpen)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := openStore(t, t.TempDir())
				defer st.Close()
				e := mk(time.Now().UTC())
				if err := st.PutDoorSetting("1", store.DoorSetting{Emergency: &e}); err != nil {
					t.Fatal(err)
				}
				r := newRigConfig(t, restartFrom(t, st))
				r.sleep(time.Minute)
				if w := r.b.relayWrites("1"); len(w) != 1 || w[0].unlocked {
					t.Fatalf("relay writes = %+v, want only the lock at start", w)
				}
				r.wantTypes()
				settings, _, err := st.DoorSettings()
				if err != nil {
					t.Fatal(err)
				}
				if e := settings["1"].Emergency; e != nil {
					t.Fatalf("stored emergency %+v not removed", e)
				}
			})
		})
	}
}

// A door restored in locked_down does not resume an emergency open
// stored beside it (the configured mode may have changed in between).
func TestEmergencyNotResumedAtLockedDownDoor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now().UTC()
		e := store.DoorEmergency{At: now.Add(-time.Minute), Until: now.Add(time.Hour), By: "alice"}
		d := door1()
		d.Mode = access.DoorLockedDown
		r := newRigConfig(t, Config{Doors: []DoorConfig{d}, Settings: map[string]store.DoorSetting{"1": {Emergency: &e}}})
		r.wantRelay("1", false)
		if s := r.state("1"); s.Mode != "locked_down" || !s.EmergencyUntil.IsZero() {
			t.Fatalf("state = %+v", s)
		}
	})
}
