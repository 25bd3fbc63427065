package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/board/wiegand"
	"github.com/doord/doord/store"
)

// edgesBody is the edges route's JSON for edges, times from the first.
func edgesBody(edges []wiegand.Edge) string {
	type item struct {
		Line string `json:"line"`
		AtUS int64  `json:"at_us"`
	}
	items := make([]item, len(edges))
	for i, e := range edges {
		items[i] = item{Line: "d0", AtUS: e.At.Sub(edges[0].At).Microseconds()}
		if e.Line == wiegand.D1 {
			items[i].Line = "d1"
		}
	}
	b, _ := json.Marshal(map[string]any{"edges": items})
	return string(b)
}

// Bounced and noisy frames of an enrolled card, replayed through the edges
// route on both readers of the example profile: every result is the true
// card (granted) or a bad read — never a denial for another card, never a
// key — and the clean frame is granted.
func TestEdgesRouteDamagedFramesAreTrueCardOrBadRead(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "edges test password")
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	cfg.accessDefaults()
	d, _ := start(t, cfg)
	defer d.stop()
	tok := login(t, d, "edges test password")
	evs, cancel := d.events.Subscribe()
	defer cancel()
	if st, m := call(t, d, "POST", "/api/v1/users", tok, `{"name":"Ada","locks":"both"}`); st != 201 {
		t.Fatalf("user: %d %v", st, m)
	} else if st, m := call(t, d, "POST", "/api/v1/users/"+m["id"].(string)+"/credentials", tok, `{"type":"card","value":{"facility":123,"card":4567}}`); st != 201 {
		t.Fatalf("card: %d %v", st, m)
	}
	bits, _ := wiegand.Encode(wiegand.FormatH10301, 123, 4567)
	clean := wiegand.Edges(wiegand.Train(bits, time.Now(), wiegand.DefaultTiming), 0)
	rng := rand.New(rand.NewPCG(10, 10))
	damaged := func() (string, []wiegand.Edge) {
		e := append([]wiegand.Edge(nil), clean...)
		i := rng.IntN(len(e) - 1)
		if rng.IntN(2) == 0 { // bounce
			b := wiegand.Edge{Line: e[i].Line, At: e[i].At.Add(time.Duration(5+rng.IntN(50)) * time.Microsecond)}
			return "bounce", append(e[:i+1:i+1], append([]wiegand.Edge{b}, e[i+1:]...)...)
		}
		n := wiegand.Edge{Line: wiegand.Line(rng.IntN(2)), At: e[i].At.Add(time.Duration(100+rng.IntN(1800)) * time.Microsecond)}
		return "noise", append(e[:i+1:i+1], append([]wiegand.Edge{n}, e[i+1:]...)...)
	}
	bad := 0
	for _, reader := range []string{"1", "2"} {
		for k := 0; k < 12; k++ {
			kind, e := "clean", clean
			if k > 0 {
				kind, e = damaged()
			}
			if st, m := call(t, d, "POST", "/api/v1/sim/readers/"+reader+"/edges", tok, edgesBody(e)); st != 200 {
				t.Fatalf("edges: %d %v", st, m)
			}
			var ev store.Event
			for ev.Type != "access_granted" && ev.Type != "access_denied" {
				select {
				case ev = <-evs:
				case <-time.After(10 * time.Second):
					t.Fatalf("reader %s %s frame: no decision", reader, kind)
				}
			}
			if ev.Reason == "bad_read" {
				bad++
			}
			switch {
			case kind == "clean" && ev.Type != "access_granted":
				t.Errorf("reader %s clean frame: %+v, want granted", reader, ev)
			case kind != "clean" && ev.Type == "access_denied" && ev.Reason != "bad_read":
				t.Errorf("reader %s %s frame: %+v, want granted or a bad read", reader, kind, ev)
			}
		}
	}
	if bad < 11 {
		t.Errorf("%d of 22 damaged frames were bad reads; every bounce and most noise should be", bad)
	}
}

func TestEdgesRouteValidation(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "edges test password")
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	d, _ := start(t, cfg)
	defer d.stop()
	tok := login(t, d, "edges test password")
	for _, tc := range []struct {
		path, body string
		want       int
		field      string
	}{
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d1","at_us":0},{"line":"d0","at_us":2000}]}`, 200, ""},
		{"/api/v1/sim/readers/9/edges", `{"edges":[{"line":"d1","at_us":0}]}`, 404, ""},
		{"/api/v1/sim/readers/1/edges", `{}`, 422, "edges"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[]}`, 422, "edges"},
		{"/api/v1/sim/readers/1/edges", `{"edges":{"line":"d0"}}`, 422, "edges"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d0","at_us":0}],"edgez":1}`, 422, "edgez"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d2","at_us":0}]}`, 422, "edges[0].line"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d0"}]}`, 422, "edges[0].at_us"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d0","at_us":-5}]}`, 422, "edges[0].at_us"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d0","at_us":10},{"line":"d1","at_us":5}]}`, 422, "edges[1].at_us"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[{"line":"d0","at_us":0,"level":1}]}`, 422, "edges[0].level"},
		{"/api/v1/sim/readers/1/edges", `{"edges":[1]}`, 422, "edges[0]"},
		{"/api/v1/sim/readers/1/edges", fmt.Sprintf(`{"edges":[%s{"line":"d0","at_us":0}]}`, strings.Repeat(`{"line":"d0","at_us":0},`, 4096)), 422, "edges"},
	} {
		st, m := call(t, d, "POST", tc.path, tok, tc.body)
		if st != tc.want {
			t.Errorf("%.80s: %d, want %d: %v", tc.body, st, tc.want, m)
			continue
		}
		if tc.field == "" {
			continue
		}
		found := false
		errs, _ := m["errors"].([]any)
		for _, e := range errs {
			found = found || e.(map[string]any)["field"] == tc.field
		}
		if !found {
			t.Errorf("%.80s: errors %v, want one naming %s", tc.body, m["errors"], tc.field)
		}
	}
}

// A raw reader reads H10301 123/4567 as the credential API stores it
// (8065495, the payload without parity — not the 49685422 of all 26
// bits): the enrolled card opens door 2 with reader 2 set to raw.
func TestRawReaderMatchesCredentialAPI(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "raw test password")
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	cfg.Board.Readers[1].Format = wiegand.FormatRaw
	cfg.accessDefaults()
	d, _ := start(t, cfg)
	defer d.stop()
	tok := login(t, d, "raw test password")
	evs, cancel := d.events.Subscribe()
	defer cancel()
	for i, value := range []string{`{"facility":123,"card":4567}`, `"8065495"`} {
		st, m := call(t, d, "POST", "/api/v1/users", tok, fmt.Sprintf(`{"name":"u%d","locks":"both"}`, i))
		if st != 201 {
			t.Fatalf("user: %d %v", st, m)
		}
		if st, m := call(t, d, "POST", "/api/v1/users/"+m["id"].(string)+"/credentials", tok, `{"type":"card","value":`+value+`}`); st != 201 {
			t.Fatalf("card %s: %d %v", value, st, m)
		}
		if st, m := call(t, d, "POST", "/api/v1/sim/readers/2/card", tok, `{"bits":"10111101100010001110101110"}`); st != 200 {
			t.Fatalf("swipe: %d %v", st, m)
		}
		var ev store.Event
		for ev.Type != "access_granted" && ev.Type != "access_denied" {
			select {
			case ev = <-evs:
			case <-time.After(10 * time.Second):
				t.Fatal("no decision")
			}
		}
		if ev.Type != "access_granted" || ev.Reader != "2" {
			t.Errorf("card enrolled as %s, raw reader: %+v, want granted", value, ev)
		}
		// One card at a time: remove this user before enrolling the
		// same card another way.
		call(t, d, "DELETE", "/api/v1/users/"+m["id"].(string), tok, "")
	}
}
