package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/doord/doord/board"
)

// lockedBuffer is the daemon's stderr in a test: the logger writes from
// many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged starts a daemon at the default log level with its console
// log in a buffer.
func startLogged(t *testing.T, cfg Config) (*daemon, *lockedBuffer) {
	t.Helper()
	cfg.LogLevel = defaultConfig().LogLevel
	var logs lockedBuffer
	d, err := startDaemon(cfg, io.Discard, &logs)
	if err != nil {
		t.Fatal(err)
	}
	// Serving before the test may stop it: on main, a Shutdown before
	// fasthttp's Serve began leaves Serve running (sec-data fixes stop).
	if st, _ := call(t, d, "GET", "/api/v1/health", "", ""); st != 200 {
		t.Fatalf("health: %d", st)
	}
	return d, &logs
}

// serve without a config runs no board: it says so, once, and a daemon
// with a board does not.
func TestServeWithoutBoardWarnsOnce(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "no board password")
	d, logs := startLogged(t, testConfig(t, t.TempDir()))
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "no board"); n != 1 || !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("%d warnings about no board, want one:\n%s", n, logs)
	}

	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	d, logs = startLogged(t, cfg)
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "no board") {
		t.Fatalf("a daemon with a board warns about no board:\n%s", logs)
	}
}

// A swipe is on the console at the default log level: a grant and a
// denial with their door and reason, the card masked as in the event log.
func TestDoorEventsOnTheConsoleAtTheDefaultLevel(t *testing.T) {
	d, logs := startLogged(t, simConfig(t))
	tok := login(t, d, "door modes password")
	st, m := call(t, d, "POST", "/api/v1/users", tok, `{"name":"Console","locks":"1"}`)
	if st != 201 {
		t.Fatalf("user: %d %v", st, m)
	}
	if st, m := call(t, d, "POST", "/api/v1/users/"+m["id"].(string)+"/credentials", tok,
		`{"type":"card","value":{"facility":123,"card":4567}}`); st != 201 {
		t.Fatalf("card: %d %v", st, m)
	}
	evs, cancel := d.events.Subscribe()
	defer cancel()
	for _, r := range []string{"1", "2"} {
		if st, m := call(t, d, "POST", "/api/v1/sim/readers/"+r+"/card", tok, `{"facility":123,"card":4567}`); st != 200 {
			t.Fatalf("swipe at reader %s: %d %v", r, st, m)
		}
		nextDecision(t, evs, "the swipe at reader "+r)
	}
	if err := d.stop(); err != nil { // every committed event is on the console when stop returns
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{
		"level=INFO msg=access_granted part=doors door=1 reader=1 credential_type=card credential=••••495",
		"level=INFO msg=access_denied part=doors door=2 reader=2 credential_type=card credential=••••495 reason=door_not_permitted",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "8065495") {
		t.Errorf("the console shows the card number:\n%s", out)
	}
}
