package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// storeFile makes a data directory whose doord.db holds 300 users.
func storeFile(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "doord.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users := make([]store.User, 300)
	for i := range users {
		users[i] = store.User{Name: fmt.Sprintf("user %d", i), State: store.StateActive}
	}
	if err := st.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// runDoord runs the command line as main does, failing the test if it has
// not returned in 20 s (a serve that wrongly started would run forever).
func runDoord(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, &out, &errb) }()
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("doord %v still running: it started on a damaged store", args)
	}
	return code, out.String(), errb.String()
}

// TestStartRefusesDamagedStore: `doord serve` and `doord check --store`
// on an empty, truncated or page-damaged doord.db exit 1 with a message
// naming the file, the problem and the way out; no panic, no SIGBUS, and
// no empty store made in its place.
func TestStartRefusesDamagedStore(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"zero bytes", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty (0 bytes)"},
		{"truncated", func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"pages overwritten", func(t *testing.T, path string) {
			// Every page after the two header pages: the root and every
			// bucket's pages are junk, the header still valid.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ps := os.Getpagesize()
			for i := 2 * ps; i < len(b); i++ {
				b[i] = 0xA5
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "a page could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := storeFile(t)
			tt.damage(t, path)
			before, _ := os.ReadFile(path)
			for _, args := range [][]string{
				{"serve", "--data", dir, "--listen", "127.0.0.1:0"},
				{"check", "--store", "--data", dir},
			} {
				code, _, stderr := runDoord(t, args...)
				t.Logf("%s: %s", args[0], stderr)
				if code != 1 {
					t.Errorf("doord %s: exit %d, want 1", args[0], code)
				}
				rest := strings.Replace(stderr, path, "", 1)
				if rest == stderr || !strings.Contains(rest, tt.want) || !strings.Contains(rest, "restore a backup") {
					t.Errorf("doord %s: stderr %q\nwant the file, %q and the way out", args[0], stderr, tt.want)
				}
				if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
					t.Errorf("doord %s: a crash trace: %s", args[0], stderr)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("the damaged file was changed (%d bytes → %d)", len(before), len(after))
			}
		})
	}
}

// TestCheckStoreOnAHealthyStore: exit 0 and a one-line summary; a store
// that does not exist is an error, not a new file.
func TestCheckStoreOnAHealthyStore(t *testing.T) {
	dir, _ := storeFile(t)
	code, stdout, stderr := runDoord(t, "check", "--store", "--data", dir)
	if code != 0 || !strings.Contains(stdout, "ok (300 users") {
		t.Errorf("check --store: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	empty := t.TempDir()
	if code, _, _ := runDoord(t, "check", "--store", "--data", empty); code != 1 {
		t.Errorf("check --store without a store: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(empty, "doord.db")); !os.IsNotExist(err) {
		t.Errorf("check --store made a store: %v", err)
	}
}

// TestDaemonSurvivesDamageAtRunTime: the store file is truncated under a
// running daemon. The request that reads the lost pages is a 503, the
// daemon logs the damage with the file and what to do, /health says
// degraded, and the daemon still answers and stops cleanly.
func TestDaemonSurvivesDamageAtRunTime(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "damage test password")
	dir, path := storeFile(t)
	var logs lockedBuffer
	d, err := startDaemon(testConfig(t, dir), io.Discard, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	tok := login(t, d, "damage test password")
	if err := os.Truncate(path, int64(2*os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	if st, m := call(t, d, "GET", "/api/v1/users?limit=1000", tok, ""); st != 503 {
		t.Fatalf("users on a damaged store: %d %v, want 503", st, m)
	}
	if st, m := call(t, d, "GET", "/api/v1/health", "", ""); st != 200 || m["status"] != "degraded" {
		t.Errorf("health: %d %v, want 200 degraded", st, m)
	}
	if l := logs.String(); !strings.Contains(l, "store damaged") || !strings.Contains(l, path) || !strings.Contains(l, "doord check --store") {
		t.Errorf("log does not report the damage with the file and what to do:\n%s", l)
	}
}
