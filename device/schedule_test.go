package device

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

type fakeSchedules map[uint64]*access.Schedule

func (f fakeSchedules) Schedule(id uint64) *access.Schedule { return f[id] }

// officeHours is profile 7: every day 08:00–17:00 (UTC). The synctest
// clock starts at 2000-01-01 00:00 UTC.
func officeHours(t *testing.T) fakeSchedules {
	t.Helper()
	all := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	s, err := access.CompileProfile(&store.TimeProfile{ID: 7, Intervals: []store.Interval{{Days: all, Start: "08:00", End: "17:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	return fakeSchedules{7: s}
}

func scheduledDoor(firstCard bool) DoorConfig {
	d := door1()
	d.UnlockSchedule, d.FirstCardUnlock = 7, firstCard
	return d
}

// sleepUntil advances the bubble clock to the wall-clock time hh:mm:ss of
// day (0 = the first day).
func (r *rig) sleepUntil(day, hh, mm, ss int) {
	at := r.start.Add(time.Duration(day)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	r.sleep(time.Until(at))
}

func TestScheduleOpensAndClosesOnTheMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(false)}, Schedules: officeHours(t)})
		r.initial("1")
		for day := range 2 {
			r.sleepUntil(day, 7, 59, 59)
			r.wantRelay("1", false)
			r.sleepUntil(day, 8, 0, 0)
			r.wantRelay("1", true)
			if s := r.state("1"); s.Mode != "unlocked" || s.SetMode != "normal" || !s.ScheduleOpen {
				t.Fatalf("day %d 08:00 state = %+v", day, s)
			}
			r.sleepUntil(day, 16, 59, 59)
			r.wantRelay("1", true)
			r.sleepUntil(day, 17, 0, 0)
			r.wantRelay("1", false)
		}
		w := r.b.relayWrites("1")
		want := []time.Duration{8 * time.Hour, 17 * time.Hour, 32 * time.Hour, 41 * time.Hour}
		if len(w) != 1+len(want) {
			t.Fatalf("relay writes = %+v", w)
		}
		for i, d := range want {
			if got := w[i+1].at.Sub(r.start); got != d || w[i+1].unlocked != (i%2 == 0) {
				t.Errorf("relay write %d at +%v unlocked=%v, want +%v", i+1, got, w[i+1].unlocked, d)
			}
		}
		evs := r.ev.find(EventModeChanged)
		if len(evs) != 4 || evs[0].Detail != "unlocked (was normal); unlock schedule 7 opened" ||
			evs[1].Detail != "normal (was unlocked); unlock schedule 7 closed" {
			t.Fatalf("mode_changed = %+v", evs)
		}
	})
}

// A door that boots inside its window unlocks at start (once up).
func TestScheduleOpenAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(9 * time.Hour)
		r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(false)}, Schedules: officeHours(t)})
		r.wantRelay("1", true)
		if ev := r.ev.find(EventModeChanged); len(ev) != 1 || ev[0].Detail != "unlocked (was normal); at start; unlock schedule open" {
			t.Fatalf("mode_changed at start = %+v", ev)
		}
		r.sleep(8 * time.Hour)
		r.wantRelay("1", false)
	})
}

func TestFirstCardUnlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(true)}, Schedules: officeHours(t)})
		r.initial("1")
		r.sleepUntil(0, 8, 30, 0)
		r.wantRelay("1", false) // window open, no card yet
		if s := r.state("1"); s.Mode != "normal" || !s.ScheduleOpen {
			t.Fatalf("state = %+v", s)
		}
		// A duress grant opens once but does not unlock the day.
		r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeGranted, UserUID: 2, CredType: 2, Duress: true}
		}
		r.card("r1", 2)
		r.sleep(time.Minute)
		r.wantRelay("1", false)
		r.d.card = grant(1)
		r.card("r1", 1)
		r.sleep(time.Hour) // long past the 5 s unlock time
		r.wantRelay("1", true)
		r.sleepUntil(0, 17, 0, 0)
		r.wantRelay("1", false)
		r.sleepUntil(1, 9, 0, 0) // the next window waits for its own first card
		r.wantRelay("1", false)
		r.card("r1", 1)
		r.sleep(time.Minute)
		r.wantRelay("1", true)
		// Outside the window a grant is an ordinary momentary open.
		r.sleepUntil(1, 18, 0, 0)
		r.card("r1", 1)
		r.wantRelay("1", true)
		r.sleep(5 * time.Second)
		r.wantRelay("1", false)
	})
}

// An operator's mode overrides the schedule; normal hands the door back.
func TestOperatorModeOverridesSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(false)}, Schedules: officeHours(t)})
		r.initial("1")
		if err := r.rt.SetMode("1", access.DoorLockedDown, "alice"); err != nil {
			t.Fatal(err)
		}
		r.sleepUntil(0, 9, 0, 0)
		r.wantRelay("1", false)
		if err := r.rt.SetMode("1", access.DoorNormal, "alice"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", true) // back to the open schedule at once
		if ev := r.ev.find(EventModeChanged); ev[len(ev)-1].Detail != "unlocked (was locked_down); unlock schedule open" {
			t.Fatalf("mode_changed = %+v", ev[len(ev)-1])
		}
		if err := r.rt.SetMode("1", access.DoorDisabled, "alice"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", false)
	})
}

// A schedule set over the API takes effect at once and persists.
func TestSetScheduleOverAPI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		r := newRigConfig(t, Config{Modes: st, Schedules: officeHours(t)})
		r.initial("1")
		r.sleepUntil(0, 10, 0, 0)
		if err := r.rt.SetSchedule("1", 7, false, "carol"); err != nil {
			t.Fatal(err)
		}
		r.wantRelay("1", true)
		r.sleepUntil(0, 17, 0, 0)
		r.wantRelay("1", false)
		got, _, err := st.DoorSettings()
		if err != nil {
			t.Fatal(err)
		}
		if s := got["1"].Schedule; s == nil || s.ProfileID != 7 || s.By != "carol" {
			t.Fatalf("stored schedule = %+v", s)
		}
		r2 := newRigConfig(t, Config{Settings: got, Schedules: officeHours(t)})
		if s := r2.state("1"); s.UnlockSchedule != 7 {
			t.Fatalf("restored schedule = %d, want 7", s.UnlockSchedule)
		}
		if err := r.rt.SetSchedule("1", 0, false, "carol"); err != nil {
			t.Fatal(err)
		}
		r.sleepUntil(1, 9, 0, 0)
		r.wantRelay("1", false)
	})
}
