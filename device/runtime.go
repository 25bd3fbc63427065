package device

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/board/fault"
)

// Runtime runs every door: one goroutine per door owns that door's state,
// decides through the Decider and drives the relay; two dispatch
// goroutines route the board's reads and input events to the doors.
type Runtime struct {
	board   Board
	decider Decider
	sink    EventSink
	passes  PassRecorder
	log     *slog.Logger

	doors   []*door
	byID    map[string]*door
	readers map[string]readerRef
	taps    cardTaps // learners waiting for a card (learn.go)

	// Door settings (modes.go).
	modes     ModeStore
	schedules Schedules
	loc       *time.Location

	up        chan struct{} // closed when every goroutine runs: doors may unlock
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

type readerRef struct {
	d   *door
	idx int
}

type nopSink struct{}

func (nopSink) Emit(Event) {}

type nopPasses struct{}

func (nopPasses) Commit(access.Outcome) {}
func (nopPasses) Refund(access.Outcome) {}

// New validates cfg, drives every door's relay locked, and starts the
// door goroutines. events and passes may be nil (events dropped, passes
// not persisted). Call Close to stop.
func New(cfg Config, b Board, d Decider, events EventSink, passes PassRecorder) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if b == nil || d == nil {
		return nil, fmt.Errorf("device: New needs a board and a decider")
	}
	if events == nil {
		events = nopSink{}
	}
	if passes == nil {
		passes = nopPasses{}
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	rt := &Runtime{
		board: b, decider: d, sink: events, passes: passes, log: log,
		byID:    map[string]*door{},
		readers: map[string]readerRef{},
		up:      make(chan struct{}),
		done:    make(chan struct{}),
		modes:   cfg.Modes, schedules: cfg.Schedules, loc: cfg.Location,
	}
	if rt.loc == nil {
		rt.loc = time.UTC
	}
	bad := map[string]bool{}
	for _, id := range cfg.BadSettings {
		bad[id] = true
	}
	now := time.Now()
	for _, dc := range cfg.Doors {
		dc = dc.withDefaults()
		// Locked first, before anything can unlock: a config naming a
		// door the board does not have fails here, not at the first card.
		if err := b.SetRelay(dc.ID, false); err != nil {
			b.Secure()
			return nil, fmt.Errorf("device: door %q: locking relay at start: %w", dc.ID, err)
		}
		dr := newDoor(rt, dc, now)
		s, ok := cfg.Settings[dc.ID]
		dr.setting = s
		dr.restore(s, ok, bad[dc.ID])
		if dr.sched != 0 && rt.schedules == nil {
			b.Secure()
			return nil, fmt.Errorf("device: door %q: an unlock schedule needs a schedule source", dc.ID)
		}
		rt.doors = append(rt.doors, dr)
		rt.byID[dc.ID] = dr
		for i, r := range dc.Readers {
			rt.readers[r] = readerRef{dr, i}
		}
	}
	for _, dr := range rt.doors {
		rt.wg.Add(1)
		fault.Go("device.door "+dr.cfg.ID, dr.run) // loop and egress recover their own (door.go)
	}
	rt.wg.Add(2)
	reads, inputs := b.Reads(), b.InputEvents()
	fault.Go("device.reads", func() { rt.dispatchReads(reads) })
	fault.Go("device.inputs", func() { rt.dispatchInputs(inputs) })
	close(rt.up)
	return rt, nil
}

// dispatchReads routes reads to their door's goroutine. It is the only hop
// between the board and the decision: a buffered channel send.
func (rt *Runtime) dispatchReads(reads <-chan board.Read) {
	defer rt.wg.Done()
	for {
		select {
		case <-rt.done:
			return
		case r, ok := <-reads:
			if !ok {
				return
			}
			ref, ok := rt.readers[r.Reader]
			if !ok {
				rt.log.Warn("device: read from a reader no door uses", "reader", r.Reader)
				continue
			}
			rt.deliver(ref.d, msg{kind: msgRead, at: r.At, reader: ref.idx, read: r})
			if r.Card != nil {
				rt.taps.offer(r.Reader, *r.Card) // after the door has it (learn.go)
			}
		}
	}
}

func (rt *Runtime) dispatchInputs(events <-chan board.InputEvent) {
	defer rt.wg.Done()
	for {
		select {
		case <-rt.done:
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			d, ok := rt.byID[ev.Door]
			if !ok {
				rt.log.Warn("device: input of an unknown door", "input", ev.Input, "door", ev.Door)
				continue
			}
			rt.deliver(d, msg{kind: msgInput, at: ev.At, input: ev})
		}
	}
}

// deliver hands m to d's inbox. It never waits for the door (inbox.go).
func (rt *Runtime) deliver(d *door, m msg) {
	d.box.push(m)
}

// command sends m to door id's goroutine and waits for it to be applied.
func (rt *Runtime) command(id string, m msg) error {
	d, ok := rt.byID[id]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownDoor, id)
	}
	m.reply = make(chan error, 1)
	select {
	case d.in <- m:
	case <-d.dead:
		return ErrFault
	case <-rt.done:
		return ErrClosed
	}
	select {
	case err := <-m.reply:
		return err
	case <-d.dead:
		return ErrFault
	case <-rt.done:
		return ErrClosed
	}
}

// Open is a remote momentary open of door id by operator by: the relay
// unlocks for the door's UnlockTime and a remote_open event names the
// operator. A door in locked_down or disabled mode refuses
// (ErrModeRefuses); one in unlocked mode is already open (the event is
// still recorded).
func (rt *Runtime) Open(id, by string) error {
	return rt.command(id, msg{kind: msgOpen, by: by})
}

// Doors returns every door's state, in configuration order.
func (rt *Runtime) Doors() []DoorState {
	out := make([]DoorState, len(rt.doors))
	for i, d := range rt.doors {
		out[i] = d.snapshot()
	}
	return out
}

// Door returns door id's state.
func (rt *Runtime) Door(id string) (DoorState, bool) {
	d, ok := rt.byID[id]
	if !ok {
		return DoorState{}, false
	}
	return d.snapshot(), true
}

// Close stops every goroutine and leaves every relay locked: each door
// locks its relay and turns its readers' LEDs and buzzers off as it stops,
// then the board is Secured. Idempotent. It does not close the board.
func (rt *Runtime) Close() error {
	rt.closeOnce.Do(func() {
		close(rt.done)
		rt.wg.Wait()
		rt.board.Secure()
	})
	return nil
}

// reassertOthers asks every door but except to drive its relay again
// (after a Secure on another door's fault locked them all).
func (rt *Runtime) reassertOthers(except *door) {
	for _, d := range rt.doors {
		if d == except {
			continue
		}
		select {
		case d.reassert <- struct{}{}:
		default: // one pending is enough
		}
	}
}
