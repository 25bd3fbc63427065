package board

import (
	"time"

	"periph.io/x/conn/v3/gpio"
)

// edgeWait bounds each WaitForEdge: host v3.8.5 returns at once for -1,
// so waits are finite. Close does not wait for a slice to end: it Halts
// the pins (see haltUntil); only on a driver whose Halt never wakes a
// waiter does Close take up to this long.
const edgeWait = time.Second

// haltRetry is how often Close halts pins again while their goroutines
// are still running. periph's gpioioctl Halt (host v3.8.5) only wakes a
// WaitForEdge that is already blocked — it moves the read deadline, and
// the next WaitForEdge sets its own — so a Halt landing between two waits
// is lost and the goroutine would sleep out a whole edgeWait slice.
const haltRetry = 10 * time.Millisecond

// haltUntil halts pins, and again every haltRetry, until done is closed.
// Halting a pin nobody waits on is harmless; it costs nothing while idle,
// only during Close.
func haltUntil(done <-chan struct{}, pins ...interface{ Halt() error }) {
	t := time.NewTicker(haltRetry)
	defer t.Stop()
	for {
		for _, p := range pins {
			p.Halt()
		}
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// input is a door contact, REX button or tamper switch.
type input struct {
	name, door, kind string
	pin              gpio.PinIn
	wiring           wiring
	debounce         time.Duration
}

// active reads the line. On a normally-closed loop a cut wire reads as
// active, like the switch opening: the line sits at the bias level.
func (in *input) active() bool { return in.pin.Read() == in.wiring.active }

// run reports the state once, then every debounced change. Debouncing is
// by time, not by sleeping: after an edge, wait (on the pin) until it has
// been quiet for the debounce time, then look at the level; the event is
// stamped with the last edge, when the input settled.
func (in *input) run(b *Board) {
	defer b.wg.Done()
	state := in.active()
	if !in.emit(b, state, time.Now()) {
		return
	}
	for {
		if !in.pin.WaitForEdge(edgeWait) {
			if b.stopping() {
				return
			}
			continue
		}
		settled := time.Now()
		for in.pin.WaitForEdge(in.debounce) {
			settled = time.Now() // bounce: the quiet time starts again
		}
		if b.stopping() {
			return
		}
		if now := in.active(); now != state {
			state = now
			if !in.emit(b, state, settled) {
				return
			}
		}
	}
}

func (in *input) emit(b *Board, active bool, at time.Time) bool {
	select {
	case b.events <- InputEvent{Input: in.name, Door: in.door, Kind: in.kind, Active: active, At: at}:
		return true
	case <-b.stop:
		return false
	}
}
