package device

import (
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/board/fault"
)

// Exit always works (life safety first). When a door's state machine
// faulted (onFault: every relay secured, the door out of service),
// its goroutine does not stop: it runs egress, a minimal path that does
// one thing — an exit button press unlocks the relay for UnlockTime, as
// long as REXUnlocks is on — and nothing else: no reads, no alarms, no
// modes, no remote opens. It keeps none of the faulted state machine's
// state (which may be what was wrong), only whether it holds the relay
// unlocked, and writes the relay and the rex event directly. A lock that
// fails is retried every second; Close locks. A panic here secures every
// relay again and ends the door's goroutine for good.
//
// We chose this over restarting the state machine with its state
// rebuilt: a state machine that panicked once on some state may do so
// again on the same input, and the exit button must not depend on it.
func (d *door) egress() {
	defer fault.Recover("device.door "+d.cfg.ID+" exit path", func(r fault.Report) {
		d.rt.board.Secure()
		d.rt.log.Error("device: exit path panicked; relays secured, exit button out of service",
			"door", d.cfg.ID, "panic", r.Value, "stack", r.Stack)
	})
	d.rt.log.Warn("device: door out of service; only the exit button works", "door", d.cfg.ID, "rex_unlocks", d.cfg.REXUnlocks)
	var (
		unlocked bool      // as driven by egress
		relockAt time.Time // when to lock; zero: nothing to do
	)
	t := time.NewTimer(time.Hour)
	t.Stop()
	set := func(unlock bool, now time.Time) {
		err := d.rt.board.SetRelay(d.cfg.ID, unlock)
		switch {
		case err == nil:
			unlocked = unlock
			relockAt = time.Time{}
		case unlock:
			d.rt.log.Error("device: exit path cannot unlock", "door", d.cfg.ID, "err", err)
			_ = d.rt.board.SetRelay(d.cfg.ID, false) // a failure is retried at relockAt
			relockAt = now.Add(time.Second)
		default:
			d.rt.log.Error("device: exit path cannot lock; retrying", "door", d.cfg.ID, "err", err)
			relockAt = now.Add(time.Second)
		}
		s := *d.state.Load()
		s.Locked, s.UpdatedAt = !unlocked && err == nil, now
		d.state.Store(&s)
	}
	for {
		select {
		case <-d.rt.done:
			set(false, time.Now())
			return
		case <-d.reassert: // another door's fault secured every relay
			if unlocked {
				set(true, time.Now())
			}
		case <-d.box.ready:
			ms, _ := d.box.take()
			for _, m := range ms {
				if m.kind != msgInput || m.input.Kind != board.KindREX || !m.input.Active || !d.cfg.REXUnlocks {
					continue
				}
				now := time.Now()
				set(true, now)
				if unlocked {
					relockAt = eventTime(m.at, now).Add(d.cfg.UnlockTime)
				}
				d.emitSafe(Event{Type: EventREX, At: eventTime(m.at, now), Detail: "door out of service: exit path"})
			}
		case <-t.C:
			set(false, time.Now())
		}
		if relockAt.IsZero() {
			t.Stop()
		} else {
			t.Reset(time.Until(relockAt))
		}
	}
}

// emitSafe emits ev, surviving a sink that panics (it may be what made
// the door fault).
func (d *door) emitSafe(ev Event) {
	defer func() {
		if v := recover(); v != nil {
			d.rt.log.Error("device: event sink panicked", "door", d.cfg.ID, "panic", fault.Describe(v))
		}
	}()
	ev.Door = d.cfg.ID
	d.rt.sink.Emit(ev)
}
