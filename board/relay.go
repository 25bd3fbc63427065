package board

import (
	"fmt"
	"log/slog"
	"sync"

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

	mu       sync.Mutex
	unlocked bool
}

// level returns the line level for a lock state.
//
//	fail-secure: locked = de-energised, unlocked = energised
//	fail-safe:   locked = energised,    unlocked = de-energised
func (r *relay) level(unlocked bool) gpio.Level {
	energised := unlocked != r.failSafe
	return gpio.Level(energised == r.activeHigh)
}

func (r *relay) set(unlocked bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.pin.Out(r.level(unlocked)); err != nil {
		return fmt.Errorf("board: door %q relay: %w", r.door, err)
	}
	r.unlocked = unlocked
	return nil
}

func (r *relay) get() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unlocked
}

// secure drives the locked level without taking the mutex: it must work
// from a recover even if the panicking goroutine died inside set (deferred
// unlocks make that unlikely, but a relay is the wrong place to find out).
// A concurrent set may still win the race; Close calls secure again after
// every goroutine has stopped.
func (r *relay) secure(log *slog.Logger) {
	defer func() {
		if v := recover(); v != nil && log != nil {
			log.Error("board: securing relay panicked", "door", r.door, "panic", v)
		}
	}()
	if err := r.pin.Out(r.level(false)); err != nil && log != nil {
		log.Error("board: cannot lock relay", "door", r.door, "err", err)
	}
	if r.mu.TryLock() {
		r.unlocked = false
		r.mu.Unlock()
	}
}

// output is a reader LED or buzzer.
type output struct {
	name       string
	pin        outLine
	activeHigh bool

	mu sync.Mutex
	on bool
}

func (o *output) set(on bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.pin.Out(gpio.Level(on == o.activeHigh)); err != nil {
		return fmt.Errorf("board: %s: %w", o.name, err)
	}
	o.on = on
	return nil
}
