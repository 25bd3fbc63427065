package device

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store"
)

type msgKind uint8

const (
	msgRead msgKind = iota + 1
	msgInput
	msgMode
	msgOpen
	msgSchedule
	msgPing // liveness probe (alive.go): answered, changes nothing
	msgEmergency
	msgEmergencyEnd
)

// msg is everything that reaches a door goroutine from outside: reads
// and input changes through the door's inbox (ordered by at), commands
// through its command channel.
type msg struct {
	kind   msgKind
	at     time.Time // msgRead, msgInput: when the read or edge happened
	reader int       // msgRead: index into door.readers
	read   board.Read
	input  board.InputEvent
	mode   access.DoorMode
	by     string
	reply  chan error // commands

	profile   uint64 // msgSchedule
	firstCard bool   // msgSchedule

	until time.Time // msgEmergency: when the emergency open ends
}

// inboxSize is the command channel's buffer (API calls; the caller
// waits for the answer anyway).
const inboxSize = 64

// door is one door's state machine. Every field below the channels is
// owned by the door goroutine; other goroutines see only state (the
// published snapshot).
type door struct {
	rt       *Runtime
	cfg      DoorConfig
	in       chan msg // commands
	box      *inbox   // reads and input changes
	reassert chan struct{}
	resched  chan struct{}
	dead     chan struct{} // closed when the goroutine stopped on a panic

	// The door's stored setting (modes.go), owned by the API callers
	// under settingMu, not by the door goroutine.
	settingMu sync.Mutex
	setting   store.DoorSetting
	state     atomic.Pointer[DoorState]

	readers []reader

	// Modes (modes.go): mode is the effective mode; opMode the
	// operator's (or configured) one; the unlock schedule and its state.
	mode      access.DoorMode
	opMode    access.DoorMode
	modeBy    string
	modeAt    time.Time
	startNote string // why the mode at start is what it is, for its event
	sched     uint64 // unlock schedule profile id, 0: none
	firstCard bool
	schedOpen bool
	firstDone bool      // first-card unlock satisfied in the current window
	schedAt   time.Time // next schedule edge
	schedChk  time.Time // next re-read of the schedule (schedRecheck)

	// Emergency open (emergency.go): held unlocked until emergUntil.
	emergUntil time.Time // zero: none in effect
	emergBy    string
	emergChk   time.Time // next wall-clock check of emergUntil
	// staleEmergency: the end of a stored emergency open not resumed at
	// start, to be removed from the store once the door runs.
	staleEmergency time.Time

	// Relay.
	want       bool      // the level we mean the relay to be at (true: unlocked)
	unlocked   bool      // as last driven successfully
	doubt      bool      // the last lock command failed: state unknown
	relayFault bool      // relay_fault raised, not yet cleared
	retryAt    time.Time // next attempt to lock after a failure
	retryDelay time.Duration

	// Momentary unlock (grant, REX, remote open).
	relockAt time.Time // zero: none in effect
	extended bool      // the unlock in effect is an extended one
	// shuntUntil: an opening before this is authorized (covers the
	// momentary unlock, and REX without unlock).
	shuntUntil time.Time

	// Contact and alarms.
	contactSeen, rexSeen bool
	open                 bool
	openedInWindow       bool // opened during the current momentary unlock
	forced               bool
	preAt, heldAt        time.Time
	prealarm, held       bool
	tamper               bool
	faulted              bool

	last    Event
	changed time.Time

	// reserved is a grant whose pass is not settled yet (between the
	// decision and settlePass): a fault in between refunds it (onFault).
	reserved access.Outcome
}

// reader is per-reader state: the second-factor deadline and feedback.
type reader struct {
	id           string
	expireAt     time.Time // call Decider.Expire then
	pendingSince time.Time // non-zero: awaiting a second factor (LED blinks)
	denyUntil    time.Time // LED held off, buzzer on, until then
	buzzUntil    time.Time
	led, buzz    bool // as last driven
}

func newDoor(rt *Runtime, cfg DoorConfig, now time.Time) *door {
	d := &door{
		rt:        rt,
		cfg:       cfg,
		in:        make(chan msg, inboxSize),
		box:       newInbox(),
		reassert:  make(chan struct{}, 1),
		resched:   make(chan struct{}, 1),
		dead:      make(chan struct{}),
		opMode:    cfg.Mode,
		sched:     cfg.UnlockSchedule,
		firstCard: cfg.FirstCardUnlock,
		changed:   now,
	}
	for _, id := range cfg.Readers {
		d.readers = append(d.readers, reader{id: id})
	}
	d.publish()
	return d
}

func (d *door) snapshot() DoorState {
	s := *d.state.Load()
	s.Alarms = append([]string(nil), s.Alarms...)
	s.Readers = append([]string(nil), s.Readers...)
	return s
}

func (d *door) publish() {
	s := &DoorState{
		ID:              d.cfg.ID,
		Lock:            d.cfg.Lock,
		Readers:         d.cfg.Readers,
		Mode:            ModeName(d.mode),
		SetMode:         ModeName(d.opMode),
		ModeBy:          d.modeBy,
		ModeAt:          d.modeAt,
		UnlockSchedule:  d.sched,
		FirstCardUnlock: d.firstCard,
		ScheduleOpen:    d.schedOpen,
		Locked:          !d.unlocked && !d.doubt,
		Open:            d.open,
		EmergencyUntil:  d.emergUntil,
		LastEvent:       d.last,
		UpdatedAt:       d.changed,
	}
	for _, a := range []struct {
		on   bool
		name string
	}{
		{d.forced, AlarmForced},
		{d.prealarm && !d.held, AlarmPrealarm},
		{d.held, AlarmHeld},
		{d.tamper, AlarmTamper},
		{d.relayFault, AlarmRelayFault},
		{d.faulted, AlarmFault},
	} {
		if a.on {
			s.Alarms = append(s.Alarms, a.name)
		}
	}
	d.state.Store(s)
}

// run is the door goroutine: the door's state machine (loop) and, if that
// faulted, the exit button's minimal path (egress.go) until Close.
func (d *door) run() {
	defer d.rt.wg.Done()
	d.loop()
	if d.faulted {
		d.egress()
	}
}

// loop is the door's state machine: one timer, re-armed for the earliest
// deadline after every step, so the door is idle (no polling) between
// events. It returns on Close, or after a panic was recovered.
func (d *door) loop() {
	defer fault.Recover("device.door "+d.cfg.ID, d.onFault)
	// Nothing unlocks before the whole runtime is up (modes.go).
	select {
	case <-d.rt.up:
	case <-d.rt.done:
		d.shutdown()
		return
	}
	d.start(time.Now())
	d.feedback(time.Now())
	d.publish()
	t := time.NewTimer(time.Hour)
	t.Stop()
	var armed time.Time
	for {
		if next := d.next(time.Now()); !next.Equal(armed) {
			armed = next
			if next.IsZero() {
				t.Stop()
			} else {
				t.Reset(time.Until(next))
			}
		}
		select {
		case <-d.rt.done:
			d.shutdown()
			return
		case m := <-d.in:
			if m.reply != nil {
				// Answer after the step is published, so that the caller
				// then reads the state it caused.
				err := d.handle(m, time.Now())
				d.feedback(time.Now())
				d.publish()
				m.reply <- err
				continue
			}
			d.handle(m, time.Now())
		case <-d.box.ready:
			d.drain()
		case <-t.C:
			armed = time.Time{}
			d.tick(time.Now())
		case <-d.reassert:
			d.drive(d.want, time.Now())
		case <-d.resched:
			d.onScheduleEdge(time.Now())
		}
		d.feedback(time.Now())
		d.publish()
	}
}

// drain handles what the inbox holds, in time order, each at its own
// time (the read's or edge's), so that a report that arrived late is
// judged as of when it happened.
func (d *door) drain() {
	ms, lost := d.box.take()
	if lost > 0 {
		d.rt.log.Warn("device: door queue full; oldest reads dropped", "door", d.cfg.ID, "dropped", lost)
	}
	for i, m := range ms {
		d.handle(m, eventTime(m.at, time.Now()))
		if i < len(ms)-1 {
			d.feedback(time.Now())
			d.publish()
		}
	}
}

// onFault is the door's own reaction to a panic in its state machine
// (the decider, a sink, a bug here), run by fault.Recover after the
// process's fault handler (in doord the supervisor, which has already
// secured every relay and is ending the process). It must not leave a
// relay unlocked: Secure locks every relay without trusting any lock the
// panic may have left held; the other doors then drive theirs again (a
// door in unlocked mode reopens); this door stays locked and out of
// service (ErrFault, alarm door_fault) and its goroutine goes on with the
// exit path (egress.go). Without a supervisor (tests, other programs) the
// other doors keep working.
func (d *door) onFault(r fault.Report) {
	d.rt.board.Secure()
	d.rt.log.Error("device: door goroutine panicked; relays secured, door out of service",
		"door", d.cfg.ID, "panic", r.Value, "stack", r.Stack)
	d.unlocked, d.doubt, d.want = false, false, false
	d.faulted = true
	d.changed = time.Now()
	close(d.dead)
	if o := d.reserved; o.UsedPass {
		// The grant was never acted on (every relay is secured): its
		// pass goes back, and its slot of the engine's spend queue.
		d.reserved = access.Outcome{}
		func() {
			defer func() { recover() }() // the engine may be what panicked
			d.rt.passes.Refund(o)
		}()
	}
	func() {
		defer func() { recover() }() // the sink may be what panicked
		d.emit(Event{Type: EventDoorFault, Detail: r.Value})
	}()
	d.publish()
	d.rt.reassertOthers(d)
}

// shutdown runs on Close: lock, lights and buzzers off.
func (d *door) shutdown() {
	d.want = false
	if err := d.rt.board.SetRelay(d.cfg.ID, false); err != nil {
		d.rt.log.Error("device: cannot lock relay at shutdown", "door", d.cfg.ID, "err", err)
	}
	d.unlocked = false
	for i := range d.readers {
		r := &d.readers[i]
		if r.led {
			d.rt.board.SetLED(r.id, false)
		}
		if r.buzz {
			d.rt.board.SetBuzzer(r.id, false)
		}
	}
}

func (d *door) handle(m msg, now time.Time) error {
	switch m.kind {
	case msgRead:
		d.onRead(m.reader, m.read, now)
	case msgInput:
		d.onInput(m.input, now)
	case msgMode:
		d.setMode(m.mode, m.by, now)
	case msgOpen:
		return d.remoteOpen(m.by, now)
	case msgSchedule:
		d.setSchedule(m.profile, m.firstCard, m.by, now)
	case msgEmergency:
		return d.emergencyOpen(m.until, m.by, now)
	case msgEmergencyEnd:
		d.endEmergency(m.by, "closed early", now)
	case msgPing:
	}
	return nil
}

// next is the earliest deadline the door is waiting for, zero if none.
func (d *door) next(now time.Time) time.Time {
	var n time.Time
	min := func(t time.Time) {
		if !t.IsZero() && (n.IsZero() || t.Before(n)) {
			n = t
		}
	}
	min(d.relockAt)
	min(d.retryAt)
	min(d.schedAt)
	min(d.schedChk)
	min(d.emergUntil)
	min(d.emergChk)
	if !d.prealarm {
		min(d.preAt)
	}
	if !d.held {
		min(d.heldAt)
	}
	for i := range d.readers {
		r := &d.readers[i]
		min(r.expireAt)
		min(r.denyUntil)
		min(r.buzzUntil)
		if !r.pendingSince.IsZero() {
			min(nextToggle(r.pendingSince, now))
		}
	}
	return n
}

// tick handles every deadline that is due.
func (d *door) tick(now time.Time) {
	if due(d.retryAt, now) {
		d.retryAt = time.Time{}
		d.drive(d.want, now)
	}
	if due(d.relockAt, now) {
		d.endMomentary(now)
	}
	if !d.emergUntil.IsZero() && (due(d.emergUntil, now) || due(d.emergChk, now)) {
		d.checkEmergency(now)
	}
	if due(d.schedAt, now) {
		d.onScheduleEdge(now)
	} else if due(d.schedChk, now) {
		d.recheckSchedule(now)
	}
	if !d.prealarm && due(d.preAt, now) {
		d.prealarm = true
		d.emit(Event{Type: EventDoorHeldPrealarm, At: now})
	}
	if !d.held && due(d.heldAt, now) {
		d.held = true
		d.emit(Event{Type: EventDoorHeld, At: now})
	}
	for i := range d.readers {
		r := &d.readers[i]
		if due(r.expireAt, now) {
			r.expireAt = time.Time{}
			o := d.rt.decider.Expire(r.id, now)
			// OutcomeNone with a deadline: only an unfinished PIN entry
			// timed out; a first factor is still pending, and the LED
			// keeps blinking for the whole factor window.
			if o.Kind != access.OutcomePending && (o.Kind != access.OutcomeNone || o.Deadline.IsZero()) {
				r.pendingSince = time.Time{}
			}
			d.outcome(i, o, nil, now)
		}
	}
	// Feedback deadlines are picked up by feedback().
}

func due(t, now time.Time) bool { return !t.IsZero() && !now.Before(t) }

// ---- relay ----

// drive sets the relay. An unlock that fails is turned into a lock (deny
// on doubt); a lock that fails is retried with backoff until it works.
func (d *door) drive(unlock bool, now time.Time) {
	d.want = unlock
	err := d.rt.board.SetRelay(d.cfg.ID, unlock)
	if err == nil {
		d.unlocked = unlock
		d.doubt = false
		d.retryAt, d.retryDelay = time.Time{}, 0
		d.changed = now
		if d.relayFault {
			d.relayFault = false
			d.emit(Event{Type: EventRelayFaultCleared, At: now})
		}
		return
	}
	what := "lock"
	if unlock {
		what = "unlock"
	}
	d.rt.log.Error("device: relay write failed", "door", d.cfg.ID, "op", what, "err", err)
	if !d.relayFault {
		d.relayFault = true
		d.changed = now
		d.emit(Event{Type: EventRelayFault, At: now, Detail: what + ": " + err.Error()})
	}
	if unlock {
		d.relockAt, d.extended = time.Time{}, false
		d.drive(false, now)
		return
	}
	d.doubt = true
	if d.retryDelay == 0 {
		d.retryDelay = retryFirst
	} else if d.retryDelay *= 2; d.retryDelay > retryMax {
		d.retryDelay = retryMax
	}
	d.retryAt = now.Add(d.retryDelay)
}

// momentary unlocks for dur (or extends an unlock in effect), and
// authorizes an opening for as long.
func (d *door) momentary(now time.Time, dur time.Duration, extended bool) {
	until := now.Add(dur)
	if until.After(d.shuntUntil) {
		d.shuntUntil = until
	}
	if d.mode == access.DoorUnlocked {
		return // already held unlocked
	}
	if until.After(d.relockAt) {
		d.relockAt = until
		d.extended = extended
	}
	if !d.unlocked || d.doubt {
		d.drive(true, now)
	}
}

// endMomentary relocks at the end of (or early out of) a momentary unlock.
func (d *door) endMomentary(now time.Time) {
	d.relockAt, d.extended = time.Time{}, false
	// An opening before now stays authorized (its report may still be on
	// the way: decisions go by event time); none from now on is.
	if d.shuntUntil.After(now) {
		d.shuntUntil = now
	}
	d.openedInWindow = false
	if d.mode != access.DoorUnlocked {
		d.drive(false, now)
	}
}

// ---- reads and decisions ----

func (d *door) onRead(ri int, r board.Read, now time.Time) {
	rd := d.readers[ri].id
	p := access.Presentation{DoorMode: d.mode}
	switch {
	case r.Card != nil:
		p.Kind, p.Card = access.PresentCard, r.Card.Value
		p.Format = access.FrameFormat(r.Card.Format, r.Card.Bits)
		d.outcome(ri, d.rt.decider.Present(rd, p, now), &r, now)
	case r.Keys != "":
		p.Kind = access.PresentKey
		for i := 0; i < len(r.Keys); i++ {
			p.Key = r.Keys[i]
			d.outcome(ri, d.rt.decider.Present(rd, p, now), nil, now)
		}
	case r.Bad != "":
		p.Kind = access.PresentBadRead
		o := d.rt.decider.Present(rd, p, now)
		if o.Kind == access.OutcomeGranted { // never: a bad read opens nothing
			o = access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonBadRead}
		}
		d.outcome(ri, o, &r, now)
	}
}

// outcome acts on the engine's answer: relay first, then feedback, pass
// countdown and events. read, when not nil, is what was presented (for
// the event's detail, formatted only after the relay was driven).
func (d *door) outcome(ri int, o access.Outcome, read *board.Read, now time.Time) {
	r := &d.readers[ri]
	switch o.Kind {
	case access.OutcomeGranted:
		d.reserved = o
		if d.mode == access.DoorDisabled {
			// The engine should have denied (ReasonDoorMode); deny on doubt.
			d.rt.log.Error("device: engine granted at a disabled door; refused", "door", d.cfg.ID, "reader", r.id)
			d.settlePass(&o, false)
			o.Kind, o.Reason, o.Duress = access.OutcomeDenied, access.ReasonDoorMode, false
			break
		}
		dur := d.cfg.UnlockTime
		if o.ExtendedOpen {
			dur = d.cfg.ExtendedUnlockTime
		}
		d.momentary(now, dur, o.ExtendedOpen) // the relay, right after the decision
		// A pass is spent only when the door acted on the grant: it is
		// held open, or the relay did unlock.
		d.settlePass(&o, d.mode == access.DoorUnlocked || d.unlocked)
	}
	switch o.Kind {
	case access.OutcomeGranted:
		r.pendingSince, r.denyUntil = time.Time{}, time.Time{}
		r.buzzUntil = now.Add(GrantBeep)
	case access.OutcomeDenied:
		r.pendingSince = time.Time{}
		r.denyUntil = now.Add(DenyTime)
		r.buzzUntil = r.denyUntil
	case access.OutcomePending:
		if r.pendingSince.IsZero() {
			r.pendingSince = now
		}
	}
	if !o.Deadline.IsZero() {
		r.expireAt = o.Deadline
	} else if o.Kind == access.OutcomeGranted || o.Kind == access.OutcomeDenied {
		r.expireAt = time.Time{}
	}
	d.feedback(now)
	var detail string
	switch {
	case read == nil:
	case read.Card != nil:
		detail = read.Card.Format + " " + strconv.Itoa(read.Card.Bits) + " bits"
	case read.Bad != "":
		detail = read.Bad
	}
	ev := Event{At: now, Reader: r.id, UserUID: o.UserUID, CredentialType: access.CredTypeName(o.CredType), Detail: detail}
	if read != nil {
		ev.CredentialBits = read.Bits
		if c := read.Card; c != nil {
			// Masked here, in the door: no event ever holds a whole value.
			ev.CredentialType = "card"
			ev.Credential = store.MaskCredential("card", strconv.FormatUint(c.Value, 10))
			ev.CredentialFormat, ev.CredentialBits = c.Format, c.Bits
		}
	}
	switch o.Kind {
	case access.OutcomeGranted:
		ev.Type = EventAccessGranted
		if d.mode == access.DoorUnlocked {
			ev.Detail = joinDetail(detail, "door in unlocked mode")
		}
		d.emit(ev)
		if o.Duress {
			ev.Type, ev.Detail = EventDuress, ""
			d.emit(ev)
		}
		d.firstGrant(o.Duress, now)
	case access.OutcomeDenied:
		ev.Type, ev.Reason = EventAccessDenied, o.Reason.String()
		if !o.Quiet { // an unknown card after its burst alarm: counted by the engine
			d.emit(ev)
		}
		if o.LockedOut {
			ev.Type, ev.Reason, ev.Detail = EventLockout, access.ReasonLockedOut.String(), ""
			d.emit(ev)
		}
		if o.CardBurst {
			ev.Type, ev.Reason, ev.Detail = EventUnknownCardBurst, "", ""
			d.emit(ev)
		}
	}
}

// settlePass commits the pass a grant reserved when the door acted on it
// and refunds it when it did not, so a refused grant spends nothing.
func (d *door) settlePass(o *access.Outcome, acted bool) {
	d.reserved = access.Outcome{}
	if !o.UsedPass {
		return
	}
	if acted {
		d.rt.passes.Commit(*o)
		return
	}
	d.rt.passes.Refund(*o)
	o.UsedPass = false
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "; " + b
}

// ---- inputs ----

func (d *door) onInput(ev board.InputEvent, now time.Time) {
	switch ev.Kind {
	case board.KindContact:
		first := !d.contactSeen
		d.contactSeen = true
		d.onContact(ev.Active, first, now)
	case board.KindREX:
		first := !d.rexSeen
		d.rexSeen = true
		if first {
			// The state at start, not a press: a button stuck at boot
			// must not open the door.
			if ev.Active {
				d.rt.log.Warn("device: exit button pressed at start; ignored", "door", d.cfg.ID)
			}
			return
		}
		if ev.Active {
			d.onREX(now)
		}
	case board.KindTamper:
		if ev.Active == d.tamper {
			return
		}
		d.tamper = ev.Active
		d.changed = now
		if ev.Active {
			d.emit(Event{Type: EventTamper, At: now})
		} else {
			d.emit(Event{Type: EventTamperCleared, At: now})
		}
	}
}

// onContact: the first report is the state at start. Open at start is
// neither forced nor authorized as far as we can tell: it is treated as
// an authorized opening, so it raises door_held if it stays open.
func (d *door) onContact(open, first bool, now time.Time) {
	if open == d.open {
		return
	}
	d.open = open
	d.changed = now
	if open {
		authorized := first || d.mode == access.DoorUnlocked || now.Before(d.shuntUntil)
		ev := Event{Type: EventDoorOpened, At: now}
		if first {
			ev.Detail = "open at start"
		}
		d.emit(ev)
		if !authorized {
			d.forced = true
			d.emit(Event{Type: EventDoorForced, At: now})
			return
		}
		if !d.relockAt.IsZero() || now.Before(d.shuntUntil) {
			d.openedInWindow = true
		}
		if d.mode != access.DoorUnlocked {
			d.startHeld(now)
		}
		return
	}
	// Closed: relay first, then clear alarms, then the close itself.
	if d.cfg.RelockOnClose && d.openedInWindow {
		d.endMomentary(now)
	}
	d.openedInWindow = false
	if d.forced {
		d.forced = false
		d.emit(Event{Type: EventDoorForcedCleared, At: now})
	}
	d.clearHeld(now)
	d.emit(Event{Type: EventDoorClosed, At: now})
}

func (d *door) startHeld(now time.Time) {
	if d.cfg.HeldOpenTime < 0 {
		return
	}
	held := d.cfg.HeldOpenTime
	if d.extended {
		held += d.cfg.ExtendedUnlockTime - d.cfg.UnlockTime
	}
	d.heldAt = now.Add(held)
	if d.cfg.PreAlarmTime > 0 {
		d.preAt = d.heldAt.Add(-d.cfg.PreAlarmTime)
	}
}

func (d *door) clearHeld(now time.Time) {
	active := d.prealarm || d.held
	d.preAt, d.heldAt = time.Time{}, time.Time{}
	d.prealarm, d.held = false, false
	if active {
		d.changed = now
		d.emit(Event{Type: EventDoorHeldCleared, At: now})
	}
}

// onREX: the exit button always authorizes an opening for UnlockTime
// (free egress must not raise door_forced) and, with REXUnlocks, unlocks.
// It works in every mode, locked_down and disabled included: egress is a
// life-safety function, and the runtime never traps anyone inside.
func (d *door) onREX(now time.Time) {
	detail := ""
	switch {
	case d.mode == access.DoorUnlocked:
		detail = "door in unlocked mode"
		d.momentary(now, d.cfg.UnlockTime, false)
	case d.cfg.REXUnlocks:
		d.momentary(now, d.cfg.UnlockTime, false)
	default:
		detail = "no unlock (rex_unlocks off)"
		if until := now.Add(d.cfg.UnlockTime); until.After(d.shuntUntil) {
			d.shuntUntil = until
		}
	}
	d.emit(Event{Type: EventREX, At: now, Detail: detail})
}

// ---- commands ----

func (d *door) remoteOpen(by string, now time.Time) error {
	switch d.mode {
	case access.DoorLockedDown, access.DoorDisabled:
		return fmt.Errorf("%w: door %q is %s", ErrModeRefuses, d.cfg.ID, ModeName(d.mode))
	}
	detail := ""
	if d.mode == access.DoorUnlocked {
		detail = "door in unlocked mode"
	}
	d.momentary(now, d.cfg.UnlockTime, false)
	d.emit(Event{Type: EventRemoteOpen, At: now, Operator: by, Detail: detail})
	return nil
}

func (d *door) emit(ev Event) {
	ev.Door = d.cfg.ID
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	d.last = ev
	d.changed = ev.At
	d.rt.sink.Emit(ev)
}
