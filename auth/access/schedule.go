package access

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/doord/doord/store"
)

// Schedule is a compiled store.TimeProfile: one bit per minute of the week
// (7 × 1440 bits, 1.3 KB) for the weekly intervals, a 28-byte rule for
// each calendar-rule interval, plus the date range and the holidays as day
// numbers. Open is a pure function of the schedule and the local wall
// clock, allocation-free, a few tens of nanoseconds after the time
// conversion (each rule checks its minute window first, then its day
// predicate on integer civil dates; BenchmarkScheduleRules).
//
// Rules (store.Interval, store.TimeProfile):
//   - Times are local wall-clock time in the controller's zone. On a
//     spring-forward day the skipped hour never happens, so an interval
//     inside it never opens; on a fall-back day the repeated hour happens
//     twice and opens both times. No interval is ever shifted by DST.
//   - End "24:00" is the end of the day. End before Start wraps past
//     midnight, and the part after midnight belongs to the day the window
//     started on: a weekly interval runs into the next weekday (Sat→Sun
//     too); a calendar rule's morning part opens when the rule selected
//     the previous calendar date (a night shift on the 31st runs into the
//     1st; the 1st's own evening opens only if the rule selects the 1st).
//     End equal to Start is empty, not 24 hours ("00:00"–"24:00" is the
//     whole day).
//   - Calendar rules (Repeat, after iCalendar RRULE): "day" every Every-th
//     day from Anchor; "week" on Days in every Every-th Monday-based week
//     from Anchor's week; "month" in every Every-th month from Anchor's
//     month (Months, if given, limits it), "year" in every Every-th year
//     from Anchor's year in Months; month and year rules select MonthDays
//     (-1 the last day; a month without the day has no occurrence) or the
//     Nth (1..5, -1 the last) occurrence in the month of each weekday in
//     Days (RRULE BYDAY=1MO,1TH), or the Nth day of the month whose
//     weekday is of DayType ("weekday" Mon–Fri, "weekend" Sat–Sun; RRULE
//     BYDAY=MO,TU,WE,TH,FR;BYSETPOS=n). No rule selects a day before its
//     Anchor. A "day" or "week" rule with Every ≤ 1 and no Anchor is a
//     weekly interval and compiles into the bitmap.
//   - DateFrom, DateTo (inclusive) and Holidays apply to the local calendar
//     date of the instant, also for the after-midnight part of a wrapping
//     interval: a night shift from the last valid day is cut at midnight,
//     and a holiday grants nothing from 00:00 to 24:00.
//   - A malformed interval grants nothing (deny on doubt; of a weekly
//     interval without Repeat only an out-of-range day is left out, as it
//     always was); ValidateProfile names each problem as a *FieldError so
//     the API can refuse it up front.
type Schedule struct {
	week     [7][minuteWords]uint64
	rules    []rule  // calendar-rule intervals (schedule_rules.go)
	from, to int32   // day numbers (civil date: y*10000+m*100+d); inclusive
	holidays []int32 // sorted
}

// FieldError is one problem in a time profile. Field is its JSON path in
// the native API ("intervals[2].month_days[1]", "intervals[0].anchor",
// "date_from", "holidays[3]"; "intervals[1]" for a problem of the whole
// interval), Msg what is wrong, worded as the native API words field
// errors ("must be 1..12").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

const (
	minutesPerDay = 24 * 60
	minuteWords   = (minutesPerDay + 63) / 64
)

// CompileProfile compiles p. Malformed parts are left out (they grant
// nothing) and reported in err, an errors.Join of *FieldError in profile
// order; the Schedule is usable either way.
func CompileProfile(p *store.TimeProfile) (*Schedule, error) {
	s := &Schedule{from: 0, to: 1<<31 - 1}
	var errs []error
	for i := range p.Intervals {
		s.addInterval(&p.Intervals[i], "intervals["+strconv.Itoa(i)+"]", &errs)
	}
	bad := false
	if p.DateFrom != "" {
		if d, ok := parseDate(p.DateFrom); ok {
			s.from = d
		} else {
			errs = append(errs, &FieldError{"date_from", msgDate})
			bad = true
		}
	}
	if p.DateTo != "" {
		if d, ok := parseDate(p.DateTo); ok {
			s.to = d
		} else {
			errs = append(errs, &FieldError{"date_to", msgDate})
			bad = true
		}
	}
	if bad {
		s.from, s.to = 1, 0 // an unreadable date range grants nothing
	}
	for i, h := range p.Holidays {
		d, ok := parseDate(h)
		if !ok {
			errs = append(errs, &FieldError{"holidays[" + strconv.Itoa(i) + "]", msgDate})
			continue
		}
		s.holidays = append(s.holidays, d)
	}
	slices.Sort(s.holidays)
	s.holidays = slices.Compact(s.holidays)
	return s, errors.Join(errs...)
}

// ValidateProfile reports what CompileProfile would leave out: nil, or an
// errors.Join of *FieldError (errors.As finds the first; the joined
// error's Unwrap() []error lists them all).
func ValidateProfile(p *store.TimeProfile) error {
	_, err := CompileProfile(p)
	return err
}

// ProfileOpen reports whether p grants access at t in loc. It compiles p
// each time; the engine keeps compiled Schedules.
func ProfileOpen(p *store.TimeProfile, t time.Time, loc *time.Location) bool {
	s, _ := CompileProfile(p)
	return s.Open(t, loc)
}

// setWeekly puts a weekly window on day d into the bitmap.
func (s *Schedule) setWeekly(d time.Weekday, start, end int) {
	switch {
	case end > start:
		s.set(d, start, end)
	case end < start:
		s.set(d, start, minutesPerDay)
		s.set((d+1)%7, 0, end)
	}
}

func (s *Schedule) set(d time.Weekday, from, to int) {
	for m := from; m < to; m++ {
		s.week[d][m>>6] |= 1 << (m & 63)
	}
}

// Open reports whether the schedule grants access at t, read as wall
// clock in loc.
func (s *Schedule) Open(t time.Time, loc *time.Location) bool {
	w := wallOf(t, loc)
	return s.open(&w)
}

// wall is an instant as the schedules see it.
type wall struct {
	day    int32 // y*10000+m*100+d
	wd     uint8
	minute uint16
}

func wallOf(t time.Time, loc *time.Location) wall {
	if loc != nil {
		t = t.In(loc)
	}
	y, m, d := t.Date()
	hh, mm, _ := t.Clock()
	return wall{day: int32(y*10000 + int(m)*100 + d), wd: uint8(t.Weekday()), minute: uint16(hh*60 + mm)}
}

func (s *Schedule) open(w *wall) bool {
	if w.day < s.from || w.day > s.to {
		return false
	}
	for _, h := range s.holidays {
		if h == w.day {
			return false
		}
		if h > w.day {
			break
		}
	}
	if s.week[w.wd][w.minute>>6]&(1<<(w.minute&63)) != 0 {
		return true
	}
	return len(s.rules) != 0 && s.rulesOpen(w)
}

// parseHHMM reads "HH:MM" (or "H:MM") as minutes since midnight; "24:00"
// only when end.
func parseHHMM(v string, end bool) (int, bool) {
	var h, m int
	switch {
	case len(v) == 5 && v[2] == ':':
		h, m = num2(v[0], v[1]), num2(v[3], v[4])
	case len(v) == 4 && v[1] == ':':
		h, m = num2('0', v[0]), num2(v[2], v[3])
	default:
		return 0, false
	}
	if h < 0 || m < 0 || m > 59 {
		return 0, false
	}
	if h == 24 && m == 0 && end {
		return minutesPerDay, true
	}
	if h > 23 {
		return 0, false
	}
	return h*60 + m, true
}

func num2(a, b byte) int {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return -1
	}
	return int(a-'0')*10 + int(b-'0')
}

func parseDate(v string) (int32, bool) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, false
	}
	y, m, d := t.Date()
	return int32(y*10000 + int(m)*100 + d), true
}
