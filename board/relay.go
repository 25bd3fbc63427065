package board

import (
	"fmt"
	"log/slog"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/gpiocdev"
)

// outLine is an output line as relays, LEDs and buzzers drive it: a
// periph gpio.PinOut (output_source "periph", fake pins in the simulator)
// or a character-device line (cdevLine). It is only ever written: Read()
// on a periph gpioioctl output line (host v3.8.5) turns it into a
// pulled-up input, which on an active-low board is an unlock.
type outLine interface {
	Out(l gpio.Level) error
}

// cdevLine adapts a gpiocdev output line to outLine.
type cdevLine struct{ gpiocdev.OutputLine }

func (c cdevLine) Out(l gpio.Level) error { return c.Set(bool(l)) }

// relay is one door's lock relay. Its state lives here, in software.
type relay struct {
	door       string
	pin        outLine
	activeHigh bool // the coil is energised by a high level
	failSafe   bool // the lock opens without power: energised = locked

	guard
	unlocked bool
}

func newRelay(door string, activeHigh, failSafe bool, closing <-chan struct{}) *relay {
	return &relay{door: door, activeHigh: activeHigh, failSafe: failSafe, guard: newGuard(closing)}
}

// guard serialises the writes to one output line and knows when the board
// is closing. A write that would switch the output on (unlock a relay,
// light an LED, sound a buzzer) looks at closing while holding the lock,
// and Close closes the board before it takes the lock for its own last
// write: such a write either was made before Close began or is refused,
// never made after.
//
// The lock is a one-slot channel rather than a sync.Mutex so that Secure
// can try it without blocking, and so that a test in a synctest bubble
// sees a writer waiting for it as durably blocked.
type guard struct {
	lock    chan struct{}
	closing <-chan struct{}
}

func newGuard(closing <-chan struct{}) guard {
	return guard{lock: make(chan struct{}, 1), closing: closing}
}

func (g guard) acquire() { g.lock <- struct{}{} }
func (g guard) release() { <-g.lock }

// tryAcquire takes the lock if it is free.
func (g guard) tryAcquire() bool {
	select {
	case g.lock <- struct{}{}:
		return true
	default:
		return false
	}
}

// refuse reports whether a write that switches the output on must be
// refused; call it holding the lock.
func (g guard) refuse(on bool) bool { return on && isClosed(g.closing) }

// level returns the line level for a lock state.
//
//	fail-secure: locked = de-energised, unlocked = energised
//	fail-safe:   locked = energised,    unlocked = de-energised
func (r *relay) level(unlocked bool) gpio.Level {
	energised := unlocked != r.failSafe
	return gpio.Level(energised == r.activeHigh)
}

func (r *relay) set(unlocked bool) error {
	r.acquire()
	defer r.release()
	if r.refuse(unlocked) {
		return ErrClosed // never unlock once shutdown began
	}
	if err := r.pin.Out(r.level(unlocked)); err != nil {
		return fmt.Errorf("board: door %q relay: %w", r.door, err)
	}
	r.unlocked = unlocked
	return nil
}

func (r *relay) get() bool {
	r.acquire()
	defer r.release()
	return r.unlocked
}

// secure drives the locked level without taking the lock: it must work
// from a recover even if the panicking goroutine died inside set (deferred
// unlocks make that unlikely, but a relay is the wrong place to find out).
// A concurrent set may still win the race; Close follows with relay.close,
// which takes the lock and has the last word.
func (r *relay) secure(log *slog.Logger) {
	defer func() {
		if v := recover(); v != nil && log != nil {
			log.Error("board: securing relay panicked", "door", r.door, "panic", v)
		}
	}()
	if err := r.pin.Out(r.level(false)); err != nil && log != nil {
		log.Error("board: cannot lock relay", "door", r.door, "err", err)
	}
	if r.tryAcquire() {
		r.unlocked = false
		r.release()
	}
}

// close waits for a write in progress, then drives the locked level.
// Called after the board's closed channel is closed, it is the last word:
// every later set(true) sees the channel closed and is refused.
func (r *relay) close(log *slog.Logger) {
	r.acquire()
	defer r.release()
	if err := r.pin.Out(r.level(false)); err != nil {
		log.Error("board: cannot lock relay", "door", r.door, "err", err)
	}
	r.unlocked = false
}

// output is a reader LED or buzzer.
type output struct {
	name       string
	pin        outLine
	activeHigh bool

	guard
	on bool
}

func (o *output) set(on bool) error {
	o.acquire()
	defer o.release()
	if o.refuse(on) {
		return ErrClosed
	}
	if err := o.pin.Out(gpio.Level(on == o.activeHigh)); err != nil {
		return fmt.Errorf("board: %s: %w", o.name, err)
	}
	o.on = on
	return nil
}
