package basip

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doord/doord/httpapi/core"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// BAS-IP time profiles are calendar events: time_options gives the first
// occurrence (date_from to date_to, unix seconds, or whole days with
// is_all_day) and repeat_options how it repeats. They map onto native
// intervals (store.Interval), whose calendar rules follow the same RRULE
// model, so every documented shape is kept, not approximated:
//
//   - no repeat: a weekly window on the occurrence's day(s), with the
//     date range the occurrence's days;
//   - day, week: every day, or every week on the occurrence's weekday(s);
//   - twoWeeks: every second week (weeks start on Monday) from the
//     occurrence's week, on its weekday;
//   - month, year: on the occurrence's day of the month (and month); a
//     month without that day has none (RFC 5545);
//   - custom: every repeat_looper (1..1000) days, weeks, months or years
//     counted from the occurrence, with repeat_options weekdays (week),
//     {format: dayNumbers, range: [1..31]} or {format: parameterizedDay,
//     range: {week_order first..fifth|last, day_type MON..SUN|WEEK_DAY|
//     DAY_OFF}} (month), {months: [1..12], range: {…}} (year). WEEK_DAY
//     is Monday to Friday, DAY_OFF Saturday or Sunday;
//   - repeat_end never, or date (the last day, inclusive).
//
// The window is the occurrence's time of day, at most 24 hours; past
// midnight it wraps, and the after-midnight part belongs to the selected
// day. An all-day occurrence of several days repeats daily or weekly as a
// whole; with other repeats the days are given as options instead.

const basipNoProfile = "Time profile not found"

var basipWeekdays = map[string]time.Weekday{
	"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday,
}

var weekdayBasip = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

var basipWeekOrder = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}

const dateLayout = "2006-01-02"

// basipSearchDays bounds the search for a native profile's first
// occurrence when GET shows it in BAS-IP's shape: four years.
const basipSearchDays = 4*366 + 1

// basipOccurrence is a profile's time_options read in the controller's
// zone: the first day, how many days an all-day occurrence covers, and the
// daily window.
type basipOccurrence struct {
	first, last time.Time // local midnights
	days        int       // days covered (1 unless all day over several)
	start, end  string    // "HH:MM"
}

// applyBasipProfile reads a BAS-IP time profile into p (a replace of the
// fields BAS-IP knows; holidays are kept).
func (s *Dialect) applyBasipProfile(b *bbody, p *store.TimeProfile) {
	var name string
	b.str("name", &name, true)
	tob, _ := b.obj("time_options", true)
	if b.err != nil {
		return
	}
	switch {
	case strings.TrimSpace(name) == "":
		b.failf("name must not be empty")
		return
	case utf8.RuneCountInString(name) > core.MaxName:
		b.failf("name must be at most %d characters", core.MaxName)
		return
	}
	occ, ok := s.basipOccurrence(tob)
	b.merge(tob)
	if !ok || b.err != nil {
		return
	}
	iv := store.Interval{Start: occ.start, End: occ.end}
	for d, i := occ.first, 0; i < occ.days && i < 7; d, i = d.AddDate(0, 0, 1), i+1 {
		iv.Days = append(iv.Days, d.Weekday())
	}
	dateFrom, dateTo := occ.first.Format(dateLayout), occ.last.Format(dateLayout)
	if occ.wraps() {
		// A one-off night (Friday 22:00 to Saturday 02:00): the date range
		// applies to the instant's date, so it must take in Saturday; the
		// weekly window opens Saturday's evening only if it is a Saturday
		// window, which it is not.
		dateTo = occ.first.AddDate(0, 0, 1).Format(dateLayout)
	}
	var enable bool
	ro, hasRepeat := b.obj("repeat_options", false)
	if hasRepeat {
		ro.boolean("repeat_enable", &enable, false)
	}
	if enable {
		dateTo = s.basipRepeat(ro, &occ, &iv)
		b.merge(ro)
		if b.err != nil {
			return
		}
	}
	slices.Sort(iv.Days)
	iv.Days = slices.Compact(iv.Days)
	p.Name = name
	p.Intervals = []store.Interval{iv}
	p.DateFrom, p.DateTo = dateFrom, dateTo
}

// basipMaxUnix is the last second of the year 9999: time_options beyond
// it are refused before any calendar arithmetic.
const basipMaxUnix = 253402300799

func (s *Dialect) basipOccurrence(tob *bbody) (basipOccurrence, bool) {
	loc := s.loc
	var allDay bool
	var from, to int64
	tob.boolean("is_all_day", &allDay, false)
	tob.integer("date_from", &from, true)
	tob.integer("date_to", &to, true)
	if tob.err != nil {
		return basipOccurrence{}, false
	}
	switch {
	case from < 0 || to < 0 || from > basipMaxUnix || to > basipMaxUnix:
		tob.failf("time_options: date_from and date_to are unix seconds from 1970 to 9999")
		return basipOccurrence{}, false
	case to < from:
		tob.failf("time_options.date_to must not be before date_from")
		return basipOccurrence{}, false
	}
	tf, tt := time.Unix(from, 0).In(loc), time.Unix(to, 0).In(loc)
	occ := basipOccurrence{first: civil(tf), last: civil(tt), days: 1}
	if allDay {
		occ.start, occ.end = "00:00", "24:00"
		// An end at midnight ends the day before (Monday 00:00 to
		// Tuesday 00:00 is Monday), as the timed form reads it.
		if tt.Equal(occ.last) && to > from {
			occ.last = occ.last.AddDate(0, 0, -1)
		}
		occ.days = civilDays(occ.first, occ.last) + 1
		return occ, true
	}
	occ.start, occ.end = tf.Format("15:04"), tt.Format("15:04")
	// The window is wall-clock time: measure it on the wall, so that a
	// span across a DST change is judged as the door will read it.
	wall := civilDays(occ.first, occ.last)*minutesPerDay + clockMinutes(tt) - clockMinutes(tf)
	switch {
	case wall <= 0:
		tob.failf("time_options.date_to must be after date_from")
		return occ, false
	case wall == minutesPerDay && occ.end == "00:00":
		occ.end = "24:00"
	case wall > minutesPerDay:
		tob.failf("time_options: an occurrence longer than 24 hours needs is_all_day")
		return occ, false
	case wall == minutesPerDay:
		tob.failf("time_options: a window of 24 hours needs is_all_day")
		return occ, false
	}
	occ.last = occ.first // a window past midnight is the first day's
	return occ, true
}

const minutesPerDay = 24 * 60

// civilDays is the number of calendar days from a to b (local midnights).
func civilDays(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int((time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Unix() - time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC).Unix()) / 86400)
}

func clockMinutes(t time.Time) int {
	h, m, _ := t.Clock()
	return h*60 + m
}

// wraps reports whether the occurrence's window runs past midnight.
func (o *basipOccurrence) wraps() bool { return o.end != "24:00" && o.end < o.start }

// basipRepeat reads repeat_options (repeat_enable true) into iv's rule
// and returns the last day ("" = never ends).
func (s *Dialect) basipRepeat(ro *bbody, occ *basipOccurrence, iv *store.Interval) (dateTo string) {
	rf, _ := ro.obj("repeat_format", true)
	if ro.err != nil {
		return ""
	}
	var rtype string
	rf.str("repeat_type", &rtype, true)
	ro.merge(rf)
	if ro.err != nil {
		return ""
	}
	a := occ.first
	anchor := a.Format(dateLayout)
	// Repeats other than daily and weekly repeat one day; an all-day
	// occurrence of several days would need each of its days shifted.
	single := func(what string) bool {
		if occ.days > 1 {
			ro.failf("time_options: an all-day occurrence of several days repeats only by day or week; for %s give the days in repeat_custom.repeat_options", what)
			return false
		}
		return true
	}
	switch rtype {
	case "day":
		iv.Days = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	case "week":
		// iv.Days: the occurrence's weekdays, every week.
	case "twoWeeks":
		if single("twoWeeks") {
			*iv = store.Interval{Start: iv.Start, End: iv.End, Repeat: store.RepeatWeek, Every: 2, Anchor: anchor, Days: []time.Weekday{a.Weekday()}}
		}
	case "month":
		if single("month") {
			*iv = store.Interval{Start: iv.Start, End: iv.End, Repeat: store.RepeatMonth, Anchor: anchor, MonthDays: []int{a.Day()}}
		}
	case "year":
		if single("year") {
			*iv = store.Interval{Start: iv.Start, End: iv.End, Repeat: store.RepeatYear, Anchor: anchor, Months: []time.Month{a.Month()}, MonthDays: []int{a.Day()}}
		}
	case "custom":
		rc, ok := ro.obj("repeat_custom", false)
		if !ok {
			if ro.err == nil {
				ro.fail(bMissing("repeat_custom"))
			}
			return ""
		}
		s.basipCustom(rc, occ, iv, single)
		ro.merge(rc)
	default:
		ro.failf("repeat_type must be day, week, twoWeeks, month, year or custom")
	}
	if ro.err != nil {
		return ""
	}
	if re, ok := ro.obj("repeat_end", false); ok {
		var format string
		var date int64
		re.str("format", &format, false)
		switch format {
		case "", "never":
		case "date":
			if re.integer("date", &date, true) {
				if date < 0 {
					re.failf("repeat_end.date is unix seconds")
				} else if dateTo = civil(time.Unix(date, 0).In(s.loc)).Format(dateLayout); dateTo < anchor {
					re.failf("repeat_end.date must not be before time_options.date_from")
				}
			}
		default:
			re.failf("repeat_end.format must be never or date")
		}
		ro.merge(re)
	}
	return dateTo
}

// basipCustom reads repeat_custom: every repeat_looper points, on the
// days repeat_options chooses (the occurrence's own day when it has none).
func (s *Dialect) basipCustom(rc *bbody, occ *basipOccurrence, iv *store.Interval, single func(string) bool) {
	var point string
	var looper int64
	rc.str("repeat_point_type", &point, true)
	rc.integer("repeat_looper", &looper, true)
	if rc.err != nil {
		return
	}
	if looper < 1 || looper > 1000 {
		rc.failf("repeat_custom.repeat_looper must be 1 to 1000")
		return
	}
	a := occ.first
	every := int(looper)
	rule := store.Interval{Start: iv.Start, End: iv.End, Every: every, Anchor: a.Format(dateLayout)}
	raw, hasOpts := rc.raw("repeat_options", false)
	if hasOpts && (string(raw) == "[]" || string(raw) == "{}") {
		hasOpts = false
	}
	switch point {
	case "day":
		if hasOpts {
			rc.failf("repeat_custom.repeat_options is not used with repeat_point_type day")
			return
		}
		if every == 1 {
			iv.Days = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
			return
		}
		if !single("every " + strconv.Itoa(every) + " days") {
			return
		}
		rule.Repeat = store.RepeatDay
	case "week":
		days := iv.Days
		if hasOpts {
			days = basipWeekdayOptions(rc, raw)
			if rc.err != nil {
				return
			}
		}
		if every == 1 {
			iv.Days = days // every week: the plain weekly window
			return
		}
		if !hasOpts && !single("every "+strconv.Itoa(every)+" weeks") {
			return
		}
		rule.Repeat, rule.Days = store.RepeatWeek, days
	case "month", "year":
		if !hasOpts && !single("repeat_point_type "+point) {
			return
		}
		rule.Repeat = store.RepeatMonth
		if point == "year" {
			rule.Repeat = store.RepeatYear
			rule.Months = []time.Month{a.Month()}
		}
		rule.MonthDays = []int{a.Day()}
		if hasOpts {
			opts, ok := rc.obj("repeat_options", false)
			if !ok {
				return
			}
			basipDayOptions(opts, &rule)
			rc.merge(opts)
			if rc.err != nil {
				return
			}
		}
	default:
		rc.failf("repeat_custom.repeat_point_type must be day, week, month or year")
		return
	}
	*iv = rule
}

// basipWeekdayOptions reads weekday options: ["MON", …] as documented, or
// {format: weekDays, week_days: […]} as some clients send.
func basipWeekdayOptions(rc *bbody, raw json.RawMessage) []time.Weekday {
	var names []string
	if json.Unmarshal(raw, &names) != nil {
		opts, ok := rc.obj("repeat_options", false)
		if !ok {
			return nil
		}
		found := false
		for _, k := range []string{"week_days", "weekDays", "weekdays", "days"} {
			if opts.strs(k, &names, false) {
				found = true
				break
			}
		}
		rc.merge(opts)
		if !found && rc.err == nil {
			rc.failf("repeat_custom.repeat_options for weeks is an array of weekdays MON..SUN")
		}
		if rc.err != nil {
			return nil
		}
	}
	if len(names) == 0 {
		rc.failf("repeat_custom.repeat_options must name at least one weekday MON..SUN")
		return nil
	}
	var out []time.Weekday
	for _, n := range names {
		d, ok := basipWeekdays[strings.ToUpper(n)]
		if !ok {
			rc.failf("repeat_custom.repeat_options: %q is not a weekday MON..SUN", n)
			return nil
		}
		out = append(out, d)
	}
	return out
}

// basipDayOptions reads month options ({format: dayNumbers|
// parameterizedDay, range}) or year options ({months, range}) into rule,
// which holds the occurrence's own day (and month) as defaults.
func basipDayOptions(opts *bbody, rule *store.Interval) {
	// months: the months of a yearly repeat; on a monthly one (doord's
	// reading, which GET shows for native month rules) the months it is
	// limited to.
	if r, ok := opts.raw("months", false); ok {
		var months []int64
		if json.Unmarshal(r, &months) != nil {
			opts.fail(bWrongType("months"))
			return
		}
		if len(months) == 0 {
			opts.failf("repeat_custom.repeat_options.months must name at least one month 1..12")
			return
		}
		rule.Months = nil
		for _, m := range months {
			if m < 1 || m > 12 {
				opts.failf("repeat_custom.repeat_options.months: %d is not a month 1..12", m)
				return
			}
			if !slices.Contains(rule.Months, time.Month(m)) {
				rule.Months = append(rule.Months, time.Month(m))
			}
		}
		slices.Sort(rule.Months)
	}
	var format string
	opts.str("format", &format, false)
	r, hasRange := opts.raw("range", false)
	if !hasRange {
		for _, k := range []string{"day_numbers", "dayNumbers", "parameterized_day", "parameterizedDay"} {
			if r, hasRange = opts.raw(k, false); hasRange {
				break
			}
		}
	}
	if opts.err != nil {
		return
	}
	var nums []int64
	isList := hasRange && json.Unmarshal(r, &nums) == nil
	switch {
	case !hasRange && format == "":
		return // the occurrence's own day
	case !hasRange:
		opts.fail(bMissing("range"))
	case isList && (format == "" || format == "dayNumbers"):
		if len(nums) == 0 {
			opts.failf("repeat_custom.repeat_options.range must list at least one day 1..31")
			return
		}
		rule.MonthDays = nil
		for _, n := range nums {
			if n < 1 || n > 31 {
				opts.failf("repeat_custom.repeat_options.range: %d is not a day of the month 1..31", n)
				return
			}
			if !slices.Contains(rule.MonthDays, int(n)) {
				rule.MonthDays = append(rule.MonthDays, int(n))
			}
		}
		slices.Sort(rule.MonthDays)
	case !isList && (format == "" || format == "parameterizedDay"):
		pd := &bbody{}
		if json.Unmarshal(r, &pd.f) != nil || pd.f == nil {
			opts.fail(bWrongType("range"))
			return
		}
		var order, dayType string
		pd.str("week_order", &order, true)
		pd.str("day_type", &dayType, true)
		opts.merge(pd)
		if opts.err != nil {
			return
		}
		nth, ok := basipWeekOrder[order]
		if !ok {
			opts.failf("repeat_custom.repeat_options.range.week_order must be first, second, third, fourth, fifth or last")
			return
		}
		rule.MonthDays, rule.Nth = nil, nth
		switch dayType = strings.ToUpper(dayType); dayType {
		case "WEEK_DAY":
			rule.DayType = store.DayTypeWork
		case "DAY_OFF":
			rule.DayType = store.DayTypeWeekend
		default:
			d, ok := basipWeekdays[dayType]
			if !ok {
				opts.failf("repeat_custom.repeat_options.range.day_type must be MON..SUN, WEEK_DAY or DAY_OFF")
				return
			}
			rule.Days = []time.Weekday{d}
		}
	case format != "dayNumbers" && format != "parameterizedDay":
		opts.failf("repeat_custom.repeat_options.format must be dayNumbers or parameterizedDay")
	default:
		opts.failf("repeat_custom.repeat_options.range does not fit format %s: dayNumbers takes [1..31], parameterizedDay {week_order, day_type}", format)
	}
}

// civil is t's local date at midnight, in t's zone.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

type basipTimeOptions struct {
	IsAllDay bool  `json:"is_all_day"`
	DateFrom int64 `json:"date_from"`
	DateTo   int64 `json:"date_to"`
}

type basipRepeatFormat struct {
	RepeatType string `json:"repeat_type"`
}

type basipRepeatEnd struct {
	Format string `json:"format"`
	Date   int64  `json:"date,omitempty"`
}

type basipRepeatCustom struct {
	RepeatPointType string `json:"repeat_point_type"`
	RepeatLooper    int    `json:"repeat_looper"`
	RepeatOptions   any    `json:"repeat_options,omitempty"`
}

type basipParamDay struct {
	WeekOrder string `json:"week_order"`
	DayType   string `json:"day_type"`
}

type basipDayOpts struct {
	Months []int  `json:"months,omitempty"`
	Format string `json:"format,omitempty"`
	Range  any    `json:"range,omitempty"`
}

type basipRepeatOptions struct {
	RepeatEnable bool               `json:"repeat_enable"`
	RepeatFormat basipRepeatFormat  `json:"repeat_format"`
	RepeatEnd    basipRepeatEnd     `json:"repeat_end"`
	RepeatCustom *basipRepeatCustom `json:"repeat_custom,omitempty"`
}

// basipProfile is a time profile as BAS-IP shows it. A native profile with
// several different windows shows its first window (and the weekdays of
// every plain weekly interval with the same window); the native API shows
// it whole.
type basipProfile struct {
	UID           uint64             `json:"uid"`
	Name          string             `json:"name"`
	TimeOptions   basipTimeOptions   `json:"time_options"`
	RepeatOptions basipRepeatOptions `json:"repeat_options"`
	// Identifiers are the identifiers this profile limits (attached with
	// …/identifier/item/{id}/timeProfile/{tp}), by their BAS-IP uids.
	Identifiers basipRefs `json:"identifiers"`
}

func (s *Dialect) basipProfileView(p *store.TimeProfile) basipProfile {
	loc := s.loc
	out := basipProfile{UID: p.ID, Name: p.Name, RepeatOptions: basipRepeatOptions{RepeatEnd: basipRepeatEnd{Format: "never"}}, Identifiers: newBasipRefs(nil)}
	if len(p.Intervals) == 0 {
		return out
	}
	iv := p.Intervals[0]
	days := slices.Clone(iv.Days)
	if iv.Repeat == store.RepeatWeekly {
		for _, x := range p.Intervals[1:] {
			if x.Repeat == store.RepeatWeekly && x.Start == iv.Start && x.End == iv.End {
				days = append(days, x.Days...)
			}
		}
	}
	slices.Sort(days)
	days = slices.Compact(days)
	at := func(day time.Time, hhmm string) time.Time {
		m, _ := core.ParseClock(hhmm)
		return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
	}
	// The first occurrence: the anchor when the profile came from BAS-IP
	// (anchor = date_from), else the first day on or after the date range
	// and the anchor that the interval opens on, with both clock times
	// real that day (not skipped by DST), so that GET shows a true
	// occurrence and keeps the rule's phase.
	from := civil(p.CreatedAt.In(loc))
	if d, err := time.ParseInLocation(dateLayout, p.DateFrom, loc); err == nil {
		from = d
	}
	real := func(d time.Time) bool {
		if at(d, iv.Start).Format("15:04") != iv.Start {
			return false
		}
		if iv.End == "24:00" {
			return true
		}
		e := d
		if iv.End < iv.Start {
			e = d.AddDate(0, 0, 1)
		}
		return at(e, iv.End).Format("15:04") == iv.End
	}
	base := from
	if a, err := time.ParseInLocation(dateLayout, iv.Anchor, loc); err == nil && !a.Before(from) && real(a) {
		base = a
	} else {
		if err == nil && a.After(from) {
			base = a
		}
		one := store.TimeProfile{Intervals: []store.Interval{iv}, DateFrom: p.DateFrom, DateTo: p.DateTo, Holidays: p.Holidays}
		one.Intervals[0].Days = days
		if sch, err := access.CompileProfile(&one); err == nil {
			for d, i := base, 0; i < basipSearchDays; d, i = d.AddDate(0, 0, 1), i+1 {
				if real(d) && sch.Open(at(d, iv.Start), loc) {
					base = d
					break
				}
			}
		}
	}
	start, end := at(base, iv.Start), at(base, iv.End)
	if !end.After(start) {
		end = at(base.AddDate(0, 0, 1), iv.End)
	}
	out.TimeOptions = basipTimeOptions{DateFrom: start.Unix(), DateTo: end.Unix()}
	if iv.Start == "00:00" && iv.End == "24:00" {
		out.TimeOptions = basipTimeOptions{IsAllDay: true, DateFrom: base.Unix(), DateTo: base.AddDate(0, 0, 1).Unix() - 1}
	}
	if iv.Repeat == store.RepeatWeekly && p.DateFrom != "" {
		night := iv.End != "24:00" && iv.End < iv.Start
		last := base
		if night {
			last = base.AddDate(0, 0, 1) // a one-off night's range takes in its morning
		}
		if p.DateFrom == base.Format(dateLayout) && p.DateTo == last.Format(dateLayout) {
			return out // one occurrence
		}
	}
	ro := &out.RepeatOptions
	ro.RepeatEnable = true
	if p.DateTo != "" {
		if d, err := time.ParseInLocation(dateLayout, p.DateTo, loc); err == nil {
			ro.RepeatEnd = basipRepeatEnd{Format: "date", Date: d.AddDate(0, 0, 1).Unix() - 1}
		}
	}
	ro.RepeatFormat.RepeatType = "custom"
	every := max(iv.Every, 1)
	own := len(days) == 1 && days[0] == base.Weekday()
	ownDay := len(iv.MonthDays) == 1 && iv.MonthDays[0] == base.Day() && iv.Nth == 0
	weekdays := func() []string {
		names := make([]string, 0, len(days))
		for _, d := range days {
			names = append(names, weekdayBasip[d])
		}
		return names
	}
	switch iv.Repeat {
	case store.RepeatWeekly, store.RepeatWeek:
		switch {
		case every == 1 && len(days) == 7:
			ro.RepeatFormat.RepeatType = "day"
		case every == 1 && own:
			ro.RepeatFormat.RepeatType = "week"
		case every == 2 && own:
			ro.RepeatFormat.RepeatType = "twoWeeks"
		default:
			ro.RepeatCustom = &basipRepeatCustom{RepeatPointType: "week", RepeatLooper: every, RepeatOptions: weekdays()}
		}
	case store.RepeatDay:
		if every == 1 {
			ro.RepeatFormat.RepeatType = "day"
		} else {
			ro.RepeatCustom = &basipRepeatCustom{RepeatPointType: "day", RepeatLooper: every}
		}
	case store.RepeatMonth, store.RepeatYear:
		year := iv.Repeat == store.RepeatYear
		ownMonth := len(iv.Months) == 1 && iv.Months[0] == base.Month()
		switch {
		case every == 1 && ownDay && !year && len(iv.Months) == 0:
			ro.RepeatFormat.RepeatType = "month"
		case every == 1 && ownDay && year && ownMonth:
			ro.RepeatFormat.RepeatType = "year"
		default:
			rc := &basipRepeatCustom{RepeatPointType: "month", RepeatLooper: every}
			if year {
				rc.RepeatPointType = "year"
			}
			var opts basipDayOpts
			for _, m := range iv.Months {
				opts.Months = append(opts.Months, int(m))
			}
			if iv.Nth != 0 {
				pd := basipParamDay{DayType: "DAY_OFF"}
				for k, v := range basipWeekOrder {
					if v == iv.Nth {
						pd.WeekOrder = k
					}
				}
				switch {
				case iv.DayType == store.DayTypeWork:
					pd.DayType = "WEEK_DAY"
				case len(days) > 0:
					pd.DayType = weekdayBasip[days[0]]
				}
				opts.Range = pd
				if !year {
					opts.Format = "parameterizedDay"
				}
			} else {
				opts.Format, opts.Range = "dayNumbers", iv.MonthDays
			}
			rc.RepeatOptions = opts
			ro.RepeatCustom = rc
		}
	}
	return out
}

func (s *Dialect) basipCreateProfile(r *core.Request) error {
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	var p store.TimeProfile
	s.applyBasipProfile(b, &p)
	if err := b.error(); err != nil {
		return err
	}
	if err := basipValidate(&p); err != nil {
		return err
	}
	if err := s.st.CreateTimeProfile(&p); err != nil {
		return err
	}
	return basipOK(r, createdUID{p.ID})
}

// basipFaithful reports whether GET shows p exactly: its BAS-IP view,
// read back, is the same schedule.
func (s *Dialect) basipFaithful(p *store.TimeProfile) bool {
	if len(p.Intervals) == 0 {
		return true // nothing to lose
	}
	body, err := json.Marshal(s.basipProfileView(p))
	if err != nil {
		return false
	}
	b, err := parseBasipBody(body)
	if err != nil {
		return false
	}
	q := cloneProfile(p)
	s.applyBasipProfile(b, &q)
	if b.err != nil {
		return false
	}
	return canonicalSchedule(p) == canonicalSchedule(&q)
}

func cloneProfile(p *store.TimeProfile) store.TimeProfile {
	q := *p
	q.Intervals = slices.Clone(p.Intervals)
	q.Holidays = slices.Clone(p.Holidays)
	return q
}

// canonicalSchedule writes p's schedule so that equal schedules written
// differently compare equal: sorted lists, every 0 as 1, weekly windows
// with the same times merged, intervals in a fixed order.
func canonicalSchedule(p *store.TimeProfile) string {
	var ivs []store.Interval
	weekly := map[[2]string]int{}
	for _, iv := range p.Intervals {
		iv.Days = slices.Clone(iv.Days)
		iv.MonthDays = slices.Clone(iv.MonthDays)
		iv.Months = slices.Clone(iv.Months)
		if iv.Repeat == store.RepeatWeekly {
			if i, ok := weekly[[2]string{iv.Start, iv.End}]; ok {
				ivs[i].Days = append(ivs[i].Days, iv.Days...)
				continue
			}
			weekly[[2]string{iv.Start, iv.End}] = len(ivs)
		} else if iv.Every == 0 {
			iv.Every = 1
		}
		ivs = append(ivs, iv)
	}
	parts := make([]string, 0, len(ivs))
	for _, iv := range ivs {
		slices.Sort(iv.Days)
		iv.Days = slices.Compact(iv.Days)
		slices.Sort(iv.MonthDays)
		slices.Sort(iv.Months)
		j, _ := json.Marshal(iv)
		parts = append(parts, string(j))
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n") + "\n" + p.DateFrom + ".." + p.DateTo
}

// basipValidate runs the engine's own check on the translated profile, so
// that nothing is stored that the engine would not open as asked (a yearly
// repeat in months that lack the day: repeat_options.months [2] from an
// occurrence on the 31st).
func basipValidate(p *store.TimeProfile) error {
	err := access.ValidateProfile(p)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if _, after, ok := strings.Cut(msg, ": "); ok {
		msg = after
	}
	return bErr(400, "Time profile repeat_options: "+msg)
}

func (s *Dialect) profileParam(r *core.Request) (store.TimeProfile, error) {
	id, err := basipID(r, "tp", basipNoProfile)
	if err != nil {
		return store.TimeProfile{}, err
	}
	p, err := s.st.GetTimeProfile(id)
	if errors.Is(err, store.ErrNotFound) {
		return p, bErr(404, basipNoProfile)
	}
	return p, err
}

func (s *Dialect) basipGetProfile(r *core.Request) error {
	p, err := s.profileParam(r)
	if err != nil {
		return err
	}
	v, err := s.basipProfileItem(&p)
	if err != nil {
		return err
	}
	return basipOK(r, v)
}

// basipProfileItem is basipProfileView with the identifiers that use p.
func (s *Dialect) basipProfileItem(p *store.TimeProfile) (basipProfile, error) {
	v := s.basipProfileView(p)
	_, creds, err := s.st.TimeProfileRefs(p.ID)
	if err != nil {
		return v, err
	}
	uids := make([]uint64, 0, len(creds))
	for _, id := range creds {
		uids = append(uids, id)
	}
	slices.Sort(uids)
	v.Identifiers = newBasipRefs(uids)
	return v, nil
}

func (s *Dialect) basipPatchProfile(r *core.Request) error {
	cur, err := s.profileParam(r)
	if err != nil {
		return err
	}
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	p, err := s.st.UpdateTimeProfile(cur.ID, func(p *store.TimeProfile) error {
		// A BAS-IP PATCH replaces the schedule with what the client sends,
		// usually what GET showed it. A native profile GET cannot show
		// whole (several windows, rules BAS-IP has no words for) would
		// come back changed, possibly open when it was shut: refuse.
		if !s.basipFaithful(p) {
			return bErr(400, "This time profile has parts the BAS-IP API cannot show (several time windows or rules BAS-IP has no words for); change it through the native API: PATCH /api/v1/time-profiles/"+strconv.FormatUint(p.ID, 10))
		}
		b.err = nil
		s.applyBasipProfile(b, p)
		if err := b.error(); err != nil {
			return err
		}
		return basipValidate(p)
	})
	if err != nil {
		return err
	}
	v, err := s.basipProfileItem(&p)
	if err != nil {
		return err
	}
	return basipOK(r, v)
}

func (s *Dialect) basipDeleteProfile(r *core.Request) error {
	p, err := s.profileParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteTimeProfile(p.ID); err != nil {
		if errors.Is(err, store.ErrInUse) {
			return bErr(400, fmt.Sprint(err))
		}
		return err
	}
	return basipOK(r, basipEmpty)
}

var basipProfileSortFields = []string{"uid", "name"}

func (s *Dialect) basipListProfiles(r *core.Request) error {
	q, err := parseListQuery(r, basipProfileSortFields, "uid")
	if err != nil {
		return err
	}
	where, err := profileWhere(q.filter)
	if err != nil {
		return err
	}
	sort := listing.ID
	if q.field == "name" {
		sort = listing.Text(listing.ProfileName)
	}
	ids, total, err := s.page(listing.Profiles, q, listing.Query{Sort: sort, Where: where})
	if err != nil {
		return err
	}
	items := make([]basipProfile, 0, len(ids))
	for _, id := range ids {
		p, err := s.st.GetTimeProfile(id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the page was read
		}
		if err != nil {
			return err
		}
		items = append(items, s.basipProfileView(&p))
	}
	return basipOK(r, newBasipList(q, total, basipProfileSortFields, items))
}

// basipAttachIdentProfile is POST (attach) and DELETE (detach)
// /api/v1/access/identifier(s)/item/{id}/timeProfile/{tp}: the profile
// then limits that identifier, as native credential time_profiles do.
func (s *Dialect) basipAttachIdentProfile(add bool) core.Handler {
	return func(r *core.Request) error {
		tp, err := basipID(r, "tp", basipNoProfile)
		if err != nil {
			return err
		}
		c, err := s.identifierParam(r)
		if err != nil {
			return err
		}
		if _, err := s.st.GetTimeProfile(tp); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return bErr(404, basipNoProfile)
			}
			return err
		}
		_, err = s.st.UpdateCredential(c.ID, func(c *store.Credential) error {
			c.TimeProfiles = core.EditIDs(c.TimeProfiles, tp, add)
			if len(c.TimeProfiles) > core.MaxRefs {
				return bErr(400, "An identifier can have at most 64 time profiles")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return basipOK(r, basipEmpty)
	}
}
