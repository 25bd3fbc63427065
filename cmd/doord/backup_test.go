package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the doord command line in-process.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// The backup and restore commands end to end against a real daemon: a
// backup through the API while it runs (flags and environment), refusals
// while it holds the store, then a restore of the stopped daemon's data
// that brings back exactly the backed-up state.
func TestBackupAndRestoreCommands(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "backup test passphrase")
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	d, _ := start(t, cfg)
	stopped := false
	defer func() {
		if !stopped {
			d.stop()
		}
	}()
	tok := login(t, d, "backup test passphrase")
	st, ada := call(t, d, "POST", "/api/v1/users", tok, `{"name":"Ada","locks":"both"}`)
	if st != 201 {
		t.Fatalf("create Ada: %d %v", st, ada)
	}
	url := "http://" + d.addr()
	out := t.TempDir()
	bak := filepath.Join(out, "doord.bak")
	if code, so, se := runCmd("backup", "--out", bak, "--url", url, "--token", tok); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, so, se)
	}
	t.Setenv("DOORD_URL", url)
	t.Setenv("DOORD_TOKEN", tok)
	bak2 := filepath.Join(out, "env.bak")
	if code, so, se := runCmd("backup", "--out", bak2); code != 0 {
		t.Fatalf("backup with DOORD_URL/DOORD_TOKEN: exit %d\n%s%s", code, so, se)
	}
	t.Setenv("DOORD_URL", "")
	t.Setenv("DOORD_TOKEN", "")
	if left, _ := filepath.Glob(filepath.Join(out, "*.tmp*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}

	// The daemon holds the store: offline backup and restore refuse, and say why.
	code, _, se := runCmd("backup", "--out", filepath.Join(out, "off.bak"), "--data", dir, "--timeout", "100ms")
	if code != 1 || !strings.Contains(se, "a daemon holds the store") {
		t.Fatalf("offline backup under a daemon: exit %d, stderr %q", code, se)
	}
	if _, err := os.Stat(filepath.Join(out, "off.bak")); !os.IsNotExist(err) {
		t.Fatalf("refused backup left a file: %v", err)
	}
	code, _, se = runCmd("restore", bak, "--data", dir, "--timeout", "100ms")
	if code != 1 || !strings.Contains(se, "a daemon holds the store") {
		t.Fatalf("restore under a daemon: exit %d, stderr %q", code, se)
	}

	// A viewer's token gets the API's refusal, exit 5 (token refused).
	st, _ = call(t, d, "POST", "/api/v1/operators", tok, `{"username":"vera","password":"viewer passphrase 1","role":"viewer"}`)
	if st != 201 {
		t.Fatalf("create viewer: %d", st)
	}
	_, vt := call(t, d, "POST", "/api/v1/session", "", `{"username":"vera","password":"viewer passphrase 1"}`)
	code, _, se = runCmd("backup", "--out", filepath.Join(out, "viewer.bak"), "--url", url, "--token", vt["token"].(string))
	if code != exitRefused || !strings.Contains(se, "403") {
		t.Fatalf("backup with a viewer token: exit %d, stderr %q", code, se)
	}

	// Written after the backup: gone after the restore.
	if st, _ := call(t, d, "POST", "/api/v1/users", tok, `{"name":"Bob","locks":"both"}`); st != 201 {
		t.Fatalf("create Bob: %d", st)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true

	offline := filepath.Join(out, "offline.bak")
	if code, so, se := runCmd("backup", "--out", offline, "--data", dir); code != 0 {
		t.Fatalf("offline backup: exit %d\n%s%s", code, so, se)
	}
	code, so, se := runCmd("restore", bak, "--data", dir)
	if code != 0 || !strings.Contains(so, "before-restore") {
		t.Fatalf("restore: exit %d\n%s%s", code, so, se)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "doord.db.before-restore-*"))
	if len(kept) != 1 {
		t.Fatalf("old store kept as %v, want one file", kept)
	}

	d, _ = start(t, cfg)
	defer d.stop()
	tok = login(t, d, "backup test passphrase")
	_, list := call(t, d, "GET", "/api/v1/users", tok, "")
	var names []string
	for _, u := range list["items"].([]any) {
		names = append(names, u.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "Ada" {
		t.Fatalf("users after restore = %v, want [Ada]", names)
	}
}

// A cut-off backup is refused by restore with exit 1 and the store is
// left byte for byte as it was.
func TestRestoreCommandRefusesATruncatedBackup(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "backup test passphrase")
	dir := t.TempDir()
	d, _ := start(t, testConfig(t, dir))
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	bak := filepath.Join(t.TempDir(), "doord.bak")
	if code, so, se := runCmd("backup", "--out", bak, "--data", dir); code != 0 {
		t.Fatalf("offline backup: exit %d\n%s%s", code, so, se)
	}
	raw, _ := os.ReadFile(bak)
	if err := os.WriteFile(bak, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "doord.db")
	before, _ := os.ReadFile(db)
	code, _, se := runCmd("restore", bak, "--data", dir)
	if code != 1 || !strings.Contains(se, "truncated") || !strings.Contains(se, "nothing was changed") {
		t.Fatalf("restore of a truncated backup: exit %d, stderr %q", code, se)
	}
	after, _ := os.ReadFile(db)
	if !bytes.Equal(before, after) {
		t.Fatal("the store changed")
	}
	if left, _ := filepath.Glob(db + ".*"); len(left) > 0 {
		t.Fatalf("restore left %v", left)
	}
}

// Exit codes scripts can rely on: --help 0 (usage on stdout), a wrong
// command line 2 (usage on stderr).
func TestBackupRestoreExitCodes(t *testing.T) {
	t.Setenv("DOORD_URL", "")
	t.Setenv("DOORD_TOKEN", "")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"backup", "--help"}, 0},
		{[]string{"backup", "-h"}, 0},
		{[]string{"restore", "--help"}, 0},
		{[]string{"backup"}, 2},
		{[]string{"backup", "--out", "x"}, 2},
		{[]string{"backup", "--out", "x", "--url", "http://127.0.0.1:1"}, 2}, // no token
		{[]string{"backup", "--out", "x", "--url", "http://h", "--data", "d"}, 2},
		{[]string{"backup", "--out", "x", "extra"}, 2},
		{[]string{"backup", "--bogus"}, 2},
		{[]string{"restore"}, 2},
		{[]string{"restore", "f"}, 2},
		{[]string{"restore", "f", "g", "--data", "d"}, 2},
		{[]string{"restore", "--timeout", "soon", "f", "--data", "d"}, 2},
	} {
		code, so, se := runCmd(c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", c.args, code, c.code, so, se)
			continue
		}
		usageOn := se
		if c.code == 0 {
			usageOn = so
		}
		if !strings.Contains(usageOn, "usage: doord "+c.args[0]) {
			t.Errorf("%v: no usage where expected; stdout %q stderr %q", c.args, so, se)
		}
	}
}
