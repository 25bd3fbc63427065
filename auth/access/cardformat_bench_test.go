package access

import "testing"

// BenchmarkDecideFramed is BenchmarkDecide/engine with the frame format a
// real reader delivers (the benchmark's payloads are 34-bit): each lookup
// looks for the card bound to 34bit or the plain number in one walk
// (lookupCard), where Decide/engine's format-less frames look for the
// plain number only.
func BenchmarkDecideFramed(b *testing.B) {
	benchEngine(b)
	lat := framedDecisionLoop(b, make(latencies, 0, min(b.N, maxSamples)), benchNow, FrameFormat("34bit", 34))
	lat.report(b)
}
