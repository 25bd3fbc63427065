package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/board/qemu"
)

// BenchmarkProcessStartToHealth is cmd/scripts/start-to-health.sh in Go: it
// execs the daemon as its own process (this test binary standing in for
// doord, see TestMain) with doord.example.toml (the simulated board, so
// the access engine loads) on the store in $DOORD_BENCH_DATA, reads the
// port from the "doord started" log line (blocked on the pipe, using no
// CPU meanwhile), probes GET /api/v1/health until it answers 200, and
// stops it. Each start is a fresh process with a fresh heap, as at a real
// start; the in-process benchmark below reuses its heap after the first.
// It reports the median over b.N starts of the wall time and of the CPU
// time the daemon had used by then (Linux: /proc/PID/stat).
//
//	DOORD_BENCH_DATA=/tmp/d1m go test -run '^$' -bench ProcessStartToHealth -benchtime 5x ./cmd/doord/
func BenchmarkProcessStartToHealth(b *testing.B) {
	qemu.SkipExec(b, "the daemon")
	dir := os.Getenv("DOORD_BENCH_DATA")
	if dir == "" {
		b.Skip("DOORD_BENCH_DATA names a data directory made by doordgen")
	}
	var walls, cpus []float64
	for range b.N {
		wall, cpu := processStart(b, dir)
		walls, cpus = append(walls, wall), append(cpus, cpu)
	}
	b.ReportMetric(median(walls), "ms/start")
	b.ReportMetric(median(cpus), "cpu-ms/start")
}

var listenRE = regexp.MustCompile(`doord started.* listen=([^ ]+)`)

// processStart runs one start of the daemon in dir: the milliseconds from
// exec to health 200, and the daemon's CPU milliseconds by then.
func processStart(b *testing.B, dir string) (wall, cpu float64) {
	cmd := exec.Command(os.Args[0], "serve", "--config", "../../doord.example.toml", "--data", dir, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "DOORD_TEST_RUN_AS_DOORD=1")
	logs, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	lines := bufio.NewScanner(logs)
	var addr string
	for addr == "" && lines.Scan() {
		if m := listenRE.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		b.Fatalf("the daemon ended without starting: %v", lines.Err())
	}
	go io.Copy(io.Discard, logs) // it never blocks on a full pipe
	for {
		r, err := http.Get("http://" + addr + "/api/v1/health")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
	}
	wall = float64(time.Since(t0).Microseconds()) / 1000
	return wall, procCPU(b, cmd.Process.Pid)
}

// procCPU is the CPU time process pid has used (user + system), in ms.
func procCPU(b *testing.B, pid int) float64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0 // not Linux: no figure
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, stat)
	}
	return (utime + stime) * 1000 / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every Linux doord runs on.
const clockTicks = 100

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// BenchmarkStartToHealth starts the daemon (simulated board, so the access
// engine loads) on the store in $DOORD_BENCH_DATA (made by doordgen; it is
// opened, not copied: the first start writes an admin password there) and
// measures until GET /api/v1/health answers 200; then stops it. Skipped
// without the variable. For the whole process, exec included, see
// cmd/scripts/start-to-health.sh.
//
//	go run ./cmd/doordgen --data /tmp/d1m --users 1000000
//	DOORD_BENCH_DATA=/tmp/d1m go test -run '^$' -bench StartToHealth -benchtime 3x ./cmd/doord/
func BenchmarkStartToHealth(b *testing.B) {
	dir := os.Getenv("DOORD_BENCH_DATA")
	if dir == "" {
		b.Skip("DOORD_BENCH_DATA names a data directory made by doordgen")
	}
	cfg := defaultConfig()
	cfg.Listen, cfg.Data, cfg.LogLevel = "127.0.0.1:0", dir, "warn"
	cfg.Board = board.SimExample()
	cfg.accessDefaults()
	var total, cpu time.Duration
	for range b.N {
		c0 := cpuTime()
		t0 := time.Now()
		d, err := startDaemon(cfg, io.Discard, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for {
			r, err := http.Get("http://" + d.addr() + "/api/v1/health")
			if err == nil {
				r.Body.Close()
				if r.StatusCode == 200 {
					break
				}
			}
		}
		total += time.Since(t0)
		cpu += cpuTime() - c0
		if err := d.closeAll(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
	// CPU time (user + system, every thread) tells a shared machine's
	// runs apart less than wall time does.
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/start")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
