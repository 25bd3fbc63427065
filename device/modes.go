package device

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// Door modes: who decides, and in what order.
//
// A door's mode is the first of:
//
//  1. locked_down or disabled, when the operator's mode (SetMode over
//     the API, persisted; else the configured Mode) is one of them;
//  2. unlocked, while an emergency open lasts (emergency.go);
//  3. the operator's mode when it is unlocked: it overrides any schedule;
//  4. unlocked, while the door's unlock schedule (a time profile) is open
//     and, with FirstCardUnlock, once a credential was granted inside the
//     current window (a duress grant does not count);
//  5. normal.
//
// Setting normal over the API therefore hands the door back to its
// schedule. The schedule's edges are deadlines in the door's timer (the
// next minute at which the profile's answer changes, looked for up to
// scheduleHorizon ahead), not a poll, and a cheap re-read once a minute
// catches a wall-clock step (schedRecheck); Reschedule re-reads the
// profiles after one changed.
//
// Persistence: SetMode and SetSchedule write the new setting through
// ModeStore (one durable commit) before the door applies it, so an
// answered API call survives a crash. A write that fails refuses the
// change with ErrNotPersisted, except a lockdown or disable, which is
// applied anyway (deny on doubt) and still reported. A change the door
// then cannot apply (it faulted, or the runtime is stopping) is taken
// back out of the store, so a restart does not apply what the operator
// was told failed (a lockdown or disable stays). Changes of one door are
// serialized, so the stored and the applied setting cannot cross.
//
// Boot order: New drives every relay locked, builds every door from the
// stored settings (an unreadable one starts locked_down), starts every
// door goroutine and both dispatchers, and only then lets the doors act
// on their mode: a door whose mode is unlocked (restored from the store,
// configured, or by an open schedule) unlocks only once the whole runtime
// is up, and its mode_changed event says so.

// scheduleHorizon bounds the search for a schedule's next edge; with none
// inside it the door looks again at the horizon (profiles with calendar
// rules may open months apart).
const scheduleHorizon = 8 * 24 * time.Hour

// schedRecheck is how often a door with an unlock schedule reads it again
// between edges. The edges are timers armed from the wall clock; when the
// clock is stepped (a board without a real-time clock boots on its last
// shutdown time and NTP corrects it minutes later) an armed edge fires
// hours off, and a door unlocked by the wrong time would stay unlocked
// until then. Re-reading is one profile lookup a minute; it corrects a
// door within a minute of a step, and the edges stay exact otherwise.
const schedRecheck = time.Minute

// ErrNotPersisted: the door setting could not be written to the store.
var ErrNotPersisted = errors.New("device: door setting not persisted")

// SetMode changes door id's mode (ONVIF/Axis access point states), as
// operator by, after persisting it. Entering unlocked holds the relay
// unlocked; leaving it, or entering locked_down or disabled, locks at
// once (cutting short a momentary unlock). Setting the current mode again
// is recorded but changes nothing at the door.
func (rt *Runtime) SetMode(id string, mode access.DoorMode, by string) error {
	if mode > access.DoorDisabled {
		return fmt.Errorf("device: unknown mode %d", mode)
	}
	return rt.changeSetting(id, func(s *store.DoorSetting) {
		s.Mode, s.ModeBy, s.ModeAt = ModeName(mode), by, time.Now().UTC()
		if mode >= access.DoorLockedDown {
			s.Emergency = nil // a lockdown or disable ends an emergency open
		}
	}, mode >= access.DoorLockedDown, msg{kind: msgMode, mode: mode, by: by})
}

// SetSchedule gives door id an unlock schedule (time profile profile, 0
// for none) and the first-card-unlock option, as operator by, after
// persisting it. It replaces the configured schedule.
func (rt *Runtime) SetSchedule(id string, profile uint64, firstCard bool, by string) error {
	if profile != 0 && rt.schedules == nil {
		return fmt.Errorf("device: door %q: no schedule source", id)
	}
	return rt.changeSetting(id, func(s *store.DoorSetting) {
		s.Schedule = &store.DoorSchedule{ProfileID: profile, FirstCardUnlock: firstCard, By: by, At: time.Now().UTC()}
	}, false, msg{kind: msgSchedule, profile: profile, firstCard: firstCard, by: by})
}

// changeSetting persists edit of door id's setting, then has the door
// apply m. applyOnFailure: apply even when the write fails. Changes of
// one door are serialized (the stored and the applied setting cannot
// cross); a door slow to apply holds up only its own changes.
func (rt *Runtime) changeSetting(id string, edit func(*store.DoorSetting), applyOnFailure bool, m msg) error {
	d, ok := rt.byID[id]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownDoor, id)
	}
	d.settingMu.Lock()
	defer d.settingMu.Unlock()
	if !applyOnFailure {
		// A door that cannot apply it must not find it stored at the next
		// start (see below); a lockdown or disable is stored regardless.
		select {
		case <-d.dead:
			return ErrFault
		case <-rt.done:
			return ErrClosed
		default:
		}
	}
	prev, next := d.setting, d.setting
	edit(&next)
	var perr error
	if rt.modes != nil {
		if err := rt.modes.PutDoorSetting(id, next); err != nil {
			perr = fmt.Errorf("%w: %v", ErrNotPersisted, err)
			if !applyOnFailure {
				return perr
			}
			rt.log.Error("device: door setting not persisted; applied anyway", "door", id, "err", err)
		}
	}
	if perr == nil {
		d.setting = next
	}
	if err := rt.command(id, m); err != nil {
		// The door did not apply it (it faulted, or the runtime is
		// stopping) and the caller is told so: the next start must not
		// apply it either — a refused unlocked would unlock at boot. A
		// lockdown or disable stays stored (deny on doubt).
		if perr == nil && !applyOnFailure && rt.modes != nil {
			if rerr := rt.modes.PutDoorSetting(id, prev); rerr != nil {
				rt.log.Error("device: door refused a setting that stays stored", "door", id, "err", rerr)
			} else {
				d.setting = prev
			}
		}
		return err
	}
	return perr
}

// Reschedule has every door read its unlock schedule again (after a time
// profile changed). It never blocks.
func (rt *Runtime) Reschedule() {
	for _, d := range rt.doors {
		select {
		case d.resched <- struct{}{}:
		default: // one pending is enough
		}
	}
}

// restore applies the stored setting s (if any) to a door being built.
func (d *door) restore(s store.DoorSetting, ok, bad bool) {
	switch {
	case bad:
		d.opMode = access.DoorLockedDown
		d.startNote = "stored door setting unreadable; locked_down until an operator sets a mode"
	case ok && s.Mode != "":
		m, err := ParseMode(s.Mode)
		if err != nil {
			d.opMode = access.DoorLockedDown
			d.startNote = "stored door mode " + strconv.Quote(s.Mode) + " unknown; locked_down until an operator sets a mode"
			break
		}
		d.opMode, d.modeBy, d.modeAt = m, s.ModeBy, s.ModeAt
		d.startNote = "restored at start"
	}
	if ok && s.Schedule != nil {
		d.sched, d.firstCard = s.Schedule.ProfileID, s.Schedule.FirstCardUnlock
	}
	if ok && !bad {
		d.restoreEmergency(s.Emergency, time.Now())
	}
	// Until the goroutine starts, show a restrictive mode already (it
	// needs no relay action); an unlocked one waits for start.
	if d.opMode >= access.DoorLockedDown {
		d.mode = d.opMode
	}
	d.publish()
}

// start is the first step of the door goroutine, once the runtime is up:
// the mode takes effect (a door whose mode is unlocked unlocks now).
func (d *door) start(now time.Time) {
	d.evalSchedule(now)
	if !d.staleEmergency.IsZero() {
		d.rt.forgetEmergency(d, d.staleEmergency)
	}
	if d.resumeEmergency(now) {
		return
	}
	note := d.startNote
	if note == "" {
		note = "at start"
	}
	d.mode = access.DoorNormal // the relay is locked: that is where we start from
	d.applyMode(d.modeBy, note, now, d.startNote != "")
}

// effective is the mode the door is in, by the precedence above.
func (d *door) effective() access.DoorMode {
	if d.opMode >= access.DoorLockedDown {
		return d.opMode
	}
	if !d.emergUntil.IsZero() || d.opMode == access.DoorUnlocked {
		return access.DoorUnlocked
	}
	if d.schedOpen && (!d.firstCard || d.firstDone) {
		return access.DoorUnlocked
	}
	return access.DoorNormal
}

// setMode is an operator's mode change, applied.
func (d *door) setMode(m access.DoorMode, by string, now time.Time) {
	changed := m != d.opMode
	d.opMode, d.modeBy, d.modeAt = m, by, now
	d.applyMode(by, "", now, changed)
	if m >= access.DoorLockedDown {
		d.endEmergency(by, "ended by "+ModeName(m), now) // the relay is already locked
	}
}

func (d *door) setSchedule(profile uint64, firstCard bool, by string, now time.Time) {
	changed := profile != d.sched || firstCard != d.firstCard
	d.sched, d.firstCard = profile, firstCard
	d.firstDone = false
	d.evalSchedule(now)
	note := "unlock schedule " + strconv.FormatUint(profile, 10)
	if profile == 0 {
		note = "no unlock schedule"
	} else if firstCard {
		note += " with first-card unlock"
	}
	d.applyMode(by, note+" set", now, changed)
}

// evalSchedule reads the unlock schedule at now and arms the next edge.
func (d *door) evalSchedule(now time.Time) {
	d.schedAt, d.schedChk = time.Time{}, time.Time{}
	if d.sched == 0 || d.rt.schedules == nil {
		d.schedOpen, d.firstDone = false, false
		return
	}
	s := d.rt.schedules.Schedule(d.sched) // nil: unknown profile, never open
	open := s != nil && s.Open(now, d.rt.loc)
	if !open {
		d.firstDone = false // the next window waits for its own first card
	}
	d.schedOpen = open
	if s != nil {
		d.schedAt = nextEdge(s, d.rt.loc, now, open)
		d.schedChk = now.Add(schedRecheck)
	}
}

// recheckSchedule reads the schedule again between edges (schedRecheck):
// an answer that differs from the door's means the wall clock moved, and
// the door follows it as at an edge (re-arming its edges).
func (d *door) recheckSchedule(now time.Time) {
	s := d.rt.schedules.Schedule(d.sched)
	if open := s != nil && s.Open(now, d.rt.loc); open != d.schedOpen {
		d.onScheduleEdge(now)
		return
	}
	d.schedChk = now.Add(schedRecheck)
}

// nextEdge is the first minute after now at which s's answer differs from
// open, or now+scheduleHorizon when there is none before.
func nextEdge(s *access.Schedule, loc *time.Location, now time.Time, open bool) time.Time {
	t := now.Truncate(time.Minute)
	end := now.Add(scheduleHorizon)
	for t = t.Add(time.Minute); t.Before(end); t = t.Add(time.Minute) {
		if s.Open(t, loc) != open {
			return t
		}
	}
	return end
}

// onScheduleEdge runs at the armed edge (and on Reschedule).
func (d *door) onScheduleEdge(now time.Time) {
	was := d.schedOpen
	d.evalSchedule(now)
	note := ""
	switch {
	case d.schedOpen && !was:
		note = "unlock schedule " + strconv.FormatUint(d.sched, 10) + " opened"
		if d.firstCard {
			note += "; waiting for the first card"
		}
	case !d.schedOpen && was:
		note = "unlock schedule " + strconv.FormatUint(d.sched, 10) + " closed"
	}
	d.applyMode("", note, now, false)
}

// firstGrant: a credential was granted; with first-card unlock inside an
// open window, the door now stays unlocked.
func (d *door) firstGrant(duress bool, now time.Time) {
	if !d.firstCard || !d.schedOpen || d.firstDone || duress || d.opMode != access.DoorNormal {
		return // a grant while an operator's mode rules (a lockdown) does not count
	}
	d.firstDone = true
	d.applyMode("", "first credential granted in unlock schedule "+strconv.FormatUint(d.sched, 10), now, false)
}

// applyMode moves the door to its effective mode, emitting mode_changed
// (by, detail note) when it changes, or when force (an operator's change
// that leaves the door's mode as it was is still audited).
func (d *door) applyMode(by, note string, now time.Time, force bool) {
	m, old := d.effective(), d.mode
	if m == old && !force {
		return
	}
	d.switchMode(m, now)
	detail := ModeName(m) + " (was " + ModeName(old) + ")"
	switch {
	case m != access.DoorUnlocked || d.opMode != access.DoorNormal:
	case !d.emergUntil.IsZero():
		note = joinDetail(note, "emergency open until "+stamp(d.emergUntil)) // say why a normal door is unlocked
	case !strings.Contains(note, "schedule"):
		note = joinDetail(note, "unlock schedule open")
	}
	d.emit(Event{Type: EventModeChanged, At: now, Operator: by, Detail: joinDetail(detail, note)})
}

// switchMode drives the door into mode m: the relay, the momentary unlock
// and the held-open clock.
func (d *door) switchMode(m access.DoorMode, now time.Time) {
	old := d.mode
	if m == old {
		return
	}
	d.mode = m
	d.changed = now
	if m == access.DoorUnlocked {
		d.relockAt, d.extended = time.Time{}, false
		d.drive(true, now)
		d.openedInWindow = false
		d.clearHeld(now) // an open door is now allowed
		return
	}
	// Leaving unlocked, or locking down / disabling: lock now, ending
	// any momentary unlock.
	wasMomentary := !d.relockAt.IsZero()
	d.relockAt, d.extended, d.shuntUntil = time.Time{}, false, time.Time{}
	d.openedInWindow = false
	if d.unlocked || d.doubt || old == access.DoorUnlocked || wasMomentary {
		d.drive(false, now)
	}
	if old == access.DoorUnlocked && d.open && !d.forced {
		d.startHeld(now) // the open door now counts as held
	}
}
