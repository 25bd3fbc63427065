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

// DefaultMinInterval is the shortest fall-to-fall interval a reader can
// produce. The Wiegand envelope is 200 µs; 150 µs leaves room for jitter
// and is still far above a contact bounce or a noise spike (a few µs to
// tens of µs after an edge).
const DefaultMinInterval = 150 * time.Microsecond

// MaxBits is the longest frame decoded; longer bursts are noise.
const MaxBits = 64

// rhythmTolerance is how far one bit interval may stray from the frame's
// median interval (either way) before the frame counts as damaged. A reader
// clocks its bits from one oscillator: real jitter stays within ±10 %
// (1.22× between extremes). A lost bit doubles an interval; a noise pulse
// between two bits halves one side of it (at most 0.5×); both fall far
// outside 1.6×.
const rhythmTolerance = 1.6

// Confirmation of a frame of the configured length: it is accepted after a
// silence of 3× its own mean bit interval, capped at confirmCap — but never
// less than rhythmTolerance intervals, so the next bit of a longer frame
// (or the last bit of a frame a noise pulse shifted) always lands inside the
// window, and never more than the gap.
const (
	confirmIntervals = 3
	confirmCap       = 10 * time.Millisecond
)

// continuationGaps bounds how long after a damaged piece another piece with
// the same rhythm still counts as the rest of the same damaged frame (a
// reader that stalled for a gap or more): 4 gaps, 100 ms by default.
const continuationGaps = 4

// Config is how one reader's frames are told apart and read.
type Config struct {
	// Format is one of the Format names; "" or "auto" detects the card
	// format by length and completes frames on the gap. A fixed format
	// completes a frame after a short confirmation silence (Confirm).
	Format string
	// Keypad is one of the Keypad modes; "" means none: a reader
	// without a declared keypad never produces keys.
	Keypad string
	// Gap is the silence that ends a frame; 0 means DefaultGap.
	Gap time.Duration
	// MinInterval is the shortest bit interval accepted; 0 means
	// DefaultMinInterval. A frame with a shorter one is a bad read.
	MinInterval time.Duration
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
// edges from a stalled reader goroutine split exactly like live ones, and
// what lets `doord decode` replay a capture offline.
//
// What counts as damage (each a bad read naming why): a lost kernel event
// (seqno gap), an interval below MinInterval, an interval out of the
// frame's rhythm, an edge during the confirmation of a complete frame, an
// edge within the gap after a frame was closed (a late edge, or a frame
// that ran past the configured length), and a piece that continues a
// damaged piece with the same rhythm after a stall (a split frame).
type Decoder struct {
	format *format // nil: auto or raw
	raw    bool
	keypad string
	gap    time.Duration
	minIv  time.Duration

	// The frame in progress.
	n        int    // bits in the current frame
	bits     uint64 // current frame, last bit in the LSB
	first    time.Time
	last     time.Time
	ivs      [MaxBits]time.Duration // ivs[i]: bit i to bit i+1
	damaged  string
	complete bool // configured length reached: waiting for confirmation

	// The frame closed last: an edge within the gap after it belongs
	// to it and cannot start a new frame.
	closed      bool
	closedEarly bool // closed by confirmation, not by the gap

	// The last bad piece, to recognise the rest of a split frame.
	prevBad   bool
	prevEnd   time.Time
	prevIv    time.Duration // its median interval; 0 for one bit
	prevBits  int
	cont      bool // the frame in progress began soon after a bad piece
	contPause time.Duration

	// A decoded key waits one more gap before it is reported: a key
	// burst followed that soon by more bits is the front of a split
	// frame, not a key press (nobody types that fast).
	holding   bool
	held      Result
	holdUntil time.Time

	lastSeq uint64
	scratch [MaxBits]time.Duration
}

// NewDecoder checks cfg and returns a decoder for it.
func NewDecoder(cfg Config) (*Decoder, error) {
	if !ValidFormat(cfg.Format) {
		return nil, fmt.Errorf("unknown card format %q", cfg.Format)
	}
	if !ValidKeypad(cfg.Keypad) {
		return nil, fmt.Errorf("unknown keypad mode %q", cfg.Keypad)
	}
	if cfg.MinInterval < 0 {
		return nil, fmt.Errorf("minimum bit interval %v is negative", cfg.MinInterval)
	}
	d := &Decoder{format: lookup(cfg.Format), raw: cfg.Format == FormatRaw, keypad: cfg.Keypad, gap: cfg.Gap, minIv: cfg.MinInterval}
	if d.keypad == "" {
		d.keypad = KeypadNone
	}
	if d.gap <= 0 {
		d.gap = DefaultGap
	}
	if d.minIv == 0 {
		d.minIv = DefaultMinInterval
	}
	return d, nil
}

// Gap returns the frame gap in use.
func (d *Decoder) Gap() time.Duration { return d.gap }

// Pending reports whether a frame is in progress or a result is waiting.
func (d *Decoder) Pending() bool { return d.inFrame() || d.holding }

func (d *Decoder) inFrame() bool { return d.n > 0 || d.damaged != "" }

// Deadline is when Expire should be called if no edge comes first: the end
// of the confirmation window of a complete frame, the last edge plus the gap
// otherwise, or the end of a key's hold. ok is false when nothing is
// pending.
func (d *Decoder) Deadline() (t time.Time, ok bool) {
	switch {
	case d.complete:
		return d.last.Add(d.Confirm()), true
	case d.inFrame():
		return d.last.Add(d.gap), true
	case d.holding:
		return d.holdUntil, true
	}
	return time.Time{}, false
}

// Confirm is the confirmation silence for the frame in progress (see
// confirmIntervals): 3× its mean interval, capped at 10 ms, but at least
// rhythmTolerance mean intervals and at most the gap.
func (d *Decoder) Confirm() time.Duration {
	if d.n < 2 {
		return d.gap
	}
	mean := d.last.Sub(d.first) / time.Duration(d.n-1)
	c := min(confirmIntervals*mean, confirmCap)
	c = max(c, time.Duration(rhythmTolerance*float64(mean)))
	return min(c, d.gap)
}

// Push feeds one edge and appends any results it settles to out: the
// previous frame if the edge came after its gap (or its confirmation), a
// held key, and bad reads.
func (d *Decoder) Push(e Edge, out []Result) []Result {
	if e.Seq != 0 && d.lastSeq != 0 && e.Seq != d.lastSeq+1 {
		// The source dropped events. They may be the tail of the frame
		// in progress or the start of the one this edge begins, so
		// both become bad reads — checked before the time gap, which
		// would otherwise pass a frame missing its last bits. A wrong
		// card is worse than asking for a second swipe.
		lost := fmt.Sprintf("damaged frame: %d edge(s) lost (seqno %d after %d)", e.Seq-d.lastSeq-1, e.Seq, d.lastSeq)
		if e.Seq <= d.lastSeq {
			lost = fmt.Sprintf("damaged frame: seqno %d after %d (events out of order)", e.Seq, d.lastSeq)
		}
		if d.inFrame() {
			if d.damaged == "" {
				d.damaged = lost
			}
			d.complete = false
			out = d.finish(out, false)
		}
		if d.holding {
			// The lost edges may be the rest of the held burst.
			d.held.Key, d.held.Bad = 0, lost
		}
		out = d.release(out)
		d.closed = false
		d.damaged = lost
	} else {
		out = d.settle(e.At, out)
	}
	if e.Seq != 0 {
		d.lastSeq = e.Seq
	}
	if d.holding {
		// More bits within the hold: the key was the front of a
		// split frame.
		d.held.Bad = fmt.Sprintf("split frame: a %d-bit burst followed by more bits %v later", d.held.Bits, e.At.Sub(d.held.At))
		d.held.Key = 0
		d.prevBad = true
		out = d.release(out)
	}
	if d.complete {
		// An edge inside the confirmation window: the frame of the
		// configured length was not the whole frame.
		d.damaged = fmt.Sprintf("an edge %v after bit %d of a complete %s frame (noise, or a longer frame)", e.At.Sub(d.last), d.n, d.format.Name)
		d.complete = false
	}
	if d.n == 0 {
		d.begin(e.At)
	}
	if e.At.Before(d.last) && d.damaged == "" {
		d.damaged = fmt.Sprintf("edge %v earlier than the one before it (edges out of order)", d.last.Sub(e.At))
	}
	if d.n > 0 && d.n <= MaxBits {
		d.ivs[d.n-1] = e.At.Sub(d.last)
	}
	d.last = e.At
	d.bits = d.bits<<1 | uint64(e.Line&1)
	d.n++
	if d.format != nil && d.n == d.format.Bits && d.damaged == "" {
		d.complete = true
	}
	return out
}

// begin starts a frame at t, marking it damaged if it is really the tail of
// the frame closed last, and a possible continuation if it follows a bad
// piece closely.
func (d *Decoder) begin(t time.Time) {
	if d.closed && t.Sub(d.last) < d.gap && d.damaged == "" {
		if d.closedEarly {
			d.damaged = fmt.Sprintf("frame ran past %d bits (reader sends a longer format than %s?)", d.format.Bits, d.format.Name)
		} else {
			d.damaged = fmt.Sprintf("late edge: stamped %v after the last bit of a frame already closed (edge source too slow?)", t.Sub(d.last))
		}
	}
	d.closed = false
	d.cont = d.prevBad && t.Sub(d.prevEnd) < continuationGaps*d.gap
	d.contPause = t.Sub(d.prevEnd)
	d.first = t
}

// settle completes whatever the silence up to now has completed.
func (d *Decoder) settle(now time.Time, out []Result) []Result {
	switch {
	case d.complete && now.Sub(d.last) >= d.Confirm():
		out = d.finish(out, true)
	case d.inFrame() && !d.complete && now.Sub(d.last) >= d.gap:
		out = d.finish(out, false)
	}
	if d.holding && !now.Before(d.holdUntil) {
		out = d.release(out)
	}
	return out
}

// Expire completes what the silence up to now has completed: a frame after
// its confirmation or its gap, a key after its hold.
func (d *Decoder) Expire(now time.Time, out []Result) []Result {
	return d.settle(now, out)
}

// Flush completes everything regardless of time (end of input).
func (d *Decoder) Flush(out []Result) []Result {
	if d.inFrame() {
		out = d.finish(out, d.complete)
	}
	return d.release(out)
}

func (d *Decoder) release(out []Result) []Result {
	if d.holding {
		d.holding = false
		out = append(out, d.held)
	}
	return out
}

func (d *Decoder) finish(out []Result, confirmed bool) []Result {
	r, med := d.decode()
	d.prevBad, d.prevEnd, d.prevIv, d.prevBits = r.Bad != "", d.last, med, d.n
	d.closed, d.closedEarly = true, confirmed
	d.n, d.bits, d.damaged, d.complete, d.cont = 0, 0, "", false, false
	if r.Key != 0 {
		d.holding, d.held, d.holdUntil = true, r, d.last.Add(2*d.gap)
		return out
	}
	return append(out, r)
}

// median returns the median of the frame's intervals (the lower middle for
// an even count), 0 for a one-bit frame.
func (d *Decoder) median() time.Duration {
	k := min(d.n-1, MaxBits)
	if k <= 0 {
		return 0
	}
	s := d.scratch[:k]
	copy(s, d.ivs[:k])
	for i := 1; i < len(s); i++ { // insertion sort: ≤ 64, no allocation
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[(k-1)/2]
}

// inRhythm reports whether a and b are within rhythmTolerance of each other.
func inRhythm(a, b time.Duration) bool {
	return float64(a) <= rhythmTolerance*float64(b) && float64(b) <= rhythmTolerance*float64(a)
}

// timing returns why the frame's timing is impossible for a reader, or "".
func (d *Decoder) timing(med time.Duration) string {
	k := min(d.n-1, MaxBits)
	for i := 0; i < k; i++ {
		if d.ivs[i] < d.minIv {
			return fmt.Sprintf("bits %d and %d only %v apart, below the %v minimum (contact bounce or noise)", i+1, i+2, d.ivs[i], d.minIv)
		}
	}
	for i := 0; i < k; i++ {
		if !inRhythm(d.ivs[i], med) {
			return fmt.Sprintf("irregular rhythm: bit %d came %v after bit %d, the frame's bits are %v apart (lost bit, noise or stall)", i+2, d.ivs[i], i+1, med)
		}
	}
	return ""
}

// continuation returns why the frame is the rest of a split frame, or "".
func (d *Decoder) continuation(med time.Duration) string {
	if !d.cont {
		return ""
	}
	why := ""
	switch {
	case d.prevBits >= 2 && d.n >= 2 && inRhythm(med, d.prevIv):
		why = "same rhythm"
	case d.n >= 2 && (inRhythm(d.contPause, med) || inRhythm(d.contPause, 2*med)) ||
		d.prevBits >= 2 && (inRhythm(d.contPause, d.prevIv) || inRhythm(d.contPause, 2*d.prevIv)):
		// One or two bit times: a slow reader's interval, or one with
		// a lost bit, that reached the gap.
		why = "the pause is one or two of the bits' intervals"
	case byLength(d.prevBits+d.n) != nil || d.format != nil && d.prevBits+d.n == d.format.Bits:
		why = fmt.Sprintf("together they make %d bits", d.prevBits+d.n)
	default:
		return ""
	}
	return fmt.Sprintf("split frame: %d bits %v after a damaged %d-bit piece (%s)", d.n, d.contPause, d.prevBits, why)
}

func (d *Decoder) decode() (Result, time.Duration) {
	r := Result{At: d.last, Bits: d.n, Raw: d.bits}
	n := d.n
	med := d.median()
	// The timing first: a bounce or a noise pulse is the cause of most
	// other symptoms (an edge during confirmation, a wrong length).
	if why := d.timing(med); why != "" {
		r.Bad = why
		return r, med
	}
	if d.damaged != "" {
		r.Bad = d.damaged
		return r, med
	}
	if n > MaxBits {
		r.Bad = fmt.Sprintf("%d bits is longer than any frame (noise?)", n)
		return r, med
	}
	if why := d.continuation(med); why != "" {
		r.Bad = why
		return r, med
	}
	if n == 4 || n == 8 {
		k, why := decodeKey(d.bits, n, d.keypad)
		if why != "" {
			r.Bad = why
		} else {
			r.Key = k
		}
		return r, med
	}
	f := d.format
	switch {
	case d.raw:
		r.Card, r.Bad = decodeRaw(d.bits, n)
		return r, med
	case f == nil:
		if f = byLength(n); f == nil {
			r.Bad = fmt.Sprintf("%d bits matches no known format", n)
			return r, med
		}
	case n != f.Bits:
		r.Bad = fmt.Sprintf("%d bits, want %d for %s", n, f.Bits, f.Name)
		return r, med
	}
	c, why := f.decode(d.bits)
	if why != "" {
		r.Bad = why
		return r, med
	}
	r.Card = &c
	return r, med
}

// decodeRaw reads a frame on a reader configured "raw". A frame of a known
// format's length with that format's parity is that format's card, with the
// same canonical value the credential API stores for it (facility 123 card
// 4567 is 8065495 on a raw reader too). One of a known length whose parity
// fails is a bad read: a damaged frame, whose raw bits could collide with
// another card's value. Any other length is the whole frame as the value.
func decodeRaw(bits uint64, n int) (*Card, string) {
	if f := byLength(n); f != nil {
		c, why := f.decode(bits)
		if why != "" {
			return nil, why + " (a raw reader still checks the parity of known lengths)"
		}
		return &c, ""
	}
	if n < 9 {
		return nil, fmt.Sprintf("%d bits is too short for a card (noise?)", n)
	}
	return &Card{Format: FormatRaw, Number: bits, Bits: n, Raw: bits, Value: bits}, ""
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
