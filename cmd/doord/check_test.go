package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doord check names the file and line of every problem, not only of
// TOML syntax: a bad value, a board item, a runtime door by its id, an
// unknown key; all at once, exit 1. A good config says ok, exit 0.
func TestCheckNamesTheLineOfEachProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.toml", `log_level = "loud"

[board]
kind = "sim"

[board.pins]
relay1 = "GPIO26"
r1d0 = "GPIO5"
r1d1 = "GPIO6"

[[board.readers]]
id = "1"
d0 = "r1d0"
d1 = "r1d1"
format = "h10399"

[[board.doors]]
id = "1"
relay = "relay9"
relay_active = "low"
fail = "secure"

[[doors]]
id = "1"
lock = 3
readers = ["1"]

[access]
timezone = "Mars/Olympus"
`)
	code, so, se := runCmd("check", "--config", bad)
	if code != exitFailed || so != "" {
		t.Fatalf("exit %d, stdout %q, want 1 and nothing on stdout", code, so)
	}
	for _, want := range []string{
		bad + `:1: log_level: must be`,
		bad + `:15: board: reader "1": unknown format "h10399"`,
		bad + `:19: door "1": relay: unknown pin "relay9"`,
		bad + `:25: doors[id="1"].lock: must be 1 or 2`,
		bad + `:29: access.timezone: "Mars/Olympus" is not a time zone`,
	} {
		if !strings.Contains(se, want) {
			t.Errorf("stderr lacks %q:\n%s", want, se)
		}
	}
	unknown := write("unknown.toml", "[http]\nmax_body_bytes = 1024\nmax_body_byte = 1\n")
	if code, _, se := runCmd("check", "--config", unknown); code != exitFailed || !strings.Contains(se, unknown+":3:1: unknown key http.max_body_byte") {
		t.Errorf("unknown key: exit %d, stderr %q", code, se)
	}
	syntax := write("syntax.toml", "listen = \"127.0.0.1:8080\"\nlog_level = info\n")
	if code, _, se := runCmd("check", "--config", syntax); code != exitFailed || !strings.Contains(se, syntax+":2:") {
		t.Errorf("syntax error: exit %d, stderr %q", code, se)
	}
	if code, so, se := runCmd("check", "--config", "../../doord.example.toml"); code != 0 || !strings.Contains(so, ": ok") {
		t.Errorf("the example config: exit %d %q %q", code, so, se)
	}
}
