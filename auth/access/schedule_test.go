package access

import (
	"testing"
	"time"

	"github.com/doord/doord/store"
)

func TestScheduleOpen(t *testing.T) {
	office := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "08:00", End: "18:00"}}}
	night := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{5, 6}, Start: "22:00", End: "06:00"}}}
	allDay := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{3}, Start: "00:00", End: "24:00"}}}
	empty := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{3}, Start: "10:00", End: "10:00"}}}
	dated := office
	dated.DateFrom, dated.DateTo = "2025-03-10", "2025-03-12"
	dated.Holidays = []string{"2025-03-11"}
	bad := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{3}, Start: "8am", End: "18:00"}}}
	badDate := office
	badDate.DateTo = "tomorrow"
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, time.UTC) }
	tests := []struct {
		name string
		p    store.TimeProfile
		t    time.Time
		want bool
	}{
		{"office start inclusive", office, at(2025, 3, 12, 8, 0), true},
		{"office before", office, at(2025, 3, 12, 7, 59), false},
		{"office end exclusive", office, at(2025, 3, 12, 18, 0), false},
		{"office last minute", office, at(2025, 3, 12, 17, 59), true},
		{"office sunday", office, at(2025, 3, 16, 10, 0), false},
		{"night friday late", night, at(2025, 3, 14, 23, 0), true},
		{"night wraps into saturday", night, at(2025, 3, 15, 5, 59), true},
		{"night ends 06:00", night, at(2025, 3, 15, 6, 0), false},
		{"saturday night wraps into sunday", night, at(2025, 3, 16, 1, 0), true},
		{"no wrap into friday morning", night, at(2025, 3, 14, 1, 0), false},
		{"24:00 end", allDay, at(2025, 3, 12, 23, 59), true},
		{"24:00 end is midnight", allDay, at(2025, 3, 13, 0, 0), false},
		{"start equals end is empty", empty, at(2025, 3, 12, 10, 0), false},
		{"date range first day", dated, at(2025, 3, 10, 9, 0), true},
		{"holiday", dated, at(2025, 3, 11, 9, 0), false},
		{"date range last day", dated, at(2025, 3, 12, 9, 0), true},
		{"after date range", dated, at(2025, 3, 13, 9, 0), false},
		{"before date range", dated, at(2025, 3, 7, 9, 0), false},
		{"malformed interval grants nothing", bad, at(2025, 3, 12, 9, 0), false},
		{"malformed date grants nothing", badDate, at(2025, 3, 12, 9, 0), false},
	}
	for _, tt := range tests {
		if got := ProfileOpen(&tt.p, tt.t, time.UTC); got != tt.want {
			t.Errorf("%s: Open(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
	if ValidateProfile(&bad) == nil || ValidateProfile(&badDate) == nil {
		t.Error("ValidateProfile accepted a malformed profile")
	}
	if err := ValidateProfile(&dated); err != nil {
		t.Errorf("ValidateProfile(dated) = %v", err)
	}
}

// DST: profiles are wall-clock. Europe/Berlin springs forward on
// 2025-03-30 (02:00 → 03:00) and falls back on 2025-10-26 (03:00 →
// 02:00); America/New_York on 2025-03-09 and 2025-11-02 at 02:00.
func TestScheduleDST(t *testing.T) {
	for _, tc := range []struct {
		zone         string
		spring, fall time.Time // local midnight of the change days
		springDay    time.Weekday
		fallDay      time.Weekday
	}{
		{"Europe/Berlin", time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC), time.Sunday, time.Sunday},
		{"America/New_York", time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC), time.Sunday, time.Sunday},
	} {
		loc := mustZone(t, tc.zone)
		morning := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{0}, Start: "08:00", End: "09:00"}}}
		twoish := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{0}, Start: "02:00", End: "03:00"}}}
		s1, _ := CompileProfile(&morning)
		s2, _ := CompileProfile(&twoish)
		for _, day := range []time.Time{tc.spring, tc.fall} {
			y, m, d := day.Date()
			// 08:30 local is inside, 09:30 outside, on both change days.
			if !s1.Open(time.Date(y, m, d, 8, 30, 0, 0, loc), loc) {
				t.Errorf("%s %v 08:30 local: closed, want open", tc.zone, day.Format(time.DateOnly))
			}
			if s1.Open(time.Date(y, m, d, 9, 30, 0, 0, loc), loc) {
				t.Errorf("%s %v 09:30 local: open, want closed", tc.zone, day.Format(time.DateOnly))
			}
		}
		// Spring forward: walk the day's real instants minute by minute;
		// the 02:00–03:00 interval never happens, 08:00–09:00 lasts 60 min.
		y, m, d := tc.spring.Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, loc)
		end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		var open1, open2 int
		for at := start; at.Before(end); at = at.Add(time.Minute) {
			if s1.Open(at, loc) {
				open1++
			}
			if s2.Open(at, loc) {
				open2++
			}
		}
		if open1 != 60 || open2 != 0 {
			t.Errorf("%s spring forward: 08-09 open %d min (want 60), 02-03 open %d min (want 0)", tc.zone, open1, open2)
		}
		if n := int(end.Sub(start) / time.Minute); n != 23*60 {
			t.Fatalf("%s: spring day has %d minutes; zone data wrong?", tc.zone, n)
		}
		// Fall back: the repeated hour opens twice.
		y, m, d = tc.fall.Date()
		start = time.Date(y, m, d, 0, 0, 0, 0, loc)
		end = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		open1, open2 = 0, 0
		for at := start; at.Before(end); at = at.Add(time.Minute) {
			if s1.Open(at, loc) {
				open1++
			}
			if s2.Open(at, loc) {
				open2++
			}
		}
		wantTwo := 60
		if tc.zone == "America/New_York" {
			// New York repeats 01:00–02:00, so 02:00–03:00 happens once.
			wantTwo = 60
		} else {
			// Berlin repeats 02:00–03:00.
			wantTwo = 120
		}
		if open1 != 60 || open2 != wantTwo {
			t.Errorf("%s fall back: 08-09 open %d min (want 60), 02-03 open %d min (want %d)", tc.zone, open1, open2, wantTwo)
		}
	}
}

func TestScheduleOpenAllocs(t *testing.T) {
	loc := mustZone(t, "Europe/Berlin")
	p := store.TimeProfile{Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3}, Start: "08:00", End: "18:00"}}, Holidays: []string{"2025-12-25"}}
	s, _ := CompileProfile(&p)
	now := time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)
	if n := testing.AllocsPerRun(100, func() { s.Open(now, loc) }); n != 0 {
		t.Errorf("Open allocates %v times", n)
	}
}
