package main

import (
	"io"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/board"
)

// BenchmarkStartToHealth starts the daemon (simulated board, so the access
// engine loads) on the store in $DOORD_BENCH_DATA (made by doordgen; it is
// opened, not copied: the first start writes an admin password there) and
// measures until GET /api/v1/health answers 200; then stops it. Skipped
// without the variable. For the whole process, exec included, see
// scripts/start-to-health.sh.
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
