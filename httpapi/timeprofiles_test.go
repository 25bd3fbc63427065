package httpapi

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
)

// Calendar rules through the native API: stored as given, evaluated by
// the engine, and refused with a field error naming what is wrong.
func TestTimeProfileCalendarRules(t *testing.T) {
	e := newEnv(t)
	body := `{"name":"Month end","intervals":[
		{"repeat":"month","nth":-1,"day_type":"weekday","start":"16:00","end":"20:00"},
		{"repeat":"year","months":["dec"],"month_days":[24,31],"start":"00:00","end":"24:00"},
		{"repeat":"week","every":2,"anchor":"2026-01-05","days":["sat"],"start":"22:00","end":"02:00"}],
		"date_from":"2026-01-01"}`
	tp := e.do("POST", "/api/v1/time-profiles", e.admin, body).want(201)
	var got struct {
		ID        uint64          `json:"id"`
		Intervals json.RawMessage `json:"intervals"`
	}
	if err := json.Unmarshal(tp.body, &got); err != nil {
		t.Fatal(err)
	}
	want := `[{"start":"16:00","end":"20:00","repeat":"month","nth":-1,"day_type":"weekday"},` +
		`{"start":"00:00","end":"24:00","repeat":"year","month_days":[24,31],"months":[12]},` +
		`{"days":[6],"start":"22:00","end":"02:00","repeat":"week","every":2,"anchor":"2026-01-05"}]`
	if string(got.Intervals) != want {
		t.Fatalf("intervals\n  %s\nwant\n  %s", got.Intervals, want)
	}
	p, err := e.st.GetTimeProfile(got.ID)
	if err != nil {
		t.Fatal(err)
	}
	s, err := access.CompileProfile(&p)
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, hh int) time.Time { return time.Date(y, m, d, hh, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		t    time.Time
		open bool
	}{
		{at(2026, 1, 30, 17), true},  // Friday 30 January: the last working day
		{at(2026, 1, 29, 17), false}, // the day before
		{at(2026, 1, 31, 17), false}, // Saturday 31st
		{at(2026, 12, 24, 3), true},  // Christmas Eve, all day
		{at(2026, 12, 25, 3), false},
		{at(2026, 1, 10, 23), true},  // Saturday of week 0 from the anchor
		{at(2026, 1, 11, 1), true},   // its night runs into Sunday
		{at(2026, 1, 17, 23), false}, // the odd week
		{at(2026, 1, 24, 23), true},
		{at(2025, 12, 31, 3), false}, // before date_from
	} {
		if got := s.Open(tc.t, time.UTC); got != tc.open {
			t.Errorf("open at %v = %v, want %v", tc.t, got, tc.open)
		}
	}

	// A merge PATCH of the name keeps the rules.
	if n := e.do("PATCH", fmt.Sprintf("/api/v1/time-profiles/%d", got.ID), e.admin, `{"name":"Month end 2"}`).want(200).json(); len(n["intervals"].([]any)) != 3 {
		t.Fatalf("after patch %v", n)
	}

	for _, tc := range []struct{ iv, field string }{
		{`{"repeat":"fortnight","days":["mon"],"start":"08:00","end":"09:00"}`, "intervals[0].repeat"},
		{`{"repeat":"week","start":"08:00","end":"09:00"}`, "intervals[0].days"},
		{`{"repeat":"month","start":"08:00","end":"09:00"}`, "intervals[0]"},
		{`{"repeat":"month","month_days":[32],"start":"08:00","end":"09:00"}`, "intervals[0].month_days[0]"},
		{`{"repeat":"month","month_days":[1],"nth":1,"days":["mon"],"start":"08:00","end":"09:00"}`, "intervals[0]"},
		{`{"repeat":"month","nth":6,"days":["mon"],"start":"08:00","end":"09:00"}`, "intervals[0].nth"},
		{`{"repeat":"month","nth":1,"day_type":"holiday","start":"08:00","end":"09:00"}`, "intervals[0].day_type"},
		{`{"repeat":"year","month_days":[1],"start":"08:00","end":"09:00"}`, "intervals[0].months"},
		{`{"repeat":"day","every":3,"start":"08:00","end":"09:00"}`, "intervals[0].anchor"},
		{`{"repeat":"day","every":3,"anchor":"2026-02-30","start":"08:00","end":"09:00"}`, "intervals[0].anchor"},
		{`{"repeat":"day","every":1001,"anchor":"2026-02-01","start":"08:00","end":"09:00"}`, "intervals[0].every"},
		{`{"days":["mon"],"month_days":[1],"start":"08:00","end":"09:00"}`, "intervals[0].month_days"},
		{`{"repeat":"month","months":["smarch"],"month_days":[1],"start":"08:00","end":"09:00"}`, "intervals[0].months[0]"},
		{`{"repeat":"month","nth":"first","days":["mon"],"start":"08:00","end":"09:00"}`, "intervals[0].nth"},
	} {
		r := e.do("POST", "/api/v1/time-profiles", e.admin, `{"name":"x","intervals":[`+tc.iv+`]}`).want(422)
		found := false
		for _, f := range r.fields() {
			found = found || f == tc.field || (tc.field == "intervals[0]" && len(f) >= len(tc.field) && f[:len(tc.field)] == tc.field)
		}
		if !found {
			t.Errorf("%s: errors %s lack %q", tc.iv, r.body, tc.field)
		}
	}
}

// GET /time-profiles/{id}/windows lists when a profile opens, as the
// engine decides it, in the controller's zone; DST days are real time.
func TestTimeProfileWindows(t *testing.T) {
	e := newEnv(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	e.srv.cfg.Location = berlin
	id := fmt.Sprint(e.do("POST", "/api/v1/time-profiles", e.admin, `{"name":"Nights","intervals":[
		{"repeat":"month","nth":-1,"day_type":"weekend","start":"01:00","end":"04:00"},
		{"repeat":"week","every":2,"anchor":"2026-03-02","days":["mon"],"start":"22:00","end":"02:00"}]}`).want(201).json()["id"])
	var got struct {
		Zone    string `json:"zone"`
		From    string `json:"from"`
		To      string `json:"to"`
		Windows []struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		} `json:"windows"`
	}
	r := e.do("GET", "/api/v1/time-profiles/"+id+"/windows?from=2026-03-01&to=2026-03-31", e.admin, "").want(200)
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, w := range got.Windows {
		lines = append(lines, w.Start.In(berlin).Format("01-02 15:04")+"–"+w.End.In(berlin).Format("01-02 15:04")+" "+w.End.Sub(w.Start).String())
	}
	// Every other Monday night from 2 March (2, 16, 30), and the last
	// weekend day of March, Sunday the 29th, when clocks skip 02:00–03:00:
	// 01:00–04:00 is two hours.
	want := []string{
		"03-02 22:00–03-03 02:00 4h0m0s",
		"03-16 22:00–03-17 02:00 4h0m0s",
		"03-29 01:00–03-29 04:00 2h0m0s",
		"03-30 22:00–03-31 02:00 4h0m0s",
	}
	if got.Zone != "Europe/Berlin" || got.From != "2026-03-01" || got.To != "2026-03-31" || fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("windows %s %s..%s\n  %v\nwant\n  %v", got.Zone, got.From, got.To, lines, want)
	}
	// The last window may run past to: it is cut at the end of to.
	if err := json.Unmarshal(e.do("GET", "/api/v1/time-profiles/"+id+"/windows?from=2026-03-30&to=2026-03-30", e.admin, "").want(200).body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Windows) != 1 || !got.Windows[0].End.Equal(time.Date(2026, 3, 31, 0, 0, 0, 0, berlin)) {
		t.Fatalf("cut window %+v", got.Windows)
	}
	for _, tc := range []struct{ q, field string }{
		{"from=2026-02-30", "from"},
		{"from=2026-03-10&to=2026-03-09", "to"},
		{"from=2026-01-01&to=2026-06-30", "to"},
	} {
		if f := e.do("GET", "/api/v1/time-profiles/"+id+"/windows?"+tc.q, e.admin, "").want(422).fields(); len(f) != 1 || f[0] != tc.field {
			t.Errorf("%s: errors on %v, want %s", tc.q, f, tc.field)
		}
	}
	e.do("GET", "/api/v1/time-profiles/999/windows", e.admin, "").want(404)
}
