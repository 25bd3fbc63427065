package access

import (
	"testing"
	"time"
)

// BenchmarkDecideFramed is BenchmarkDecide/engine with the frame format a
// real reader delivers (the benchmark's payloads are 34-bit): each lookup
// looks for the card bound to 34bit or the plain number in one walk
// (lookupCard), where Decide/engine's format-less frames look for the
// plain number only.
func BenchmarkDecideFramed(b *testing.B) {
	benchEngine(b)
	e, cards := bench.e, bench.cards
	f := FrameFormat("34bit", 34)
	lat := make(latencies, 0, min(b.N, maxSamples))
	granted := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := cards[(i*7919)%len(cards)]
		t0 := time.Now()
		o := e.Present("r", Presentation{Kind: PresentCard, Card: c, Format: f}, benchNow)
		if d := time.Since(t0); len(lat) < maxSamples {
			lat = append(lat, int64(d))
		}
		if o.Kind == OutcomeGranted {
			granted++
		}
	}
	b.StopTimer()
	if b.N > 1000 && granted < b.N/2 {
		b.Fatalf("only %d of %d granted", granted, b.N)
	}
	lat.report(b)
}
