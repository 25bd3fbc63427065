package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/store"
)

// basic sends one request with HTTP Basic credentials, as SmartYard does
// on every call to an Android panel.
func basic(t *testing.T, d *daemon, method, path, user, pw, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+d.addr()+path, strings.NewReader(body))
	req.SetBasicAuth(user, pw)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Through the daemon on the simulated board: /api/info answers before any
// login with the serial kept in the data directory; an emergency open
// through BAS-IP unlocks door 1, survives a restart of the daemon while it
// lasts, and ends early on the client's close.
func TestBasipEmergencyOpenOnTheSimulatedBoard(t *testing.T) {
	const pw = "basip doors e2e pw"
	t.Setenv("DOORD_ADMIN_PASSWORD", pw)
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Board = board.SimExample()
	cfg.BASIP.DeviceName = "Entrance"
	d, _ := start(t, cfg)
	stopped := false
	defer func() {
		if !stopped {
			d.stop()
		}
	}()

	st, m := call(t, d, "GET", "/api/info", "", "")
	serial, _ := os.ReadFile(filepath.Join(dir, serialFile))
	if st != 200 || m["device_name"] != "Entrance" || m["device_serial_number"] != strings.TrimSpace(string(serial)) || m["firmware_version"] != version {
		t.Fatalf("/api/info %d %v (serial file %q)", st, m, serial)
	}

	door := func(d *daemon, tok string) map[string]any {
		t.Helper()
		st, m := call(t, d, "GET", "/api/v1/doors/1", tok, "")
		if st != 200 {
			t.Fatalf("door 1: %d %v", st, m)
		}
		return m
	}
	native := login(t, d, pw)
	evs, cancel := d.events.Subscribe()
	defer cancel()
	if st, body := basic(t, d, "POST", "/api/v1/access/general/lock/open/emergency", "admin", pw,
		`{"locks":[{"lock_number":1,"unlock_time":600}]}`); st != 200 || body != "{}" {
		t.Fatalf("emergency open: %d %s", st, body)
	}
	if m := door(d, native); m["mode"] != "unlocked" || m["set_mode"] != "normal" || m["locked"] != false || m["emergency_until"] == nil {
		t.Fatalf("door 1 after the emergency open: %v", m)
	}
	// The audit: emergency_open naming the operator, in the native log
	// once the event log committed it.
	if ev := waitEvent(t, evs, "emergency_open"); ev.Operator != "admin" || ev.Door != "1" {
		t.Fatalf("emergency_open %+v", ev)
	}
	st, m = call(t, d, "GET", "/api/v1/events?type=emergency_open", native, "")
	if items, _ := m["items"].([]any); st != 200 || len(items) != 1 || items[0].(map[string]any)["operator"] != "admin" {
		b, _ := json.Marshal(m)
		t.Fatalf("emergency_open events: %d %s", st, b)
	}

	// A restart while it lasts resumes it; the serial stays.
	d.stop()
	stopped = true
	d, _ = start(t, cfg)
	stopped = false
	native = login(t, d, pw)
	// The door goroutine resumes it once the runtime is up: it may have
	// done so before the subscription, or after.
	evs2, cancel2 := d.events.Subscribe()
	defer cancel2()
	if m := door(d, native); m["mode"] != "unlocked" {
		if ev := waitEvent(t, evs2, "emergency_open"); !strings.Contains(ev.Detail, "resumed at start") || ev.Operator != "admin" {
			t.Fatalf("emergency_open at start %+v", ev)
		}
		if m := door(d, native); m["mode"] != "unlocked" {
			t.Fatalf("after a restart door 1 is %v, want the emergency open resumed", m)
		}
	}
	if _, m := call(t, d, "GET", "/api/info", "", ""); m["device_serial_number"] != strings.TrimSpace(string(serial)) {
		t.Fatalf("serial changed across a restart: %v", m)
	}
	if st, body := basic(t, d, "POST", "/api/v1/access/general/lock/close/emergency", "admin", pw, `{"locks":[1]}`); st != 200 {
		t.Fatalf("emergency close: %d %s", st, body)
	}
	if m := door(d, native); m["mode"] != "normal" || m["locked"] != true || m["emergency_until"] != nil {
		t.Fatalf("door 1 after the close: %v", m)
	}
}

// waitEvent waits for the next event of type typ on evs.
func waitEvent(t *testing.T, evs <-chan store.Event, typ string) store.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-evs:
			if ev.Type == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}
