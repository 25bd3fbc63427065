package wiegand

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CaptureEpoch is the time the first edge of a parsed capture is put at
// (captures carry relative or monotonic times only).
var CaptureEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseCapture reads a capture of falling edges from one reader, in
// either of two forms:
//
//   - JSON, as the simulator's edges route takes it:
//     {"edges": [{"line": "d0"|"d1", "at_us": N}, …]}, times in µs from
//     the first edge, in order;
//   - a gpiomon text log (libgpiod v1: "event: FALLING EDGE offset: 5
//     timestamp: [1234.567890123]"; v2: "1234.567890123\tfalling\t…"
//     followed by the line's name or offset). Rising edges are skipped;
//     d0 and d1 name the reader's lines as the log shows them ("5",
//     "GPIO5", "gpiochip0 5"). Empty lines and # comments are skipped.
//
// Edges come back in order, the first at CaptureEpoch. Errors name the
// item or line.
func ParseCapture(data []byte, d0, d1 string) ([]Edge, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		return parseJSONCapture(t)
	}
	return parseGpiomon(data, d0, d1)
}

func parseJSONCapture(data []byte) ([]Edge, error) {
	var c struct {
		Edges []struct {
			Line *string `json:"line"`
			AtUS *int64  `json:"at_us"`
		} `json:"edges"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("capture: %w (want {\"edges\": [{\"line\": \"d0\", \"at_us\": 0}, …]})", err)
	}
	if len(c.Edges) == 0 {
		return nil, fmt.Errorf("capture: edges: no edges")
	}
	out := make([]Edge, len(c.Edges))
	for i, e := range c.Edges {
		switch {
		case e.Line == nil || *e.Line != "d0" && *e.Line != "d1":
			return nil, fmt.Errorf("capture: edges[%d].line: want \"d0\" or \"d1\"", i)
		case e.AtUS == nil || *e.AtUS < 0:
			return nil, fmt.Errorf("capture: edges[%d].at_us: want µs after the first edge (≥ 0)", i)
		case i > 0 && *e.AtUS < *c.Edges[i-1].AtUS:
			return nil, fmt.Errorf("capture: edges[%d].at_us: %d is earlier than the edge before it", i, *e.AtUS)
		}
		out[i] = Edge{At: CaptureEpoch.Add(time.Duration(*e.AtUS) * time.Microsecond)}
		if *e.Line == "d1" {
			out[i].Line = D1
		}
	}
	return out, nil
}

func parseGpiomon(data []byte, d0, d1 string) ([]Edge, error) {
	if d0 == "" || d1 == "" || d0 == d1 {
		return nil, fmt.Errorf("capture: a gpiomon log needs the two lines named apart (d0 and d1, e.g. 5 and 6)")
	}
	var out []Edge
	var first int64
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ns, falling, id, err := gpiomonLine(line)
		if err != nil {
			return nil, fmt.Errorf("capture: line %d: %v", n, err)
		}
		if !falling {
			continue
		}
		var l Line
		switch {
		case lineIs(id, d0):
			l = D0
		case lineIs(id, d1):
			l = D1
		default:
			return nil, fmt.Errorf("capture: line %d: event on %q, which is neither d0 (%s) nor d1 (%s)", n, id, d0, d1)
		}
		if len(out) == 0 {
			first = ns
		}
		at := CaptureEpoch.Add(time.Duration(ns - first))
		if len(out) > 0 && at.Before(out[len(out)-1].At) {
			return nil, fmt.Errorf("capture: line %d: timestamp earlier than the event before it", n)
		}
		out = append(out, Edge{Line: l, At: at})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("capture: no falling edges found")
	}
	return out, nil
}

// gpiomonLine reads one event line of either libgpiod generation.
func gpiomonLine(s string) (ns int64, falling bool, id string, err error) {
	lower := strings.ToLower(s)
	switch {
	case strings.Contains(lower, "falling"):
		falling = true
	case strings.Contains(lower, "rising"):
	default:
		return 0, false, "", fmt.Errorf("no rising or falling edge in %.60q", s)
	}
	fields := strings.Fields(s)
	ts := -1
	for i, f := range fields {
		if v, ok := parseStamp(f); ok {
			ns, ts = v, i
			break
		}
	}
	if ts < 0 {
		return 0, false, "", fmt.Errorf("no seconds.nanoseconds timestamp in %.60q", s)
	}
	if i := strings.Index(lower, "offset:"); i >= 0 { // v1
		rest := strings.Fields(s[i+len("offset:"):])
		if len(rest) == 0 {
			return 0, false, "", fmt.Errorf("no offset after \"offset:\" in %.60q", s)
		}
		return ns, falling, rest[0], nil
	}
	// v2: timestamp, edge, then the line (a quoted name or "chip offset").
	for i, f := range fields {
		if i > ts && (strings.EqualFold(f, "falling") || strings.EqualFold(f, "rising")) {
			id = strings.Join(fields[i+1:], " ")
			break
		}
	}
	if id == "" {
		return 0, false, "", fmt.Errorf("no line after the edge in %.60q", s)
	}
	return ns, falling, id, nil
}

// parseStamp reads "1234.567890123" (optionally in brackets) as ns.
func parseStamp(f string) (int64, bool) {
	f = strings.TrimSuffix(strings.TrimPrefix(f, "["), "]")
	sec, frac, ok := strings.Cut(f, ".")
	if !ok || sec == "" || frac == "" || len(frac) > 9 {
		return 0, false
	}
	s, err1 := strconv.ParseInt(sec, 10, 64)
	n, err2 := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	if err1 != nil || err2 != nil || s < 0 || s > 1<<32 {
		return 0, false
	}
	return s*1e9 + n, true
}

// lineIs reports whether a gpiomon line id (`5`, `"GPIO5"`,
// `gpiochip0 5`) is the line named name.
func lineIs(id, name string) bool {
	if id == name || strings.Trim(id, `"`) == name {
		return true
	}
	f := strings.Fields(id)
	return len(f) > 0 && strings.Trim(f[len(f)-1], `"`) == name
}
