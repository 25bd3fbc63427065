package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/board/qemu"
)

// readmeSections are the README's sections with shell blocks that run
// against the daemon, in the README's order, as one script: the native
// walk-through first (it changes the generated password, which the BAS-IP
// login needs done), and the simulator's routes last (with the native
// walk-through's $API and $AUTH), then the command line's user and card
// tasks (with its $TOKEN; bin/doord is this test binary, see TestMain),
// then import and export.
var readmeSections = []string{"## A walk through the API", "## The BAS-IP compatible API", "## The simulated board", "## Command line", "## Import and export"}

// shellBlocks returns the ```sh blocks of the README section under
// heading (up to the next "## "), in order.
func shellBlocks(t *testing.T, readme, heading string) string {
	t.Helper()
	return fencedBlocks(t, readme, heading, "sh")
}

// fencedBlocks returns the ```lang blocks of the README section under
// heading, in order.
func fencedBlocks(t *testing.T, readme, heading, lang string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	sec := readme[i+len(heading)+2:]
	if j := strings.Index(sec, "\n## "); j >= 0 {
		sec = sec[:j]
	}
	var b strings.Builder
	for {
		fence := "\n```" + lang + "\n"
		k := strings.Index(sec, fence)
		if k < 0 {
			break
		}
		sec = sec[k+len(fence):]
		end := strings.Index(sec, "\n```\n")
		if end < 0 {
			t.Fatalf("README.md section %q: a ```%s block is not closed", heading, lang)
		}
		b.WriteString(sec[:end+1])
		sec = sec[end:]
	}
	if b.Len() == 0 {
		t.Fatalf("README.md section %q has no ```%s block", heading, lang)
	}
	return b.String()
}

var (
	firstUID  = regexp.MustCompile(`"uid":([0-9]+)`)
	apiErrors = regexp.MustCompile(`"error"|"status":[45][0-9][0-9]`)
	deleted   = regexp.MustCompile(`(?m)204$`) // curl -w '%{http_code}\n' after the empty body
)

// The README's walk-throughs run as written (sh -e, curl, sed) against
// the daemon `make run` starts (doord.example.toml on the simulated
// board), first on a fresh data directory, then again after a restart on
// the same one: the ids come from the answers, the generated password is
// changed as a first login must, the card is presented while its user
// exists (granted at door 1, refused at door 2), and each run cleans up
// after itself so the next one starts the same way.
func TestReadmeWalkThrough(t *testing.T) {
	qemu.SkipExec(t, "sh and curl")
	// The import section's file: added on the first run, unchanged on the
	// second (an import of the same file writes nothing).
	importAnswer := func(run int) string {
		if run == 1 {
			return `"mode":"merge","dry_run":false,"rows":2,"added":2,"changed":0,"removed":0,"unchanged":0,`
		}
		return `"mode":"merge","dry_run":false,"rows":2,"added":0,"changed":0,"removed":0,"unchanged":2,`
	}
	if testing.Short() {
		t.Skip("runs curl against the daemon; not in -short")
	}
	for _, tool := range []string{"sh", "curl", "sed", "od", "tr", "md5sum", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README walk-through needs %s, which is not installed: %v", tool, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	for _, h := range readmeSections {
		script.WriteString(shellBlocks(t, string(raw), h))
	}
	cfg, err := loadConfig(filepath.Join("..", "..", "doord.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // the walk-through reads data/admin-password from its working directory
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nDOORD_TEST_RUN_AS_DOORD=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "bin", "doord"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Listen, cfg.Data, cfg.LogLevel = "127.0.0.1:0", filepath.Join(dir, "data"), "warn"
	t.Setenv("DOORD_ADMIN_PASSWORD", "") // a generated password, as on a newcomer's first start

	var uids []uint64
	for run := 1; run <= 2; run++ {
		d, _ := start(t, cfg)
		evs, cancel := d.events.Subscribe()
		// The README's address is make run's; this daemon has a free port.
		s := strings.ReplaceAll(script.String(), "http://127.0.0.1:8080", "http://"+d.addr())
		cmd := exec.Command("sh", "-e", "-c", s)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "no_proxy=127.0.0.1", "NO_PROXY=127.0.0.1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("run %d: sh: %v\nstdout:\n%s\nstderr:\n%s", run, err, out, stderr.Bytes())
		}
		o := string(out)
		if m := apiErrors.FindString(o); m != "" {
			t.Fatalf("run %d: an API call failed (%s):\n%s", run, m, o)
		}
		for _, want := range []string{`"duplicate_name":false`, `"type":"card","value":"8065495"`, `"has_dublicates":false`,
			"Grace Hopper", `"state":"disabled"`, "12648430",
			importAnswer(run), `"mode":"replace","dry_run":true,`, `"added":0,"changed":0,"removed":0,`} {
			if !strings.Contains(o, want) {
				t.Errorf("run %d: output lacks %s:\n%s", run, want, o)
			}
		}
		if !deleted.MatchString(o) {
			t.Errorf("run %d: the user's DELETE did not answer 204:\n%s", run, o)
		}
		m := firstUID.FindStringSubmatch(o)
		if m == nil {
			t.Fatalf("run %d: no uid in the output:\n%s", run, o)
		}
		uid, _ := strconv.ParseUint(m[1], 10, 64)
		uids = append(uids, uid)

		ev := nextDecision(t, evs, "the card at door 1")
		if ev.Type != "access_granted" || ev.Door != "1" || ev.UserUID != uid {
			t.Errorf("run %d: door 1: %s door %s user %d reason %q, want access_granted for user %d", run, ev.Type, ev.Door, ev.UserUID, ev.Reason, uid)
		}
		ev = nextDecision(t, evs, "the card at door 2")
		if ev.Type != "access_denied" || ev.Door != "2" || ev.Reason != "door_not_permitted" {
			t.Errorf("run %d: door 2: %s door %s reason %q, want access_denied door_not_permitted", run, ev.Type, ev.Door, ev.Reason)
		}
		cancel()
		if err := d.stop(); err != nil {
			t.Fatal(err)
		}
	}
	if uids[0] == uids[1] {
		t.Errorf("both runs created user uid %d: the second run did not take its id from the answer", uids[0])
	}
}
