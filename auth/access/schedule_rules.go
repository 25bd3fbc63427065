package access

import (
	"math/bits"
	"strconv"
	"time"

	"github.com/doord/doord/store"
)

// Calendar rules: the store.Interval values with a Repeat, compiled to a
// rule each and evaluated on integer civil dates (no time.Time, no
// allocation). See the Schedule doc comment for the semantics.

// rule is one compiled calendar-rule interval.
type rule struct {
	start, end uint16 // minutes after midnight; end < start wraps past midnight
	kind       uint8  // ruleDay..ruleYear
	nth        int8   // 1..5, -1 the last; 0: mdays selects
	wdays      uint8  // 1<<time.Weekday: the week rule's days; nth's Days or DayType
	setpos     bool   // nth counts the days of wdays together (DayType), not each weekday (Days)
	months     uint16 // 1<<time.Month; 0: every month
	mdays      uint32 // 1<<day of the month; bit 0: the last day
	every      int32  // ≥ 1
	anchor     int32  // civil key y*10000+m*100+d of Anchor; 0: none
	base       int32  // what Every counts from: see anchorBase
}

const (
	ruleDay uint8 = iota + 1
	ruleWeek
	ruleMonth
	ruleYear
)

const (
	maxEvery    = 1000
	weekdayMask = 0b0111110 // Monday–Friday
	weekendMask = 0b1000001 // Saturday, Sunday
)

// Field error messages, worded as the native API words its own.
const (
	msgDate           = "must be a date YYYY-MM-DD"
	msgTimeRequired   = "is required (HH:MM)"
	msgStart          = "must be a time HH:MM from 00:00 to 23:59"
	msgEnd            = "must be a time HH:MM from 00:00 to 24:00"
	msgDay            = "must be 0..6 (0 = Sunday)"
	msgRepeat         = "must be day, week, month or year"
	msgNeedsRepeat    = "needs repeat"
	msgEvery          = "must be 0..1000 (0 means 1)"
	msgAnchorRequired = "is required when every > 1"
	msgDaysRequired   = "is required with repeat week"
	msgMonthsRequired = "is required with repeat year"
	msgMonthDay       = "must be 1..31 or -1 (the last day)"
	msgNth            = "must be 1..5 or -1 (the last)"
	msgMonth          = "must be 1..12"
	msgDayType        = "must be weekday or weekend"
	msgMonthDaysNth   = "month_days and nth exclude each other"
	msgDaysDayType    = "days and day_type exclude each other"
	msgNeedsSelection = "needs month_days, or nth with days or day_type"
	msgNeverFalls     = "no such day in the chosen months: the rule would never open"
	msgNthNeeds       = "needs days or day_type"
	msgNeedsNth       = "needs nth"
)

// msgNotUsed is the message for a field the interval's repeat ignores.
func msgNotUsed(repeat string) string { return "is not used with repeat " + repeat }

// addInterval compiles interval iv (at JSON path path) into s, or reports
// why it cannot.
func (s *Schedule) addInterval(iv *store.Interval, path string, errs *[]error) {
	ok := true
	fail := func(field, msg string) {
		*errs = append(*errs, &FieldError{Field: path + field, Msg: msg})
		ok = false
	}
	start, okS := parseHHMM(iv.Start, false)
	if !okS {
		fail(".start", clockMsg(iv.Start, msgStart))
	}
	end, okE := parseHHMM(iv.End, true)
	if !okE {
		fail(".end", clockMsg(iv.End, msgEnd))
	}
	if iv.Repeat == store.RepeatWeekly {
		// A rule field without a repeat is a rule the client meant and
		// the weekly bitmap cannot keep: the interval grants nothing.
		for _, f := range []struct {
			name string
			set  bool
		}{
			{".every", iv.Every != 0}, {".anchor", iv.Anchor != ""},
			{".month_days", len(iv.MonthDays) != 0}, {".nth", iv.Nth != 0},
			{".day_type", iv.DayType != ""}, {".months", len(iv.Months) != 0},
		} {
			if f.set {
				fail(f.name, msgNeedsRepeat)
			}
		}
		for j, d := range iv.Days {
			if d < time.Sunday || d > time.Saturday {
				// Only this day is left out, as it always was.
				*errs = append(*errs, &FieldError{Field: path + ".days[" + strconv.Itoa(j) + "]", Msg: msgDay})
				continue
			}
			if ok {
				s.setWeekly(d, start, end)
			}
		}
		return
	}
	r := compileRule(iv, fail)
	if !ok || start == end {
		return
	}
	r.start, r.end = uint16(start), uint16(end)
	if (r.kind == ruleDay || r.kind == ruleWeek) && r.every == 1 && r.anchor == 0 {
		// Every day, or on Days every week, from the beginning of time:
		// a weekly interval.
		for d := time.Sunday; d <= time.Saturday; d++ {
			if r.wdays&(1<<d) != 0 {
				s.setWeekly(d, start, end)
			}
		}
		return
	}
	s.rules = append(s.rules, r)
}

func clockMsg(v, msg string) string {
	if v == "" {
		return msgTimeRequired
	}
	return msg
}

// compileRule reads the rule fields of iv (Repeat set), reporting each
// problem through fail. The rule is usable only when fail was not called.
func compileRule(iv *store.Interval, fail func(field, msg string)) rule {
	r := rule{every: 1}
	switch iv.Repeat {
	case store.RepeatDay:
		r.kind = ruleDay
	case store.RepeatWeek:
		r.kind = ruleWeek
	case store.RepeatMonth:
		r.kind = ruleMonth
	case store.RepeatYear:
		r.kind = ruleYear
	default:
		fail(".repeat", msgRepeat)
	}
	if iv.Every < 0 || iv.Every > maxEvery {
		fail(".every", msgEvery)
	} else if iv.Every > 1 {
		r.every = int32(iv.Every)
	}
	if iv.Anchor != "" {
		if k, ok := parseDate(iv.Anchor); ok {
			r.anchor = k
		} else {
			fail(".anchor", msgDate)
		}
	} else if iv.Every > 1 {
		fail(".anchor", msgAnchorRequired)
	}
	days := func() {
		for j, d := range iv.Days {
			if d < time.Sunday || d > time.Saturday {
				fail(".days["+strconv.Itoa(j)+"]", msgDay)
				continue
			}
			r.wdays |= 1 << d
		}
	}
	notUsed := func(fields ...string) {
		set := map[string]bool{
			".days": len(iv.Days) != 0, ".month_days": len(iv.MonthDays) != 0, ".nth": iv.Nth != 0,
			".day_type": iv.DayType != "", ".months": len(iv.Months) != 0,
		}
		for _, f := range fields {
			if set[f] {
				fail(f, msgNotUsed(iv.Repeat))
			}
		}
	}
	switch r.kind {
	case 0:
		return r // unknown repeat: its other fields cannot be judged
	case ruleDay:
		r.wdays = 0x7f
		notUsed(".days", ".month_days", ".nth", ".day_type", ".months")
	case ruleWeek:
		if len(iv.Days) == 0 {
			fail(".days", msgDaysRequired)
		}
		days()
		notUsed(".month_days", ".nth", ".day_type", ".months")
	case ruleMonth, ruleYear:
		for j, m := range iv.Months {
			if m < time.January || m > time.December {
				fail(".months["+strconv.Itoa(j)+"]", msgMonth)
				continue
			}
			r.months |= 1 << m
		}
		if r.kind == ruleYear && len(iv.Months) == 0 {
			fail(".months", msgMonthsRequired)
		}
		for j, d := range iv.MonthDays {
			switch {
			case d == -1:
				r.mdays |= 1
			case d >= 1 && d <= 31:
				r.mdays |= 1 << d
			default:
				fail(".month_days["+strconv.Itoa(j)+"]", msgMonthDay)
			}
		}
		if iv.Nth != 0 && (iv.Nth < -1 || iv.Nth > 5) {
			fail(".nth", msgNth)
		}
		r.nth = int8(iv.Nth)
		days()
		switch iv.DayType {
		case "":
		case store.DayTypeWork:
			r.wdays, r.setpos = weekdayMask, true
		case store.DayTypeWeekend:
			r.wdays, r.setpos = weekendMask, true
		default:
			fail(".day_type", msgDayType)
		}
		switch {
		case len(iv.MonthDays) != 0 && iv.Nth != 0:
			fail(".nth", msgMonthDaysNth)
		case len(iv.MonthDays) == 0 && iv.Nth == 0:
			fail("", msgNeedsSelection)
		case iv.Nth == 0: // month days
			if r.months != 0 && r.mdays != 0 && !anyDayFits(r.months, r.mdays) {
				fail(".month_days", msgNeverFalls)
			}
			if len(iv.Days) != 0 {
				fail(".days", msgNeedsNth)
			}
			if iv.DayType != "" {
				fail(".day_type", msgNeedsNth)
			}
		case len(iv.Days) != 0 && iv.DayType != "":
			fail(".day_type", msgDaysDayType)
		case len(iv.Days) == 0 && iv.DayType == "":
			fail(".nth", msgNthNeeds)
		}
	}
	if r.anchor != 0 {
		r.base = anchorBase(r.kind, r.anchor)
	}
	return r
}

// anyDayFits reports whether some month day in mdays (bit d = day d, bit
// 0 = the last day) exists in some month in months (bit m = month m), in
// a leap year at best: {months [2], month_days [30]} never happens, and a
// rule that can never open is a mistake worth naming.
func anyDayFits(months uint16, mdays uint32) bool {
	if mdays&1 != 0 {
		return true
	}
	longest := [13]int32{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := int32(1); m <= 12; m++ {
		if months&(1<<m) == 0 {
			continue
		}
		for d := int32(1); d <= longest[m]; d++ {
			if mdays&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

// anchorBase is what a rule of kind counts its Every from: the anchor's
// day number (day), the day number of the Monday of the anchor's week
// (week), its month index y*12+m-1 (month), its year (year).
func anchorBase(kind uint8, anchor int32) int32 {
	y, m, d := anchor/10000, anchor/100%100, anchor%100
	dn := daysFromCivil(y, m, d)
	switch kind {
	case ruleDay:
		return dn
	case ruleWeek:
		return dn - (weekdayOf(dn)+6)%7
	case ruleMonth:
		return y*12 + m - 1
	default:
		return y
	}
}

// civil is a calendar date as the rules see it.
type civil struct {
	key     int32 // y*10000+m*100+d
	y, m, d int32
	wd      int32 // time.Weekday
}

func civilOf(w *wall) civil {
	k := w.day
	return civil{key: k, y: k / 10000, m: k / 100 % 100, d: k % 100, wd: int32(w.wd)}
}

// prev is the day before c.
func (c civil) prev() civil {
	c.wd = (c.wd + 6) % 7
	if c.d > 1 {
		c.d--
		c.key--
		return c
	}
	if c.m > 1 {
		c.m--
	} else {
		c.y, c.m = c.y-1, 12
	}
	c.d = daysIn(c.y, c.m)
	c.key = c.y*10000 + c.m*100 + c.d
	return c
}

// rulesOpen reports whether a calendar rule grants at w: the minute
// window first, then the day predicate (today's, or yesterday's for the
// after-midnight part of a wrapping window).
func (s *Schedule) rulesOpen(w *wall) bool {
	m := w.minute
	today := civilOf(w)
	var yesterday civil
	for i := range s.rules {
		r := &s.rules[i]
		if m >= r.start {
			if (m < r.end || r.end < r.start) && r.selects(&today) {
				return true
			}
		} else if m < r.end && r.end < r.start {
			if yesterday.key == 0 {
				yesterday = today.prev()
			}
			if r.selects(&yesterday) {
				return true
			}
		}
	}
	return false
}

// selects reports whether the rule selects the date c.
func (r *rule) selects(c *civil) bool {
	if c.key < r.anchor {
		return false
	}
	// With every > 1 the anchor is set and c is not before it, so the
	// counts below are never negative.
	switch r.kind {
	case ruleDay:
		return r.every == 1 || (daysFromCivil(c.y, c.m, c.d)-r.base)%r.every == 0
	case ruleWeek:
		if r.wdays&(1<<c.wd) == 0 {
			return false
		}
		return r.every == 1 || (daysFromCivil(c.y, c.m, c.d)-r.base)/7%r.every == 0
	}
	if r.months != 0 && r.months&(1<<c.m) == 0 {
		return false
	}
	if r.every != 1 {
		n := c.y - r.base
		if r.kind == ruleMonth {
			n = c.y*12 + c.m - 1 - r.base
		}
		if n%r.every != 0 {
			return false
		}
	}
	dim := daysIn(c.y, c.m)
	if r.nth == 0 {
		return r.mdays&(1<<c.d) != 0 || (r.mdays&1 != 0 && c.d == dim)
	}
	if r.wdays&(1<<c.wd) == 0 {
		return false
	}
	if !r.setpos { // the nth of this weekday in the month
		if r.nth > 0 {
			return (c.d-1)/7+1 == int32(r.nth)
		}
		return c.d+7 > dim
	}
	// The nth day of the month whose weekday is in wdays.
	if r.nth > 0 {
		first := (c.wd - (c.d-1)%7 + 7) % 7 // weekday of the 1st
		return countDays(r.wdays, first, c.d) == int32(r.nth)
	}
	return countDays(r.wdays, (c.wd+1)%7, dim-c.d) == 0
}

// countDays counts the days with a weekday in mask among n consecutive
// days, the first of which is weekday first.
func countDays(mask uint8, first, n int32) int32 {
	c := n / 7 * int32(bits.OnesCount8(mask&0x7f))
	for i := n % 7; i > 0; i-- {
		if mask&(1<<first) != 0 {
			c++
		}
		if first++; first == 7 {
			first = 0
		}
	}
	return c
}

// daysIn is the number of days in month m of year y.
func daysIn(y, m int32) int32 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (H. Hinnant's days_from_civil).
func daysFromCivil(y, m, d int32) int32 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400                  // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + d - 1 // [0, 365], March-based
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// weekdayOf is the weekday (time.Weekday) of day number dn.
func weekdayOf(dn int32) int32 {
	return ((dn+4)%7 + 7) % 7 // 1970-01-01 was a Thursday
}
