package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/device"
)

// simConfig is a daemon on the simulated board (time zone UTC) whose
// admin password is "door modes password".
func simConfig(t *testing.T) Config {
	t.Setenv("DOORD_ADMIN_PASSWORD", "door modes password")
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	cfg.Access.TimeZone = "UTC"
	cfg.accessDefaults()
	return cfg
}

// A lockdown set over the API is in force after a restart, shown with
// who set it, and the restart is in the event log under their name.
func TestLockdownSurvivesRestart(t *testing.T) {
	cfg := simConfig(t)
	d, _ := start(t, cfg)
	tok := login(t, d, "door modes password")
	if st, m := call(t, d, "PUT", "/api/v1/doors/1/mode", tok, `{"mode":"locked_down"}`); st != 200 || m["mode"] != "locked_down" {
		t.Fatalf("PUT mode: %d %v", st, m)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	d, _ = start(t, cfg)
	defer d.stop()
	tok = login(t, d, "door modes password")
	st, m := call(t, d, "GET", "/api/v1/doors/1", tok, "")
	if st != 200 || m["mode"] != "locked_down" || m["set_mode"] != "locked_down" || m["mode_by"] != "admin" {
		t.Fatalf("after restart door 1 = %d %v", st, m)
	}
	if _, m := call(t, d, "GET", "/api/v1/doors/2", tok, ""); m["mode"] != "normal" {
		t.Fatalf("door 2 = %v", m)
	}
	d.events.Flush()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, m = call(t, d, "GET", "/api/v1/events?type=mode_changed&door=1", tok, "")
		items, _ := m["items"].([]any)
		found := false
		for _, it := range items {
			ev := it.(map[string]any)
			if ev["operator"] == "admin" && strings.Contains(ev["detail"].(string), "restored at start") {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no restored mode_changed event by admin: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAlarmTimesOff(t *testing.T) {
	dir := t.TempDir()
	load := func(door string) (Config, error) {
		p := filepath.Join(dir, "c.toml")
		os.WriteFile(p, []byte("[[doors]]\nid = \"1\"\nlock = 1\n"+door), 0o600)
		cfg, err := loadConfig(p)
		if err == nil {
			cfg.accessDefaults()
			err = cfg.validate()
		}
		return cfg, err
	}
	cfg, err := load("held_open_time = \"off\"\n")
	if err != nil {
		t.Fatal(err)
	}
	dc, err := deviceConfig(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := dc.Doors[0]; got.HeldOpenTime != device.Off || got.PreAlarmTime != 0 {
		t.Fatalf("held off: device config %v / %v, want Off and no pre-alarm", got.HeldOpenTime, got.PreAlarmTime)
	}
	cfg, err = load("pre_alarm_time = \"off\"\n")
	if err != nil {
		t.Fatal(err)
	}
	dc, _ = deviceConfig(cfg, nil)
	if got := dc.Doors[0]; got.HeldOpenTime != 30*time.Second || got.PreAlarmTime != 0 {
		t.Fatalf("pre-alarm off: %v / %v, want 30s and none", got.HeldOpenTime, got.PreAlarmTime)
	}
	cfg, _ = load("")
	dc, _ = deviceConfig(cfg, nil)
	if got := dc.Doors[0]; got.HeldOpenTime != 30*time.Second || got.PreAlarmTime != 10*time.Second {
		t.Fatalf("absent: %v / %v, want the defaults 30s / 10s", got.HeldOpenTime, got.PreAlarmTime)
	}
	for door, want := range map[string]string{
		"held_open_time = \"0s\"\n":                           `"off"`,
		"held_open_time = \"never\"\n":                        "never",
		"held_open_time = \"off\"\npre_alarm_time = \"5s\"\n": "pre_alarm_time",
	} {
		if _, err := load(door); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to mention %s", door, err, want)
		}
	}
}

// Over HTTP on the simulated board: a door given an unlock schedule that
// is open now unlocks at once; an unknown card's denial shows its masked
// number, format and length.
func TestScheduleAndMaskedCardOverHTTP(t *testing.T) {
	d, _ := start(t, simConfig(t))
	defer d.stop()
	tok := login(t, d, "door modes password")
	st, tp := call(t, d, "POST", "/api/v1/time-profiles", tok, `{"name":"always","intervals":[{"days":[0,1,2,3,4,5,6],"start":"00:00","end":"24:00"}]}`)
	if st != 201 {
		t.Fatalf("time profile: %d %v", st, tp)
	}
	st, m := call(t, d, "PATCH", "/api/v1/doors/1", tok, fmt.Sprintf(`{"unlock_schedule":%v}`, tp["id"]))
	if st != 200 || m["mode"] != "unlocked" || m["set_mode"] != "normal" || m["schedule_open"] != true || m["locked"] != false {
		t.Fatalf("PATCH unlock_schedule: %d %v", st, m)
	}
	if st, m := call(t, d, "PATCH", "/api/v1/doors/1", tok, `{"unlock_schedule":424242}`); st != 422 {
		t.Fatalf("unknown profile: %d %v", st, m)
	}
	evs, cancel := d.events.Subscribe()
	defer cancel()
	if st, m := call(t, d, "POST", "/api/v1/sim/readers/2/card", tok, `{"facility":123,"card":4567}`); st != 200 {
		t.Fatalf("sim card: %d %v", st, m)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-evs:
			if ev.Type != "access_denied" {
				continue
			}
			if ev.Credential != "••••495" || ev.CredentialFormat == "" || ev.CredentialBits != 26 || ev.CredentialType != "card" {
				t.Fatalf("denied event %+v, want card ••••495 with its format and 26 bits", ev)
			}
			return
		case <-timeout:
			t.Fatal("no access_denied event")
		}
	}
}
