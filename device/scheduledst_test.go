package device

import (
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata" // the test needs Europe/Berlin on any machine
)

// The unlock schedule follows the configured zone's wall clock across
// both daylight-saving changes: office hours 08:00–17:00 in Berlin open at
// 07:00 UTC in winter and 06:00 UTC in summer, on the very day of each
// change (2000-03-26 and 2000-10-29 in the synctest calendar).
func TestScheduleAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(false)}, Schedules: officeHours(t), Location: berlin})
		r.initial("1")
		at := func(month time.Month, day, hh, mm, ss int) {
			r.sleep(time.Until(time.Date(2000, month, day, hh, mm, ss, 0, time.UTC)))
		}
		for _, c := range []struct {
			month    time.Month
			day      int
			open, to int // UTC hours of 08:00 and 17:00 Berlin
		}{
			{time.March, 25, 7, 16},   // CET, the day before the change
			{time.March, 26, 6, 15},   // CEST from 02:00 that morning
			{time.October, 28, 6, 15}, // CEST, the day before
			{time.October, 29, 7, 16}, // CET from 03:00 that morning
		} {
			at(c.month, c.day, c.open-1, 59, 59)
			r.wantRelay("1", false)
			at(c.month, c.day, c.open, 0, 0)
			r.wantRelay("1", true)
			at(c.month, c.day, c.to-1, 59, 59)
			r.wantRelay("1", true)
			at(c.month, c.day, c.to, 0, 0)
			r.wantRelay("1", false)
		}
	})
}
