package device

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// swappableSchedules is a schedule source whose answer a test changes
// without telling the doors (no Reschedule).
type swappableSchedules struct {
	mu sync.Mutex
	s  *access.Schedule
}

func (f *swappableSchedules) Schedule(uint64) *access.Schedule {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s
}

func (f *swappableSchedules) set(s *access.Schedule) {
	f.mu.Lock()
	f.s = s
	f.mu.Unlock()
}

// A door's schedule edges are timers armed from the wall clock: if the
// clock is stepped (a board without a real-time clock boots on its last
// shutdown time, then NTP corrects it), a timer armed before the step
// fires hours off, and a door left unlocked by the wrong time would stay
// so. The door therefore reads its schedule again at least every minute.
// synctest cannot step the wall clock alone, so here the schedule's
// answer changes without a Reschedule — what a door sees after a step.
func TestScheduleRecheckedWithinAMinute(t *testing.T) {
	all := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	compile := func(start, end string) *access.Schedule {
		s, err := access.CompileProfile(&store.TimeProfile{ID: 7, Intervals: []store.Interval{{Days: all, Start: start, End: end}}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	synctest.Test(t, func(t *testing.T) {
		src := &swappableSchedules{s: compile("00:00", "24:00")} // open at start (00:00)
		r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(false)}, Schedules: src})
		r.initial("1")
		r.wantRelay("1", true)
		src.set(compile("08:00", "17:00")) // now closed, and its next edge is 8 h away
		r.sleep(time.Minute)
		r.wantRelay("1", false)
		src.set(compile("00:00", "24:00"))
		r.sleep(time.Minute)
		r.wantRelay("1", true)
	})
}
