package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/board/qemu"
)

// `doord serve` (what make run starts) ends with status 0 after a clean
// stop on SIGINT (Ctrl-C) and SIGTERM (systemd), so that make and
// systemd do not report an error. The daemon is a child process: the
// signal and the exit are real.
func TestServeExitsZeroOnSignal(t *testing.T) {
	qemu.SkipExec(t, "the daemon")
	if testing.Short() {
		t.Skip("runs the daemon in child processes")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "DOORD_TEST_SERVE_DATA="+t.TempDir(), "DOORD_ADMIN_PASSWORD=signal test password")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			sc := bufio.NewScanner(stderr)
			for sc.Scan() && !strings.Contains(sc.Text(), "doord started") {
				log.WriteString(sc.Text() + "\n")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v, want exit status 0; log:\n%s", sig, err, log.String())
			}
			if !strings.Contains(log.String(), "doord stopped") {
				t.Fatalf("no clean stop after %v; log:\n%s", sig, log.String())
			}
		})
	}
}

// TestServeChild is `doord serve --config doord.example.toml` for
// TestServeExitsZeroOnSignal; it exits with run's status.
func TestServeChild(t *testing.T) {
	data := os.Getenv("DOORD_TEST_SERVE_DATA")
	if data == "" {
		t.Skip("run as a child of TestServeExitsZeroOnSignal")
	}
	os.Exit(run([]string{"serve", "--config", filepath.Join("..", "..", "doord.example.toml"),
		"--listen", "127.0.0.1:0", "--data", data}, os.Stdout, os.Stderr))
}

// make run LISTEN=ADDR passes the address to serve's --listen, and runs
// the built binary rather than go run (which exits 1 on Ctrl-C whatever
// the daemon's status: make then reports an error).
func TestMakeRunListen(t *testing.T) {
	qemu.SkipExec(t, "make")
	if _, err := exec.LookPath("make"); err != nil {
		t.Skipf("make is not installed: %v", err)
	}
	dry := func(args ...string) string {
		cmd := exec.Command("make", append([]string{"-n", "run"}, args...)...)
		cmd.Dir = filepath.Join("..", "..")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n run %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := dry("LISTEN=127.0.0.1:9999")
	if !strings.Contains(out, "doord serve --config doord.example.toml --listen '127.0.0.1:9999'") || strings.Contains(out, " run ./cmd/doord") {
		t.Errorf("make run LISTEN=127.0.0.1:9999 runs:\n%s", out)
	}
	if out := dry(); strings.Contains(out, "--listen") {
		t.Errorf("make run without LISTEN overrides the config's address:\n%s", out)
	}
}
