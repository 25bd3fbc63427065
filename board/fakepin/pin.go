package fakepin

import (
	"errors"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
)

// MaxHistory bounds the recorded changes per pin (a simulated daemon runs
// for weeks); past it the oldest half is dropped.
const MaxHistory = 10000

// Change is one level a pin was driven to or settled at.
type Change struct {
	At    time.Time
	Level gpio.Level
}

// Pin is a fake GPIO line. The zero value is not usable; use New.
type Pin struct {
	name string
	now  func() time.Time

	mu      sync.Mutex
	level   gpio.Level
	out     bool // last configured as output
	pull    gpio.Pull
	edge    gpio.Edge
	history []Change
	edges   chan struct{} // one token per pending edge notification
	halt    chan struct{}
	outs    int // Out calls, to prove the first one
}

// New returns a pin named name at level (what a pull resistor would hold it
// at before anyone configures it). now stamps changes; nil means time.Now.
func New(name string, level gpio.Level, now func() time.Time) *Pin {
	if now == nil {
		now = time.Now
	}
	return &Pin{name: name, now: now, level: level, edges: make(chan struct{}, 1024), halt: make(chan struct{}, 1)}
}

func (p *Pin) record(c Change) {
	if len(p.history) >= MaxHistory {
		p.history = append(p.history[:0], p.history[len(p.history)/2:]...)
	}
	p.history = append(p.history, c)
}

// History returns every level change driven by Out or Set, oldest first.
func (p *Pin) History() []Change {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Change(nil), p.history...)
}

// Level returns the current level without disturbing anything (unlike a
// real line, reading a fake output does not turn it into an input).
func (p *Pin) Level() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// IsOutput reports whether the pin was last configured as an output.
func (p *Pin) IsOutput() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out
}

// Set drives an input from outside, as the world would: it records the
// change and wakes WaitForEdge if the new level matches the edge asked for.
func (p *Pin) Set(l gpio.Level) {
	p.mu.Lock()
	changed := l != p.level
	p.level = l
	if changed {
		p.record(Change{At: p.now(), Level: l})
	}
	wake := changed && (p.edge == gpio.BothEdges || p.edge == gpio.RisingEdge && l == gpio.High || p.edge == gpio.FallingEdge && l == gpio.Low)
	p.mu.Unlock()
	if wake {
		select {
		case p.edges <- struct{}{}:
		default:
		}
	}
}

// SetAt records a level driven from outside at a given time without waking
// anyone: the simulator uses it to draw the pulses of a Wiegand train whose
// edges it delivers through the character-device queue instead.
func (p *Pin) SetAt(l gpio.Level, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l != p.level {
		p.record(Change{At: at, Level: l})
	}
	p.level = l
}

// String implements conn.Resource.
func (p *Pin) String() string { return p.name }

// Halt implements conn.Resource: it wakes a blocked WaitForEdge, as Halt
// does on periph's gpioioctl lines.
func (p *Pin) Halt() error {
	select {
	case p.halt <- struct{}{}:
	default:
	}
	return nil
}

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *Pin) Number() int { return -1 }

// Function implements pin.Pin.
func (p *Pin) Function() string { return string(p.Func()) }

// Func implements pin.PinFunc.
func (p *Pin) Func() pin.Func {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out {
		return gpio.OUT
	}
	return gpio.IN
}

// SupportedFuncs implements pin.PinFunc.
func (p *Pin) SupportedFuncs() []pin.Func { return []pin.Func{gpio.IN, gpio.OUT} }

// SetFunc implements pin.PinFunc.
func (p *Pin) SetFunc(pin.Func) error { return errors.New("fakepin: SetFunc not supported") }

// In implements gpio.PinIn.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out, p.pull, p.edge = false, pull, edge
	for {
		select {
		case <-p.edges:
		default:
			return nil
		}
	}
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level { return p.Level() }

// WaitForEdge implements gpio.PinIn. Like gpiotest it honours a finite
// timeout; unlike host v3.8.5 it treats -1 as "for ever" (callers here
// never pass it).
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	var tc <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-p.edges:
		return true
	case <-p.halt:
		return false
	case <-tc:
		return false
	}
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// Out implements gpio.PinOut. Every call that changes the level is recorded.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out = true
	p.outs++
	if l != p.level || p.outs == 1 {
		p.record(Change{At: p.now(), Level: l})
	}
	p.level = l
	return nil
}

// PWM implements gpio.PinOut.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error {
	return errors.New("fakepin: PWM not supported")
}

var _ gpio.PinIO = (*Pin)(nil)
