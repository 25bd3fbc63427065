package wiegand

import (
	"fmt"
	"time"
)

// DefaultGap is the silence that ends a frame when its length is not known
// in advance. Readers send bits 0.2–20 ms apart (typically 1–2 ms), so the
// gap must be longer than the slowest bit interval or slow readers' frames
// are cut in two; 25 ms clears 20 ms with margin for jitter. It is also the
// latency auto-detected frames pay, so installers whose readers are known to
// be fast may lower frame_gap (e.g. 8 ms for a 2 ms reader).
const DefaultGap = 25 * time.Millisecond

// MaxBits is the longest frame decoded; longer bursts are noise.
const MaxBits = 64

// Config is how one reader's frames are told apart and read.
type Config struct {
	// Format is one of the Format names; "" or "auto" detects the card
	// format by length and completes frames on the gap. A fixed format
	// completes a frame on its last bit, without waiting for the gap.
	Format string
	// Keypad is one of the Keypad modes; "" means auto.
	Keypad string
	// Gap is the silence that ends a frame; 0 means DefaultGap.
	Gap time.Duration
}

// Result is what one frame decoded to: a card, a key, or a bad read.
type Result struct {
	At   time.Time // the frame's last edge
	Bits int       // frame length
	Raw  uint64    // frame bits, first sent = MSB (low 64 if longer)
	Card *Card     // set for a good card frame
	Key  byte      // set for a good keypad burst: '0'-'9', '*', '#'
	Bad  string    // set for a bad read: why
}

func (r Result) String() string {
	switch {
	case r.Card != nil:
		return fmt.Sprintf("card %s facility=%d number=%d value=%d", r.Card.Format, r.Card.Facility, r.Card.Number, r.Card.Value)
	case r.Key != 0:
		return fmt.Sprintf("key %c", r.Key)
	}
	return fmt.Sprintf("bad read (%d bits): %s", r.Bits, r.Bad)
}

// Decoder turns a stream of edges into frames. It is not safe for
// concurrent use; a reader goroutine owns one.
//
// Time comes only from the edges (and from the now passed to Expire), so
// the same edges always give the same frames: that is what makes a batch of
// edges from a stalled reader goroutine split exactly like live ones.
type Decoder struct {
	format  *format // nil: auto or raw
	raw     bool
	keypad  string
	gap     time.Duration
	n       int    // bits in the current frame
	bits    uint64 // current frame, last bit in the LSB
	first   time.Time
	last    time.Time
	lastSeq uint64
	damaged string
	// early is set when the last frame completed on its last bit; an edge
	// within the gap after that means the frame was really longer.
	early bool
}

// NewDecoder checks cfg and returns a decoder for it.
func NewDecoder(cfg Config) (*Decoder, error) {
	if !ValidFormat(cfg.Format) {
		return nil, fmt.Errorf("unknown card format %q", cfg.Format)
	}
	if !ValidKeypad(cfg.Keypad) {
		return nil, fmt.Errorf("unknown keypad mode %q", cfg.Keypad)
	}
	d := &Decoder{format: lookup(cfg.Format), raw: cfg.Format == FormatRaw, keypad: cfg.Keypad, gap: cfg.Gap}
	if d.keypad == "" {
		d.keypad = KeypadAuto
	}
	if d.gap <= 0 {
		d.gap = DefaultGap
	}
	return d, nil
}

// Gap returns the frame gap in use.
func (d *Decoder) Gap() time.Duration { return d.gap }

// Pending reports whether a frame is in progress.
func (d *Decoder) Pending() bool { return d.n > 0 || d.damaged != "" }

// Deadline is when Expire should be called if no edge comes first: the
// last edge plus the gap. ok is false when no frame is in progress.
func (d *Decoder) Deadline() (t time.Time, ok bool) {
	if !d.Pending() {
		return time.Time{}, false
	}
	return d.last.Add(d.gap), true
}

// Push feeds one edge and appends any frames it completes to out: the
// previous frame if the edge came after a gap, and the current one if it
// reached the configured format's length.
func (d *Decoder) Push(e Edge, out []Result) []Result {
	if e.Seq != 0 && d.lastSeq != 0 && e.Seq != d.lastSeq+1 {
		// The source dropped events. They may be the tail of the frame
		// in progress or the start of the one this edge begins, so
		// both become bad reads — checked before the time gap, which
		// would otherwise pass a frame missing its last bits. A wrong
		// card is worse than asking for a second swipe.
		lost := fmt.Sprintf("damaged frame: %d edge(s) lost (seqno %d after %d)", int64(e.Seq)-int64(d.lastSeq)-1, e.Seq, d.lastSeq)
		if d.Pending() {
			if d.damaged == "" {
				d.damaged = lost
			}
			out = d.finish(out)
		}
		d.early = false
		d.damaged = lost
	} else if d.Pending() && e.At.Sub(d.last) >= d.gap {
		out = d.finish(out)
	}
	if e.Seq != 0 {
		d.lastSeq = e.Seq
	}
	if d.early && !d.Pending() && e.At.Sub(d.last) < d.gap {
		// The card already reported matched the configured length,
		// but the reader kept sending: it was a longer frame. The card
		// cannot be taken back (that is the price of not waiting for
		// the gap); the rest is swallowed as one bad read.
		d.damaged = fmt.Sprintf("frame ran past %d bits (reader sends a longer format than %s?)", d.format.Bits, d.format.Name)
	}
	d.early = false
	if d.n == 0 {
		d.first = e.At
	}
	d.last = e.At
	d.bits = d.bits<<1 | uint64(e.Line&1)
	d.n++
	if d.format != nil && d.n == d.format.Bits && d.damaged == "" {
		out = d.finish(out)
		d.early = true
	}
	return out
}

// Expire completes the frame in progress if the gap has passed by now.
func (d *Decoder) Expire(now time.Time, out []Result) []Result {
	if d.Pending() && now.Sub(d.last) >= d.gap {
		out = d.finish(out)
	}
	return out
}

// Flush completes the frame in progress regardless of time (end of input).
func (d *Decoder) Flush(out []Result) []Result {
	if d.Pending() {
		out = d.finish(out)
	}
	return out
}

func (d *Decoder) finish(out []Result) []Result {
	r := d.decode()
	d.n, d.bits, d.damaged = 0, 0, ""
	return append(out, r)
}

func (d *Decoder) decode() Result {
	r := Result{At: d.last, Bits: d.n, Raw: d.bits}
	n := d.n
	switch {
	case d.damaged != "":
		r.Bad = d.damaged
		return r
	case n > MaxBits:
		r.Bad = fmt.Sprintf("%d bits is longer than any frame (noise?)", n)
		return r
	case n == 4 || n == 8:
		k, why := decodeKey(d.bits, n, d.keypad)
		if why != "" {
			r.Bad = why
		} else {
			r.Key = k
		}
		return r
	}
	f := d.format
	switch {
	case d.raw:
		if n < 9 {
			r.Bad = fmt.Sprintf("%d bits is too short for a card (noise?)", n)
			return r
		}
		r.Card = &Card{Format: FormatRaw, Number: d.bits, Bits: n, Raw: d.bits, Value: d.bits}
		return r
	case f == nil:
		if f = byLength(n); f == nil {
			r.Bad = fmt.Sprintf("%d bits matches no known format", n)
			return r
		}
	case n != f.Bits:
		r.Bad = fmt.Sprintf("%d bits, want %d for %s", n, f.Bits, f.Name)
		return r
	}
	c, why := f.decode(d.bits)
	if why != "" {
		r.Bad = why
		return r
	}
	r.Card = &c
	return r
}

// Decode is the pure form of the decoder: every frame in edges, in order,
// with the last frame completed as if the gap had passed.
func Decode(edges []Edge, cfg Config) ([]Result, error) {
	d, err := NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, e := range edges {
		out = d.Push(e, out)
	}
	return d.Flush(out), nil
}
