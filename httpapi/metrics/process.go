package metrics

import (
	"bytes"
	"os"
	"runtime/metrics"
	"strconv"
	"time"
)

// The process's own figures, read through runtime/metrics, which does not
// stop the world (runtime.ReadMemStats, which the library's process
// metrics call, would pause every door goroutine at each scrape).
var (
	processStart = time.Now()
	runtimeNames = []string{
		"/sched/goroutines:goroutines",
		"/memory/classes/total:bytes",
		"/memory/classes/heap/objects:bytes",
		"/gc/cycles/total:gc-cycles",
	}
	pageSize = os.Getpagesize()
)

func (r *Registry) collectProcess() {
	s := make([]metrics.Sample, len(runtimeNames))
	for i, n := range runtimeNames {
		s[i].Name = n
	}
	metrics.Read(s)
	value := func(i int) uint64 {
		if s[i].Value.Kind() == metrics.KindUint64 {
			return s[i].Value.Uint64()
		}
		return 0
	}
	r.gauge(famGoroutines, float64(value(0)))
	r.gauge(famGoMemory, float64(value(1)))
	r.gauge(famGoHeap, float64(value(2)))
	r.counter(famGCCycles, value(3))
	r.gauge(famStartTime, float64(processStart.Unix()))
	if rss, ok := residentBytes(); ok {
		r.gauge(famResident, float64(rss))
	}
}

// residentBytes reads the resident set size from /proc/self/statm
// (Linux; false elsewhere).
func residentBytes() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(pageSize), true
}
