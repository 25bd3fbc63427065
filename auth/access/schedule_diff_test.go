package access

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// The reference evaluator: store.Interval's doc comment read literally and
// computed the slow, obvious way with time.Date arithmetic, sharing no
// code with the compiled Schedule.

func refOpen(p *store.TimeProfile, t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	date := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)
	minute := lt.Hour()*60 + lt.Minute()
	ds := date.Format(time.DateOnly)
	if (p.DateFrom != "" && ds < p.DateFrom) || (p.DateTo != "" && ds > p.DateTo) || slices.Contains(p.Holidays, ds) {
		return false
	}
	for _, iv := range p.Intervals {
		start, end := refClock(iv.Start), refClock(iv.End)
		switch {
		case start < end:
			if minute >= start && minute < end && refSelects(&iv, date) {
				return true
			}
		case end < start: // wraps: the morning part is the previous day's
			if minute >= start && refSelects(&iv, date) {
				return true
			}
			if minute < end && refSelects(&iv, date.AddDate(0, 0, -1)) {
				return true
			}
		}
	}
	return false
}

func refClock(v string) int {
	if v == "24:00" {
		return 24 * 60
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		panic(v)
	}
	return t.Hour()*60 + t.Minute()
}

// refSelects reports whether iv's rule selects date (midnight UTC).
func refSelects(iv *store.Interval, date time.Time) bool {
	every := max(iv.Every, 1)
	var anchor time.Time
	if iv.Anchor != "" {
		anchor, _ = time.Parse(time.DateOnly, iv.Anchor)
		if date.Before(anchor) {
			return false
		}
	}
	daysBetween := func(a, b time.Time) int { return int(b.Sub(a).Hours()) / 24 }
	switch iv.Repeat {
	case store.RepeatWeekly:
		return slices.Contains(iv.Days, date.Weekday())
	case store.RepeatDay:
		return anchor.IsZero() || daysBetween(anchor, date)%every == 0
	case store.RepeatWeek:
		if !slices.Contains(iv.Days, date.Weekday()) {
			return false
		}
		if anchor.IsZero() {
			return true
		}
		monday := anchor
		for monday.Weekday() != time.Monday {
			monday = monday.AddDate(0, 0, -1)
		}
		return daysBetween(monday, date)/7%every == 0
	case store.RepeatMonth:
		if len(iv.Months) > 0 && !slices.Contains(iv.Months, date.Month()) {
			return false
		}
		if !anchor.IsZero() && ((date.Year()-anchor.Year())*12+int(date.Month())-int(anchor.Month()))%every != 0 {
			return false
		}
		return refDayOfMonth(iv, date)
	case store.RepeatYear:
		if !slices.Contains(iv.Months, date.Month()) {
			return false
		}
		if !anchor.IsZero() && (date.Year()-anchor.Year())%every != 0 {
			return false
		}
		return refDayOfMonth(iv, date)
	}
	panic(iv.Repeat)
}

func refDayOfMonth(iv *store.Interval, date time.Time) bool {
	var month []time.Time
	for d := time.Date(date.Year(), date.Month(), 1, 0, 0, 0, 0, time.UTC); d.Month() == date.Month(); d = d.AddDate(0, 0, 1) {
		month = append(month, d)
	}
	if len(iv.MonthDays) > 0 {
		for _, md := range iv.MonthDays {
			if md == -1 && date.Equal(month[len(month)-1]) {
				return true
			}
			if md >= 1 && md <= len(month) && date.Equal(month[md-1]) {
				return true
			}
		}
		return false
	}
	nth := func(candidates []time.Time) bool {
		switch {
		case len(candidates) == 0:
			return false
		case iv.Nth == -1:
			return date.Equal(candidates[len(candidates)-1])
		case iv.Nth <= len(candidates):
			return date.Equal(candidates[iv.Nth-1])
		}
		return false
	}
	if iv.DayType != "" {
		var candidates []time.Time
		for _, d := range month {
			weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
			if weekend == (iv.DayType == store.DayTypeWeekend) {
				candidates = append(candidates, d)
			}
		}
		return nth(candidates)
	}
	for _, wd := range iv.Days { // each weekday's own nth (RRULE BYDAY=1MO,1TH)
		var candidates []time.Time
		for _, d := range month {
			if d.Weekday() == wd {
				candidates = append(candidates, d)
			}
		}
		if nth(candidates) {
			return true
		}
	}
	return false
}

// Random valid profiles.

var (
	diffFrom = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	diffDays = int(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Sub(diffFrom).Hours() / 24)
)

func randDate(rng *rand.Rand) time.Time {
	d := diffFrom.AddDate(0, 0, rng.IntN(diffDays))
	if rng.IntN(3) == 0 { // month ends and starts are where the bugs live
		y, m, _ := d.Date()
		d = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(5)-3)
	}
	return d
}

func randDays(rng *rand.Rand, min int) []time.Weekday {
	var days []time.Weekday
	for len(days) < min || rng.IntN(3) == 0 {
		d := time.Weekday(rng.IntN(7))
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
		if len(days) == 7 {
			break
		}
	}
	return days
}

func randMonths(rng *rand.Rand, min int) []time.Month {
	var ms []time.Month
	for len(ms) < min || rng.IntN(2) == 0 {
		ms = append(ms, time.Month(1+rng.IntN(12)))
		if len(ms) > 5 {
			break
		}
	}
	return ms
}

func randClock(rng *rand.Rand, end bool) string {
	switch rng.IntN(10) {
	case 0:
		if end {
			return "24:00"
		}
		return "00:00"
	case 1:
		return "00:00"
	}
	return fmt.Sprintf("%02d:%02d", rng.IntN(24), rng.IntN(4)*15+rng.IntN(2))
}

func randInterval(rng *rand.Rand) store.Interval {
	iv := store.Interval{Start: randClock(rng, false), End: randClock(rng, true)}
	if rng.IntN(20) == 0 {
		iv.End = iv.Start
	}
	iv.Repeat = []string{store.RepeatWeekly, store.RepeatDay, store.RepeatWeek, store.RepeatMonth, store.RepeatMonth, store.RepeatYear}[rng.IntN(6)]
	if iv.Repeat == store.RepeatWeekly {
		iv.Days = randDays(rng, 0)
		return iv
	}
	switch rng.IntN(4) {
	case 0:
	case 1:
		iv.Every = 1
	default:
		iv.Every = 2 + rng.IntN(5)
		if rng.IntN(8) == 0 {
			iv.Every = 7 + rng.IntN(60)
		}
	}
	if iv.Every > 1 || rng.IntN(3) == 0 {
		iv.Anchor = randDate(rng).AddDate(-rng.IntN(2), 0, 0).Format(time.DateOnly)
	}
	switch iv.Repeat {
	case store.RepeatWeek:
		iv.Days = randDays(rng, 1)
	case store.RepeatMonth, store.RepeatYear:
		if iv.Repeat == store.RepeatYear {
			iv.Months = randMonths(rng, 1)
		} else if rng.IntN(3) == 0 {
			iv.Months = randMonths(rng, 1)
		}
		if rng.IntN(2) == 0 {
			for len(iv.MonthDays) == 0 || rng.IntN(3) == 0 {
				md := []int{-1, 1, 28, 29, 30, 31, 1 + rng.IntN(31)}[rng.IntN(7)]
				iv.MonthDays = append(iv.MonthDays, md)
			}
			break
		}
		iv.Nth = []int{-1, 1, 2, 3, 4, 5}[rng.IntN(6)]
		switch rng.IntN(3) {
		case 0:
			iv.DayType = store.DayTypeWork
		case 1:
			iv.DayType = store.DayTypeWeekend
		default:
			iv.Days = randDays(rng, 1)
		}
	}
	return iv
}

func randProfile(rng *rand.Rand) store.TimeProfile {
	var p store.TimeProfile
	for n := 1 + rng.IntN(3); n > 0; n-- {
		p.Intervals = append(p.Intervals, randInterval(rng))
	}
	if rng.IntN(5) == 0 {
		p.DateFrom = randDate(rng).Format(time.DateOnly)
	}
	if rng.IntN(5) == 0 {
		p.DateTo = randDate(rng).Format(time.DateOnly)
	}
	for rng.IntN(4) == 0 {
		p.Holidays = append(p.Holidays, randDate(rng).Format(time.DateOnly))
	}
	return p
}

// TestScheduleRulesDifferential compares the compiled Schedule with the
// reference over random valid profiles and random instants in 2023–2029,
// in UTC and in Europe/Berlin (DST days included), then sweeps every day
// of two years for some of them at the edges of their windows.
func TestScheduleRulesDifferential(t *testing.T) {
	profiles, instants, sweeps := 4000, 250, 150
	if testing.Short() {
		profiles, instants, sweeps = 500, 100, 20
	}
	zones := []*time.Location{time.UTC, mustZone(t, "Europe/Berlin")}
	rng := rand.New(rand.NewPCG(2025, 10))
	failures, checks, opens := 0, 0, 0
	compare := func(p *store.TimeProfile, s *Schedule, at time.Time, loc *time.Location) {
		checks++
		want := refOpen(p, at, loc)
		if want {
			opens++
		}
		if got := s.Open(at, loc); got != want && failures < 10 {
			failures++
			js, _ := json.Marshal(p)
			t.Errorf("profile %s\nat %s (%s, %s): Open = %v, reference %v", js, at.In(loc).Format("2006-01-02 15:04 Mon"), loc, at.UTC().Format(time.RFC3339), got, want)
		}
	}
	for i := range profiles {
		p := randProfile(rng)
		// A rule that can never open ({months [2], month_days [31]}) is
		// refused by validation; draw again.
		for tries := 0; tries < 100 && ValidateProfile(&p) != nil; tries++ {
			p = randProfile(rng)
		}
		s, err := CompileProfile(&p)
		if err != nil {
			js, _ := json.Marshal(&p)
			t.Fatalf("random profile %s: %v", js, err)
		}
		loc := zones[i%len(zones)]
		for range instants {
			var at time.Time
			if rng.IntN(4) == 0 {
				at = diffFrom.Add(time.Duration(rng.Int64N(int64(diffDays) * int64(24*time.Hour))))
			} else {
				d := randDate(rng)
				minute := rng.IntN(24 * 60)
				if rng.IntN(2) == 0 { // around an interval's edges
					iv := p.Intervals[rng.IntN(len(p.Intervals))]
					minute = []int{refClock(iv.Start), refClock(iv.Start) - 1, refClock(iv.End), refClock(iv.End) - 1, 0, 24*60 - 1}[rng.IntN(6)]
					minute = (minute + 24*60) % (24 * 60)
				}
				at = time.Date(d.Year(), d.Month(), d.Day(), minute/60, minute%60, rng.IntN(60), 0, loc)
			}
			compare(&p, s, at, loc)
		}
		if i < sweeps {
			for d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2026; d = d.AddDate(0, 0, 1) {
				for _, iv := range p.Intervals {
					for _, minute := range []int{refClock(iv.Start), refClock(iv.End) - 1} {
						if minute >= 0 && minute < 24*60 {
							compare(&p, s, time.Date(d.Year(), d.Month(), d.Day(), minute/60, minute%60, 0, 0, loc), loc)
						}
					}
				}
			}
		}
	}
	// The comparison is worth something only if both answers occur often.
	if opens < checks/20 || opens > checks*19/20 {
		t.Errorf("%d of %d checks open: the random instants miss the windows", opens, checks)
	}
	t.Logf("%d profiles, %d checks, %d open", profiles, checks, opens)
}
