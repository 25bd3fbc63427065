package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doord/doord/store"
)

// BAS-IP time profiles are calendar events: time_options gives the first
// occurrence (date_from to date_to, unix seconds, or whole days with
// is_all_day) and repeat_options how it repeats. Native profiles are
// weekly windows in the controller's zone with a date range, evaluated by
// the access engine. What maps exactly is translated:
//
//   - an occurrence of at most 24 hours (ending after midnight wraps, as
//     a native night shift), or whole days with is_all_day;
//   - no repeat (the date range is the occurrence's days);
//   - repeat_type day (every day), week (on the occurrence's weekday(s),
//     or on the weekdays MON..SUN given in repeat_custom.repeat_options),
//     custom with repeat_point_type day or week and repeat_looper 1;
//   - repeat_end never, or date (the last day, inclusive).
//
// What the weekly model cannot express is refused with a 400 naming it:
// twoWeeks, month, year, every N-th day or week, month days
// (dayNumbers), parameterized days (first MON, DAY_OFF), months.

const basipNoProfile = "Time profile not found"

var basipWeekdays = map[string]time.Weekday{
	"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday,
}

var weekdayBasip = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

func errRepeat(what string) *basipError {
	return bErr(400, "Time profile repeat "+what+" is not supported: doord's time profiles repeat every day or every week on chosen weekdays")
}

const dateLayout = "2006-01-02"

// applyBasipProfile reads a BAS-IP time profile into p (a replace of the
// fields BAS-IP knows; holidays are kept).
func (s *Server) applyBasipProfile(b *bbody, p *store.TimeProfile) {
	loc := s.cfg.Location
	var name string
	b.str("name", &name, true)
	tob, _ := b.obj("time_options", true)
	if b.err != nil {
		return
	}
	var allDay bool
	var from, to int64
	tob.boolean("is_all_day", &allDay, false)
	tob.integer("date_from", &from, true)
	tob.integer("date_to", &to, true)
	b.merge(tob)
	if b.err != nil {
		return
	}
	switch {
	case strings.TrimSpace(name) == "":
		b.failf("name must not be empty")
		return
	case utf8.RuneCountInString(name) > maxName:
		b.failf("name must be at most %d characters", maxName)
		return
	case from < 0 || to < 0:
		b.failf("time_options: date_from and date_to are unix seconds")
		return
	case to < from:
		b.failf("time_options.date_to must not be before date_from")
		return
	}
	tf, tt := time.Unix(from, 0).In(loc), time.Unix(to, 0).In(loc)
	firstDay := civil(tf)
	var start, end string
	var covered []time.Weekday // the weekdays the occurrence starts on
	lastDay := civil(tt)
	if allDay {
		start, end = "00:00", "24:00"
		for d := firstDay; !d.After(lastDay) && len(covered) < 7; d = d.AddDate(0, 0, 1) {
			covered = append(covered, d.Weekday())
		}
	} else {
		dur := tt.Sub(tf)
		start, end = tf.Format("15:04"), tt.Format("15:04")
		nextMidnight := firstDay.AddDate(0, 0, 1)
		switch {
		case dur <= 0:
			b.failf("time_options.date_to must be after date_from")
			return
		case dur > 24*time.Hour:
			b.failf("time_options: an occurrence longer than 24 hours needs is_all_day")
			return
		case civil(tt).Equal(nextMidnight) && end == "00:00":
			end, lastDay = "24:00", firstDay
		case start == end:
			b.failf("time_options: a window of 24 hours needs is_all_day")
			return
		}
		covered = []time.Weekday{tf.Weekday()}
	}

	days := covered
	dateFrom, dateTo := firstDay.Format(dateLayout), lastDay.Format(dateLayout)
	var enable bool
	ro, hasRepeat := b.obj("repeat_options", false)
	if hasRepeat {
		ro.boolean("repeat_enable", &enable, false)
	}
	if enable {
		days, dateTo = s.basipRepeat(ro, covered)
		b.merge(ro)
		if b.err != nil {
			return
		}
	}
	slices.Sort(days)
	days = slices.Compact(days)
	p.Name = name
	p.Intervals = []store.Interval{{Days: days, Start: start, End: end}}
	p.DateFrom, p.DateTo = dateFrom, dateTo
}

// basipRepeat reads repeat_options (repeat_enable true): the weekdays and
// the last day ("" = never ends).
func (s *Server) basipRepeat(ro *bbody, covered []time.Weekday) (days []time.Weekday, dateTo string) {
	rf, _ := ro.obj("repeat_format", true)
	if ro.err != nil {
		return nil, ""
	}
	var rtype string
	rf.str("repeat_type", &rtype, true)
	ro.merge(rf)
	if ro.err != nil {
		return nil, ""
	}
	rc, hasCustom := ro.obj("repeat_custom", false)
	var chosen []time.Weekday
	if hasCustom {
		chosen = basipWeekdayOptions(rc)
		ro.merge(rc)
		if ro.err != nil {
			return nil, ""
		}
	}
	all := []time.Weekday{0, 1, 2, 3, 4, 5, 6}
	switch rtype {
	case "day":
		days = all
	case "week":
		days = covered
		if len(chosen) > 0 {
			days = chosen
		}
	case "custom":
		if !hasCustom {
			ro.fail(bMissing("repeat_custom"))
			return nil, ""
		}
		var point string
		looper := int64(1)
		rc.str("repeat_point_type", &point, true)
		rc.integer("repeat_looper", &looper, false)
		ro.merge(rc)
		if ro.err != nil {
			return nil, ""
		}
		switch {
		case looper != 1:
			ro.fail(errRepeat("every " + strconv.FormatInt(looper, 10) + " " + point + "s"))
		case point == "day":
			days = all
		case point == "week":
			days = covered
			if len(chosen) > 0 {
				days = chosen
			}
		default:
			ro.fail(errRepeat("by " + point))
		}
	case "twoWeeks", "month", "year":
		ro.fail(errRepeat("type `" + rtype + "`"))
	default:
		ro.failf("repeat_type must be day, week, twoWeeks, month, year or custom")
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
				} else {
					dateTo = civil(time.Unix(date, 0).In(s.cfg.Location)).Format(dateLayout)
				}
			}
		default:
			re.failf("repeat_end.format must be never or date")
		}
		ro.merge(re)
	}
	return days, dateTo
}

// basipWeekdayOptions reads repeat_custom.repeat_options: an array of
// weekdays, or {format: weekDays, week_days: [...]} (days and weekdays are
// taken too). Month days, parameterized days and months are refused.
func basipWeekdayOptions(rc *bbody) []time.Weekday {
	r, ok := rc.raw("repeat_options", false)
	if !ok {
		return nil
	}
	var names []string
	if json.Unmarshal(r, &names) != nil {
		opts, ok := rc.obj("repeat_options", false)
		if !ok {
			return nil
		}
		var format string
		opts.str("format", &format, false)
		for _, k := range []string{"day_numbers", "dayNumbers", "parameterized_day", "parameterizedDay", "months"} {
			if v, ok := opts.f[k]; ok && !isNull(v) && string(v) != "[]" {
				rc.fail(errRepeat("by `" + k + "`"))
				return nil
			}
		}
		switch strings.ToLower(format) {
		case "", "weekdays", "week_days":
		default:
			rc.fail(errRepeat("format `" + format + "`"))
			return nil
		}
		for _, k := range []string{"week_days", "weekDays", "weekdays", "days"} {
			if opts.strs(k, &names, false) {
				break
			}
		}
		rc.merge(opts)
	}
	var out []time.Weekday
	for _, n := range names {
		d, ok := basipWeekdays[strings.ToUpper(n)]
		if !ok {
			if strings.EqualFold(n, "DAY_OFF") || strings.EqualFold(n, "WEEK_DAY") {
				rc.fail(errRepeat("on `" + n + "`"))
			} else {
				rc.failf("repeat_options: %q is not a weekday MON..SUN", n)
			}
			return nil
		}
		out = append(out, d)
	}
	return out
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
	Date   int64  `json:"date"`
}

type basipCustomOptions struct {
	Format   string   `json:"format"`
	WeekDays []string `json:"week_days"`
}

type basipRepeatCustom struct {
	RepeatPointType string             `json:"repeat_point_type"`
	RepeatLooper    int                `json:"repeat_looper"`
	RepeatOptions   basipCustomOptions `json:"repeat_options"`
}

type basipRepeatOptions struct {
	RepeatEnable bool               `json:"repeat_enable"`
	RepeatFormat basipRepeatFormat  `json:"repeat_format"`
	RepeatEnd    basipRepeatEnd     `json:"repeat_end"`
	RepeatCustom *basipRepeatCustom `json:"repeat_custom,omitempty"`
}

// basipProfile is a time profile as BAS-IP shows it. A native profile with
// several different windows shows its first window (and the weekdays of
// every interval with the same window); the native API shows it whole.
type basipProfile struct {
	UID           uint64             `json:"uid"`
	Name          string             `json:"name"`
	TimeOptions   basipTimeOptions   `json:"time_options"`
	RepeatOptions basipRepeatOptions `json:"repeat_options"`
}

func (s *Server) basipProfileView(p *store.TimeProfile) basipProfile {
	loc := s.cfg.Location
	out := basipProfile{UID: p.ID, Name: p.Name, RepeatOptions: basipRepeatOptions{RepeatEnd: basipRepeatEnd{Format: "never"}}}
	if len(p.Intervals) == 0 {
		return out
	}
	iv := p.Intervals[0]
	var days []time.Weekday
	for _, x := range p.Intervals {
		if x.Start == iv.Start && x.End == iv.End {
			days = append(days, x.Days...)
		}
	}
	slices.Sort(days)
	days = slices.Compact(days)
	base := civil(p.CreatedAt.In(loc))
	if d, err := time.ParseInLocation(dateLayout, p.DateFrom, loc); err == nil {
		base = d
	}
	if len(days) > 0 && len(days) < 7 { // the first occurrence: the first chosen weekday from base
		for i := 0; i < 7 && !slices.Contains(days, base.Weekday()); i++ {
			base = base.AddDate(0, 0, 1)
		}
	}
	at := func(day time.Time, hhmm string) time.Time {
		m, _ := parseClock(hhmm)
		return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
	}
	start, end := at(base, iv.Start), at(base, iv.End)
	if !end.After(start) {
		end = at(base.AddDate(0, 0, 1), iv.End)
	}
	out.TimeOptions = basipTimeOptions{DateFrom: start.Unix(), DateTo: end.Unix()}
	if iv.Start == "00:00" && iv.End == "24:00" {
		out.TimeOptions = basipTimeOptions{IsAllDay: true, DateFrom: base.Unix(), DateTo: base.AddDate(0, 0, 1).Unix() - 1}
	}
	single := p.DateFrom != "" && p.DateFrom == p.DateTo
	if single {
		return out
	}
	out.RepeatOptions.RepeatEnable = true
	if p.DateTo != "" {
		if d, err := time.ParseInLocation(dateLayout, p.DateTo, loc); err == nil {
			out.RepeatOptions.RepeatEnd = basipRepeatEnd{Format: "date", Date: d.AddDate(0, 0, 1).Unix() - 1}
		}
	}
	if len(days) == 7 {
		out.RepeatOptions.RepeatFormat.RepeatType = "day"
		return out
	}
	out.RepeatOptions.RepeatFormat.RepeatType = "week"
	rc := &basipRepeatCustom{RepeatPointType: "week", RepeatLooper: 1, RepeatOptions: basipCustomOptions{Format: "weekDays", WeekDays: []string{}}}
	for _, d := range days {
		rc.RepeatOptions.WeekDays = append(rc.RepeatOptions.WeekDays, weekdayBasip[d])
	}
	out.RepeatOptions.RepeatCustom = rc
	return out
}

func (s *Server) basipCreateProfile(r *request) error {
	b, err := parseBasipBody(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var p store.TimeProfile
	s.applyBasipProfile(b, &p)
	if err := b.error(); err != nil {
		return err
	}
	if err := s.st.CreateTimeProfile(&p); err != nil {
		return err
	}
	return basipOK(r, itemUID{p.ID})
}

func (s *Server) profileParam(r *request) (store.TimeProfile, error) {
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

func (s *Server) basipGetProfile(r *request) error {
	p, err := s.profileParam(r)
	if err != nil {
		return err
	}
	return basipOK(r, s.basipProfileView(&p))
}

func (s *Server) basipPatchProfile(r *request) error {
	cur, err := s.profileParam(r)
	if err != nil {
		return err
	}
	b, err := parseBasipBody(r.ctx.PostBody())
	if err != nil {
		return err
	}
	p, err := s.st.UpdateTimeProfile(cur.ID, func(p *store.TimeProfile) error {
		b.err = nil
		s.applyBasipProfile(b, p)
		return b.error()
	})
	if err != nil {
		return err
	}
	return basipOK(r, s.basipProfileView(&p))
}

func (s *Server) basipDeleteProfile(r *request) error {
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

// allTimeProfiles reads every profile (they are few).
func (s *Server) allTimeProfiles() ([]store.TimeProfile, error) {
	var all []store.TimeProfile
	cursor := ""
	for {
		ps, next, err := s.st.ListTimeProfiles(cursor, maxListLimit)
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
}

func (s *Server) basipListProfiles(r *request) error {
	q, err := parseListQuery(r, basipProfileSortFields, "uid")
	if err != nil {
		return err
	}
	all, err := s.allTimeProfiles()
	if err != nil {
		return err
	}
	byID := map[uint64]*store.TimeProfile{}
	var keys []sortKey
	for i := range all {
		p := &all[i]
		if containsFold(p.Name, q.filter) {
			byID[p.ID] = p
			keys = append(keys, sortKey{id: p.ID, txt: strings.ToLower(p.Name)})
		}
	}
	ids := pageKeys(q, keys, q.field == "name")
	items := make([]basipProfile, 0, len(ids))
	for _, id := range ids {
		items = append(items, s.basipProfileView(byID[id]))
	}
	return basipOK(r, newBasipList(q, len(keys), basipProfileSortFields, items))
}
