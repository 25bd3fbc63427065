package metrics

import (
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// Latency is a histogram of durations whose Observe takes no lock: the
// door path records decision times in one, and a scrape must never hold
// anything a door waits on (the library's histograms take a mutex that
// their writer holds too). A scrape reads the buckets one by one, so it
// may see an observation in a bucket and not yet in the sum; counts are
// taken from the buckets, so _count and le="+Inf" always agree.
type Latency struct {
	bounds []time.Duration // upper bounds, ascending
	counts []atomic.Uint64 // per bucket (not cumulative); the last is +Inf
	sum    atomic.Int64    // nanoseconds
}

// NewLatency returns a histogram with the given upper bounds, which must
// ascend.
func NewLatency(bounds ...time.Duration) *Latency {
	for i := 1; i < len(bounds); i++ {
		if bounds[i] <= bounds[i-1] {
			panic("metrics: latency bounds must ascend")
		}
	}
	return &Latency{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Buckets for the histograms doord keeps: a decision takes about a
// microsecond, a commit an fsync (milliseconds on an SD card, up to
// seconds on a worn one).
var (
	DecisionBuckets = []time.Duration{time.Microsecond, 2500 * time.Nanosecond, 5 * time.Microsecond,
		10 * time.Microsecond, 25 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond,
		250 * time.Microsecond, time.Millisecond, 10 * time.Millisecond}
	CommitBuckets = []time.Duration{time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
		10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
		250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond}
)

// Observe records one duration. Safe for concurrent use; allocation-free.
func (l *Latency) Observe(d time.Duration) {
	i := 0
	for i < len(l.bounds) && d > l.bounds[i] {
		i++
	}
	l.counts[i].Add(1)
	l.sum.Add(int64(d))
}

// snapshot returns the cumulative bucket counts (the last is +Inf, the
// total) and the sum in seconds.
func (l *Latency) snapshot() (cum []uint64, sum float64) {
	cum = make([]uint64, len(l.counts))
	var n uint64
	for i := range l.counts {
		n += l.counts[i].Load()
		cum[i] = n
	}
	return cum, time.Duration(l.sum.Load()).Seconds()
}

// write puts the histogram's samples (no metadata) in the text format.
func (l *Latency) write(w io.Writer, name string) {
	cum, sum := l.snapshot()
	b := make([]byte, 0, 64*len(cum))
	for i, n := range cum {
		le := "+Inf"
		if i < len(l.bounds) {
			le = strconv.FormatFloat(l.bounds[i].Seconds(), 'g', -1, 64)
		}
		b = append(b, name...)
		b = append(b, `_bucket{le="`...)
		b = append(b, le...)
		b = append(b, `"} `...)
		b = strconv.AppendUint(b, n, 10)
		b = append(b, '\n')
	}
	b = append(b, name...)
	b = append(b, "_sum "...)
	b = strconv.AppendFloat(b, sum, 'g', -1, 64)
	b = append(b, '\n')
	b = append(b, name...)
	b = append(b, "_count "...)
	b = strconv.AppendUint(b, cum[len(cum)-1], 10)
	b = append(b, '\n')
	w.Write(b)
}
