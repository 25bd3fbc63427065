package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/board/qemu"
)

// faultBoard is the simulated board with door 1 fail-secure and door 2
// fail-safe, both relays active-low: door 1 locks at High (coil off),
// door 2 at Low (coil on), so a relay left at the wrong level shows.
func faultBoard() board.Config {
	b := board.SimExample()
	b.Doors[1].Fail = "safe"
	return b
}

var lockedLevel = map[string]string{"relay1": "High", "relay2": "Low"}

// TestSupervisorSecuresRelaysAndExits provokes a panic in a reader, a
// door and an input goroutine of a running daemon (a child process: the
// exit is real) with its relays unlocked, and checks that every relay is
// at its locked level, per fail mode, when the process exits with
// faultExitCode.
func TestSupervisorSecuresRelaysAndExits(t *testing.T) {
	qemu.SkipExec(t, "the daemon")
	if testing.Short() {
		t.Skip("runs the daemon in child processes")
	}
	for _, part := range []string{"board.reader 1", "device.door 1", "board.input 1.contact"} {
		t.Run(part, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSupervisorChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "DOORD_TEST_FAULT_PART="+part, "DOORD_ADMIN_PASSWORD=fault test password")
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != faultExitCode {
				t.Fatalf("child ended with %v, want exit status %d; output:\n%s", err, faultExitCode, out)
			}
			levels := map[string]map[string]string{}
			for _, line := range strings.Split(string(out), "\n") {
				f := strings.Fields(line)
				if len(f) == 3 && (f[0] == "UNLOCKED" || f[0] == "EXIT") {
					if levels[f[0]] == nil {
						levels[f[0]] = map[string]string{}
					}
					levels[f[0]][f[1]] = f[2]
				}
			}
			// Before the fault, the relays the child could reach were
			// really unlocked (else locked at exit proves nothing).
			if got := levels["UNLOCKED"]["relay2"]; got != "High" {
				t.Errorf("before the fault relay2 = %q, want High (unlocked)", got)
			}
			if part != "device.door 1" && levels["UNLOCKED"]["relay1"] != "Low" {
				t.Errorf("before the fault relay1 = %q, want Low (unlocked)", levels["UNLOCKED"]["relay1"])
			}
			for pin, want := range lockedLevel {
				if got := levels["EXIT"][pin]; got != want {
					t.Errorf("at exit %s = %q, want %s (locked); output:\n%s", pin, got, want, out)
				}
			}
		})
	}
}

// TestSupervisorChild is the daemon run by TestSupervisorSecuresRelaysAndExits.
func TestSupervisorChild(t *testing.T) {
	part := os.Getenv("DOORD_TEST_FAULT_PART")
	if part == "" {
		t.Skip("run as a child of TestSupervisorSecuresRelaysAndExits")
	}
	trigger := make(chan struct{})
	fault.Inject(part, trigger)
	faultGrace = 500 * time.Millisecond
	cfg := testConfig(t, t.TempDir())
	cfg.Board = faultBoard()
	d, err := startDaemon(cfg, io.Discard, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	sim := d.brd.Sim()
	print := func(tag string) {
		for _, p := range []string{"relay1", "relay2"} {
			fmt.Printf("%s %s %v\n", tag, p, sim.Pin(p).Level())
		}
	}
	exitProcess = func(code int) {
		print("EXIT")
		os.Exit(code)
	}
	if err := d.doors.SetMode("2", access.DoorUnlocked, "test"); err != nil {
		t.Fatal(err)
	}
	if part != "device.door 1" { // that door's loop is the one replaced
		if err := d.doors.Open("1", "test"); err != nil {
			t.Fatal(err)
		}
	}
	print("UNLOCKED")
	close(trigger)
	<-time.After(30 * time.Second)
	t.Fatal("the fault did not end the process")
}

// TestSupervisorDrainsBeforeExit: after a fault the supervisor writes
// what a clean stop would still write — the engine's queued pass spends
// (else a pass used just before the fault is back after the restart) and
// the event log's queue (the door_fault event, any alarm just raised) —
// after the doors stopped and before the process exits; a drain stuck on
// a dead disk does not hold the exit past faultGrace.
func TestSupervisorDrainsBeforeExit(t *testing.T) {
	defer func(g time.Duration, e func(int)) { faultGrace, exitProcess = g, e }(faultGrace, exitProcess)
	faultGrace = time.Second
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	exited := make(chan int, 1)
	exitProcess = func(code int) { note("exit"); exited <- code }
	s := &supervisor{log: slog.New(slog.NewTextHandler(io.Discard, nil)), restore: func() {}}
	block := make(chan struct{})
	defer close(block)
	s.drainOnExit(func() { note("passes") }, func() { note("events") }, func() { <-block })
	s.fault(fault.Report{Part: "test", Value: "panic of type string"})
	select {
	case code := <-exited:
		if code != faultExitCode {
			t.Errorf("exit status %d, want %d", code, faultExitCode)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stuck drain held the exit")
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(order, ","); got != "passes,events,exit" {
		t.Errorf("order = %s, want passes,events,exit", got)
	}
}
