package board

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/doord/doord/board/wiegand"
)

// Card is a decoded card: format, facility, number, bits, raw frame and the
// canonical value (payload without parity, as the store normalizes it).
type Card = wiegand.Card

// Read is one frame from one reader: a card, a key, or a bad read.
type Read struct {
	Reader string
	At     time.Time // the frame's last edge
	Card   *Card     // a good card frame
	Keys   string    // a good keypad burst: one key, "0"-"9", "*" or "#"
	Bad    string    // a bad read: why (parity, length, damaged frame, ...)
	Bits   int       // frame length, for logs
	Raw    uint64    // frame bits, for logs
}

// InputEvent is a debounced change of a door input.
type InputEvent struct {
	Input  string // "<door>.<kind>", e.g. "1.contact"
	Door   string
	Kind   string // KindContact, KindREX or KindTamper
	Active bool   // contact: door open; rex: pressed; tamper: tampered
	At     time.Time
}

// Board owns the pins: readers, relays, inputs, LEDs and buzzers.
type Board struct {
	cfg Config
	log *slog.Logger

	relays  map[string]*relay  // by door id
	outputs map[string]*output // LEDs and buzzers by name ("1.led")
	inputs  []*input
	readers []*reader
	sim     *Sim

	reads  chan Read
	events chan InputEvent
	stop   chan struct{}
	wg     sync.WaitGroup

	closeOnce sync.Once
	closed    chan struct{}
}

// Reads returns decoded reads from all readers. The channel is closed by
// Close. A slow consumer holds up its reader (the kernel keeps queueing
// edges; an overflow surfaces as a damaged-frame bad read, not a wrong card).
func (b *Board) Reads() <-chan Read { return b.reads }

// InputEvents returns debounced input changes. Every input reports its
// state once at start (At = start time), then each change. Closed by Close.
func (b *Board) InputEvents() <-chan InputEvent { return b.events }

// Sim returns the simulator, or nil unless Kind is "sim".
func (b *Board) Sim() *Sim { return b.sim }

// ErrClosed is returned by setters after Close.
var ErrClosed = errors.New("board: closed")

// UnknownError names something the config does not have.
type UnknownError struct {
	What string // "door", "reader", "input", "output"
	Name string
}

func (e *UnknownError) Error() string { return fmt.Sprintf("board: unknown %s %q", e.What, e.Name) }

// SetRelay drives door's relay to unlock (true) or lock (false).
func (b *Board) SetRelay(door string, unlocked bool) error {
	r, ok := b.relays[door]
	if !ok {
		return &UnknownError{"door", door}
	}
	return r.set(unlocked) // refuses to unlock once Close began
}

// Relay reports whether door's relay is at its unlocking level (as last
// driven: output lines are never read back).
func (b *Board) Relay(door string) (unlocked bool, err error) {
	r, ok := b.relays[door]
	if !ok {
		return false, &UnknownError{"door", door}
	}
	return r.get(), nil
}

// SetLED turns reader's LED on or off.
func (b *Board) SetLED(reader string, on bool) error { return b.setOutput(reader, KindLED, on) }

// SetBuzzer turns reader's buzzer on or off.
func (b *Board) SetBuzzer(reader string, on bool) error {
	return b.setOutput(reader, KindBuzzer, on)
}

func (b *Board) setOutput(reader, kind string, on bool) error {
	o, ok := b.outputs[Name(reader, kind)]
	if !ok {
		if !b.hasReader(reader) {
			return &UnknownError{"reader", reader}
		}
		return &UnknownError{"output", Name(reader, kind)}
	}
	return o.set(on) // refuses to switch on once Close began
}

func (b *Board) hasReader(id string) bool {
	for _, r := range b.cfg.Readers {
		if r.ID == id {
			return true
		}
	}
	return false
}

// Secure drives every relay to its locked level, whatever state the
// software thinks it is in. It is idempotent, takes no locks that a
// panicking caller could hold, never panics itself, and is meant for a
// deferred recover in the daemon:
//
//	defer func() { if v := recover(); v != nil { b.Secure(); panic(v) } }()
func (b *Board) Secure() {
	if b == nil {
		return
	}
	for _, r := range b.relays {
		r.secure(b.log)
	}
}

// Close stops every goroutine, locks every relay (fail-safe doors too:
// doord never unlocks on shutdown) and turns LEDs and buzzers off. It is
// idempotent and prompt (input waits are halted, not sat out). An unlock
// (or an LED or buzzer switched on) that is not already being written
// when Close begins is refused with ErrClosed, and Close's locked (off)
// level is the last one each line is given (it waits for a write in
// progress, then writes). The relays
// are left driven at the locked level; the output lines are not released
// (character-device requests stay held until the process exits), so
// nothing floats to an unlocking level behind our back. What a line does
// once the process is gone is up to the GPIO driver and the board's pull
// resistors: wire fail-secure where that matters. A Board whose outputs
// are character-device lines cannot be opened again in the same process
// (the lines are busy).
func (b *Board) Close() error {
	b.closeOnce.Do(func() {
		close(b.closed)
		b.Secure() // at once, without waiting for anyone
		// Then under each relay's lock: a write in progress finishes
		// first, and every unlock after this is refused (relay.set
		// looks at b.closed holding the same lock), so the locked level
		// written here is the last level the relay is given.
		for _, r := range b.relays {
			r.close(b.log)
		}
		close(b.stop)
		// Sources close concurrently: one slow to release its line
		// request does not hold up the others.
		var closing sync.WaitGroup
		for _, r := range b.readers {
			closing.Go(func() { r.src.Close() })
		}
		stopped := make(chan struct{})
		go func() { closing.Wait(); b.wg.Wait(); close(stopped) }()
		pins := make([]interface{ Halt() error }, len(b.inputs))
		for i, in := range b.inputs {
			pins[i] = in.pin
		}
		haltUntil(stopped, pins...) // wakes WaitForEdge, again if a Halt is lost

		for _, o := range b.outputs {
			o.set(false)
		}
		close(b.reads)
		close(b.events)
	})
	return nil
}

func (b *Board) isClosed() bool { return isClosed(b.closed) }

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (b *Board) stopping() bool {
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}
