package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/store"
)

// testConfig is a daemon on a free loopback port with its data in a temp
// directory and no board.
func testConfig(t *testing.T, dir string) Config {
	cfg := defaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Data = dir
	cfg.LogLevel = "warn"
	return cfg
}

func start(t *testing.T, cfg Config) (*daemon, string) {
	t.Helper()
	var out bytes.Buffer
	d, err := startDaemon(cfg, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return d, out.String()
}

func call(t *testing.T, d *daemon, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	st, b := callRaw(t, d, method, path, token, body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return st, m
}

// callRaw is call with the body as it came.
func callRaw(t *testing.T, d *daemon, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+d.addr()+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// nextDecision waits for the next access_granted or access_denied event
// on evs (an event log subscription).
func nextDecision(t *testing.T, evs <-chan store.Event, what string) store.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-evs:
			if ev.Type == "access_granted" || ev.Type == "access_denied" {
				return ev
			}
		case <-timeout:
			t.Fatalf("no decision for %s", what)
		}
	}
}

func login(t *testing.T, d *daemon, pw string) string {
	t.Helper()
	st, m := call(t, d, "POST", "/api/v1/session", "", `{"username":"admin","password":"`+pw+`"}`)
	if st != 201 {
		t.Fatalf("login: %d %v", st, m)
	}
	return m["token"].(string)
}

func TestFirstStartPrintsAPasswordOnceAndDataSurvivesARestart(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "")
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	d, out := start(t, cfg)
	pw := d.admin
	if pw == "" || !strings.Contains(out, pw) || !strings.Contains(out, "admin-password") {
		t.Fatalf("first start printed no password hint:\n%s", out)
	}
	if !strings.Contains(out, "web console, http://"+d.addr()+"/") {
		t.Fatalf("the first-login hint does not name the console's URL:\n%s", out)
	}
	fi, err := os.Stat(filepath.Join(dir, "admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin-password mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "admin-password"))
	if strings.TrimSpace(string(b)) != pw {
		t.Fatal("admin-password file does not hold the printed password")
	}
	tok := changeAdminPassword(t, d, login(t, d, pw), pw)
	st, u := call(t, d, "POST", "/api/v1/users", tok, `{"locks": "both", "name":"Ada"}`)
	if st != 201 {
		t.Fatalf("create user: %d %v", st, u)
	}
	if st, _ := call(t, d, "POST", "/api/v1/users/"+u["id"].(string)+"/credentials", tok, `{"type":"card","value":{"facility":123,"card":4567}}`); st != 201 {
		t.Fatalf("create card: %d", st)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}

	d, out = start(t, cfg)
	defer d.stop()
	if d.admin != "" || strings.Contains(out, pw) {
		t.Fatalf("second start printed a password again:\n%s", out)
	}
	// The token and the user outlive the restart.
	if st, got := call(t, d, "GET", "/api/v1/users/"+u["id"].(string), tok, ""); st != 200 || got["name"] != "Ada" {
		t.Fatalf("after restart: %d %v", st, got)
	}
	st, creds := call(t, d, "GET", "/api/v1/users/"+u["id"].(string)+"/credentials", tok, "")
	if st != 200 || len(creds["items"].([]any)) != 1 {
		t.Fatalf("credentials after restart: %d %v", st, creds)
	}
}

// changeAdminPassword sets the admin's own password with tok and returns
// the token the answer carries.
func changeAdminPassword(t *testing.T, d *daemon, tok, pw string) string {
	t.Helper()
	st, m := call(t, d, "POST", "/api/v1/operators/me/password", tok,
		`{"current_password":"`+pw+`","new_password":"the installer's own password"}`)
	if st != 200 {
		t.Fatalf("password change: %d %v", st, m)
	}
	return m["token"].(string)
}

// TestGeneratedAdminPasswordMustBeChangedAndItsHintOutlivesAFailedStart:
// the generated password opens only the password change; a first start
// that fails after creating the admin (its port is taken) prints the hint
// again on the next start, and does so until the password is changed.
func TestGeneratedAdminPasswordMustBeChangedAndItsHintOutlivesAFailedStart(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "")
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig(t, dir)
	cfg.Listen = taken.Addr().String()
	var out bytes.Buffer
	if _, err := startDaemon(cfg, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("start on a taken port: err = %v, want a listen error", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "admin-password"))
	if err != nil {
		t.Fatalf("the failed first start left no admin-password: %v", err)
	}
	pw := strings.TrimSpace(string(b))

	cfg = testConfig(t, dir)
	for range 2 { // the hint stays until the password is changed
		d, out := start(t, cfg)
		if d.admin != pw || !strings.Contains(out, pw) {
			d.stop()
			t.Fatalf("the start after a failed first start printed no hint (admin %q):\n%s", d.admin, out)
		}
		d.stop()
	}
	d, _ := start(t, cfg)
	tok := login(t, d, pw)
	if st, m := call(t, d, "GET", "/api/v1/users", tok, ""); st != 403 {
		t.Fatalf("the generated password opened more than the password change: %d %v", st, m)
	}
	tok = changeAdminPassword(t, d, tok, pw)
	if st, m := call(t, d, "GET", "/api/v1/users", tok, ""); st != 200 {
		t.Fatalf("after the change: %d %v", st, m)
	}
	d.stop()
	d, out2 := start(t, cfg)
	defer d.stop()
	if d.admin != "" || strings.Contains(out2, pw) {
		t.Fatalf("a changed password's hint was printed again:\n%s", out2)
	}
}

func TestAdminPasswordFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOORD_ADMIN_PASSWORD", "my chosen passphrase")
	d, out := start(t, testConfig(t, dir))
	defer d.stop()
	if strings.Contains(out, "my chosen passphrase") {
		t.Fatal("a password from the environment was printed")
	}
	if _, err := os.Stat(filepath.Join(dir, "admin-password")); !os.IsNotExist(err) {
		t.Fatalf("admin-password written for an environment password: %v", err)
	}
	login(t, d, "my chosen passphrase")
}

func TestWeakAdminPasswordFromEnvironmentIsRefused(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "short")
	_, err := startDaemon(testConfig(t, t.TempDir()), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DOORD_ADMIN_PASSWORD") {
		t.Fatalf("err = %v, want a DOORD_ADMIN_PASSWORD error", err)
	}
}

func TestSecondDaemonOnTheSameDataFailsFast(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "")
	cfg := testConfig(t, t.TempDir())
	d, _ := start(t, cfg)
	defer d.stop()
	_, err := startDaemon(cfg, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "in use by another doord") {
		t.Fatalf("second daemon: err = %v, want 'in use by another doord'", err)
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "c.toml")
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	cfg, err := loadConfig(write("listen = \"0.0.0.0:9000\"\n[http]\ntoken_ttl = \"1h\"\n[login]\nlockout_threshold = 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "0.0.0.0:9000" || cfg.HTTP.TokenTTL.Hours() != 1 || *cfg.Login.LockoutThreshold != 0 || cfg.Data != "data" {
		t.Fatalf("config = %+v", cfg)
	}
	if _, err := loadConfig(write("listne = \"x\"\n")); err == nil || !strings.Contains(err.Error(), "listne") {
		t.Fatalf("unknown key: err = %v, want it named", err)
	}
	if _, err := loadConfig(write("[http]\ntoken_ttl = \"soon\"\n")); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Fatalf("bad duration: err = %v", err)
	}
	bad := defaultConfig()
	bad.LogLevel, bad.LogFormat, bad.Listen = "loud", "xml", ""
	err = bad.validate()
	for _, want := range []string{"log_level", "log_format", "listen"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v lacks %s", err, want)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := loadConfig("../../doord.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Board.Kind != "sim" {
		t.Fatalf("example board kind %q, want sim", cfg.Board.Kind)
	}
}

func TestFlagsOverrideTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte("listen = \"127.0.0.1:9000\"\ndata = \"/srv/doord\"\n"), 0o600)
	cfg, err := serveConfig(newFlags("serve"), []string{"--config", p, "--listen", "127.0.0.1:9999"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.Data != "/srv/doord" {
		t.Fatalf("listen %q data %q, want the flag's listen and the file's data", cfg.Listen, cfg.Data)
	}
	if _, err := serveConfig(newFlags("serve"), []string{"extra"}); err == nil {
		t.Fatal("a stray argument was accepted")
	}
	var stderr bytes.Buffer
	if code := run([]string{"serve", "--config", "/nonexistent.toml"}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "nonexistent") {
		t.Fatalf("missing config: code %d, %s", code, stderr.String())
	}
	if code := run([]string{"frobnicate"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("unknown command: code %d, want 2", code)
	}
	var out bytes.Buffer
	if code := run([]string{"version"}, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "doord ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
}

func TestAccessConfigDefaultsAndValidation(t *testing.T) {
	cfg := defaultConfig()
	cfg.Board = board.SimExample()
	cfg.accessDefaults()
	if len(cfg.Doors) != 2 || cfg.Doors[0].Lock != 1 || cfg.Doors[1].Lock != 2 || cfg.Doors[0].Readers[0] != "1" {
		t.Fatalf("default doors = %+v", cfg.Doors)
	}
	if len(cfg.Readers) != 2 || cfg.Readers[0].Mode != "card_or_pin" || cfg.Access.PINTimeout.Seconds() != 5 {
		t.Fatalf("default readers/access = %+v %+v", cfg.Readers, cfg.Access)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.Doors = append([]DoorRuntime(nil), cfg.Doors...)
	bad.Doors[0].Lock = 3
	bad.Doors[0].Mode = "open"
	bad.Doors[1].Readers = []string{"1", "9"}
	bad.Readers = []ReaderRuntime{{ID: "1", Mode: "face"}, {ID: "7", Mode: "card"}}
	bad.Access.TimeZone = "Mars/Olympus"
	bad.Access.Duress = "sometimes"
	bad.Access.Userless = "maybe"
	err := bad.validate()
	for _, want := range []string{`doors[id="1"].lock`, `doors[id="1"].mode`, `reader "1" is already at door "1"`,
		`id "9"`, `readers[id="1"].mode`, `readers[id="7"]: no [[board.readers]]`, "access.timezone", "access.duress", "access.userless_credentials"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate: %v\nlacks %s", err, want)
		}
	}
}

// A reader whose access mode needs a PIN (pin, card_and_pin) on a board
// reader without a keypad (keypad "none", which is also what an absent
// keypad now means) could never open its door: every key is a bad read.
// That is a config error naming the reader, not a silent outage after an
// upgrade; card_or_pin and card stay valid.
func TestPINReaderNeedsKeypad(t *testing.T) {
	for _, tc := range []struct {
		mode, keypad string
		ok           bool
	}{
		{"pin", "none", false},
		{"card_and_pin", "", false},
		{"card_and_pin", "auto", true},
		{"pin", "8bit", true},
		{"card_or_pin", "none", true},
		{"card", "", true},
	} {
		cfg := defaultConfig()
		cfg.Board = board.SimExample()
		cfg.Board.Readers[1].Keypad = tc.keypad
		cfg.Readers = []ReaderRuntime{{ID: "1", Mode: "card_or_pin"}, {ID: "2", Mode: tc.mode}}
		cfg.accessDefaults()
		err := cfg.validate()
		if tc.ok != (err == nil) {
			t.Errorf("mode %s, keypad %q: validate = %v, want ok=%v", tc.mode, tc.keypad, err, tc.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), `readers[id="2"].mode`) {
			t.Errorf("mode %s, keypad %q: %v does not name the reader", tc.mode, tc.keypad, err)
		}
	}
}
