package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchImportUsers is how many users the import and export benchmarks
// use: DOORD_BENCH_IMPORT_USERS, default 10,000 (the coordinator runs
// 1,000,000 on a quiet machine).
func benchImportUsers(b *testing.B) int {
	n := 10000
	if v := os.Getenv("DOORD_BENCH_IMPORT_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("DOORD_BENCH_IMPORT_USERS=%q", v)
		}
	}
	return n
}

// benchCSV is an import file of n users, each with a card and a PIN.
func benchCSV(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString("ext_id,name,email,locks,tags,cards,pins\n")
	for i := range n {
		fmt.Fprintf(&buf, "emp-%07d,Employee %d,e%d@example.com,both,staff,%d,%08d\n", i, i, i, 1000000+i, 10000000+i)
	}
	return buf.Bytes()
}

// BenchmarkImportCSV imports a CSV of N users with a card and a PIN each
// (the parser, the store's validation and writes, the access engine
// following the feed) into an empty store, while a door decides a
// presentation every millisecond (a random card of the file: unknown
// until the import is in, granted after). It reports users/s and the
// decision latency percentiles during the import.
func BenchmarkImportCSV(b *testing.B) {
	n := benchImportUsers(b)
	data := benchCSV(n)
	b.SetBytes(int64(len(data)))
	for range b.N {
		b.StopTimer()
		st := storetest.Open(b)
		cancel, lat, stop := followAndDecide(b, st, n)
		body := bytes.NewReader(data)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		sum, err := st.Import(csvSource(body, body.Size()), store.ImportOptions{Mode: store.ImportReplace})
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		stop()
		cancel()
		if err != nil || sum.Added != n {
			b.Fatalf("import: %v, %+v", err, sum)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "users/s")
		// The process's CPU time (both cores, the door's decisions
		// included) says more than the wall clock on a shared machine.
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		reportLatency(b, *lat)
	}
}

// BenchmarkImportReplaceFull re-imports, with mode=replace, a file of N
// users with a card and a PIN each into a store that holds them already,
// with every 100th user renamed and given a new card: the large-import
// path at its dearest (the stored list is copied into the stage, the
// file is checked against it, 1 % is written, the stage swapped in and
// the engine reloaded), while a door decides every millisecond.
func BenchmarkImportReplaceFull(b *testing.B) {
	n := benchImportUsers(b)
	data := benchCSV(n)
	var buf bytes.Buffer
	buf.WriteString("ext_id,name,email,locks,tags,cards,pins\n")
	for i := range n {
		name, card := fmt.Sprintf("Employee %d", i), 1000000+i
		if i%100 == 0 {
			name, card = fmt.Sprintf("Renamed %d", i), 9000000+i
		}
		fmt.Fprintf(&buf, "emp-%07d,%s,e%d@example.com,both,staff,%d,%08d\n", i, name, i, card, 10000000+i)
	}
	next := buf.Bytes()
	b.SetBytes(int64(len(next)))
	for range b.N {
		b.StopTimer()
		st := storetest.Open(b)
		body := bytes.NewReader(data)
		if _, err := st.Import(csvSource(body, body.Size()), store.ImportOptions{Mode: store.ImportReplace}); err != nil {
			b.Fatal(err)
		}
		cancel, lat, stop := followAndDecide(b, st, n)
		body = bytes.NewReader(next)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		sum, err := st.Import(csvSource(body, body.Size()), store.ImportOptions{Mode: store.ImportReplace})
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		stop()
		cancel()
		if want := (n + 99) / 100; err != nil || sum.Changed != want {
			b.Fatalf("import: %v, %+v (want %d changed)", err, sum, want)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "users/s")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		reportLatency(b, *lat)
	}
}

// followAndDecide starts an access engine following st, with a card
// reader presented a random card of benchCSV's n users every millisecond
// (decideEveryMillisecond).
func followAndDecide(b *testing.B, st *store.Store, n int) (cancel func(), lat *[]time.Duration, stop func()) {
	eng := access.NewEngine(access.EngineConfig{
		Readers:       []access.ReaderConfig{{ID: "door", Lock: 1, Mode: access.ModeCard}},
		ReaderLockout: access.LockoutConfig{Off: true},
	})
	cancel, err := eng.Follow(st)
	if err != nil {
		b.Fatal(err)
	}
	lat, stop = decideEveryMillisecond(eng, n)
	return cancel, lat, stop
}

// decideEveryMillisecond presents a random card of benchCSV's users to
// eng every millisecond until stop; stop returns once it ended, and the
// latencies are then in *lat.
func decideEveryMillisecond(eng *access.Engine, n int) (lat *[]time.Duration, stop func()) {
	lat = new([]time.Duration)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			card := uint64(1000000 + rng.IntN(n))
			start := time.Now()
			eng.Present("door", access.Presentation{Kind: access.PresentCard, Card: card}, start)
			*lat = append(*lat, time.Since(start))
		}
	})
	return lat, func() { close(done); wg.Wait() }
}

// reportLatency reports decision latency percentiles.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "decide-p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "decide-p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "decide-max-ns")
	b.ReportMetric(float64(len(lat)), "decisions")
}

// BenchmarkExportCSV streams N users with a card and a PIN each as an
// admin's CSV export (every column), to a discarding writer.
func BenchmarkExportCSV(b *testing.B) {
	n := benchImportUsers(b)
	st := storetest.Open(b)
	data := benchCSV(n)
	body := bytes.NewReader(data)
	if _, err := st.Import(csvSource(body, body.Size()), store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		w := bufio.NewWriterSize(io.Discard, 64<<10)
		start, cpu0 := time.Now(), cpuTime()
		got, err := exportTo(w, "csv", true, true, st)
		if err == nil {
			err = w.Flush()
		}
		if err != nil || got != n {
			b.Fatalf("export: %d users, %v", got, err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "users/s")
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
	}
}
