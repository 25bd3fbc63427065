package httpapi

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/doord/doord/auth"
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
	s, err := auth.CompileProfile(&p)
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
