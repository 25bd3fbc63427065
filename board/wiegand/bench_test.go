package wiegand

import "testing"

// BenchmarkDecodeFrame is the decoder's cost per 26-bit frame on the
// reader goroutine: 26 Push calls; the card completes on its last bit.
func BenchmarkDecodeFrame(b *testing.B) {
	bits, _ := Encode(FormatH10301, 123, 4567)
	edges := Edges(Train(bits, t0, DefaultTiming), 1)
	for _, format := range []string{FormatH10301, FormatAuto} {
		b.Run(format, func(b *testing.B) {
			d, _ := NewDecoder(Config{Format: format})
			out := make([]Result, 0, 4)
			b.ReportAllocs()
			for b.Loop() {
				out = out[:0]
				for _, e := range edges {
					out = d.Push(e, out)
				}
				out = d.Flush(out)
				if len(out) != 1 || out[0].Card == nil {
					b.Fatal(out)
				}
			}
		})
	}
}
