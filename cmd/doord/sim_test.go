package main

import (
	"testing"
	"time"

	"github.com/doord/doord/board"
)

// startSim starts the daemon on the example's simulated board and logs
// in as admin; the daemon stops when the test ends.
func startSim(t *testing.T) (d *daemon, token string) {
	t.Helper()
	t.Setenv("DOORD_ADMIN_PASSWORD", "sim test password")
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	d, _ = start(t, cfg)
	t.Cleanup(func() { d.stop() })
	return d, login(t, d, "sim test password")
}

func TestSimRoutesDriveTheSimulatedBoard(t *testing.T) {
	d, tok := startSim(t)

	before := time.Now()
	st, m := call(t, d, "POST", "/api/v1/sim/readers/1/card", tok, `{"facility":123,"card":4567}`)
	if st != 200 {
		t.Fatalf("card: %d %v", st, m)
	}
	at, err := time.Parse(time.RFC3339Nano, m["last_edge_at"].(string))
	if err != nil || at.Before(before) {
		t.Fatalf("last_edge_at %v (err %v) not after the request started", m["last_edge_at"], err)
	}
	for _, body := range []string{`{"number":"0x7B11D7"}`, `{"bits":"10111101100010001110101110"}`} {
		if st, m := call(t, d, "POST", "/api/v1/sim/readers/2/card", tok, body); st != 200 {
			t.Fatalf("card %s: %d %v", body, st, m)
		}
	}
	if st, m := call(t, d, "POST", "/api/v1/sim/readers/1/keys", tok, `{"keys":"1234#"}`); st != 200 {
		t.Fatalf("keys: %d %v", st, m)
	}
	for _, tc := range []struct {
		path, body string
		want       int
	}{
		{"/api/v1/sim/readers/9/card", `{"number":"1"}`, 404},
		{"/api/v1/sim/readers/1/card", `{"bits":"01x"}`, 422},
		{"/api/v1/sim/readers/1/card", `{}`, 422},
		{"/api/v1/sim/readers/1/keys", `{"keys":"12a"}`, 422},
		{"/api/v1/sim/inputs/nope", `{"active":true}`, 404},
		{"/api/v1/sim/inputs/1.contact", `{}`, 422},
		{"/api/v1/sim/inputs/1.contact", `{"active":true}`, 200},
		{"/api/v1/sim/inputs/1.rex", `{"active":false}`, 200},
	} {
		if st, m := call(t, d, "POST", tc.path, tok, tc.body); st != tc.want {
			t.Errorf("POST %s %s: %d, want %d: %v", tc.path, tc.body, st, tc.want, m)
		}
	}
	st, m = call(t, d, "GET", "/api/v1/sim/outputs", tok, "")
	if st != 200 {
		t.Fatalf("outputs: %d %v", st, m)
	}
	relays := 0
	for _, o := range m["outputs"].([]any) {
		o := o.(map[string]any)
		if o["kind"] != "relay" {
			continue
		}
		relays++
		// Nothing decides yet (issue 4), so no relay may ever have been
		// active: not at start, not on a swipe.
		if o["active"] != false || o["level"] != "high" {
			t.Errorf("relay %v: active %v level %v, want inactive at high (active-low)", o["name"], o["active"], o["level"])
		}
		for _, tr := range o["transitions"].([]any) {
			if tr.(map[string]any)["active"] != false {
				t.Errorf("relay %v went active: %v", o["name"], o["transitions"])
			}
		}
	}
	names := ""
	for _, o := range m["outputs"].([]any) {
		names += o.(map[string]any)["name"].(string) + "=" + o.(map[string]any)["output"].(string) + " "
	}
	if names != "reader1_led=1.led relay1=1.relay reader2_led=2.led relay2=2.relay " && relays == 2 {
		t.Errorf("outputs %q: want the profile's pin names with what they drive", names)
	}
	if relays != 2 {
		t.Fatalf("%d relays in outputs, want 2", relays)
	}
}

func TestSimRoutesDoNotExistWithoutTheSimulator(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "sim test password")
	d, _ := start(t, testConfig(t, t.TempDir()))
	defer d.stop()
	tok := login(t, d, "sim test password")
	if st, _ := call(t, d, "GET", "/api/v1/sim/outputs", tok, ""); st != 404 {
		t.Fatalf("sim outputs without a sim board: %d, want 404", st)
	}
}

// Through the daemon, end to end: cutting the wire of door 1's
// normally-closed contact raises door_forced (the loop reads open), and
// cutting its normally-closed tamper loop raises tamper. The sim route
// takes "cut" beside "active" and names an unknown input with a 404.
func TestSimCutWireRaisesAlarms(t *testing.T) {
	d, tok := startSim(t)
	evs, cancel := d.events.Subscribe()
	defer cancel()
	waitEvent := func(typ, door string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev := <-evs:
				if ev.Type == typ && ev.Door == door {
					return
				}
			case <-timeout:
				t.Fatalf("no %s event at door %s", typ, door)
			}
		}
	}
	for _, tc := range []struct {
		input, body string
		want        int
	}{
		{"9.contact", `{"cut":true}`, 404},
		{"1.contact", `{"cut":"yes"}`, 422},
		{"1.contact", `{"cut":true}`, 200},
	} {
		if st, m := call(t, d, "POST", "/api/v1/sim/inputs/"+tc.input, tok, tc.body); st != tc.want {
			t.Fatalf("POST %s %s: %d, want %d: %v", tc.input, tc.body, st, tc.want, m)
		}
	}
	waitEvent("door_forced", "1")
	if st, m := call(t, d, "POST", "/api/v1/sim/inputs/1.tamper", tok, `{"cut":true}`); st != 200 || m["cut"] != true {
		t.Fatalf("cut tamper: %d %v", st, m)
	}
	waitEvent("tamper", "1")
}
