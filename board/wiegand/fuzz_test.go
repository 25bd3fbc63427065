package wiegand

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"
)

// FuzzDecodeEdges: arbitrary edges (lines, timestamps that may go
// backwards, seqnos that jump) never panic, and every result is exactly
// one of card, key or bad read.
func FuzzDecodeEdges(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "", "")
	f.Add(make([]byte, 26*4), "h10301", "4bit")
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 1}, "c1000", "8bit")
	f.Fuzz(func(t *testing.T, data []byte, format, keypad string) {
		d, err := NewDecoder(Config{Format: format, Keypad: keypad, Gap: time.Duration(len(data)) * time.Millisecond})
		if err != nil {
			return
		}
		var out []Result
		at := t0
		var seq uint64
		for len(data) >= 4 {
			v := binary.LittleEndian.Uint32(data)
			data = data[4:]
			at = at.Add(time.Duration(int16(v>>8)) * 10 * time.Microsecond)
			if v&2 != 0 {
				seq += uint64(v>>24) % 3
			} else {
				seq = 0
			}
			out = d.Push(Edge{Line: Line(v & 1), At: at, Seq: seq}, out)
		}
		out = d.Expire(at.Add(time.Hour), out)
		out = d.Flush(out)
		for _, r := range out {
			n := 0
			if r.Card != nil {
				n++
			}
			if r.Key != 0 {
				n++
			}
			if r.Bad != "" {
				n++
			}
			if n != 1 {
				t.Fatalf("result %+v is not exactly one of card, key, bad", r)
			}
		}
	})
}

// randomFrame encodes a random card in a random format with random
// reader timing inside the Wiegand envelope: pulses 20–100 µs, bit
// intervals 0.2–20 ms, each interval jittered by up to ±10 % (clamped to
// the envelope).
func randomFrame(rng *rand.Rand, start time.Time) (format string, fac, num uint64, pulses []Pulse) {
	f := formats[rng.IntN(len(formats))]
	fac = rng.Uint64N(1 << uint(f.FacLen))
	num = rng.Uint64N(1 << uint(f.CardLen))
	raw, _ := f.encode(fac, num)
	width := time.Duration(20+rng.IntN(81)) * time.Microsecond
	interval := time.Duration(200+rng.IntN(19801)) * time.Microsecond
	at := start
	for i, b := range Bits(raw, f.Bits) {
		if i > 0 {
			iv := interval + time.Duration(rng.Int64N(int64(interval/5)+1)) - interval/10
			iv = min(max(iv, 200*time.Microsecond), 20*time.Millisecond)
			at = at.Add(iv)
		}
		l := D0
		if b {
			l = D1
		}
		pulses = append(pulses, Pulse{Line: l, Fall: at, Rise: at.Add(width)})
	}
	return f.Name, fac, num, pulses
}

// The gap must exceed the slowest interval (20 ms): DefaultGap (25 ms)
// does, in both configured and auto mode.
func TestRoundTripRandomTiming(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		format, fac, num, pulses := randomFrame(rng, t0)
		for _, cfg := range []Config{{Format: format}, {}} {
			got, _ := Decode(Edges(pulses, 1), cfg)
			if len(got) != 1 || got[0].Card == nil || got[0].Card.Format != format || got[0].Card.Facility != fac || got[0].Card.Number != num {
				t.Fatalf("%s %d/%d (cfg %q): got %v", format, fac, num, cfg.Format, got)
			}
		}
	}
}

// Two frames in one batch, separated by anything from just over the gap to
// a second: both come out, in order.
func TestRoundTripBackToBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000; i++ {
		f1, fac1, num1, p1 := randomFrame(rng, t0)
		gap := DefaultGap + time.Duration(rng.Int64N(int64(time.Second)))
		f2, fac2, num2, p2 := randomFrame(rng, p1[len(p1)-1].Fall.Add(gap))
		edges := Edges(append(p1, p2...), 1)
		got, _ := Decode(edges, Config{})
		if len(got) != 2 || got[0].Card == nil || got[1].Card == nil ||
			got[0].Card.Format != f1 || got[0].Card.Facility != fac1 || got[0].Card.Number != num1 ||
			got[1].Card.Format != f2 || got[1].Card.Facility != fac2 || got[1].Card.Number != num2 {
			t.Fatalf("%s %d/%d then %s %d/%d: got %v", f1, fac1, num1, f2, fac2, num2, got)
		}
	}
}

// Dropping any one edge (seqno gap) never yields a card, only bad reads,
// for one frame or two back to back.
func TestRoundTripDroppedEdge(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 1000; i++ {
		f1, _, _, p1 := randomFrame(rng, t0)
		// Same format twice: a reader configured for one format is not
		// expected to see another (see TestWrongLengthAndNoise).
		f2, fac2, num2, p2 := randomFrame(rng, p1[len(p1)-1].Fall.Add(DefaultGap+time.Millisecond))
		for f2 != f1 {
			f2, fac2, num2, p2 = randomFrame(rng, p1[len(p1)-1].Fall.Add(DefaultGap+time.Millisecond))
		}
		edges := Edges(append(p1, p2...), 1)
		drop := 1 + rng.IntN(len(p1)-1) // inside frame 1 or at the start of frame 2
		edges = append(edges[:drop:drop], edges[drop+1:]...)
		for _, cfg := range []Config{{Format: f1}, {}} {
			got, _ := Decode(edges, cfg)
			if len(got) == 0 || got[0].Bad == "" {
				t.Fatalf("edge %d of %s dropped (cfg %q): got %v, want a bad read first", drop, f1, cfg.Format, got)
			}
			for _, r := range got {
				// Only the untouched second frame may come out, and
				// only as itself.
				if r.Key != 0 || r.Card != nil && (r.Card.Format != f2 || r.Card.Facility != fac2 || r.Card.Number != num2) {
					t.Fatalf("edge %d of %s dropped (cfg %q): got %v, a wrong card", drop, f1, cfg.Format, got)
				}
			}
		}
	}
}

// FuzzRoundTrip is the go test -fuzz form of the round trip: the fuzzer
// picks the seed for timing, card and format.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		rng := rand.New(rand.NewPCG(a, b))
		format, fac, num, pulses := randomFrame(rng, t0)
		got, _ := Decode(Edges(pulses, 1), Config{})
		if len(got) != 1 || got[0].Card == nil || got[0].Card.Format != format || got[0].Card.Facility != fac || got[0].Card.Number != num {
			t.Fatalf("%s %d/%d: got %v", format, fac, num, got)
		}
	})
}
