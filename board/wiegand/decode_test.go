package wiegand

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func cardBits(t *testing.T, format string, fac, num uint64) []bool {
	t.Helper()
	b, err := Encode(format, fac, num)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyEdges(t *testing.T, keys, mode string, start time.Time, spacing time.Duration) []Edge {
	t.Helper()
	var out []Edge
	for i, k := range keys {
		b, err := EncodeKey(k, mode)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Edges(Train(b, start.Add(time.Duration(i)*spacing), DefaultTiming), 0)...)
	}
	return out
}

func TestKeypad(t *testing.T) {
	for _, tc := range []struct{ keys, mode, cfg, want string }{
		{"0123456789*#", Keypad4, KeypadAuto, "0123456789*#"},
		{"0123456789*#", Keypad8, KeypadAuto, "0123456789*#"},
		{"12#", Keypad4, Keypad4, "12#"},
		{"12#", Keypad8, Keypad8, "12#"},
	} {
		got, err := Decode(keyEdges(t, tc.keys, tc.mode, t0, 200*time.Millisecond), Config{Keypad: tc.cfg})
		if err != nil {
			t.Fatal(err)
		}
		var keys strings.Builder
		for _, r := range got {
			if r.Key == 0 {
				t.Fatalf("%s %s: bad read %v", tc.mode, tc.keys, r)
			}
			keys.WriteByte(r.Key)
		}
		if keys.String() != tc.want {
			t.Errorf("%s keys %q decoded as %q", tc.mode, tc.keys, keys.String())
		}
	}
	// Codes that are not keys, a broken complement, and modes that exclude.
	for _, tc := range []struct {
		raw  uint64
		n    int
		mode string
	}{
		{0b1100, 4, KeypadAuto},                  // 12 is no key
		{0b11110001, 8, KeypadAuto},              // high nibble 1111 is not ^0001 = 1110
		{0b11100001, 8, Keypad4},                 // valid 8-bit '1', but reader is 4-bit
		{0b0001, 4, Keypad8},                     // valid 4-bit '1', but reader is 8-bit
		{0b0001, 4, KeypadNone},                  // no keypad at all
		{0b0001, 4, ""},                          // no keypad declared: none
		{0b00001111 ^ 0b11110000, 8, KeypadAuto}, // 0x0F: low 1111 is 15, no key
	} {
		got, _ := Decode(Edges(Train(Bits(tc.raw, tc.n), t0, DefaultTiming), 0), Config{Keypad: tc.mode})
		if len(got) != 1 || got[0].Bad == "" || got[0].Key != 0 {
			t.Errorf("%0*b in mode %q: got %v, want a bad read", tc.n, tc.raw, tc.mode, got)
		}
	}
}

// With a configured format the card comes out after the confirmation
// silence (3 mean intervals: 6 ms for a 2 ms reader), not on its last bit
// and not after the whole gap; in auto mode only once the gap has passed.
func TestCompletesAfterConfirmationWhenConfigured(t *testing.T) {
	edges := Edges(Train(cardBits(t, FormatH10301, 1, 2), t0, DefaultTiming), 0)
	last := edges[len(edges)-1].At
	for _, tc := range []struct {
		format string
		wait   time.Duration
	}{{FormatH10301, 6 * time.Millisecond}, {FormatAuto, DefaultGap}, {"", DefaultGap}} {
		d, _ := NewDecoder(Config{Format: tc.format})
		var out []Result
		for _, e := range edges {
			out = d.Push(e, out)
		}
		if len(out) != 0 {
			t.Errorf("format %q: %v on the last bit, before any silence", tc.format, out)
		}
		if dl, ok := d.Deadline(); !ok || !dl.Equal(last.Add(tc.wait)) {
			t.Errorf("format %q: deadline = %v %v, want last edge + %v", tc.format, dl.Sub(last), ok, tc.wait)
		}
		if out = d.Expire(last.Add(tc.wait-time.Nanosecond), out); len(out) != 0 {
			t.Errorf("format %q: frame completed before %v of silence: %v", tc.format, tc.wait, out)
		}
		if out = d.Expire(last.Add(tc.wait), out); len(out) != 1 || out[0].Card == nil || out[0].Card.Number != 2 || !out[0].At.Equal(last) {
			t.Errorf("format %q: after %v got %v, want card 2 stamped at the last edge", tc.format, tc.wait, out)
		}
	}
}

// The confirmation window follows the reader's own speed: 3 mean intervals
// capped at 10 ms, never under 1.6 intervals (so a slow reader's next bit
// still lands inside) and never over the gap.
func TestConfirmWindow(t *testing.T) {
	for _, tc := range []struct {
		interval, gap, want time.Duration
	}{
		{250 * time.Microsecond, 0, 750 * time.Microsecond},
		{2 * time.Millisecond, 0, 6 * time.Millisecond},
		{5 * time.Millisecond, 0, 10 * time.Millisecond},
		{8 * time.Millisecond, 0, 12800 * time.Microsecond},
		{20 * time.Millisecond, 0, DefaultGap},
		{5 * time.Millisecond, 8 * time.Millisecond, 8 * time.Millisecond},
	} {
		d, _ := NewDecoder(Config{Format: FormatH10301, Gap: tc.gap})
		for _, e := range Edges(Train(cardBits(t, FormatH10301, 1, 2), t0, Timing{Interval: tc.interval}), 0) {
			d.Push(e, nil)
		}
		if got := d.Confirm(); got != tc.want {
			t.Errorf("interval %v gap %v: confirm %v, want %v", tc.interval, tc.gap, got, tc.want)
		}
	}
}

func TestWrongLengthAndNoise(t *testing.T) {
	for _, tc := range []struct {
		n      int
		format string
		want   string
	}{
		{27, "", "27 bits matches no known format"},
		{2, "", "2 bits matches no known format"},
		{30, FormatH10301, "after bit 26 of a complete h10301 frame"},
		{25, FormatH10301, "25 bits, want 26 for h10301"},
		{70, "", "70 bits is longer than any frame"},
		{3, FormatRaw, "3 bits is too short"},
	} {
		got, _ := Decode(Edges(Train(make([]bool, tc.n), t0, DefaultTiming), 0), Config{Format: tc.format})
		var bad []string
		for _, r := range got {
			bad = append(bad, r.Bad)
		}
		if len(got) == 0 || !strings.Contains(got[len(got)-1].Bad, tc.want) {
			t.Errorf("%d bits, format %q: got %q, want a bad read containing %q", tc.n, tc.format, bad, tc.want)
		}
	}
}

// A raw reader takes any length; a frame of a known format's length reads
// as that format, with the value the credential API stores for it (123/4567
// is 8065495 = 123<<16|4567, not the 49685422 of all 26 bits), so a card
// enrolled by facility and number opens a raw reader too.
func TestRawFormat(t *testing.T) {
	bits := Bits(0x1ABCDE, 21)
	got, _ := Decode(Edges(Train(bits, t0, DefaultTiming), 0), Config{Format: FormatRaw})
	if len(got) != 1 || got[0].Card == nil || got[0].Card.Value != 0x1ABCDE || got[0].Card.Bits != 21 || got[0].Card.Format != FormatRaw {
		t.Errorf("got %v, want raw card 0x1ABCDE", got)
	}
	got, _ = Decode(Edges(Train(cardBits(t, FormatH10301, 123, 4567), t0, DefaultTiming), 0), Config{Format: FormatRaw})
	if len(got) != 1 || got[0].Card == nil || got[0].Card.Value != 8065495 || got[0].Card.Format != FormatH10301 {
		t.Errorf("h10301 123/4567 on a raw reader: %v, want h10301 value 8065495", got)
	}
	// A known length with broken parity is damage, not a raw value that
	// could equal someone's card.
	bad := cardBits(t, FormatH10301, 123, 4567)
	bad[5] = !bad[5]
	got, _ = Decode(Edges(Train(bad, t0, DefaultTiming), 0), Config{Format: FormatRaw})
	if len(got) != 1 || got[0].Card != nil || !strings.Contains(got[0].Bad, "parity") {
		t.Errorf("h10301 with a flipped bit on a raw reader: %v, want a parity bad read", got)
	}
}

// A stalled reader goroutine hands the decoder two frames at once; the
// timestamps, not the arrival, split them.
func TestBackToBackFramesSplitOnTimestamps(t *testing.T) {
	a := Edges(Train(cardBits(t, FormatH10301, 1, 100), t0, DefaultTiming), 1)
	start2 := a[len(a)-1].At.Add(DefaultGap + time.Millisecond)
	b := Edges(Train(cardBits(t, FormatH10301, 1, 200), start2, DefaultTiming), uint64(len(a)+1))
	for _, format := range []string{"", FormatH10301} {
		got, _ := Decode(append(append([]Edge{}, a...), b...), Config{Format: format})
		if len(got) != 2 || got[0].Card == nil || got[1].Card == nil || got[0].Card.Number != 100 || got[1].Card.Number != 200 {
			t.Errorf("format %q: got %v, want cards 100 then 200", format, got)
		}
	}
}

// A gap in the kernel's sequence numbers damages the frame: a bad read,
// never a card, whichever edge went missing.
func TestSeqnoGapIsBadRead(t *testing.T) {
	bits := cardBits(t, FormatH10301, 7, 777)
	for drop := range bits {
		edges := Edges(Train(bits, t0, DefaultTiming), 1)
		edges = append(edges[:drop:drop], edges[drop+1:]...)
		for _, format := range []string{"", FormatH10301} {
			got, _ := Decode(edges, Config{Format: format})
			for _, r := range got {
				if r.Card != nil || r.Key != 0 {
					t.Fatalf("edge %d dropped, format %q: got %v, want only bad reads", drop, format, got)
				}
			}
			// Losing the first or last edge leaves no seqno gap inside the
			// frame; it is still a bad read (wrong length), checked above.
			if drop > 0 && drop < len(bits)-1 && (len(got) == 0 || !strings.Contains(got[len(got)-1].Bad, "damaged")) {
				t.Errorf("edge %d dropped, format %q: got %v, want a damaged frame", drop, format, got)
			}
		}
	}
}

func TestNewDecoderRejects(t *testing.T) {
	if _, err := NewDecoder(Config{Format: "h10302"}); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := NewDecoder(Config{Keypad: "16bit"}); err == nil {
		t.Error("unknown keypad accepted")
	}
}
