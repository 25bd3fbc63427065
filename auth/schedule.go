package auth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/doord/doord/store"
)

// Schedule is a compiled store.TimeProfile: one bit per minute of the week
// (7 × 1440 bits, 1.3 KB) plus the date range and the holidays as day
// numbers. Open is a pure function of the schedule and the local wall
// clock, allocation-free, a few nanoseconds after the time conversion.
//
// Rules (store.Interval, store.TimeProfile):
//   - Times are local wall-clock time in the controller's zone. On a
//     spring-forward day the skipped hour never happens, so an interval
//     inside it never opens; on a fall-back day the repeated hour happens
//     twice and opens both times. No interval is ever shifted by DST.
//   - End "24:00" is the end of the day. End before Start wraps past
//     midnight into the next weekday (Sat→Sun too). End equal to Start is
//     empty, not 24 hours ("00:00"–"24:00" is the whole day).
//   - DateFrom, DateTo (inclusive) and Holidays apply to the local calendar
//     date of the instant, also for the after-midnight part of a wrapping
//     interval: a night shift from the last valid day is cut at midnight,
//     and a holiday grants nothing from 00:00 to 24:00.
//   - A malformed interval grants nothing (deny on doubt); ValidateProfile
//     names it so the API can refuse it up front.
type Schedule struct {
	week     [7][minuteWords]uint64
	from, to int32   // day numbers (civil date: y*10000+m*100+d); inclusive
	holidays []int32 // sorted
}

const (
	minutesPerDay = 24 * 60
	minuteWords   = (minutesPerDay + 63) / 64
)

// CompileProfile compiles p. Malformed parts are left out (they grant
// nothing) and reported in err; the Schedule is usable either way.
func CompileProfile(p *store.TimeProfile) (*Schedule, error) {
	s := &Schedule{from: 0, to: 1<<31 - 1}
	var errs []error
	for i, iv := range p.Intervals {
		start, ok1 := parseHHMM(iv.Start, false)
		end, ok2 := parseHHMM(iv.End, true)
		if !ok1 || !ok2 {
			errs = append(errs, fmt.Errorf("intervals[%d]: start %q, end %q: want HH:MM (end may be 24:00)", i, iv.Start, iv.End))
			continue
		}
		for _, d := range iv.Days {
			if d < time.Sunday || d > time.Saturday {
				errs = append(errs, fmt.Errorf("intervals[%d]: day %d is not 0 (Sunday) to 6", i, d))
				continue
			}
			switch {
			case end > start:
				s.set(d, start, end)
			case end < start:
				s.set(d, start, minutesPerDay)
				s.set((d+1)%7, 0, end)
			}
		}
	}
	bad := false
	if p.DateFrom != "" {
		if d, ok := parseDate(p.DateFrom); ok {
			s.from = d
		} else {
			errs = append(errs, fmt.Errorf("date_from %q: want YYYY-MM-DD", p.DateFrom))
			bad = true
		}
	}
	if p.DateTo != "" {
		if d, ok := parseDate(p.DateTo); ok {
			s.to = d
		} else {
			errs = append(errs, fmt.Errorf("date_to %q: want YYYY-MM-DD", p.DateTo))
			bad = true
		}
	}
	if bad {
		s.from, s.to = 1, 0 // an unreadable date range grants nothing
	}
	for _, h := range p.Holidays {
		d, ok := parseDate(h)
		if !ok {
			errs = append(errs, fmt.Errorf("holiday %q: want YYYY-MM-DD", h))
			continue
		}
		s.holidays = append(s.holidays, d)
	}
	slices.Sort(s.holidays)
	s.holidays = slices.Compact(s.holidays)
	return s, errors.Join(errs...)
}

// ValidateProfile reports what CompileProfile would leave out.
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
	return s.week[w.wd][w.minute>>6]&(1<<(w.minute&63)) != 0
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
