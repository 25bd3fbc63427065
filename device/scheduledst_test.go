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
// change (2000-03-26 and 2000-10-29 in the synctest calendar). Each change
// gets a runtime started the day before, which then runs through it: the
// door re-reads its schedule every minute (schedRecheck), and one runtime
// kept from January to October cost 430,000 wake-ups, minutes under qemu,
// for nothing the two days around each change do not show.
func TestScheduleAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	type day struct {
		month    time.Month
		day      int
		open, to int // UTC hours of 08:00 and 17:00 Berlin
	}
	for _, change := range []struct {
		name string
		days []day
	}{
		{"spring", []day{
			{time.March, 25, 7, 16}, // CET, the day before the change
			{time.March, 26, 6, 15}, // CEST from 02:00 that morning
		}},
		{"autumn", []day{
			{time.October, 28, 6, 15}, // CEST, the day before
			{time.October, 29, 7, 16}, // CET from 03:00 that morning
		}},
	} {
		t.Run(change.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				first := change.days[0]
				// The bubble starts on 2000-01-01; nothing runs in it yet,
				// so this sleep is instant.
				time.Sleep(time.Until(time.Date(2000, first.month, first.day, 0, 0, 0, 0, time.UTC)))
				r := newRigConfig(t, Config{Doors: []DoorConfig{scheduledDoor(false)}, Schedules: officeHours(t), Location: berlin})
				r.initial("1")
				at := func(month time.Month, day, hh, mm, ss int) {
					r.sleep(time.Until(time.Date(2000, month, day, hh, mm, ss, 0, time.UTC)))
				}
				for _, c := range change.days {
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
		})
	}
}
