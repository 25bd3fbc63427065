package wiegand

import (
	"math/rand/v2"
	"time"
)

// Timing is how a simulated reader spaces its pulses.
type Timing struct {
	Pulse    time.Duration // low time of each bit; 0 means 50 µs
	Interval time.Duration // bit period, fall to fall; 0 means 2 ms
	// Jitter varies each interval uniformly within ±Jitter (never below
	// twice the pulse width); it needs Rand.
	Jitter time.Duration
	Rand   *rand.Rand
}

// DefaultTiming is a typical reader: 50 µs pulses every 2 ms.
var DefaultTiming = Timing{Pulse: 50 * time.Microsecond, Interval: 2 * time.Millisecond}

func (t Timing) withDefaults() Timing {
	if t.Pulse <= 0 {
		t.Pulse = DefaultTiming.Pulse
	}
	if t.Interval <= 0 {
		t.Interval = DefaultTiming.Interval
	}
	return t
}

// Duration is how long bits take on the wire without jitter, first fall
// to last rise.
func (t Timing) Duration(bits int) time.Duration {
	if bits == 0 {
		return 0
	}
	t = t.withDefaults()
	return time.Duration(bits-1)*t.Interval + t.Pulse
}

// Span is how long bits take from the first falling edge to the last,
// without jitter.
func (t Timing) Span(bits int) time.Duration {
	if bits == 0 {
		return 0
	}
	return time.Duration(bits-1) * t.withDefaults().Interval
}

// Pulse is one bit on the wire: its line goes low at Fall and high at Rise.
type Pulse struct {
	Line       Line
	Fall, Rise time.Time
}

// Train lays bits out as pulses, the first falling at start.
func Train(bits []bool, start time.Time, t Timing) []Pulse {
	t = t.withDefaults()
	out := make([]Pulse, len(bits))
	at := start
	for i, b := range bits {
		if i > 0 {
			iv := t.Interval
			if t.Jitter > 0 && t.Rand != nil {
				iv += time.Duration(t.Rand.Int64N(int64(2*t.Jitter)+1)) - t.Jitter
			}
			if iv < 2*t.Pulse {
				iv = 2 * t.Pulse
			}
			at = at.Add(iv)
		}
		l := D0
		if b {
			l = D1
		}
		out[i] = Pulse{Line: l, Fall: at, Rise: at.Add(t.Pulse)}
	}
	return out
}

// Edges returns the falling edges of pulses, numbered from seq (0: none).
func Edges(pulses []Pulse, seq uint64) []Edge {
	out := make([]Edge, len(pulses))
	for i, p := range pulses {
		out[i] = Edge{Line: p.Line, At: p.Fall}
		if seq != 0 {
			out[i].Seq = seq + uint64(i)
		}
	}
	return out
}
