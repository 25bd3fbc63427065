package access

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

var (
	mon, tue, wed, thu, fri, sat, sun = time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday
)

func ruleProfile(ivs ...store.Interval) store.TimeProfile {
	return store.TimeProfile{Intervals: ivs}
}

// check is one instant (UTC wall clock) and whether the profile opens.
type check struct {
	at   string // "2006-01-02 15:04"
	want bool
}

func runChecks(t *testing.T, name string, p store.TimeProfile, loc *time.Location, checks []check) {
	t.Helper()
	if loc == nil {
		loc = time.UTC
	}
	s, err := CompileProfile(&p)
	if err != nil {
		t.Fatalf("%s: CompileProfile: %v", name, err)
	}
	for _, c := range checks {
		at, err := time.ParseInLocation("2006-01-02 15:04", c.at, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Open(at, loc); got != c.want {
			t.Errorf("%s: Open(%s %s) = %v, want %v", name, c.at, at.Weekday(), got, c.want)
		}
	}
}

func TestScheduleRules(t *testing.T) {
	window := func(iv store.Interval) store.Interval {
		if iv.Start == "" {
			iv.Start, iv.End = "09:00", "10:00"
		}
		return iv
	}
	tests := []struct {
		name   string
		iv     store.Interval
		checks []check
	}{
		{"every day", store.Interval{Repeat: store.RepeatDay}, []check{
			{"2025-03-09 09:00", true}, {"2025-03-10 09:59", true}, {"2025-03-10 10:00", false}, {"2025-03-10 08:59", false},
			{"2024-02-29 09:30", true},
		}},
		{"every day from anchor", store.Interval{Repeat: store.RepeatDay, Anchor: "2025-03-10"}, []check{
			{"2025-03-09 09:30", false}, {"2025-03-10 09:30", true}, {"2031-07-04 09:30", true},
		}},
		{"every 3 days", store.Interval{Repeat: store.RepeatDay, Every: 3, Anchor: "2025-01-30"}, []check{
			{"2025-01-27 09:30", false}, // 3 days before the anchor: not before it
			{"2025-01-30 09:30", true}, {"2025-01-31 09:30", false}, {"2025-02-01 09:30", false},
			{"2025-02-02 09:30", true}, {"2025-02-05 09:30", true}, {"2025-03-01 09:30", true}, // 30 days on
			{"2025-03-02 09:30", false}, {"2026-01-30 09:30", false}, // 365 days on
			{"2026-01-31 09:30", true}, // 366 days on
		}},
		{"every 2 weeks mon+thu, anchor mid-week across new year", store.Interval{Repeat: store.RepeatWeek, Every: 2, Anchor: "2025-12-31", Days: []time.Weekday{mon, thu}}, []check{
			{"2025-12-29 09:30", false},                              // Monday of the anchor's week, before the anchor
			{"2025-12-31 09:30", false},                              // the anchor is a Wednesday
			{"2026-01-01 09:30", true},                               // Thursday of week 0
			{"2026-01-05 09:30", false}, {"2026-01-08 09:30", false}, // week 1
			{"2026-01-12 09:30", true}, {"2026-01-14 09:30", false}, {"2026-01-15 09:30", true}, // week 2
			{"2026-01-22 09:30", false}, {"2026-01-26 09:30", true}, {"2026-01-29 09:30", true}, // weeks 3, 4
			{"2025-12-18 09:30", false}, // two weeks before: before the anchor
		}},
		{"every 2 weeks across a year boundary mid-week", store.Interval{Repeat: store.RepeatWeek, Every: 2, Anchor: "2024-12-16", Days: []time.Weekday{mon, thu}}, []check{
			{"2024-12-16 09:30", true}, {"2024-12-19 09:30", true}, {"2024-12-23 09:30", false},
			{"2024-12-30 09:30", true}, {"2025-01-02 09:30", true}, // week 2 straddles the new year
			{"2025-01-06 09:30", false}, {"2025-01-13 09:30", true},
		}},
		{"every week from anchor", store.Interval{Repeat: store.RepeatWeek, Anchor: "2025-03-12", Days: []time.Weekday{sun, mon, tue, wed, thu, fri, sat}}, []check{
			{"2025-03-11 09:30", false}, {"2025-03-12 09:30", true}, {"2025-03-16 09:30", true},
		}},
		{"month day 31", store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{31}}, []check{
			{"2025-01-31 09:30", true}, {"2025-04-30 09:30", false}, {"2025-05-01 09:30", false},
			{"2025-02-28 09:30", false}, {"2025-03-31 09:30", true}, {"2025-03-30 09:30", false},
		}},
		{"last day of the month", store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{-1}}, []check{
			{"2024-02-29 09:30", true}, {"2024-02-28 09:30", false}, // leap year
			{"2025-02-28 09:30", true}, {"2025-02-27 09:30", false}, // not
			{"2100-02-28 09:30", true}, {"2000-02-29 09:30", true}, {"2000-02-28 09:30", false},
			{"2025-04-30 09:30", true}, {"2025-04-29 09:30", false}, {"2025-12-31 09:30", true},
		}},
		{"1st and 15th", store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{1, 15}}, []check{
			{"2025-06-01 09:30", true}, {"2025-06-15 09:30", true}, {"2025-06-16 09:30", false},
		}},
		{"first monday", store.Interval{Repeat: store.RepeatMonth, Nth: 1, Days: []time.Weekday{mon}}, []check{
			{"2025-03-03 09:30", true}, {"2025-03-10 09:30", false}, {"2025-03-01 09:30", false},
			{"2025-09-01 09:30", true}, {"2025-09-08 09:30", false},
		}},
		{"last friday", store.Interval{Repeat: store.RepeatMonth, Nth: -1, Days: []time.Weekday{fri}}, []check{
			{"2025-03-28 09:30", true}, {"2025-03-21 09:30", false}, {"2025-02-28 09:30", true},
			{"2025-01-31 09:30", true}, {"2025-01-24 09:30", false},
		}},
		{"fifth wednesday", store.Interval{Repeat: store.RepeatMonth, Nth: 5, Days: []time.Weekday{wed}}, []check{
			{"2025-01-29 09:30", true}, {"2025-02-26 09:30", false}, // February has four
			{"2025-03-26 09:30", false}, {"2025-04-30 09:30", true}, {"2025-04-23 09:30", false},
		}},
		{"first monday and first thursday", store.Interval{Repeat: store.RepeatMonth, Nth: 1, Days: []time.Weekday{mon, thu}}, []check{
			{"2025-03-03 09:30", true}, {"2025-03-06 09:30", true}, {"2025-03-10 09:30", false}, {"2025-03-13 09:30", false},
		}},
		{"first weekday, month starting on saturday", store.Interval{Repeat: store.RepeatMonth, Nth: 1, DayType: store.DayTypeWork}, []check{
			{"2025-03-01 09:30", false}, {"2025-03-02 09:30", false}, {"2025-03-03 09:30", true}, {"2025-03-04 09:30", false},
			{"2025-11-03 09:30", true}, {"2025-10-01 09:30", true}, // October starts on a Wednesday
		}},
		{"second weekday", store.Interval{Repeat: store.RepeatMonth, Nth: 2, DayType: store.DayTypeWork}, []check{
			{"2025-03-04 09:30", true}, {"2025-03-03 09:30", false}, {"2025-10-02 09:30", true},
		}},
		{"last working day", store.Interval{Repeat: store.RepeatMonth, Nth: -1, DayType: store.DayTypeWork}, []check{
			{"2025-05-30 09:30", true}, {"2025-05-31 09:30", false}, {"2025-03-31 09:30", true}, {"2025-03-28 09:30", false},
		}},
		{"last weekend day", store.Interval{Repeat: store.RepeatMonth, Nth: -1, DayType: store.DayTypeWeekend}, []check{
			{"2025-03-30 09:30", true}, {"2025-03-29 09:30", false}, {"2025-03-31 09:30", false},
			{"2025-05-31 09:30", true}, {"2025-05-25 09:30", false}, {"2025-11-30 09:30", true},
		}},
		{"first weekend day", store.Interval{Repeat: store.RepeatMonth, Nth: 1, DayType: store.DayTypeWeekend}, []check{
			{"2025-03-01 09:30", true}, {"2025-03-02 09:30", false}, {"2025-04-05 09:30", true}, {"2025-06-01 09:30", true},
		}},
		{"every 3 months", store.Interval{Repeat: store.RepeatMonth, Every: 3, Anchor: "2025-01-15", MonthDays: []int{15}}, []check{
			{"2025-01-15 09:30", true}, {"2025-02-15 09:30", false}, {"2025-04-15 09:30", true},
			{"2025-07-15 09:30", true}, {"2025-12-15 09:30", false}, {"2026-01-15 09:30", true},
			{"2024-10-15 09:30", false}, // before the anchor
		}},
		{"every 2 months, anchor after the day", store.Interval{Repeat: store.RepeatMonth, Every: 2, Anchor: "2025-01-20", MonthDays: []int{15}}, []check{
			{"2025-01-15 09:30", false}, {"2025-03-15 09:30", true}, {"2025-02-15 09:30", false},
		}},
		{"months filter", store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{1}, Months: []time.Month{time.January, time.July}}, []check{
			{"2025-01-01 09:30", true}, {"2025-02-01 09:30", false}, {"2025-07-01 09:30", true}, {"2025-08-01 09:30", false},
		}},
		{"yearly feb 29", store.Interval{Repeat: store.RepeatYear, Months: []time.Month{time.February}, MonthDays: []int{29}}, []check{
			{"2024-02-29 09:30", true}, {"2025-02-28 09:30", false}, {"2025-03-01 09:30", false},
			{"2028-02-29 09:30", true}, {"2100-03-01 09:30", false},
		}},
		{"yearly 4th thursday of november", store.Interval{Repeat: store.RepeatYear, Months: []time.Month{time.November}, Nth: 4, Days: []time.Weekday{thu}}, []check{
			{"2025-11-27 09:30", true}, {"2025-11-20 09:30", false}, {"2026-11-26 09:30", true}, {"2025-10-23 09:30", false},
		}},
		{"every 2 years", store.Interval{Repeat: store.RepeatYear, Every: 2, Anchor: "2024-01-01", Months: []time.Month{time.June}, MonthDays: []int{-1}}, []check{
			{"2024-06-30 09:30", true}, {"2025-06-30 09:30", false}, {"2026-06-30 09:30", true}, {"2022-06-30 09:30", false},
		}},
		{"nothing before anchor (month)", store.Interval{Repeat: store.RepeatMonth, Anchor: "2025-06-10", MonthDays: []int{1, 20}}, []check{
			{"2025-06-01 09:30", false}, {"2025-06-20 09:30", true}, {"2025-05-20 09:30", false}, {"2025-07-01 09:30", true},
		}},
	}
	for _, tt := range tests {
		runChecks(t, tt.name, ruleProfile(window(tt.iv)), nil, tt.checks)
	}
}

func TestScheduleRuleNightWindow(t *testing.T) {
	lastNight := store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{-1}, Start: "22:00", End: "06:00"}
	runChecks(t, "last-day night", ruleProfile(lastNight), nil, []check{
		{"2025-04-30 21:59", false}, {"2025-04-30 22:00", true}, {"2025-04-30 23:59", true},
		{"2025-05-01 00:00", true}, {"2025-05-01 05:59", true}, // after midnight: the 30th's
		{"2025-05-01 06:00", false},
		{"2025-05-01 22:00", false}, {"2025-05-01 23:30", false}, // the 1st's own evening
		{"2025-05-02 01:00", false},
		{"2025-04-30 01:00", false}, // belongs to the 29th
		{"2024-02-29 23:00", true}, {"2024-03-01 02:00", true}, {"2024-02-28 23:00", false}, {"2024-02-29 02:00", false},
		{"2025-02-28 23:00", true}, {"2025-03-01 02:00", true},
		{"2025-12-31 23:00", true}, {"2026-01-01 03:00", true}, {"2026-01-01 23:00", false},
	})
	also1st := lastNight
	also1st.MonthDays = []int{-1, 1}
	runChecks(t, "last-day and 1st night", ruleProfile(also1st), nil, []check{
		{"2025-05-01 23:30", true}, {"2025-05-02 01:00", true}, {"2025-05-02 23:30", false},
	})
	// End 24:00 does not wrap; End 00:00 wraps with an empty morning part.
	toMidnight := store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{-1}, Start: "22:00", End: "24:00"}
	runChecks(t, "to 24:00", ruleProfile(toMidnight), nil, []check{
		{"2025-04-30 23:59", true}, {"2025-05-01 00:00", false},
	})
	toZero := toMidnight
	toZero.End = "00:00"
	runChecks(t, "to 00:00", ruleProfile(toZero), nil, []check{
		{"2025-04-30 23:59", true}, {"2025-05-01 00:00", false},
	})
	// A Friday night shift every 2 weeks runs into Saturday of the same week.
	fridays := store.Interval{Repeat: store.RepeatWeek, Every: 2, Anchor: "2025-03-03", Days: []time.Weekday{fri}, Start: "20:00", End: "04:00"}
	runChecks(t, "fortnightly friday night", ruleProfile(fridays), nil, []check{
		{"2025-03-07 21:00", true}, {"2025-03-08 03:00", true}, {"2025-03-14 21:00", false}, {"2025-03-15 03:00", false},
		{"2025-03-21 21:00", true}, {"2025-03-22 03:59", true}, {"2025-03-22 04:00", false},
	})
	// The whole day.
	allDay := store.Interval{Repeat: store.RepeatMonth, Nth: 1, Days: []time.Weekday{mon}, Start: "00:00", End: "24:00"}
	runChecks(t, "whole first monday", ruleProfile(allDay), nil, []check{
		{"2025-03-02 23:59", false}, {"2025-03-03 00:00", true}, {"2025-03-03 23:59", true}, {"2025-03-04 00:00", false},
	})
	// Equal start and end are empty.
	empty := store.Interval{Repeat: store.RepeatDay, Anchor: "2025-01-01", Start: "10:00", End: "10:00"}
	runChecks(t, "empty", ruleProfile(empty), nil, []check{{"2025-03-03 10:00", false}, {"2025-03-03 09:59", false}})
}

func TestScheduleRuleDatesAndHolidays(t *testing.T) {
	night := store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{-1}, Start: "22:00", End: "06:00"}
	day := store.Interval{Repeat: store.RepeatMonth, Nth: 1, Days: []time.Weekday{mon}, Start: "09:00", End: "17:00"}

	p := ruleProfile(night, day)
	p.Holidays = []string{"2025-05-01", "2025-06-02"}
	runChecks(t, "holiday after a selected night", p, nil, []check{
		{"2025-04-30 23:00", true},
		{"2025-05-01 02:00", false}, // the instant's date is the holiday
		{"2025-06-02 10:00", false}, // the first Monday of June is a holiday
		{"2025-07-07 10:00", true},
	})
	p = ruleProfile(night)
	p.Holidays = []string{"2025-04-30"}
	runChecks(t, "holiday on the selected day", p, nil, []check{
		{"2025-04-30 23:00", false},
		{"2025-05-01 02:00", true}, // not a holiday: the night's second half opens, as for weekly intervals
	})
	p = ruleProfile(night, day)
	p.DateFrom, p.DateTo = "2025-05-01", "2025-05-31"
	runChecks(t, "date range", p, nil, []check{
		{"2025-04-30 23:00", false}, // before DateFrom
		{"2025-05-01 02:00", true},  // in range; the rule selected the 30th
		{"2025-05-05 10:00", true},
		{"2025-05-31 23:00", true},
		{"2025-06-01 02:00", false}, // cut at midnight after DateTo
		{"2025-06-02 10:00", false},
	})
	// A malformed rule grants nothing; the rest of the profile compiles.
	mixed := ruleProfile(
		store.Interval{Days: []time.Weekday{mon, tue, wed, thu, fri}, Start: "08:00", End: "18:00"},
		store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{32}, Start: "00:00", End: "24:00"},
		store.Interval{Repeat: store.RepeatMonth, MonthDays: []int{1}, Nth: 1, Start: "00:00", End: "24:00"},
		store.Interval{Days: []time.Weekday{sat}, Months: []time.Month{time.May}, Start: "00:00", End: "24:00"},
		store.Interval{Repeat: store.RepeatWeek, Every: 2, Days: []time.Weekday{sun}, Start: "00:00", End: "24:00"},
	)
	s, err := CompileProfile(&mixed)
	if err == nil {
		t.Fatal("CompileProfile accepted malformed rules")
	}
	for at, want := range map[string]bool{
		"2025-03-12 09:00": true,  // the weekly interval
		"2025-03-12 20:00": false, // the rules would open all day on some days
		"2025-03-01 20:00": false, // a 1st (nth and month_days together)
		"2025-05-03 20:00": false, // a Saturday in May (months without repeat)
		"2025-03-02 20:00": false, // a Sunday (every 2 without anchor)
		"2025-03-09 20:00": false,
	} {
		tm, _ := time.Parse("2006-01-02 15:04", at)
		if got := s.Open(tm, time.UTC); got != want {
			t.Errorf("mixed profile at %s: %v, want %v", at, got, want)
		}
	}
}

// DST: a rule's window is wall clock like a weekly one. Europe/Berlin
// springs forward on the last Sunday of March (2025-03-30 02:00 → 03:00)
// and falls back on the last Sunday of October (2025-10-26 03:00 → 02:00).
func TestScheduleRuleDST(t *testing.T) {
	loc := mustZone(t, "Europe/Berlin")
	lastSunday := func(start, end string) store.TimeProfile {
		return ruleProfile(store.Interval{Repeat: store.RepeatYear, Months: []time.Month{time.March, time.October}, Nth: -1, Days: []time.Weekday{sun}, Start: start, End: end})
	}
	// The night before: the last Saturday, 22:00 to 04:00 on Sunday.
	lastSaturdayNight := ruleProfile(store.Interval{Repeat: store.RepeatMonth, Months: []time.Month{time.March, time.October}, Nth: -1, Days: []time.Weekday{sat}, Start: "22:00", End: "04:00"})
	minutesOpen := func(p store.TimeProfile, from, to time.Time) int {
		s, err := CompileProfile(&p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for at := from; at.Before(to); at = at.Add(time.Minute) {
			if s.Open(at, loc) {
				n++
			}
		}
		return n
	}
	for _, tc := range []struct {
		day                      int // in 2025
		month                    time.Month
		twoToThree, eightToNine  int
		saturdayNight, dayLength int
	}{
		{30, time.March, 0, 60, 2*60 + 3*60, 23 * 60},
		{26, time.October, 120, 60, 2*60 + 5*60, 25 * 60},
	} {
		from := time.Date(2025, tc.month, tc.day, 0, 0, 0, 0, loc)
		to := time.Date(2025, tc.month, tc.day+1, 0, 0, 0, 0, loc)
		if n := int(to.Sub(from) / time.Minute); n != tc.dayLength {
			t.Fatalf("%v: day has %d minutes; zone data wrong?", from, n)
		}
		if n := minutesOpen(lastSunday("02:00", "03:00"), from, to); n != tc.twoToThree {
			t.Errorf("%s: 02:00–03:00 open %d min, want %d", from.Format(time.DateOnly), n, tc.twoToThree)
		}
		if n := minutesOpen(lastSunday("08:00", "09:00"), from, to); n != tc.eightToNine {
			t.Errorf("%s: 08:00–09:00 open %d min, want %d", from.Format(time.DateOnly), n, tc.eightToNine)
		}
		if n := minutesOpen(lastSunday("08:00", "09:00"), from.AddDate(0, 0, -7), to.AddDate(0, 0, -7)); n != 0 {
			t.Errorf("%s a week before: 08:00–09:00 open %d min, want 0", from.Format(time.DateOnly), n)
		}
		// Saturday 22:00 through the change night to Sunday 04:00.
		sat := time.Date(2025, tc.month, tc.day-1, 12, 0, 0, 0, loc)
		if n := minutesOpen(lastSaturdayNight, sat, to); n != tc.saturdayNight {
			t.Errorf("%s: Saturday night open %d min, want %d", sat.Format(time.DateOnly), n, tc.saturdayNight)
		}
	}
}

func TestScheduleRuleErrors(t *testing.T) {
	iv := func(f func(*store.Interval)) store.Interval {
		v := store.Interval{Start: "09:00", End: "10:00"}
		f(&v)
		return v
	}
	tests := []struct {
		name string
		p    store.TimeProfile
		want []FieldError
	}{
		{"valid rules", ruleProfile(
			iv(func(v *store.Interval) { v.Repeat = store.RepeatDay }),
			iv(func(v *store.Interval) { v.Repeat, v.Every, v.Anchor = store.RepeatDay, 3, "2025-01-01" }),
			iv(func(v *store.Interval) { v.Repeat, v.Days = store.RepeatWeek, []time.Weekday{mon} }),
			iv(func(v *store.Interval) {
				v.Repeat, v.MonthDays, v.Months = store.RepeatMonth, []int{-1, 31}, []time.Month{1}
			}),
			iv(func(v *store.Interval) { v.Repeat, v.Nth, v.DayType = store.RepeatMonth, -1, store.DayTypeWeekend }),
			iv(func(v *store.Interval) {
				v.Repeat, v.Nth, v.Days, v.Months = store.RepeatYear, 5, []time.Weekday{sun}, []time.Month{12}
			}),
		), nil},
		{"weekly as before", store.TimeProfile{Intervals: []store.Interval{{Start: "8am", End: "25:00", Days: []time.Weekday{7, 1}}}, DateFrom: "x", DateTo: "2025-02-30", Holidays: []string{"2025-01-01", "1/1/2025"}},
			[]FieldError{
				{"intervals[0].start", msgStart}, {"intervals[0].end", msgEnd}, {"intervals[0].days[0]", msgDay},
				{"date_from", msgDate}, {"date_to", msgDate}, {"holidays[1]", msgDate},
			}},
		{"missing times", ruleProfile(store.Interval{Repeat: store.RepeatDay}), []FieldError{
			{"intervals[0].start", "is required (HH:MM)"}, {"intervals[0].end", "is required (HH:MM)"},
		}},
		{"start 24:00", ruleProfile(store.Interval{Repeat: store.RepeatDay, Start: "24:00", End: "24:00"}), []FieldError{
			{"intervals[0].start", "must be a time HH:MM from 00:00 to 23:59"},
		}},
		{"rule fields need repeat", ruleProfile(iv(func(v *store.Interval) {
			v.Days, v.Every, v.Anchor, v.MonthDays, v.Nth, v.DayType, v.Months = []time.Weekday{mon}, 2, "2025-01-01", []int{1}, 1, "weekday", []time.Month{1}
		})), []FieldError{
			{"intervals[0].every", "needs repeat"}, {"intervals[0].anchor", "needs repeat"}, {"intervals[0].month_days", "needs repeat"},
			{"intervals[0].nth", "needs repeat"}, {"intervals[0].day_type", "needs repeat"}, {"intervals[0].months", "needs repeat"},
		}},
		{"unknown repeat", ruleProfile(iv(func(v *store.Interval) { v.Repeat = "fortnight" })), []FieldError{
			{"intervals[0].repeat", "must be day, week, month or year"},
		}},
		{"every and anchor", ruleProfile(
			iv(func(v *store.Interval) { v.Repeat, v.Every = store.RepeatDay, 2 }),
			iv(func(v *store.Interval) { v.Repeat, v.Every, v.Anchor = store.RepeatDay, 1001, "2025-01-01" }),
			iv(func(v *store.Interval) { v.Repeat, v.Every, v.Anchor = store.RepeatDay, -1, "2025-13-01" }),
			iv(func(v *store.Interval) { v.Repeat, v.Every, v.Anchor = store.RepeatDay, 1000, "2025-01-01" }),
		), []FieldError{
			{"intervals[0].anchor", "is required when every > 1"},
			{"intervals[1].every", "must be 0..1000 (0 means 1)"},
			{"intervals[2].every", "must be 0..1000 (0 means 1)"}, {"intervals[2].anchor", "must be a date YYYY-MM-DD"},
		}},
		{"day rule takes no selectors", ruleProfile(iv(func(v *store.Interval) {
			v.Repeat, v.Days, v.MonthDays, v.Nth, v.DayType, v.Months = store.RepeatDay, []time.Weekday{mon}, []int{1}, 1, "weekday", []time.Month{1}
		})), []FieldError{
			{"intervals[0].days", "is not used with repeat day"}, {"intervals[0].month_days", "is not used with repeat day"},
			{"intervals[0].nth", "is not used with repeat day"}, {"intervals[0].day_type", "is not used with repeat day"},
			{"intervals[0].months", "is not used with repeat day"},
		}},
		{"week rule", ruleProfile(
			iv(func(v *store.Interval) { v.Repeat = store.RepeatWeek }),
			iv(func(v *store.Interval) {
				v.Repeat, v.Days, v.MonthDays, v.Months = store.RepeatWeek, []time.Weekday{mon, 9}, []int{1}, []time.Month{2}
			}),
		), []FieldError{
			{"intervals[0].days", "is required with repeat week"},
			{"intervals[1].days[1]", "must be 0..6 (0 = Sunday)"},
			{"intervals[1].month_days", "is not used with repeat week"}, {"intervals[1].months", "is not used with repeat week"},
		}},
		{"month rule", ruleProfile(
			iv(func(v *store.Interval) { v.Repeat = store.RepeatMonth }),
			iv(func(v *store.Interval) { v.Repeat, v.MonthDays = store.RepeatMonth, []int{1, 0, 32, -2, 31} }),
			iv(func(v *store.Interval) { v.Repeat, v.MonthDays, v.Nth = store.RepeatMonth, []int{1}, 1 }),
			iv(func(v *store.Interval) { v.Repeat, v.Nth = store.RepeatMonth, 6 }),
			iv(func(v *store.Interval) {
				v.Repeat, v.Nth, v.Days, v.DayType = store.RepeatMonth, -1, []time.Weekday{mon}, store.DayTypeWork
			}),
			iv(func(v *store.Interval) { v.Repeat, v.Nth, v.DayType = store.RepeatMonth, 2, "workday" }),
			iv(func(v *store.Interval) {
				v.Repeat, v.MonthDays, v.Days, v.DayType = store.RepeatMonth, []int{1}, []time.Weekday{mon}, store.DayTypeWeekend
			}),
			iv(func(v *store.Interval) {
				v.Repeat, v.MonthDays, v.Months = store.RepeatMonth, []int{1}, []time.Month{0, 13, 12}
			}),
			iv(func(v *store.Interval) { v.Repeat, v.Nth, v.Days = store.RepeatMonth, -2, []time.Weekday{mon} }),
		), []FieldError{
			{"intervals[0]", "needs month_days, or nth with days or day_type"},
			{"intervals[1].month_days[1]", "must be 1..31 or -1 (the last day)"},
			{"intervals[1].month_days[2]", "must be 1..31 or -1 (the last day)"},
			{"intervals[1].month_days[3]", "must be 1..31 or -1 (the last day)"},
			{"intervals[2].nth", "month_days and nth exclude each other"},
			{"intervals[3].nth", "must be 1..5 or -1 (the last)"}, {"intervals[3].nth", "needs days or day_type"},
			{"intervals[4].day_type", "days and day_type exclude each other"},
			{"intervals[5].day_type", "must be weekday or weekend"},
			{"intervals[6].days", "needs nth"}, {"intervals[6].day_type", "needs nth"},
			{"intervals[7].months[0]", "must be 1..12"}, {"intervals[7].months[1]", "must be 1..12"},
			{"intervals[8].nth", "must be 1..5 or -1 (the last)"},
		}},
		{"year rule", ruleProfile(
			iv(func(v *store.Interval) { v.Repeat, v.MonthDays = store.RepeatYear, []int{1} }),
			iv(func(v *store.Interval) { v.Repeat, v.Months = store.RepeatYear, []time.Month{1} }),
			iv(func(v *store.Interval) {
				v.Repeat, v.Every, v.Months, v.Nth, v.DayType = store.RepeatYear, 2, []time.Month{1}, 1, "weekend"
			}),
			iv(func(v *store.Interval) {
				v.Repeat, v.Months, v.MonthDays = store.RepeatYear, []time.Month{2}, []int{30, 31}
			}),
			iv(func(v *store.Interval) {
				v.Repeat, v.Months, v.MonthDays = store.RepeatMonth, []time.Month{2, 4}, []int{31}
			}),
			iv(func(v *store.Interval) {
				v.Repeat, v.Months, v.MonthDays = store.RepeatYear, []time.Month{2}, []int{29}
			}),
			iv(func(v *store.Interval) {
				v.Repeat, v.Months, v.MonthDays = store.RepeatYear, []time.Month{4}, []int{31, -1}
			}),
		), []FieldError{
			{"intervals[0].months", "is required with repeat year"},
			{"intervals[1]", "needs month_days, or nth with days or day_type"},
			{"intervals[2].anchor", "is required when every > 1"},
			{"intervals[3].month_days", "no such day in the chosen months: the rule would never open"},
			{"intervals[4].month_days", "no such day in the chosen months: the rule would never open"},
		}},
	}
	for _, tt := range tests {
		err := ValidateProfile(&tt.p)
		var got []FieldError
		if err != nil {
			j, ok := err.(interface{ Unwrap() []error })
			if !ok {
				t.Fatalf("%s: error %T is not a join", tt.name, err)
			}
			for _, e := range j.Unwrap() {
				fe, ok := e.(*FieldError)
				if !ok {
					t.Fatalf("%s: %T in the join, want *FieldError", tt.name, e)
				}
				got = append(got, *fe)
			}
			var first *FieldError
			if !errors.As(err, &first) || *first != got[0] {
				t.Errorf("%s: errors.As finds %v, want the first", tt.name, first)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	if got := (&FieldError{"intervals[2].month_days[1]", msgMonthDay}).Error(); got != "intervals[2].month_days[1]: must be 1..31 or -1 (the last day)" {
		t.Errorf("Error() = %q", got)
	}
}

func TestCivilArithmetic(t *testing.T) {
	// Every day from 1899 to 2101: day numbers, weekdays and the day
	// before agree with package time.
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC); d.Year() < 2102; d = d.AddDate(0, 0, 1) {
		y, m, dd := d.Date()
		dn := daysFromCivil(int32(y), int32(m), int32(dd))
		if want := int32(d.Sub(epoch) / (24 * time.Hour)); dn != want {
			t.Fatalf("daysFromCivil(%v) = %d, want %d", d, dn, want)
		}
		if wd := weekdayOf(dn); wd != int32(d.Weekday()) {
			t.Fatalf("weekdayOf(%v) = %d, want %d", d, wd, d.Weekday())
		}
		w := wallOf(d, nil)
		p := civilOf(&w).prev()
		py, pm, pd := d.AddDate(0, 0, -1).Date()
		if p.y != int32(py) || p.m != int32(pm) || p.d != int32(pd) || p.key != int32(py*10000+int(pm)*100+pd) || p.wd != int32(d.AddDate(0, 0, -1).Weekday()) {
			t.Fatalf("prev(%v) = %+v", d, p)
		}
		if n := daysIn(int32(y), int32(m)); n != int32(time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()) {
			t.Fatalf("daysIn(%d, %d) = %d", y, m, n)
		}
	}
}
