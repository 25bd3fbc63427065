package wiegand

import (
	"strings"
	"testing"
	"time"
)

// The issue's own examples, each a bad read now (each was a different
// valid card or key before).
func TestIssueExamplesAreBadReads(t *testing.T) {
	// bounce returns the edges of bits with a second fall on the same
	// line 10 µs after bit i (1-based).
	bounce := func(bits []bool, i int) []Edge {
		e := Edges(Train(bits, t0, DefaultTiming), 0)
		b := Edge{Line: e[i-1].Line, At: e[i-1].At.Add(10 * time.Microsecond)}
		return append(e[:i:i], append([]Edge{b}, e[i:]...)...)
	}
	// pause returns the edges with a pause after bit i.
	pause := func(bits []bool, i int, p time.Duration) []Edge {
		e := Edges(Train(bits, t0, DefaultTiming), 0)
		for j := i; j < len(e); j++ {
			e[j].At = e[j].At.Add(p)
		}
		return e
	}
	key5, _ := EncodeKey('5', Keypad8)
	for _, tc := range []struct {
		name  string
		edges []Edge
		cfg   Config
		want  string // in the bad read's reason
	}{
		{"h10301 123/4567, 10µs bounce on bit 13 (was 123/4331)", bounce(cardBits(t, FormatH10301, 123, 4567), 13),
			Config{Format: FormatH10301, Keypad: KeypadAuto}, "below the 150µs minimum"},
		{"34bit 1/4567 bounced, auto (was c1000 0/135639)", bounce(cardBits(t, Format34, 1, 4567), 20),
			Config{Keypad: KeypadAuto}, "below the 150µs minimum"},
		{"c1000 3602/767067, 30ms pause after bit 9, auto (was h10301 43/46171)", pause(cardBits(t, FormatC1000, 3602, 767067), 9, 30*time.Millisecond),
			Config{Keypad: KeypadAuto}, "split frame"},
		{"8-bit key 5, 30ms pause after 4 bits, keypad auto (was keys * and 5)", pause(key5, 4, 30*time.Millisecond),
			Config{Keypad: KeypadAuto}, "split frame"},
		{"8-bit key 5, 30ms pause after 4 bits, no keypad", pause(key5, 4, 30*time.Millisecond),
			Config{Format: FormatH10301, Keypad: KeypadNone}, "no keypad"},
	} {
		got, err := Decode(tc.edges, tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var why []string
		for _, r := range got {
			if r.Card != nil || r.Key != 0 {
				t.Errorf("%s: got %v, want only bad reads", tc.name, got)
			}
			why = append(why, r.Bad)
		}
		if !strings.Contains(strings.Join(why, "; "), tc.want) {
			t.Errorf("%s: reasons %q, want one containing %q", tc.name, why, tc.want)
		}
	}
}

// The minimum interval is per reader: a reader configured for 300 µs
// refuses 250 µs bits that the default accepts.
func TestMinIntervalConfigurable(t *testing.T) {
	edges := Edges(Train(cardBits(t, FormatH10301, 1, 2), t0, Timing{Interval: 250 * time.Microsecond}), 0)
	for _, tc := range []struct {
		min  time.Duration
		card bool
	}{{0, true}, {200 * time.Microsecond, true}, {300 * time.Microsecond, false}} {
		got, _ := Decode(edges, Config{Format: FormatH10301, MinInterval: tc.min})
		if ok := len(got) == 1 && got[0].Card != nil; ok != tc.card {
			t.Errorf("min interval %v: got %v, want card=%v", tc.min, got, tc.card)
		}
	}
	if _, err := NewDecoder(Config{MinInterval: -1}); err == nil {
		t.Error("negative minimum interval accepted")
	}
}

// A late edge — stamped within the gap after a frame's last bit but
// delivered after the reader goroutine closed that frame on its deadline —
// belongs to the closed frame: it is a bad read, not the first bit of a
// new frame that then swallows the next swipe's start.
func TestLateEdgeAfterExpireIsBadRead(t *testing.T) {
	bits := cardBits(t, FormatH10301, 9, 99)
	e := Edges(Train(bits, t0, DefaultTiming), 1)
	for _, format := range []string{FormatH10301, FormatAuto} {
		d, _ := NewDecoder(Config{Format: format})
		var out []Result
		for _, x := range e[:25] {
			out = d.Push(x, out)
		}
		dl, _ := d.Deadline()
		out = d.Expire(dl, out) // the 26th edge was not delivered in time
		late := e[25]
		out = d.Push(late, out)
		out = d.Flush(out)
		if len(out) != 2 || out[0].Card != nil || out[1].Card != nil || !strings.Contains(out[1].Bad, "late edge") {
			t.Errorf("format %q: got %v, want a 25-bit bad read and a late-edge bad read", format, out)
		}
	}
}

// A split frame's pieces: after a damaged piece, a piece with the same
// rhythm within four gaps is its rest; a card after a quiet pause longer
// than that is read normally.
func TestSplitFrameContinuationWindow(t *testing.T) {
	bits := cardBits(t, FormatH10301, 77, 7777)
	for _, tc := range []struct {
		pause time.Duration
		card  bool
	}{{30 * time.Millisecond, false}, {99 * time.Millisecond, false}, {101 * time.Millisecond, true}} {
		// 9 bits of something (a truncated frame), then the whole card.
		e := Edges(Train(bits[:9], t0, DefaultTiming), 0)
		e = append(e, Edges(Train(bits, e[8].At.Add(tc.pause), DefaultTiming), 0)...)
		got, _ := Decode(e, Config{Keypad: KeypadAuto})
		card := len(got) == 2 && got[0].Bad != "" && got[1].Card != nil && got[1].Card.Number == 7777
		if card != tc.card {
			t.Errorf("pause %v: got %v, want card=%v", tc.pause, got, tc.card)
		}
	}
}

// Events lost while a key is held may be the rest of its frame: the key
// becomes a bad read too.
func TestSeqnoGapAfterHeldKeyIsBadRead(t *testing.T) {
	b, _ := EncodeKey('5', Keypad4)
	e := Edges(Train(b, t0, DefaultTiming), 1)
	next := Edge{Line: D0, At: e[3].At.Add(DefaultGap + time.Millisecond), Seq: 7} // seqnos 5 and 6 lost
	got, _ := Decode(append(e, next), Config{Keypad: KeypadAuto})
	for _, r := range got {
		if r.Key != 0 {
			t.Fatalf("got %v, want no key", got)
		}
	}
}
