package basip_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/httpapi/basip"
)

// Every documented BAS-IP repeat shape: what the native API stores, what
// the engine opens, and that GET gives back the repeat_options as posted.
// 2026-03-02 is a Monday; the occurrence is 08:00–18:00 UTC that day.
func TestBasipTimeProfileRepeats(t *testing.T) {
	e := newEnv(t, utc)
	tok := e.basipLogin("admin", adminPW)
	mon8 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Unix()
	mon18 := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC).Unix()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name   string
		repeat string // repeat_format and repeat_custom, as posted and as GET shows them
		native string // the native intervals
		open   []time.Time
		shut   []time.Time
	}{
		{"every two weeks", `"repeat_format":{"repeat_type":"twoWeeks"}`,
			`[{"days":[1],"start":"08:00","end":"18:00","repeat":"week","every":2,"anchor":"2026-03-02"}]`,
			[]time.Time{day(2026, 3, 2), day(2026, 3, 16), day(2026, 3, 30), day(2027, 1, 4)},
			[]time.Time{day(2026, 3, 9), day(2026, 3, 23), day(2026, 3, 17), day(2026, 2, 16)}},
		{"monthly", `"repeat_format":{"repeat_type":"month"}`,
			`[{"start":"08:00","end":"18:00","repeat":"month","anchor":"2026-03-02","month_days":[2]}]`,
			[]time.Time{day(2026, 4, 2), day(2026, 12, 2)},
			[]time.Time{day(2026, 4, 3), day(2026, 4, 6), day(2026, 2, 2)}},
		{"yearly", `"repeat_format":{"repeat_type":"year"}`,
			`[{"start":"08:00","end":"18:00","repeat":"year","anchor":"2026-03-02","month_days":[2],"months":[3]}]`,
			[]time.Time{day(2027, 3, 2), day(2030, 3, 2)},
			[]time.Time{day(2026, 4, 2), day(2027, 3, 1)}},
		{"every third day", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"day","repeat_looper":3}`,
			`[{"start":"08:00","end":"18:00","repeat":"day","every":3,"anchor":"2026-03-02"}]`,
			[]time.Time{day(2026, 3, 5), day(2026, 3, 8), day(2026, 4, 1)},
			[]time.Time{day(2026, 3, 3), day(2026, 3, 4), day(2026, 2, 27)}},
		{"every other week on Monday and Thursday", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"week","repeat_looper":2,"repeat_options":["MON","THU"]}`,
			`[{"days":[1,4],"start":"08:00","end":"18:00","repeat":"week","every":2,"anchor":"2026-03-02"}]`,
			[]time.Time{day(2026, 3, 5), day(2026, 3, 16), day(2026, 3, 19)},
			[]time.Time{day(2026, 3, 12), day(2026, 3, 9), day(2026, 3, 17)}},
		{"day numbers", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers","range":[1,15]}}`,
			`[{"start":"08:00","end":"18:00","repeat":"month","every":1,"anchor":"2026-03-02","month_days":[1,15]}]`,
			[]time.Time{day(2026, 3, 15), day(2026, 4, 1), day(2026, 4, 15)},
			[]time.Time{day(2026, 4, 14), day(2026, 4, 2)}},
		{"first Monday", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"parameterizedDay","range":{"week_order":"first","day_type":"MON"}}}`,
			`[{"days":[1],"start":"08:00","end":"18:00","repeat":"month","every":1,"anchor":"2026-03-02","nth":1}]`,
			[]time.Time{day(2026, 4, 6), day(2026, 6, 1)},
			[]time.Time{day(2026, 4, 13), day(2026, 4, 1)}},
		{"last working day", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"parameterizedDay","range":{"week_order":"last","day_type":"WEEK_DAY"}}}`,
			`[{"start":"08:00","end":"18:00","repeat":"month","every":1,"anchor":"2026-03-02","nth":-1,"day_type":"weekday"}]`,
			[]time.Time{day(2026, 3, 31), day(2026, 4, 30), day(2026, 5, 29)},
			[]time.Time{day(2026, 5, 31), day(2026, 5, 28), day(2026, 3, 30)}},
		{"first day off", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"parameterizedDay","range":{"week_order":"first","day_type":"DAY_OFF"}}}`,
			`[{"start":"08:00","end":"18:00","repeat":"month","every":1,"anchor":"2026-03-02","nth":1,"day_type":"weekend"}]`,
			[]time.Time{day(2026, 4, 4), day(2026, 5, 2)},
			[]time.Time{day(2026, 4, 5), day(2026, 4, 11), day(2026, 3, 7), day(2026, 5, 3)}},
		{"every quarter on the 2nd", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"month","repeat_looper":3,"repeat_options":{"format":"dayNumbers","range":[2]}}`,
			`[{"start":"08:00","end":"18:00","repeat":"month","every":3,"anchor":"2026-03-02","month_days":[2]}]`,
			[]time.Time{day(2026, 6, 2), day(2026, 9, 2), day(2027, 3, 2)},
			[]time.Time{day(2026, 4, 2), day(2026, 5, 2)}},
		{"last Friday of January and July", `"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"year","repeat_looper":1,"repeat_options":{"months":[1,7],"range":{"week_order":"last","day_type":"FRI"}}}`,
			`[{"days":[5],"start":"08:00","end":"18:00","repeat":"year","every":1,"anchor":"2026-03-02","nth":-1,"months":[1,7]}]`,
			[]time.Time{day(2026, 7, 31), day(2027, 1, 29)},
			[]time.Time{day(2026, 7, 24), day(2026, 3, 27), day(2027, 1, 22)}},
	} {
		body := fmt.Sprintf(`{"name":"x","time_options":{"is_all_day":false,"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,%s,"repeat_end":{"format":"never"}}}`, mon8, mon18, tc.repeat)
		id := e.do("POST", "/api/v1/access/timeprofile", tok, body).bwant(200, "").num("uid")
		ids := strconv.FormatUint(id, 10)
		var native struct {
			Intervals json.RawMessage `json:"intervals"`
		}
		if err := json.Unmarshal(e.do("GET", "/api/v1/time-profiles/"+ids, e.admin, "").want(200).body, &native); err != nil {
			t.Fatal(err)
		}
		if string(native.Intervals) != tc.native {
			t.Errorf("%s: native intervals\n  %s\nwant\n  %s", tc.name, native.Intervals, tc.native)
		}
		p, _ := e.st.GetTimeProfile(id)
		sch, err := access.CompileProfile(&p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for _, at := range tc.open {
			if !sch.Open(at, time.UTC) {
				t.Errorf("%s: shut at %v, want open", tc.name, at)
			}
			if sch.Open(at.Add(10*time.Hour), time.UTC) {
				t.Errorf("%s: open at %v, after the window", tc.name, at.Add(10*time.Hour))
			}
		}
		for _, at := range tc.shut {
			if sch.Open(at, time.UTC) {
				t.Errorf("%s: open at %v, want shut", tc.name, at)
			}
		}
		// GET in BAS-IP's shape gives back what was posted.
		want := fmt.Sprintf(`{"uid":%d,"name":"x","time_options":{"is_all_day":false,"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,%s,"repeat_end":{"format":"never"}},"identifiers":{"count":0,"uid_items":[]}}`, id, mon8, mon18, tc.repeat)
		got := e.do("GET", "/api/v1/access/timeprofile/item/"+ids, tok, "").bwant(200, "").body
		if !sameJSON(got, []byte(want)) {
			t.Errorf("%s: GET\n  %s\nwant\n  %s", tc.name, got, want)
		}
		// What GET shows, PATCHed back, changes nothing.
		e.do("PATCH", "/api/v1/access/timeprofile/item/"+ids, tok, string(got)).bwant(200, "")
		if err := json.Unmarshal(e.do("GET", "/api/v1/time-profiles/"+ids, e.admin, "").want(200).body, &native); err != nil {
			t.Fatal(err)
		}
		if string(native.Intervals) != tc.native {
			t.Errorf("%s: after a GET→PATCH round trip\n  %s\nwant\n  %s", tc.name, native.Intervals, tc.native)
		}
	}
}

// A BAS-IP client PATCHes back what it read. Native profiles BAS-IP
// cannot show whole must not come back changed (never wider): either the
// view is exact, or the PATCH is refused and the profile kept.
func TestBasipTimeProfileRoundTripNeverWidens(t *testing.T) {
	e := newEnv(t, utc)
	tok := e.basipLogin("admin", adminPW)
	native := func(body string) string {
		return fmt.Sprint(e.do("POST", "/api/v1/time-profiles", e.admin, body).want(201).json()["id"])
	}
	roundTrip := func(id string) resp {
		got := e.do("GET", "/api/v1/access/timeprofile/item/"+id, tok, "").bwant(200, "").body
		return e.do("PATCH", "/api/v1/access/timeprofile/item/"+id, tok, string(got))
	}
	intervals := func(id string) string {
		var n struct {
			Intervals json.RawMessage `json:"intervals"`
			DateFrom  string          `json:"date_from"`
			DateTo    string          `json:"date_to"`
		}
		if err := json.Unmarshal(e.do("GET", "/api/v1/time-profiles/"+id, e.admin, "").want(200).body, &n); err != nil {
			t.Fatal(err)
		}
		return string(n.Intervals) + " " + n.DateFrom + ".." + n.DateTo
	}
	refused := `{"error":"This time profile has parts the BAS-IP API cannot show (several time windows or rules BAS-IP has no words for); change it through the native API: PATCH /api/v1/time-profiles/%s"}`

	// A monthly rule limited to summer months keeps its months.
	summer := native(`{"name":"Summer firsts","intervals":[{"repeat":"month","month_days":[1],"months":[6,7,8],"anchor":"2026-06-01","start":"08:00","end":"18:00"}],"date_from":"2026-06-01"}`)
	schedule := func(id string) string {
		n, _ := strconv.ParseUint(id, 10, 64)
		p, err := e.st.GetTimeProfile(n)
		if err != nil {
			t.Fatal(err)
		}
		return basip.CanonicalSchedule(&p)
	}
	before := schedule(summer)
	roundTrip(summer).bwant(200, "")
	if after := schedule(summer); after != before || !strings.Contains(after, `"months":[6,7,8]`) {
		t.Errorf("summer months after a round trip\n  %s\nwant\n  %s", after, before)
	}
	// Two windows, a one-day range on a day the interval never opens, a
	// rule anchored before its date range: refused, kept as they were.
	for _, body := range []string{
		`{"name":"Two windows","intervals":[{"days":[1,2,3,4,5],"start":"08:00","end":"18:00"},{"days":[6],"start":"10:00","end":"14:00"}]}`,
		`{"name":"Never","intervals":[{"days":[1],"start":"08:00","end":"18:00"}],"date_from":"2026-06-03","date_to":"2026-06-03"}`,
		`{"name":"Odd days","intervals":[{"repeat":"day","every":2,"anchor":"2026-01-01","start":"08:00","end":"18:00"}],"date_from":"2026-09-01"}`,
	} {
		id := native(body)
		before := intervals(id)
		roundTrip(id).bwant(400, fmt.Sprintf(refused, id))
		if after := intervals(id); after != before {
			t.Errorf("refused PATCH changed %s: %s", before, after)
		}
	}
	// GET of a rule anchored before its date range shows an occurrence
	// inside the range, in the rule's phase: 2026-09-01 is day 243 after
	// the anchor, so the first is 2 September.
	odd := e.do("GET", "/api/v1/access/timeprofiles/list?filter=Odd", tok, "").bwant(200, "").json()["list_items"].([]any)[0].(map[string]any)
	if from := odd["time_options"].(map[string]any)["date_from"]; from != float64(time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC).Unix()) {
		t.Errorf("first occurrence shown %v, want 2026-09-02 08:00", from)
	}
}

// time_options edge cases: all-day ends at midnight, one-off nights, DST
// spans, absurd dates.
func TestBasipTimeProfileOccurrences(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	e := newEnv(t, func(c *httpapi.Config) { c.Location = berlin })
	tok := e.basipLogin("admin", adminPW)
	post := func(from, to time.Time, allDay bool) uint64 {
		return e.do("POST", "/api/v1/access/timeprofile", tok, fmt.Sprintf(`{"name":"x","time_options":{"is_all_day":%v,"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":false}}`, allDay, from.Unix(), to.Unix())).bwant(200, "").num("uid")
	}
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, berlin) }
	open := func(id uint64, t0 time.Time) bool {
		p, _ := e.st.GetTimeProfile(id)
		sch, err := access.CompileProfile(&p)
		if err != nil {
			t.Fatal(err)
		}
		return sch.Open(t0, berlin)
	}
	// All day from Monday 00:00 to Tuesday 00:00 is Monday only.
	mon := post(at(2026, 6, 1, 0, 0), at(2026, 6, 2, 0, 0), true)
	if !open(mon, at(2026, 6, 1, 23, 0)) || open(mon, at(2026, 6, 2, 9, 0)) {
		t.Error("all day Monday 00:00 → Tuesday 00:00 is not Monday only")
	}
	// A one-off Friday night runs into Saturday morning, and no further.
	fri := post(at(2026, 6, 5, 22, 0), at(2026, 6, 6, 2, 0), false)
	for _, tc := range []struct {
		t    time.Time
		open bool
	}{{at(2026, 6, 5, 23, 0), true}, {at(2026, 6, 6, 1, 0), true}, {at(2026, 6, 6, 2, 0), false}, {at(2026, 6, 6, 23, 0), false}, {at(2026, 6, 12, 23, 0), false}} {
		if got := open(fri, tc.t); got != tc.open {
			t.Errorf("one-off night at %v: open %v, want %v", tc.t, got, tc.open)
		}
	}
	if ro := e.do("GET", "/api/v1/access/timeprofile/item/"+strconv.FormatUint(fri, 10), tok, "").bwant(200, "").json()["repeat_options"].(map[string]any); ro["repeat_enable"] != false {
		t.Errorf("one-off night reads back as %v", ro)
	}
	// Saturday 20:00 to Sunday 20:30 across the spring-forward night is
	// 23½ hours elapsed but 24½ on the wall: too long for a window.
	e.do("POST", "/api/v1/access/timeprofile", tok, fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d}}`, at(2026, 3, 28, 20, 0).Unix(), at(2026, 3, 29, 20, 30).Unix())).
		bwant(400, `{"error":"time_options: an occurrence longer than 24 hours needs is_all_day"}`)
	// A native rule whose anchor day skips its start time (02:30 on the
	// spring-forward day) shows its first real occurrence, not a shifted
	// clock time; PATCHing that back would move the anchor: refused.
	dst := fmt.Sprint(e.do("POST", "/api/v1/time-profiles", e.admin, `{"name":"DST","intervals":[{"repeat":"day","every":2,"anchor":"2026-03-29","start":"02:30","end":"05:00"}],"date_from":"2026-03-29"}`).want(201).json()["id"])
	view := e.do("GET", "/api/v1/access/timeprofile/item/"+dst, tok, "").bwant(200, "")
	if from := view.json()["time_options"].(map[string]any)["date_from"]; from != float64(at(2026, 3, 31, 2, 30).Unix()) {
		t.Errorf("DST anchor shown as %v, want 2026-03-31 02:30", from)
	}
	e.do("PATCH", "/api/v1/access/timeprofile/item/"+dst, tok, string(view.body)).bwant(400, "")
	// Dates past the year 9999 are refused before any calendar arithmetic.
	for _, to := range []int64{1e13, 9e18} {
		e.do("POST", "/api/v1/access/timeprofile", tok, fmt.Sprintf(`{"name":"x","time_options":{"is_all_day":true,"date_from":0,"date_to":%d}}`, to)).
			bwant(400, `{"error":"time_options: date_from and date_to are unix seconds from 1970 to 9999"}`)
	}
}

func TestBasipTimeProfileErrors(t *testing.T) {
	e := newEnv(t, utc)
	tok := e.basipLogin("admin", adminPW)
	mon8 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Unix()
	mon18 := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC).Unix()
	custom := func(rc string) string {
		return fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"},"repeat_custom":%s}}`, mon8, mon18, rc)
	}
	mar31 := time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC).Unix()
	threeDays := fmt.Sprintf(`{"name":"x","time_options":{"is_all_day":true,"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"month"}}}`, mon8, mon8+2*86400)
	for _, tc := range []struct{ body, want string }{
		{custom(`{"repeat_point_type":"week","repeat_looper":0,"repeat_options":["MON"]}`), `{"error":"repeat_custom.repeat_looper must be 1 to 1000"}`},
		{custom(`{"repeat_point_type":"week","repeat_looper":1001}`), `{"error":"repeat_custom.repeat_looper must be 1 to 1000"}`},
		{custom(`{"repeat_point_type":"week"}`), "{\"error\":\"Wrong JSON body: no value for `repeat_looper`\"}"},
		{custom(`{"repeat_point_type":"week","repeat_looper":"2"}`), "{\"error\":\"Wrong JSON body: value `repeat_looper` was of the wrong type\"}"},
		{custom(`{"repeat_point_type":"hour","repeat_looper":1}`), `{"error":"repeat_custom.repeat_point_type must be day, week, month or year"}`},
		{custom(`{"repeat_point_type":"week","repeat_looper":1,"repeat_options":["MON","FUNDAY"]}`), `{"error":"repeat_custom.repeat_options: \"FUNDAY\" is not a weekday MON..SUN"}`},
		{custom(`{"repeat_point_type":"week","repeat_looper":1,"repeat_options":["DAY_OFF"]}`), `{"error":"repeat_custom.repeat_options: \"DAY_OFF\" is not a weekday MON..SUN"}`},
		{custom(`{"repeat_point_type":"day","repeat_looper":2,"repeat_options":["MON"]}`), `{"error":"repeat_custom.repeat_options is not used with repeat_point_type day"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers","range":[0]}}`), `{"error":"repeat_custom.repeat_options.range: 0 is not a day of the month 1..31"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers","range":[32]}}`), `{"error":"repeat_custom.repeat_options.range: 32 is not a day of the month 1..31"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers","range":[]}}`), `{"error":"repeat_custom.repeat_options.range must list at least one day 1..31"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers"}}`), "{\"error\":\"Wrong JSON body: no value for `range`\"}"},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"weekly","range":[1]}}`), `{"error":"repeat_custom.repeat_options.format must be dayNumbers or parameterizedDay"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers","range":{"week_order":"first","day_type":"MON"}}}`), `{"error":"repeat_custom.repeat_options.range does not fit format dayNumbers: dayNumbers takes [1..31], parameterizedDay {week_order, day_type}"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"parameterizedDay","range":{"week_order":"sixth","day_type":"MON"}}}`), `{"error":"repeat_custom.repeat_options.range.week_order must be first, second, third, fourth, fifth or last"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"parameterizedDay","range":{"week_order":"first","day_type":"HOLIDAY"}}}`), `{"error":"repeat_custom.repeat_options.range.day_type must be MON..SUN, WEEK_DAY or DAY_OFF"}`},
		{custom(`{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"parameterizedDay","range":{"day_type":"MON"}}}`), "{\"error\":\"Wrong JSON body: no value for `week_order`\"}"},
		{custom(`{"repeat_point_type":"year","repeat_looper":1,"repeat_options":{"months":[13]}}`), `{"error":"repeat_custom.repeat_options.months: 13 is not a month 1..12"}`},
		{custom(`{"repeat_point_type":"year","repeat_looper":1,"repeat_options":{"months":"june"}}`), "{\"error\":\"Wrong JSON body: value `months` was of the wrong type\"}"},
		{custom(`{"repeat_point_type":"year","repeat_looper":1,"repeat_options":{"months":[]}}`), `{"error":"repeat_custom.repeat_options.months must name at least one month 1..12"}`},
		{threeDays, `{"error":"time_options: an all-day occurrence of several days repeats only by day or week; for month give the days in repeat_custom.repeat_options"}`},
		{fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"}}}`, mon8, mon18), "{\"error\":\"Wrong JSON body: no value for `repeat_custom`\"}"},
		{fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"},"repeat_end":{"format":"date","date":%d}}}`, mon8, mon18, mon8-86400), `{"error":"repeat_end.date must not be before time_options.date_from"}`},
		{fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"},"repeat_custom":{"repeat_point_type":"year","repeat_looper":1,"repeat_options":{"months":[2,4]}}}}`, mar31, mar31+3600),
			`{"error":"Time profile repeat_options: no such day in the chosen months: the rule would never open"}`},
	} {
		e.do("POST", "/api/v1/access/timeprofile", tok, tc.body).bwant(400, tc.want)
	}
	// Nothing was stored by the refused requests.
	if ps, _, _ := e.st.ListTimeProfiles("", 10); len(ps) != 0 {
		t.Fatalf("refused profiles were stored: %v", ps)
	}
}

// Identifiers take time profiles too (android-panels' singular path and
// camdroid's plural one), and the engine then limits that identifier.
func TestBasipIdentifierTimeProfile(t *testing.T) {
	e := newEnv(t, utc)
	tok := e.basipLogin("admin", adminPW)
	mon8 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Unix()
	mon18 := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC).Unix()
	tp := e.do("POST", "/api/v1/access/timeprofile", tok, fmt.Sprintf(`{"name":"Mondays","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"week"}}}`, mon8, mon18)).bwant(200, "").num("uid")
	tps := strconv.FormatUint(tp, 10)
	id := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"8065495"}`).bwant(200, "").num("uid")
	ids := strconv.FormatUint(id, 10)
	e.do("POST", "/api/v1/access/identifier/item/"+ids+"/timeProfile/"+tps, tok, "").bwant(200, bodyEmpty)
	if got := e.do("GET", "/api/v1/access/identifier/item/"+ids, tok, "").bwant(200, "").json()["time_profiles"]; fmt.Sprint(got) != "map[count:1 uid_items:["+tps+"]]" {
		t.Fatalf("identifier time_profiles %v", got)
	}
	c, err := e.st.GetCredential(id)
	if err != nil || fmt.Sprint(c.TimeProfiles) != "["+tps+"]" {
		t.Fatalf("native credential %v %v", c.TimeProfiles, err)
	}
	if got := e.do("GET", "/api/v1/access/timeprofile/item/"+tps, tok, "").bwant(200, "").json()["identifiers"]; fmt.Sprint(got) != "map[count:1 uid_items:["+ids+"]]" {
		t.Fatalf("profile identifiers %v", got)
	}
	e.do("POST", "/api/v1/access/identifiers/item/"+ids+"/timeProfile/999", tok, "").bwant(404, `{"error":"Time profile not found"}`)
	e.do("POST", "/api/v1/access/identifiers/item/999/timeProfile/"+tps, tok, "").bwant(404, `{"error":"Identifier not found"}`)
	e.do("DELETE", "/api/v1/access/identifiers/item/"+ids+"/timeProfile/"+tps, tok, "").bwant(200, bodyEmpty)
	if c, _ := e.st.GetCredential(id); len(c.TimeProfiles) != 0 {
		t.Fatalf("detach left %v", c.TimeProfiles)
	}
	viewer := "v"
	e.mkOperator(viewer, "viewer-password-1", "viewer")
	vt := e.basipLogin(viewer, "viewer-password-1")
	e.do("POST", "/api/v1/access/identifier/item/"+ids+"/timeProfile/"+tps, vt, "").bwant(403, bodyAdmin)
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}
