package httpapi

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

const (
	maxIntervals = 64
	maxHolidays  = 366
	tpBasePath   = "/api/v1/time-profiles/"
)

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func validDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func applyTimeProfile(o *object, p *store.TimeProfile, replace bool) {
	o.readOnly(viewFields[store.TimeProfile]()...)
	if replace {
		*p = store.TimeProfile{ID: p.ID, CreatedAt: p.CreatedAt}
	}
	if o.str("name", &p.Name, maxName) || replace {
		if strings.TrimSpace(p.Name) == "" {
			o.fail("name", "is required")
		}
	}
	if r, ok := o.lookup("intervals"); ok {
		p.Intervals = nil
		var raws []json.RawMessage
		if !isNull(r) && json.Unmarshal(r, &raws) != nil {
			o.fail("intervals", "must be an array of {days, start, end}")
		} else if len(raws) > maxIntervals {
			o.failf("intervals", "must have at most %d items", maxIntervals)
		} else {
			for i, raw := range raws {
				name := "intervals[" + strconv.Itoa(i) + "]"
				sub, ok := o.sub(name, raw)
				if !ok {
					continue
				}
				iv := parseInterval(sub)
				o.errs = append(o.errs, sub.errs...)
				p.Intervals = append(p.Intervals, iv)
			}
		}
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"date_from", &p.DateFrom}, {"date_to", &p.DateTo}} {
		if o.str(f.name, f.dst, 10) && *f.dst != "" && !validDate(*f.dst) {
			o.fail(f.name, "must be a date YYYY-MM-DD")
		}
	}
	if p.DateFrom != "" && p.DateTo != "" && validDate(p.DateFrom) && validDate(p.DateTo) && p.DateTo < p.DateFrom {
		o.fail("date_to", "must not be before date_from")
	}
	if o.strs("holidays", &p.Holidays, maxHolidays, 10) {
		for i, h := range p.Holidays {
			if !validDate(h) {
				o.fail("holidays["+strconv.Itoa(i)+"]", "must be a date YYYY-MM-DD")
			}
		}
	}
}

var monthNames = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// parseInterval reads one interval: days as names ("mon") or numbers (0 =
// Sunday), start and end, and the optional calendar rule (repeat, every,
// anchor, month_days, nth, day_type, months; see store.Interval). Types
// are checked here; what the rule means, and whether its parts fit
// together, access.ValidateProfile checks once the profile is whole.
func parseInterval(o *object) store.Interval {
	var iv store.Interval
	o.str("repeat", &iv.Repeat, 8)
	weekly := iv.Repeat == store.RepeatWeekly || iv.Repeat == store.RepeatWeek
	if r, ok := o.raw("days"); ok {
		var items []json.RawMessage
		if json.Unmarshal(r, &items) != nil || len(items) == 0 {
			o.fail("days", `must be a non-empty array of weekdays ("mon".."sun" or 0..6, 0 = Sunday)`)
		}
		seen := map[time.Weekday]bool{}
		for j, it := range items {
			var d time.Weekday
			var name string
			var n int
			switch {
			case json.Unmarshal(it, &name) == nil:
				wd, ok := weekdayNames[strings.ToLower(name)]
				if !ok {
					o.fail("days["+strconv.Itoa(j)+"]", "must be a weekday name like mon")
					continue
				}
				d = wd
			case json.Unmarshal(it, &n) == nil && n >= 0 && n <= 6:
				d = time.Weekday(n)
			default:
				o.fail("days["+strconv.Itoa(j)+"]", "must be a weekday name like mon or 0..6")
				continue
			}
			if !seen[d] {
				seen[d] = true
				iv.Days = append(iv.Days, d)
			}
		}
	} else if weekly {
		o.fail("days", "is required")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"start", &iv.Start}, {"end", &iv.End}} {
		if !o.str(f.name, f.dst, 5) {
			o.fail(f.name, "is required (HH:MM)")
		} else if _, ok := parseClock(*f.dst); !ok {
			o.fail(f.name, "must be a time HH:MM from 00:00 to 24:00")
		}
	}
	if a, ok1 := parseClock(iv.Start); ok1 {
		if b, ok2 := parseClock(iv.End); ok2 && a == b {
			o.fail("end", "must differ from start")
		}
	}
	o.int("every", &iv.Every)
	o.str("anchor", &iv.Anchor, 10)
	o.ints("month_days", &iv.MonthDays, 31)
	o.int("nth", &iv.Nth)
	if o.str("day_type", &iv.DayType, 8) {
		iv.DayType = strings.ToLower(iv.DayType)
	}
	if r, ok := o.raw("months"); ok {
		var items []json.RawMessage
		if json.Unmarshal(r, &items) != nil || len(items) == 0 || len(items) > 12 {
			o.fail("months", `must be an array of 1 to 12 months ("jan".."dec" or 1..12)`)
			items = nil
		}
		seen := map[time.Month]bool{}
		for j, it := range items {
			var name string
			var n int
			var m time.Month
			switch {
			case json.Unmarshal(it, &name) == nil && monthNames[strings.ToLower(name)] != 0:
				m = monthNames[strings.ToLower(name)]
			case json.Unmarshal(it, &n) == nil && n >= 1 && n <= 12:
				m = time.Month(n)
			default:
				o.fail("months["+strconv.Itoa(j)+"]", `must be a month "jan".."dec" or 1..12`)
				continue
			}
			if !seen[m] {
				seen[m] = true
				iv.Months = append(iv.Months, m)
			}
		}
	}
	return iv
}

// validateRules adds what access.ValidateProfile finds in p (the calendar
// rules' meaning) to o's field errors. It runs only when the fields were
// well-typed, so that one mistake is not reported twice.
func validateRules(o *object, p *store.TimeProfile) {
	if len(o.errs) > 0 {
		return
	}
	err := access.ValidateProfile(p)
	if err == nil {
		return
	}
	var fes []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		fes = j.Unwrap()
	} else {
		fes = []error{err}
	}
	for _, e := range fes {
		var fe *access.FieldError
		if errors.As(e, &fe) {
			o.errs = append(o.errs, FieldError{Field: fe.Field, Message: fe.Msg})
		} else {
			o.errs = append(o.errs, FieldError{Field: "intervals", Message: e.Error()})
		}
	}
}

// applyTimeProfileRules is applyTimeProfile and then, when the fields
// were well-typed, the calendar rules' check: what a write applies.
func applyTimeProfileRules(o *object, p *store.TimeProfile, replace bool) {
	applyTimeProfile(o, p, replace)
	validateRules(o, p)
}

func tpID(p store.TimeProfile) uint64 { return p.ID }

// maxWindowDays bounds GET /time-profiles/{id}/windows: a quarter of a
// year is 132,480 minutes to evaluate, a few milliseconds.
const maxWindowDays = 92

// openWindow is one stretch of time in which a profile is open.
type openWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// timeProfileWindows is GET /api/v1/time-profiles/{id}/windows?from=&to=:
// when the profile is open between two local dates (inclusive; from
// defaults to today, to to a week later), as the engine decides it,
// minute by minute in the controller's zone. It lets an operator check a
// calendar rule before a door depends on it.
func (s *Server) timeProfileWindows(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	p, err := s.st.GetTimeProfile(id)
	if err != nil {
		return err
	}
	loc := s.cfg.Location
	if loc == nil {
		loc = time.Local
	}
	args := r.ctx.QueryArgs()
	now := s.now().In(loc)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	if v := string(args.Peek("from")); v != "" {
		if from, err = time.ParseInLocation(time.DateOnly, v, loc); err != nil {
			return errField("from", "must be a date YYYY-MM-DD")
		}
	}
	to := from.AddDate(0, 0, 6)
	if v := string(args.Peek("to")); v != "" {
		if to, err = time.ParseInLocation(time.DateOnly, v, loc); err != nil {
			return errField("to", "must be a date YYYY-MM-DD")
		}
	}
	switch {
	case to.Before(from):
		return errField("to", "must not be before from")
	case to.After(from.AddDate(0, 0, maxWindowDays-1)):
		return errField("to", "must be at most "+strconv.Itoa(maxWindowDays)+" days after from")
	}
	sch, _ := access.CompileProfile(&p) // malformed parts grant nothing, as at the door
	end := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc)
	windows := []openWindow{}
	var open *openWindow
	for t := from; t.Before(end); t = t.Add(time.Minute) {
		switch ok := sch.Open(t, loc); {
		case ok && open == nil:
			windows = append(windows, openWindow{Start: t})
			open = &windows[len(windows)-1]
		case !ok && open != nil:
			open.End, open = t, nil
		}
	}
	if open != nil {
		open.End = end
	}
	return writeJSON(r.ctx, 200, struct {
		ID      uint64       `json:"id"`
		Zone    string       `json:"zone"`
		From    string       `json:"from"`
		To      string       `json:"to"`
		Windows []openWindow `json:"windows"`
	}{p.ID, loc.String(), from.Format(time.DateOnly), to.Format(time.DateOnly), windows})
}
