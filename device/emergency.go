package device

import (
	"fmt"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// Emergency open (BAS-IP's "Start emergency mode and open the locks"): a
// door held unlocked for a given time, then locked again by itself.
//
//   - It is an operator's order, so it goes the way of a mode change:
//     persisted (store.DoorSetting.Emergency, one durable commit) before
//     the door applies it, refused when the write fails (an unlock the
//     store does not know about would be forgotten by a restart, and an
//     unlock is never applied on doubt), and taken back out of the store
//     when the door cannot apply it.
//   - A door in locked_down or disabled refuses it (ErrModeRefuses), as it
//     refuses a remote open; setting either mode during one ends it. In
//     the precedence of modes (modes.go) it sits below those two and
//     above everything else.
//   - It ends at its time (emergency_closed "expired"), early through
//     EmergencyClose (the operator named), or by a lockdown or disable.
//     The record of an ended one is removed from the store in the
//     background: the door goroutine never waits on disk.
//   - At start it is resumed only while it still has time left by the
//     wall clock AND the clock is not earlier than when it was ordered
//     (a board without a real-time clock may boot on an old time; a time
//     before the order says the clock cannot be trusted, and a door is
//     never unlocked at boot on doubt). A record whose span is longer
//     than the longest accepted (store.MaxEmergencyOpen) is not trusted
//     either. Resuming waits, like a restored unlocked mode, until the
//     whole runtime is up.
//   - While it lasts the door compares its end with the wall clock once
//     a minute (schedRecheck), besides its own timer: a clock corrected
//     forward after such a boot (NTP) ends it within a minute rather than
//     when the timer, counting from the wrong time, would have. It ends
//     at whichever comes first.

// EmergencyOpen holds door id unlocked for dur (1 s up to
// store.MaxEmergencyOpen), as operator by, after persisting it. Ordering
// it again replaces the end time. It answers ErrModeRefuses at a door
// in locked_down or disabled, ErrNotPersisted when the store refused it
// (nothing is unlocked then).
func (rt *Runtime) EmergencyOpen(id string, dur time.Duration, by string) error {
	if dur < time.Second || dur > store.MaxEmergencyOpen {
		return fmt.Errorf("device: emergency open of %v: must be from 1s to %v", dur, store.MaxEmergencyOpen)
	}
	now := time.Now()
	until := now.Add(dur)
	return rt.changeSetting(id, func(s *store.DoorSetting) {
		s.Emergency = &store.DoorEmergency{At: now.UTC(), Until: until.UTC(), By: by}
	}, false, msg{kind: msgEmergency, until: until, by: by})
}

// EmergencyClose ends door id's emergency open now, as operator by (a
// door without one is left as it is). Like a lockdown it is applied even
// when the store refuses the write (ErrNotPersisted is still returned).
func (rt *Runtime) EmergencyClose(id, by string) error {
	return rt.changeSetting(id, func(s *store.DoorSetting) {
		s.Emergency = nil
	}, true, msg{kind: msgEmergencyEnd, by: by})
}

// emergencyOpen applies an emergency open ordered by by, until until.
func (d *door) emergencyOpen(until time.Time, by string, now time.Time) error {
	if d.opMode >= access.DoorLockedDown {
		return fmt.Errorf("%w: door %q is %s", ErrModeRefuses, d.cfg.ID, ModeName(d.opMode))
	}
	old := d.mode
	d.emergUntil, d.emergBy = until, by
	d.emergChk = now.Add(schedRecheck)
	d.switchMode(d.effective(), now)
	d.emit(Event{Type: EventEmergencyOpen, At: now, Operator: by,
		Detail: "until " + stamp(until) + "; " + ModeName(d.mode) + " (was " + ModeName(old) + ")"})
	return nil
}

// endEmergency ends the emergency open in effect, if any, for why; by is
// the operator who ended it ("" when it expired).
func (d *door) endEmergency(by, why string, now time.Time) {
	if d.emergUntil.IsZero() {
		return
	}
	until := d.emergUntil
	d.emergUntil, d.emergBy, d.emergChk = time.Time{}, "", time.Time{}
	old := d.mode
	d.switchMode(d.effective(), now)
	d.emit(Event{Type: EventEmergencyClosed, At: now, Operator: by,
		Detail: why + "; " + ModeName(d.mode) + " (was " + ModeName(old) + ")"})
	d.rt.forgetEmergency(d, until)
}

// checkEmergency runs at the end time's timer and once a minute: the
// emergency ends when its timer or the wall clock says it is over.
func (d *door) checkEmergency(now time.Time) {
	if due(d.emergUntil, now) || !now.Round(0).Before(d.emergUntil.Round(0)) {
		d.endEmergency("", "expired", now)
		return
	}
	d.emergChk = now.Add(schedRecheck)
}

// restoreEmergency takes a stored emergency open into the door being
// built, if it may be resumed (see above); one that may not is removed
// from the store once the runtime runs.
func (d *door) restoreEmergency(e *store.DoorEmergency, now time.Time) {
	if e == nil {
		return
	}
	wall := now.Round(0)
	if wall.Before(e.At) || !wall.Before(e.Until) || e.Until.Sub(e.At) > store.MaxEmergencyOpen || d.opMode >= access.DoorLockedDown {
		d.staleEmergency = e.Until
		return
	}
	d.emergUntil, d.emergBy = e.Until, e.By
}

// resumeEmergency is start for a door with a restored emergency open:
// it unlocks now that the runtime is up, and says so. False when there
// is none (or it ran out while the runtime was starting): start goes on
// as usual.
func (d *door) resumeEmergency(now time.Time) bool {
	if d.emergUntil.IsZero() {
		return false
	}
	if !now.Round(0).Before(d.emergUntil) {
		d.rt.forgetEmergency(d, d.emergUntil)
		d.emergUntil, d.emergBy = time.Time{}, ""
		return false
	}
	d.mode = access.DoorNormal // the relay is locked: that is where we start from
	d.emergChk = now.Add(schedRecheck)
	d.switchMode(d.effective(), now)
	d.emit(Event{Type: EventEmergencyOpen, At: now, Operator: d.emergBy,
		Detail: "until " + stamp(d.emergUntil) + "; resumed at start; " + ModeName(d.mode) + " (was normal)"})
	return true
}

// forgetEmergency removes the stored emergency open that ended at until
// from door d's setting, in the background (the door goroutine never
// waits on disk). A newer order (another end time) is left alone. A
// failed write is only logged: a stored emergency that has ended is
// never resumed.
func (rt *Runtime) forgetEmergency(d *door, until time.Time) {
	if rt.modes == nil {
		return
	}
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		d.settingMu.Lock()
		defer d.settingMu.Unlock()
		e := d.setting.Emergency
		if e == nil || !e.Until.Equal(until) {
			return
		}
		next := d.setting
		next.Emergency = nil
		if err := rt.modes.PutDoorSetting(d.cfg.ID, next); err != nil {
			rt.log.Warn("device: ended emergency open not removed from the store", "door", d.cfg.ID, "err", err)
			return
		}
		d.setting = next
	}()
}

// stamp formats an instant for an event's detail.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
