package wiegand

import (
	"testing"
	"time"
)

// BenchmarkDecodeFrame is the decoder's cost per 26-bit frame on the
// reader goroutine: 26 Push calls with seqnos and timestamps moving on as
// they would live (a second between swipes); a configured format
// completes on the last bit, auto on Expire after the gap.
func BenchmarkDecodeFrame(b *testing.B) {
	bits, _ := Encode(FormatH10301, 123, 4567)
	edges := Edges(Train(bits, t0, DefaultTiming), 0)
	for _, format := range []string{FormatH10301, FormatAuto} {
		b.Run(format, func(b *testing.B) {
			d, _ := NewDecoder(Config{Format: format})
			out := make([]Result, 0, 4)
			var seq uint64
			var off time.Duration
			b.ReportAllocs()
			for b.Loop() {
				out = out[:0]
				for _, e := range edges {
					seq++
					e.Seq, e.At = seq, e.At.Add(off)
					out = d.Push(e, out)
				}
				out = d.Expire(edges[len(edges)-1].At.Add(off+time.Second), out)
				off += time.Second
				if len(out) != 1 || out[0].Card == nil {
					b.Fatal(out)
				}
			}
		})
	}
}
