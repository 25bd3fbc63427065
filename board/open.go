package board

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/board/gpiocdev"
	"github.com/doord/doord/board/wiegand"
)

// pinSource hands out the lines named in the profile: periph pins and the
// GPIO character device on real hardware, fake pins in the simulator.
type pinSource interface {
	// pin returns an input line.
	pin(name string) (gpio.PinIO, error)
	// output returns an output line that is at level from the moment it
	// is an output (or, through periph, from its first Out).
	output(name, consumer string, level gpio.Level) (outLine, error)
	readerSource(rc ReaderConfig) (wiegand.Source, error)
	// done is called once every output is taken, or when Open fails.
	done()
}

// hardware is what kind "gpio" talks to. Tests swap in a FakeChip and
// fake pins to run Open's real-hardware path.
type hardware struct {
	openChip func(path string) (gpiocdev.Chip, error)
	byName   func(name string) gpio.PinIO
	// openEdges requests a reader's D0 and D1 as one character-device
	// line request: the only Wiegand edge source (see Validate).
	openEdges func(gpiocdev.Request) (wiegand.Source, error)
}

var realHardware = hardware{openChip: gpiocdev.OpenChip, byName: gpioreg.ByName, openEdges: openEdges}

func openEdges(r gpiocdev.Request) (wiegand.Source, error) { return gpiocdev.Open(r) }

// Open validates cfg, takes the pins, drives every relay to its locked
// level before touching anything else, and starts one goroutine per reader
// and per input. Goroutines block in the kernel (or on channels in the
// simulator) until something happens: no polling.
//
// On kind "gpio" relays, LEDs and buzzers are character-device line
// requests by default (output_source "cdev"): each line's locked or off
// level is part of the request, so the kernel sets it as the line becomes
// an output, and no goroutine starts before every relay is at it.
func Open(cfg Config, log *slog.Logger) (*Board, error) { return open(cfg, log, realHardware) }

func open(cfg Config, log *slog.Logger, hw hardware) (*Board, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Board{
		cfg: cfg, log: log,
		relays:  map[string]*relay{},
		outputs: map[string]*output{},
		reads:   make(chan Read, 64),
		events:  make(chan InputEvent, 64),
		stop:    make(chan struct{}),
		closed:  make(chan struct{}),
	}
	var pins pinSource
	switch cfg.Kind {
	case "sim":
		b.sim = newSim(b)
		pins = b.sim
	default:
		if _, err := hostInit(); err != nil {
			return nil, fmt.Errorf("board: periph host.Init: %w", err)
		}
		pins = &gpioPins{cfg: cfg, hw: hw}
	}
	fail := func(err error) (*Board, error) {
		pins.done()
		b.Secure()
		for _, r := range b.readers {
			r.src.Close()
		}
		return nil, err
	}

	// Relays first, each taken at its locked level: the first level a
	// line ever shows as an output is the locked one.
	for _, d := range cfg.Doors {
		r := newRelay(d.ID, d.RelayActive == "high", d.Fail == "safe", b.closed)
		p, err := pins.output(d.Relay, "doord-relay-"+d.ID, r.level(false))
		if err != nil {
			return fail(fmt.Errorf("board: door %q relay: %w", d.ID, err))
		}
		r.pin = p
		b.relays[d.ID] = r
	}
	for _, rc := range cfg.Readers {
		for _, o := range []struct {
			kind, pin  string
			activeHigh bool
		}{{KindLED, rc.LED, rc.LEDActiveHigh}, {KindBuzzer, rc.Buzzer, rc.BuzzerActiveHigh}} {
			if o.pin == "" {
				continue
			}
			off := gpio.Level(!o.activeHigh)
			p, err := pins.output(o.pin, "doord-"+o.kind+"-"+rc.ID, off)
			if err != nil {
				return fail(fmt.Errorf("board: reader %q %s: %w", rc.ID, o.kind, err))
			}
			out := &output{name: Name(rc.ID, o.kind), pin: p, activeHigh: o.activeHigh, guard: newGuard(b.closed)}
			b.outputs[out.name] = out
		}
	}
	pins.done()
	for _, d := range cfg.Doors {
		debounce := d.Debounce.D()
		if debounce == 0 {
			debounce = DefaultDebounce
		}
		for _, di := range d.doorInputs() {
			w, _ := di.cfg.wiring() // valid: Validate ran
			p, err := pins.pin(di.cfg.Pin)
			if err != nil {
				return fail(fmt.Errorf("board: door %q %s: %w", d.ID, di.kind, err))
			}
			if err := p.In(w.pull, gpio.BothEdges); err != nil {
				return fail(fmt.Errorf("board: door %q %s: pin %q: %w", d.ID, di.kind, di.cfg.Pin, err))
			}
			b.inputs = append(b.inputs, &input{name: Name(d.ID, di.kind), door: d.ID, kind: di.kind, pin: p, wiring: w, debounce: debounce})
		}
	}
	for _, rc := range cfg.Readers {
		dec, err := wiegand.NewDecoder(rc.DecoderConfig())
		if err != nil {
			return fail(fmt.Errorf("board: reader %q: %w", rc.ID, err))
		}
		src, err := pins.readerSource(rc)
		if err != nil {
			return fail(fmt.Errorf("board: reader %q: %w", rc.ID, err))
		}
		b.readers = append(b.readers, &reader{id: rc.ID, src: src, dec: dec})
	}

	for _, r := range b.readers {
		b.wg.Add(1)
		fault.Go("board.reader "+r.id, func() { r.run(b) })
	}
	for _, in := range b.inputs {
		b.wg.Add(1)
		fault.Go("board.input "+in.name, func() { in.run(b) })
	}
	for _, w := range cfg.Warnings() {
		log.Warn("board: " + w)
	}
	log.Info("board: open", "kind", cfg.Kind, "doors", len(cfg.Doors), "readers", len(cfg.Readers), "inputs", len(b.inputs))
	return b, nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// hostInit runs periph's host.Init once per process, however many boards
// are opened (tests open many).
var hostInit = sync.OnceValues(func() (*driverreg.State, error) { return host.Init() })

// gpioPins resolves profile names to lines on this machine: periph pins,
// and character-device output requests on cfg.Chip.
type gpioPins struct {
	cfg  Config
	hw   hardware
	chip gpiocdev.Chip // open while outputs are being requested
}

func (g *gpioPins) pin(name string) (gpio.PinIO, error) {
	hw := g.cfg.Pins[name]
	p := g.hw.byName(hw)
	if p == nil {
		// host.Init succeeds on machines without GPIO; this is where
		// that shows up.
		return nil, fmt.Errorf("pin %q (%s): no such GPIO line on this machine (wrong board profile, no GPIO driver, or not permitted?)", name, hw)
	}
	return p, nil
}

// output requests the line at level. Through the character device the
// pin's hardware name is resolved on cfg.Chip by the kernel's line names
// (gpiocdev.ResolveLine), not through periph: that is the chip the line
// is requested from, and periph's numbering need not match its offsets.
// The request is held for the life of the process: Close drives relays
// locked but does not release them (see Board.Close).
func (g *gpioPins) output(name, consumer string, level gpio.Level) (outLine, error) {
	hw := g.cfg.Pins[name]
	if g.cfg.OutputSource == "periph" {
		p, err := g.pin(name)
		if err != nil {
			return nil, err
		}
		if err := p.Out(level); err != nil {
			return nil, fmt.Errorf("pin %q (%s): %w", name, hw, err)
		}
		return p, nil
	}
	if g.chip == nil {
		c, err := g.hw.openChip(g.cfg.Chip)
		if err != nil {
			return nil, fmt.Errorf("pin %q (%s): %w", name, hw, err)
		}
		g.chip = c
	}
	lines, err := gpiocdev.RequestOutputs(g.chip, consumer, []gpiocdev.Output{{Line: hw, Level: bool(level)}})
	if err != nil {
		return nil, fmt.Errorf("pin %q (%s) on %s: %w", name, hw, g.cfg.Chip, err)
	}
	return cdevLine{lines.Line(0)}, nil
}

// done closes the chip; the line requests stay.
func (g *gpioPins) done() {
	if g.chip != nil {
		g.chip.Close()
		g.chip = nil
	}
}

func (g *gpioPins) readerSource(rc ReaderConfig) (wiegand.Source, error) {
	return g.hw.openEdges(gpiocdev.Request{Chip: g.cfg.Chip, D0: g.cfg.Pins[rc.D0], D1: g.cfg.Pins[rc.D1], Consumer: "doord-reader-" + rc.ID})
}
