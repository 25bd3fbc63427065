package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// The shipped systemd unit keeps what the README promises: notify with a
// watchdog, a restart after a fault, no root, a read-only system, and the
// GPIO chips as the only devices; and its ExecStart is a command line
// doord accepts.
func TestSystemdUnit(t *testing.T) {
	f, err := os.Open("doord.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("not key=value: %q", line)
		}
		got[k] = v
	}
	for k, want := range map[string]string{
		"Type": "notify", "NotifyAccess": "main", "WatchdogSec": "10s", "Restart": "on-failure",
		"User": "doord", "Group": "doord", "PrivateTmp": "yes", "RemoveIPC": "yes", "RestrictSUIDSGID": "yes", "ProtectHome": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"StateDirectory": "doord", "DevicePolicy": "closed", "DeviceAllow": "char-gpiochip rw",
		"CapabilityBoundingSet": "", "KillSignal": "SIGTERM",
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s=%q (set: %v), want %q", k, v, ok, want)
		}
	}
	args := strings.Fields(got["ExecStart"])
	if len(args) < 2 || args[1] != "serve" {
		t.Fatalf("ExecStart %q does not run doord serve", got["ExecStart"])
	}
	for i, a := range args {
		if a == "--data" && (i+1 >= len(args) || args[i+1] != "/var/lib/"+got["StateDirectory"]) {
			t.Errorf("--data is not the StateDirectory (read-only everywhere else)")
		}
	}
	dir := t.TempDir()
	cfgArgs := append([]string{}, args[2:]...)
	for i, a := range cfgArgs {
		switch a {
		case "--config":
			cfgArgs[i+1] = "" // no file here: the flags are what is checked
		case "--data":
			cfgArgs[i+1] = dir
		}
	}
	if _, err := serveConfig(newFlags("serve"), cfgArgs); err != nil {
		t.Errorf("doord serve refuses the unit's arguments: %v", err)
	}
}
