package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/device"
)

// listenNotify is a systemd stand-in: a unixgram socket in a temp dir.
func listenNotify(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

// recv reads one datagram, failing after 10s.
func recv(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

func TestNotifierWritesDatagramsToTheSocket(t *testing.T) {
	conn, path := listenNotify(t)
	n, err := newNotifier(path)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	for _, msg := range []string{"READY=1", "WATCHDOG=1"} {
		if err := n.notify(msg); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, conn); got != msg {
			t.Errorf("got %q, want %q", got, msg)
		}
	}
	// The abstract namespace, as some systemd versions hand out.
	name := fmt.Sprintf("@doord-test-%d", os.Getpid())
	aconn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer aconn.Close()
	an, err := newNotifier(name)
	if err != nil {
		t.Fatal(err)
	}
	defer an.close()
	an.notify("READY=1")
	if got := recv(t, aconn); got != "READY=1" {
		t.Errorf("abstract socket got %q", got)
	}
	// Not under systemd: nothing, and no error.
	if n, err := newNotifier(""); n != nil || err != nil || n.notify("READY=1") != nil {
		t.Errorf("no NOTIFY_SOCKET: %v, %v", n, err)
	}
	if _, err := newNotifier("relative.sock"); err == nil {
		t.Error("a relative NOTIFY_SOCKET was accepted")
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
		bad       bool
	}{
		{"", "", 0, false},
		{"20000000", "", 20 * time.Second, false},
		{"20000000", "42", 20 * time.Second, false},
		{"20000000", "43", 0, false}, // another process's
		{"x", "", 0, true},
		{"0", "", 0, true},
	} {
		env := map[string]string{"WATCHDOG_USEC": tc.usec, "WATCHDOG_PID": tc.pid}
		got, err := watchdogInterval(func(k string) string { return env[k] }, 42)
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("WATCHDOG_USEC=%q PID=%q: %v, %v; want %v (error %v)", tc.usec, tc.pid, got, err, tc.want, tc.bad)
		}
	}
}

// wedgingDecider denies everything, except that a card on reader "1"
// blocks the door goroutine until release is closed.
type wedgingDecider struct{ release chan struct{} }

func (w wedgingDecider) Present(reader string, _ access.Presentation, _ time.Time) access.Outcome {
	if reader == "1" {
		<-w.release
	}
	return access.Outcome{}
}

func (wedgingDecider) Expire(string, time.Time) access.Outcome { return access.Outcome{} }

// The heartbeat runs on the real door runtime over the simulated board:
// it beats every timeout/4 while the door loops answer, stops the moment
// a card wedges door 1's loop in the decider, and after timeout/2 without
// an answer calls wedged (the supervisor) — before systemd's timeout.
func TestHeartbeatStopsWhenADoorLoopIsWedged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		brd, err := board.Open(board.SimExample(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer brd.Close()
		dec := wedgingDecider{release: make(chan struct{})}
		rt, err := device.New(device.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Doors: []device.DoorConfig{
			{ID: "1", Lock: 1, Readers: []string{"1"}}, {ID: "2", Lock: 2, Readers: []string{"2"}},
		}}, brd, dec, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()

		const timeout = 4 * time.Second // every = 1s
		var mu sync.Mutex
		var beats []time.Time
		var wedgedAt time.Time
		var wedgedErr error
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			heartbeat(stop, timeout, rt.Alive, func(msg string) error {
				mu.Lock()
				defer mu.Unlock()
				if msg != "WATCHDOG=1" {
					t.Errorf("heartbeat sent %q", msg)
				}
				beats = append(beats, time.Now())
				return nil
			}, func(err error) {
				mu.Lock()
				defer mu.Unlock()
				wedgedAt, wedgedErr = time.Now(), err
			}, func(string, ...any) {})
		}()
		start := time.Now()
		time.Sleep(10*time.Second + time.Millisecond)
		synctest.Wait()
		mu.Lock()
		if len(beats) != 10 {
			t.Errorf("%d beats in 10s, want 10 (every 1s)", len(beats))
		}
		mu.Unlock()

		if _, err := brd.Sim().CardFacility("1", "", 1, 2); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // door 1 is now stuck in the decider
		wedged := time.Now()
		time.Sleep(timeout)
		synctest.Wait()
		mu.Lock()
		for _, b := range beats {
			if b.After(wedged) {
				t.Errorf("beat at +%v, after door 1 wedged at +%v", b.Sub(start), wedged.Sub(start))
			}
		}
		if !errors.Is(wedgedErr, device.ErrNotAnswering) || !strings.Contains(wedgedErr.Error(), `"1"`) {
			t.Errorf("wedged(%v), want ErrNotAnswering naming door 1", wedgedErr)
		}
		if d := wedgedAt.Sub(wedged); d < timeout/2 || d >= timeout {
			t.Errorf("wedged reported %v after the wedge, want between timeout/2 and timeout", d)
		}
		mu.Unlock()
		close(dec.release)
		close(stop)
		<-done
	})
}

// A daemon started by systemd (NOTIFY_SOCKET, WATCHDOG_USEC) says
// READY=1 once it serves, then beats while its door loops answer.
func TestDaemonNotifiesReadyAndBeats(t *testing.T) {
	conn, path := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "400000")
	t.Setenv("WATCHDOG_PID", fmt.Sprint(os.Getpid()))
	t.Setenv("DOORD_ADMIN_PASSWORD", "notify test password")
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	d, _ := start(t, cfg)
	if got := recv(t, conn); !strings.HasPrefix(got, "READY=1\n") {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	for range 2 {
		if got := recv(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("notification %q, want WATCHDOG=1", got)
		}
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	// Drain beats sent before the stop; STOPPING=1 comes last.
	for {
		got := recv(t, conn)
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("notification %q while stopping", got)
		}
	}
}
