package board

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/fakepin"
	"github.com/doord/doord/board/gpiocdev"
	"github.com/doord/doord/board/wiegand"
)

// Sim is the simulated board: every pin in the profile is a fake line,
// wired exactly as the config says, and the rest of the board code (relays,
// inputs, debounce, edge source, decoder) is the code that runs on hardware.
//
// Swipes and key presses are real Wiegand pulse trains: the D0/D1 fake pins
// record every pulse, and the falling edges are encoded as struct
// gpio_v2_line_event records into an in-memory queue read by the same
// character-device source the hardware uses (kernel timestamps, seqnos).
//
// Timing: a swipe does not sleep 52 ms. Its edges carry computed
// timestamps laid out so the LAST edge is "now" (time.Now()) and the first
// is one frame-duration earlier — exactly what a reader goroutine sees
// when it wakes to a full kernel buffer. If that would start before the
// wire is quiet after the previous sending (see quietAfter), the train
// starts then instead (its last edge is then in the future). A configured
// format decodes after its confirmation silence (3 bit times); an
// auto-detecting reader after frame_gap of real (or, in tests, synctest)
// time. Output transitions are stamped with time.Now() too, so
// relay.At - lastEdge is the card-to-unlock latency.
type Sim struct {
	b      *Board
	timing wiegand.Timing
	start  time.Time // the fake kernel clock's zero

	mu      sync.Mutex
	pins    map[string]*fakepin.Pin // by profile pin name
	readers map[string]*simReader
	inputs  map[string]*simInput // by input name ("1.contact")
}

// simInput is the world outside an input line: the switch and its wire.
// The line's level follows from them and the input's wiring, as on a
// real board (see wiring.level).
type simInput struct {
	pin    string // profile pin name
	wiring wiring
	active bool // the switch: door open, button pressed, tamper tripped
	cut    bool // the wire to the switch is cut
}

type simReader struct {
	cfg    ReaderConfig
	d0, d1 *fakepin.Pin
	queue  *gpiocdev.Queue
	clock  gpiocdev.Clock
	seq    uint32
	// quietUntil is when the wire is free for the next sending.
	quietUntil time.Time
}

func newSim(b *Board) *Sim {
	s := &Sim{
		b:       b,
		timing:  wiegand.Timing{Pulse: b.cfg.Sim.Pulse.D(), Interval: b.cfg.Sim.Interval.D()},
		start:   time.Now(),
		pins:    map[string]*fakepin.Pin{},
		readers: map[string]*simReader{},
		inputs:  map[string]*simInput{},
	}
	// Idle levels a real board would show before configuration: inputs
	// inactive, D0/D1 high, outputs at their off/locked level.
	idle := map[string]gpio.Level{}
	for _, d := range b.cfg.Doors {
		r := relay{activeHigh: d.RelayActive == "high", failSafe: d.Fail == "safe"}
		idle[d.Relay] = r.level(false)
		for _, in := range d.doorInputs() {
			w, _ := in.cfg.wiring()
			s.inputs[Name(d.ID, in.kind)] = &simInput{pin: in.cfg.Pin, wiring: w}
			idle[in.cfg.Pin] = w.level(false, false)
		}
	}
	for _, r := range b.cfg.Readers {
		idle[r.D0], idle[r.D1] = gpio.High, gpio.High
		idle[r.LED], idle[r.Buzzer] = !gpio.Level(r.LEDActiveHigh), !gpio.Level(r.BuzzerActiveHigh)
	}
	for name, hw := range b.cfg.Pins {
		s.pins[name] = fakepin.New(hw, idle[name], nil)
	}
	return s
}

func (s *Sim) pin(name string) (gpio.PinIO, error) {
	p, ok := s.pins[name]
	if !ok {
		return nil, fmt.Errorf("pin %q: not in the profile", name)
	}
	return p, nil
}

// output drives the fake line to level and hands it out (the simulator
// has no output_source: its lines are fakes either way).
func (s *Sim) output(name, _ string, level gpio.Level) (outLine, error) {
	p, ok := s.pins[name]
	if !ok {
		return nil, fmt.Errorf("pin %q: not in the profile", name)
	}
	return p, p.Out(level)
}

func (s *Sim) done() {}

func (s *Sim) readerSource(rc ReaderConfig) (wiegand.Source, error) {
	r := &simReader{cfg: rc, d0: s.pins[rc.D0], d1: s.pins[rc.D1], queue: gpiocdev.NewQueue(), clock: gpiocdev.Clock{Base: s.start}}
	s.mu.Lock()
	s.readers[rc.ID] = r
	s.mu.Unlock()
	// Offsets 0 and 1 on the fake chip; the names live on the fake pins.
	return gpiocdev.NewSource(r.queue, 0, 1, r.clock), nil
}

func (s *Sim) reader(id string) (*simReader, error) {
	r, ok := s.readers[id]
	if !ok {
		return nil, &UnknownError{"reader", id}
	}
	return r, nil
}

// Readers returns the reader ids.
func (s *Sim) Readers() []string {
	var ids []string
	for _, r := range s.b.cfg.Readers {
		ids = append(ids, r.ID)
	}
	return ids
}

// Inputs returns the input names ("1.contact", ...), sorted.
func (s *Sim) Inputs() []string {
	var names []string
	for _, in := range s.b.inputs {
		names = append(names, in.name)
	}
	sort.Strings(names)
	return names
}

// Card sends raw frame bits (parity included) from reader and returns the
// timestamp of the frame's last edge.
func (s *Sim) Card(reader string, bits []bool) (time.Time, error) {
	if len(bits) == 0 || len(bits) > wiegand.MaxBits {
		return time.Time{}, fmt.Errorf("board: sim: a frame has 1 to %d bits, not %d", wiegand.MaxBits, len(bits))
	}
	return s.send(reader, [][]bool{bits}, 0, quietRaw)
}

// CardValue encodes a canonical card value in format ("" = the reader's
// format; h10301 if the reader auto-detects) and sends it.
func (s *Sim) CardValue(reader, format string, value uint64) (time.Time, error) {
	format, err := s.format(reader, format)
	if err != nil {
		return time.Time{}, err
	}
	bits, err := wiegand.EncodeValue(format, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("board: sim: %w", err)
	}
	return s.send(reader, [][]bool{bits}, 0, quietCard)
}

// CardFacility encodes facility and card number in format and sends it.
func (s *Sim) CardFacility(reader, format string, facility, card uint64) (time.Time, error) {
	format, err := s.format(reader, format)
	if err != nil {
		return time.Time{}, err
	}
	bits, err := wiegand.Encode(format, facility, card)
	if err != nil {
		return time.Time{}, fmt.Errorf("board: sim: %w", err)
	}
	return s.send(reader, [][]bool{bits}, 0, quietCard)
}

func (s *Sim) format(reader, format string) (string, error) {
	r, err := s.reader(reader)
	if err != nil {
		return "", err
	}
	if format == "" {
		format = r.cfg.Format
	}
	if format == "" || format == wiegand.FormatAuto || format == wiegand.FormatRaw {
		format = wiegand.FormatH10301
	}
	if wiegand.FormatBits(format) == 0 {
		return "", fmt.Errorf("board: sim: unknown card format %q", format)
	}
	return format, nil
}

// Keys types keys ("1234#") on reader's keypad: one burst per key, 4-bit
// unless the reader is configured "8bit", bursts 100 ms or more apart.
// It returns the last edge's timestamp.
func (s *Sim) Keys(reader string, keys string) (time.Time, error) {
	r, err := s.reader(reader)
	if err != nil {
		return time.Time{}, err
	}
	if keys == "" {
		return time.Time{}, fmt.Errorf("board: sim: no keys")
	}
	mode := wiegand.Keypad4
	if r.cfg.Keypad == wiegand.Keypad8 {
		mode = wiegand.Keypad8
	}
	var frames [][]bool
	for _, k := range keys {
		b, err := wiegand.EncodeKey(k, mode)
		if err != nil {
			return time.Time{}, fmt.Errorf("board: sim: %w", err)
		}
		frames = append(frames, b)
	}
	// A key is held for two gaps after its last bit (see quietAfter).
	spacing := max(100*time.Millisecond, s.timing.Duration(8)+2*s.gap(r)+5*time.Millisecond)
	return s.send(reader, frames, spacing, quietKeys)
}

func (s *Sim) gap(r *simReader) time.Duration {
	if g := r.cfg.FrameGap.D(); g > 0 {
		return g
	}
	return wiegand.DefaultGap
}

// send lays frames out spacing apart (start to start) and emits them.
func (s *Sim) send(reader string, frames [][]bool, spacing time.Duration, quiet quietAfter) (time.Time, error) {
	base := time.Now()
	var pulses []wiegand.Pulse
	for i, bits := range frames {
		pulses = append(pulses, wiegand.Train(bits, base.Add(time.Duration(i)*spacing), s.timing)...)
	}
	return s.emit(reader, pulses, quiet)
}

// quietAfter is how many frame gaps (plus 5 ms) a sending keeps the wire
// quiet before the next may start, as a person presenting a card or a
// key would: a gap after a card (the frame is over); two after keys (the
// decoder holds a key that long to tell it from the front of a split
// frame); four after raw bits or edges, which may be a damaged frame whose
// rest the decoder watches for that long.
type quietAfter int

const (
	quietCard quietAfter = 1
	quietKeys quietAfter = 2
	quietRaw  quietAfter = 4
)

// emit moves pulses in time so the last falls now — or, if the first would
// then start before the previous sending's quiet time is over, so the
// first starts right after it (the last edge is then in the future) —,
// draws them on the fake D0/D1 pins and queues their falling edges as
// kernel events. pulses are in order of their falls.
func (s *Sim) emit(reader string, pulses []wiegand.Pulse, quiet quietAfter) (time.Time, error) {
	r, err := s.reader(reader)
	if err != nil {
		return time.Time{}, err
	}
	if s.b.isClosed() {
		return time.Time{}, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	shift := time.Since(pulses[len(pulses)-1].Fall)
	if first := pulses[0].Fall.Add(shift); !r.quietUntil.IsZero() && first.Before(r.quietUntil) {
		shift += r.quietUntil.Sub(first)
	}
	var rec []byte
	var last time.Time
	for _, p := range pulses {
		p.Fall, p.Rise = p.Fall.Add(shift), p.Rise.Add(shift)
		pin, off := r.d0, uint32(0)
		if p.Line == wiegand.D1 {
			pin, off = r.d1, 1
		}
		pin.SetAt(gpio.Low, p.Fall)
		pin.SetAt(gpio.High, p.Rise)
		r.seq++
		rec = gpiocdev.Event{TimestampNS: r.clock.NS(p.Fall), ID: gpiocdev.EventFalling, Offset: off, Seqno: r.seq}.Marshal(rec)
		last = p.Fall
	}
	r.quietUntil = last.Add(time.Duration(quiet)*s.gap(r) + 5*time.Millisecond)
	if _, err := r.queue.Write(rec); err != nil {
		return time.Time{}, ErrClosed
	}
	return last, nil
}

// MaxSimEdges bounds one Edges call: a few dozen frames.
const MaxSimEdges = 4096

// Edges replays raw falling edges on reader's D0/D1 (line 0 or 1, at times
// from the first edge, in order), as a misbehaving reader sent them: they
// go through the same edge source and decoder as a swipe. The last edge
// falls now (or after the previous sending's quiet time); its timestamp is
// returned.
func (s *Sim) Edges(reader string, edges []wiegand.Edge) (time.Time, error) {
	if len(edges) == 0 || len(edges) > MaxSimEdges {
		return time.Time{}, fmt.Errorf("board: sim: give 1 to %d edges, not %d", MaxSimEdges, len(edges))
	}
	pulse := s.timing.Pulse
	if pulse <= 0 {
		pulse = wiegand.DefaultTiming.Pulse
	}
	pulses := make([]wiegand.Pulse, len(edges))
	next := [2]time.Time{} // next fall on each line, walking backwards
	for i := len(edges) - 1; i >= 0; i-- {
		e := edges[i]
		if e.Line > wiegand.D1 || i > 0 && e.At.Before(edges[i-1].At) {
			return time.Time{}, fmt.Errorf("board: sim: edge %d: line must be 0 or 1 and times in order", i)
		}
		// The pulse ends before the line falls again.
		rise := e.At.Add(pulse)
		if n := next[e.Line]; !n.IsZero() && !rise.Before(n) {
			rise = e.At.Add(max(n.Sub(e.At)/2, 1))
		}
		pulses[i] = wiegand.Pulse{Line: e.Line, Fall: e.At, Rise: rise}
		next[e.Line] = e.At
	}
	return s.emit(reader, pulses, quietRaw)
}

// SetInput moves the switch of a door input ("1.contact", "1.rex",
// "1.tamper"): active is door open, button pressed, tamper tripped. The
// line goes to the level the input's wiring gives (with a cut wire it
// stays at the open-loop level). The board reports it after the debounce
// time.
func (s *Sim) SetInput(name string, active bool) error {
	return s.setInput(name, func(in *simInput) { in.active = active })
}

// CutWire cuts (true) or mends (false) the wire between a door input's
// line and its switch. A cut wire is an open loop: a normally-closed
// input then reads active (door_forced, tamper) and a normally-open one
// inactive, whatever the switch does.
func (s *Sim) CutWire(name string, cut bool) error {
	return s.setInput(name, func(in *simInput) { in.cut = cut })
}

func (s *Sim) setInput(name string, change func(*simInput)) error {
	in, ok := s.inputs[name]
	if !ok {
		return &UnknownError{"input", name}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	change(in)
	s.pins[in.pin].Set(in.wiring.level(in.active, in.cut))
	return nil
}

// Output is a relay, LED or buzzer as the simulator saw it. Active means
// the output is doing its job: a relay is releasing its door (unlocked —
// energised for fail-secure, de-energised for fail-safe), an LED is lit, a
// buzzer sounds. Level is the electrical level on the line.
type Output struct {
	Name        string // "1.relay", "1.led", "1.buzzer"
	Pin         string // profile pin name
	Kind        string // KindRelay, KindLED or KindBuzzer
	Active      bool
	Level       string // "high" or "low"
	Transitions []Transition
}

// Transition is one level the board drove an output to.
type Transition struct {
	At     time.Time
	Active bool
	Level  string
}

// Outputs returns every relay, LED and buzzer, sorted by name, with every
// level change the board drove (including the first, at Open).
func (s *Sim) Outputs() []Output {
	var out []Output
	add := func(name, pinName, kind string, active func(gpio.Level) bool) {
		p := s.pins[pinName]
		o := Output{Name: name, Pin: pinName, Kind: kind, Active: active(p.Level()), Level: levelName(p.Level())}
		for _, c := range p.History() {
			o.Transitions = append(o.Transitions, Transition{At: c.At, Active: active(c.Level), Level: levelName(c.Level)})
		}
		out = append(out, o)
	}
	for _, d := range s.b.cfg.Doors {
		r := s.b.relays[d.ID]
		add(Name(d.ID, KindRelay), d.Relay, KindRelay, func(l gpio.Level) bool { return l == r.level(true) })
	}
	for _, rc := range s.b.cfg.Readers {
		if rc.LED != "" {
			hi := rc.LEDActiveHigh
			add(Name(rc.ID, KindLED), rc.LED, KindLED, func(l gpio.Level) bool { return bool(l) == hi })
		}
		if rc.Buzzer != "" {
			hi := rc.BuzzerActiveHigh
			add(Name(rc.ID, KindBuzzer), rc.Buzzer, KindBuzzer, func(l gpio.Level) bool { return bool(l) == hi })
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Pin returns the fake line behind a profile pin name, for tests.
func (s *Sim) Pin(name string) *fakepin.Pin { return s.pins[name] }

func levelName(l gpio.Level) string {
	if l {
		return "high"
	}
	return "low"
}
