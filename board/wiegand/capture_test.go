package wiegand

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The same H10301 123/4567 frame as JSON, a libgpiod v1 log and a v2 log
// (offsets and names) decodes to the card; rising edges are skipped.
func TestParseCapture(t *testing.T) {
	e := Edges(Train(cardBits(t, FormatH10301, 123, 4567), t0, DefaultTiming), 0)
	var js, v1, v2, v2n strings.Builder
	js.WriteString(`{"edges": [`)
	v1.WriteString("# gpiomon -f gpiochip0 5 6\n")
	for i, x := range e {
		us := x.At.Sub(e[0].At).Microseconds()
		line, off, name := "d0", 5, "GPIO5"
		if x.Line == D1 {
			line, off, name = "d1", 6, "GPIO6"
		}
		if i > 0 {
			js.WriteString(",")
		}
		fmt.Fprintf(&js, `{"line": %q, "at_us": %d}`, line, us)
		ns := 1000e9 + int64(x.At.Sub(e[0].At))
		fmt.Fprintf(&v1, "event: FALLING EDGE offset: %d timestamp: [%d.%09d]\n", off, ns/1e9, ns%1e9)
		fmt.Fprintf(&v1, "event:  RISING EDGE offset: %d timestamp: [%d.%09d]\n", off, (ns+50e3)/1e9, (ns+50e3)%1e9)
		fmt.Fprintf(&v2, "%d.%09d\tfalling\tgpiochip0 %d\n", ns/1e9, ns%1e9, off)
		fmt.Fprintf(&v2n, "%d.%09d\tfalling\t%q\n", ns/1e9, ns%1e9, name)
	}
	js.WriteString("]}")
	for _, tc := range []struct {
		name, data, d0, d1 string
	}{{"json", js.String(), "", ""}, {"gpiomon v1", v1.String(), "5", "6"}, {"gpiomon v2", v2.String(), "5", "6"}, {"gpiomon v2 names", v2n.String(), "GPIO5", "GPIO6"}} {
		edges, err := ParseCapture([]byte(tc.data), tc.d0, tc.d1)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(edges) != 26 || !edges[0].At.Equal(CaptureEpoch) || edges[25].At.Sub(edges[0].At) != 50*time.Millisecond {
			t.Fatalf("%s: %d edges from %v to %v", tc.name, len(edges), edges[0].At, edges[len(edges)-1].At)
		}
		got, _ := Decode(edges, Config{})
		if len(got) != 1 || got[0].Card == nil || got[0].Card.Value != 8065495 {
			t.Errorf("%s: %v, want card 8065495", tc.name, got)
		}
	}
}

func TestParseCaptureErrors(t *testing.T) {
	for _, tc := range []struct {
		data, d0, d1, want string
	}{
		{`{"edges": []}`, "", "", "no edges"},
		{`{"edges": [{"line": "d2", "at_us": 0}]}`, "", "", "edges[0].line"},
		{`{"edges": [{"line": "d0"}]}`, "", "", "edges[0].at_us"},
		{`{"edges": [{"line": "d0", "at_us": 5}, {"line": "d1", "at_us": 4}]}`, "", "", "edges[1].at_us: 4 is earlier"},
		{`{"edges": [{"line": "d0", "at_us": 0, "x": 1}]}`, "", "", `unknown field "x"`},
		{"1.000000000\tfalling\tgpiochip0 5\n", "", "", "needs the two lines named apart"},
		{"1.000000000\tfalling\tgpiochip0 7\n", "5", "6", "line 1: event on \"gpiochip0 7\""},
		{"hello\n", "5", "6", "line 1: no rising or falling edge"},
		{"# only a comment\n", "5", "6", "no falling edges"},
		{"2.0\tfalling\tgpiochip0 5\n1.0\tfalling\tgpiochip0 6\n", "5", "6", "line 2: timestamp earlier"},
	} {
		_, err := ParseCapture([]byte(tc.data), tc.d0, tc.d1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.50q: %v, want an error containing %q", tc.data, err, tc.want)
		}
	}
}
