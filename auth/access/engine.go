package access

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/store"
)

// ReaderConfig is one reader as the engine sees it.
type ReaderConfig struct {
	ID   string
	Lock uint8 // the door this reader opens: lock 1 or 2 (0 counts as 1)
	Mode ReaderMode
	// PINTimeout ends an unfinished PIN entry this long after its last
	// key (the entry is dropped, not submitted); 0 means DefaultPINTimeout.
	PINTimeout time.Duration
	// FactorTimeout is how long after an accepted first factor the
	// others may come; 0 means DefaultFactorTimeout.
	FactorTimeout time.Duration
}

// Defaults for ReaderConfig and LockoutConfig.
const (
	DefaultPINTimeout    = 5 * time.Second
	DefaultFactorTimeout = 10 * time.Second
	DefaultLockThreshold = 5
	DefaultLockDuration  = 60 * time.Second
)

// LockoutConfig is brute-force protection: Threshold failures lock for
// Duration. Zero fields take the defaults (5, 60 s); Off disables it.
type LockoutConfig struct {
	Threshold int
	Duration  time.Duration
	Off       bool
}

func (c LockoutConfig) norm() LockoutConfig {
	if c.Threshold <= 0 {
		c.Threshold = DefaultLockThreshold
	}
	if c.Duration <= 0 {
		c.Duration = DefaultLockDuration
	}
	return c
}

// EngineConfig configures NewEngine.
type EngineConfig struct {
	Readers []ReaderConfig
	// Location is the zone time profiles are read in; nil means UTC.
	Location *time.Location
	// ReaderLockout counts unknown PINs and wrong second factors per
	// reader; at Threshold the reader denies everything (locked_out) for
	// Duration. Unknown cards do not count: anyone with a cheap card could
	// lock a reader for everyone (see CardBurst).
	ReaderLockout LockoutConfig
	// CardBurst alarms on unknown cards instead of locking: they are
	// denied one by one, valid cards keep opening, and Threshold of them
	// at one reader within Duration set Outcome.CardBurst once for that
	// window.
	CardBurst LockoutConfig
	// PINLockout counts wrong PINs typed after a user's accepted card; at
	// Threshold that user's PIN is locked (their card still needing a PIN
	// and their PIN alone are denied locked_out) for Duration.
	PINLockout LockoutConfig
	// DuressOffset, 1–9, enables duress PINs: the user's PIN with its last
	// digit plus DuressOffset (mod 10) opens the door and sets
	// Outcome.Duress. 0 disables duress PINs.
	DuressOffset uint8
	// Userless says whether a credential without a user opens doors on its
	// own fields (UserlessAllow, the default, as a BAS-IP panel in its
	// normal access mode grants a valid identifier that no user holds) or
	// is refused with ReasonNoUser (UserlessDeny).
	Userless UserlessPolicy
	// Passes persists the passes limited credentials spend
	// (*store.Store); nil keeps them in memory only.
	Passes PassStore
	// PassQueue bounds the spends waiting for the disk; 0 means
	// DefaultPassQueue.
	PassQueue int
	// Log receives what the pass writer cannot persist; nil means
	// slog.Default().
	Log *slog.Logger
	// Go starts the engine's goroutine (the pass writer), named; the
	// daemon passes its supervisor's launcher so that a panic there
	// secures the doors like any other. nil means a plain go statement.
	Go func(name string, fn func())
}

// UserlessPolicy is EngineConfig.Userless.
type UserlessPolicy uint8

const (
	UserlessAllow UserlessPolicy = iota // the zero value
	UserlessDeny
)

// Engine decides. It holds the credential index (loaded with Load or
// LoadRecords, kept current with Apply) and each reader's session state:
// the PIN being typed, a first factor waiting for its second, the
// reader's failure count and lockout.
//
// Concurrency: Present and Expire for one reader must be called from one
// goroutine at a time (the device layer's reader goroutine); different
// readers run concurrently. Apply (one call at a time, as the change feed
// delivers) runs concurrently with all of them. Stats and ResetLockouts
// may be called from anywhere.
type Engine struct {
	idx      atomic.Pointer[index]
	loc      *time.Location
	readers  map[string]*reader
	rlock    LockoutConfig
	plock    LockoutConfig
	burst    LockoutConfig
	duress   uint8
	userless UserlessPolicy
	pinLocks pinLocks
	seq      atomic.Uint64
	sp       spends
	// restricted: every door decides as if locked down, but denies with
	// ReasonFleetStale (SetRestricted).
	restricted atomic.Bool
}

// SetRestricted turns the fleet's offline policy deny_non_security on or
// off: while on, only users with Security are granted, at every door and
// in every mode (the locked-down rule), and everyone else, credentials
// without a user included, is denied with ReasonFleetStale. It is safe to
// call from any goroutine; decisions see it at once.
func (e *Engine) SetRestricted(on bool) { e.restricted.Store(on) }

type reader struct {
	cfg  ReaderConfig
	door uint8 // lock bit
	need uint8 // factors the mode requires

	// Owned by the reader's goroutine.
	pin         uint64 // 1 followed by the digits typed
	pinN        uint8
	pinOver     bool
	pinDeadline time.Time
	pend        pending
	burstStart  time.Time // the current unknown-card window's start
	burstN      int       // unknown cards in it
	burstRaised bool      // its alarm went out

	fails       atomic.Int32 // consecutive failures (atomic for ResetLockouts)
	lockedUntil atomic.Int64 // Unix ns; 0 = not locked
	granted     atomic.Uint64
	denied      atomic.Uint64
	quiet       atomic.Uint64 // unknown cards denied without an event (burst throttle)
	// deniedBy counts denials by Reason (metrics). Only this reader's
	// goroutine adds to it, so it costs the door path one uncontended
	// atomic add; a scrape only loads.
	deniedBy [NumReasons]atomic.Uint64
}

// pending is an accepted first factor waiting for the others.
type pending struct {
	active   bool
	need     uint8
	duress   bool
	credType uint8
	credPIN  bool
	userUID  uint64
	credID   uint64
	credKey  uint64
	deadline time.Time
}

// NewEngine returns an engine with an empty index.
func NewEngine(cfg EngineConfig) *Engine {
	e := &Engine{
		loc:      cfg.Location,
		readers:  make(map[string]*reader, len(cfg.Readers)),
		rlock:    cfg.ReaderLockout.norm(),
		plock:    cfg.PINLockout.norm(),
		burst:    cfg.CardBurst.norm(),
		duress:   cfg.DuressOffset % 10,
		userless: cfg.Userless,
	}
	if e.loc == nil {
		e.loc = time.UTC
	}
	e.pinLocks.m = map[uint64]pinFail{}
	for _, rc := range cfg.Readers {
		if rc.PINTimeout <= 0 {
			rc.PINTimeout = DefaultPINTimeout
		}
		if rc.FactorTimeout <= 0 {
			rc.FactorTimeout = DefaultFactorTimeout
		}
		r := &reader{cfg: rc, door: 1}
		r.clearPIN()
		if rc.Lock == 2 {
			r.door = 2
		}
		switch rc.Mode {
		case ModeCard:
			r.need = fCard
		case ModePIN:
			r.need = fPIN
		case ModeCardAndPIN:
			r.need = fCard | fPIN
		}
		e.readers[rc.ID] = r
	}
	e.startSpends(cfg)
	x := newIndex()
	x.sp = &e.sp
	e.idx.Store(x)
	return e
}

// Present decides one presentation at reader id. See the package doc for
// the rules; the answer allocates nothing.
func (e *Engine) Present(id string, p Presentation, now time.Time) Outcome {
	r := e.readers[id]
	if r == nil {
		return Outcome{Kind: OutcomeDenied, Reason: ReasonDoorNotPermitted}
	}
	var o Outcome
	// The reader lock is on PIN entry (unknown and wrong PINs start it):
	// a card still decides, or anyone could lock a reader's cards for
	// everyone by typing wrong PINs. A card that needs a PIN after it
	// meets the lock at its PIN.
	if until := r.lockedUntil.Load(); until != 0 && now.UnixNano() < until && p.Kind != PresentCard {
		r.clearPIN()
		r.pend = pending{}
		o = Outcome{Kind: OutcomeDenied, Reason: ReasonLockedOut}
	} else {
		switch p.Kind {
		case PresentCard:
			o = e.card(r, &p, now)
		case PresentKey:
			o = e.key(r, &p, now)
		default:
			o = Outcome{Kind: OutcomeDenied, Reason: ReasonBadRead}
		}
	}
	switch o.Kind {
	case OutcomeGranted:
		r.granted.Add(1)
	case OutcomeDenied:
		r.denied.Add(1)
		if int(o.Reason) < NumReasons {
			r.deniedBy[o.Reason].Add(1)
		}
	}
	if o.Deadline.IsZero() {
		o.Deadline = r.deadline()
	}
	return o
}

// Expire ends what has timed out at reader id: a pending first factor
// (denied second_factor_timeout) or an unfinished PIN entry (dropped,
// OutcomeNone). Outcome.Deadline is the next time to call it, if any.
func (e *Engine) Expire(id string, now time.Time) Outcome {
	r := e.readers[id]
	if r == nil {
		return Outcome{}
	}
	if r.pend.active && !now.Before(r.pend.deadline) {
		uid := r.pend.userUID
		r.pend = pending{}
		r.clearPIN()
		r.denied.Add(1)
		r.deniedBy[ReasonSecondFactorTimeout].Add(1)
		return Outcome{Kind: OutcomeDenied, Reason: ReasonSecondFactorTimeout, UserUID: uid}
	}
	if r.pinN > 0 || r.pinOver {
		if !now.Before(r.pinDeadline) {
			r.clearPIN()
		}
	}
	return Outcome{Deadline: r.deadline()}
}

// deadline is the reader's next timer: the PIN entry's or the pending
// factor's, whichever is first; zero when neither runs.
func (r *reader) deadline() time.Time {
	var d time.Time
	if r.pinN > 0 || r.pinOver {
		d = r.pinDeadline
	}
	if r.pend.active && (d.IsZero() || r.pend.deadline.Before(d)) {
		d = r.pend.deadline
	}
	return d
}

func (r *reader) clearPIN() { r.pin, r.pinN, r.pinOver = 1, 0, false }

// expired drops state whose time has passed without an Expire call and
// reports a pending factor that timed out.
func (r *reader) expired(now time.Time) (timedOut bool, uid uint64) {
	if (r.pinN > 0 || r.pinOver) && !now.Before(r.pinDeadline) {
		r.clearPIN()
	}
	if r.pend.active && !now.Before(r.pend.deadline) {
		uid = r.pend.userUID
		r.pend = pending{}
		return true, uid
	}
	return false, 0
}

func (e *Engine) card(r *reader, p *Presentation, now time.Time) Outcome {
	if p.Card == 0 {
		return Outcome{Kind: OutcomeDenied, Reason: ReasonBadRead}
	}
	r.expired(now)
	if p.DoorMode == DoorDisabled {
		r.pend = pending{}
		return Outcome{Kind: OutcomeDenied, Reason: ReasonDoorMode}
	}
	x := e.idx.Load()
	if r.pend.active && r.pend.need&fCard != 0 {
		// The card is a later factor: it must be the same user's.
		uid := r.pend.userUID
		c, _, ok := x.lookupCard(p.Card, p.Format)
		if !ok || c.userUID != uid {
			r.pend = pending{}
			lo := e.readerFail(r, now)
			return Outcome{Kind: OutcomeDenied, Reason: ReasonSecondFactorWrong, UserUID: uid, CredType: 1, LockedOut: lo}
		}
		u, ok := x.user(&c)
		if !ok {
			r.pend = pending{}
			return Outcome{Kind: OutcomeDenied, Reason: ReasonUnknownCredential, UserUID: uid, CredType: 1}
		}
		return e.next(r, x, &c, &u, fCard, false, p.DoorMode, now)
	}
	// A new card starts over, whatever was pending.
	r.pend = pending{}
	if r.cfg.Mode == ModePIN {
		return Outcome{Kind: OutcomeDenied, Reason: ReasonReaderMode, CredType: 1}
	}
	c, key, ok := x.lookupCard(p.Card, p.Format)
	var u userRec
	if ok {
		u, ok = x.user(&c)
	}
	if !ok {
		burst, quiet := e.unknownCard(r, now)
		return Outcome{Kind: OutcomeDenied, Reason: ReasonUnknownCredential, CredType: 1, CardBurst: burst, Quiet: quiet}
	}
	return e.first(r, x, &c, &u, fCard, key, false, p.DoorMode, now)
}

func (e *Engine) key(r *reader, p *Presentation, now time.Time) Outcome {
	if timedOut, uid := r.expired(now); timedOut {
		r.clearPIN()
		return Outcome{Kind: OutcomeDenied, Reason: ReasonSecondFactorTimeout, UserUID: uid}
	}
	switch k := p.Key; {
	case '0' <= k && k <= '9':
		if r.pinN < MaxPINDigits {
			r.pin = r.pin*10 + uint64(k-'0')
			r.pinN++
		} else {
			r.pinOver = true
		}
		r.pinDeadline = now.Add(r.cfg.PINTimeout)
		return Outcome{}
	case k == '*':
		r.clearPIN()
		return Outcome{}
	case k == '#':
		if r.pinN == 0 && !r.pinOver {
			return Outcome{}
		}
		return e.submitPIN(r, p, now)
	}
	return Outcome{Kind: OutcomeDenied, Reason: ReasonBadRead}
}

func (e *Engine) submitPIN(r *reader, p *Presentation, now time.Time) Outcome {
	key, n, over := r.pin, r.pinN, r.pinOver
	r.clearPIN()
	valid := !over && n >= MinPINDigits
	if p.DoorMode == DoorDisabled {
		r.pend = pending{}
		return Outcome{Kind: OutcomeDenied, Reason: ReasonDoorMode, CredType: 2}
	}
	x := e.idx.Load()
	if r.pend.active {
		pend := r.pend
		r.pend = pending{}
		uid := pend.userUID
		if pend.need&fPIN == 0 {
			lo := e.readerFail(r, now)
			return Outcome{Kind: OutcomeDenied, Reason: ReasonSecondFactorWrong, UserUID: uid, CredType: 2, LockedOut: lo}
		}
		if e.pinLocks.locked(uid, now) {
			return Outcome{Kind: OutcomeDenied, Reason: ReasonLockedOut, UserUID: uid, CredType: 2}
		}
		// The PIN must be this user's: their real PIN, else their
		// duress PIN. Another user's real PIN that happens to be this
		// user's duress variant counts as this user's duress PIN: the
		// card says who is at the door.
		var c credRec
		ok, duress := false, false
		if valid {
			c, ok = x.lookup(true, key)
			ok = ok && c.userUID == uid
			if !ok {
				if q, dok := e.duressOrigin(key); dok {
					c, ok = x.lookup(true, q)
					ok = ok && c.userUID == uid
					duress = ok
				}
			}
		}
		var u userRec
		if ok {
			u, ok = x.user(&c)
		}
		if !ok {
			lo := e.readerFail(r, now)
			lo = e.pinLocks.fail(uid, now, e.plock) || lo
			return Outcome{Kind: OutcomeDenied, Reason: ReasonSecondFactorWrong, UserUID: uid, CredType: 2, LockedOut: lo}
		}
		r.pend = pend
		return e.next(r, x, &c, &u, fPIN, duress, p.DoorMode, now)
	}
	if r.cfg.Mode == ModeCard || r.cfg.Mode == ModeCardAndPIN {
		return Outcome{Kind: OutcomeDenied, Reason: ReasonReaderMode, CredType: 2}
	}
	var c credRec
	ok, duress, found := false, false, key
	if valid {
		// Real PINs win over duress variants: a PIN that is someone's
		// real PIN is theirs, even if it is also another user's PIN
		// plus the duress offset.
		c, ok = x.lookup(true, key)
		if !ok {
			if q, dok := e.duressOrigin(key); dok {
				c, ok = x.lookup(true, q)
				duress, found = ok, q
			}
		}
	}
	var u userRec
	if ok {
		u, ok = x.user(&c)
	}
	if !ok {
		lo := e.readerFail(r, now)
		return Outcome{Kind: OutcomeDenied, Reason: ReasonUnknownCredential, CredType: 2, LockedOut: lo}
	}
	if e.pinLocks.locked(u.uid, now) {
		return Outcome{Kind: OutcomeDenied, Reason: ReasonLockedOut, UserUID: u.uid, CredentialID: c.id, CredType: 2}
	}
	return e.first(r, x, &c, &u, fPIN, found, duress, p.DoorMode, now)
}

// duressOrigin is the real PIN whose duress variant is key: the last digit
// minus the offset, mod 10.
func (e *Engine) duressOrigin(key uint64) (uint64, bool) {
	if e.duress == 0 {
		return 0, false
	}
	last := key % 10
	return key - last + (last+10-uint64(e.duress))%10, true
}

// policy is every rule about one credential and its user, deny-first, in
// a fixed order (the first failing rule names the reason).
func (e *Engine) policy(r *reader, x *index, c *credRec, u *userRec, mode DoorMode, now time.Time, passes bool) Reason {
	if u.state != stActive {
		// Only here, off the path of an active user's credential: a
		// credential without a user goes on to its own fields.
		if u.state != stNoUser {
			return ReasonUserDisabled
		}
		if e.userless != UserlessAllow {
			return ReasonNoUser
		}
	}
	n := nowSecs(now)
	if n < u.from || n > u.to || n < c.cFrom || n > c.cTo {
		return ReasonOutsideValidity
	}
	if mode == DoorLockedDown && !u.security {
		return ReasonDoorMode
	}
	if !u.security && e.restricted.Load() {
		return ReasonFleetStale
	}
	if u.locks&r.door == 0 || c.cLocks&r.door == 0 {
		if u.locks&noDoorRight != 0 {
			return ReasonNoDoorRight
		}
		return ReasonDoorNotPermitted
	}
	if u.sched|c.cSched != 0 {
		w := wallOf(now, e.loc)
		if !x.schedOpen(u.sched, &w) || !x.schedOpen(c.cSched, &w) {
			return ReasonOutsideSchedule
		}
	}
	if passes && c.max > 0 && c.left == 0 {
		return ReasonPassesUsedUp
	}
	return ReasonNone
}

func credType(kind uint8) uint8 {
	if kind == fPIN {
		return 2
	}
	return 1
}

// first handles an accepted first factor: policy, then either a grant or
// a pending wait for the factors the reader and the user still require.
func (e *Engine) first(r *reader, x *index, c *credRec, u *userRec, kind uint8, key uint64, duress bool, mode DoorMode, now time.Time) Outcome {
	isPIN := kind == fPIN
	o := Outcome{UserUID: u.uid, CredentialID: c.id, CredType: credType(kind)}
	if reason := e.policy(r, x, c, u, mode, now, true); reason != ReasonNone {
		o.Kind, o.Reason = OutcomeDenied, reason
		return o
	}
	need := (r.need | u.factors) &^ kind
	if need != 0 {
		// A later factor must be the same user's: a credential without
		// a user has none to give, so a reader that wants two factors
		// refuses it rather than wait for one that cannot come.
		if u.state == stNoUser {
			o.Kind, o.Reason = OutcomeDenied, ReasonReaderMode
			return o
		}
		if need&fPIN != 0 && e.pinLocks.locked(u.uid, now) {
			o.Kind, o.Reason = OutcomeDenied, ReasonLockedOut
			return o
		}
		r.pend = pending{
			active: true, need: need, duress: duress, credType: o.CredType, credPIN: isPIN,
			userUID: u.uid, credID: c.id, credKey: key, deadline: now.Add(r.cfg.FactorTimeout),
		}
		o.Kind = OutcomePending
		return o
	}
	o.ExtendedOpen = u.extended
	return e.grant(r, c.id, isPIN, key, c.max > 0, u.uid, isPIN, duress, o)
}

// next handles a later factor of a pending access.
func (e *Engine) next(r *reader, x *index, c *credRec, u *userRec, kind uint8, duress bool, mode DoorMode, now time.Time) Outcome {
	pend := r.pend
	r.pend = pending{}
	o := Outcome{UserUID: u.uid, CredentialID: pend.credID, CredType: pend.credType}
	// The later factor's credential is held to the same rules, except
	// that only the first factor's passes count and are spent.
	if reason := e.policy(r, x, c, u, mode, now, false); reason != ReasonNone {
		o.Kind, o.Reason, o.CredentialID, o.CredType = OutcomeDenied, reason, c.id, credType(kind)
		return o
	}
	// The first factor, read again and held to every rule once more: it
	// may have been deleted, given to someone else, expired, moved off
	// this lock, left its schedule or used up its passes while the
	// reader waited.
	fc, ok := x.lookup(pend.credPIN, pend.credKey)
	var fu userRec
	if ok && fc.id == pend.credID && fc.userUID == pend.userUID {
		fu, ok = x.user(&fc)
	} else {
		ok = false
	}
	if !ok {
		o.Kind, o.Reason = OutcomeDenied, ReasonUnknownCredential
		return o
	}
	if reason := e.policy(r, x, &fc, &fu, mode, now, true); reason != ReasonNone {
		o.Kind, o.Reason = OutcomeDenied, reason
		return o
	}
	pend.need &^= kind
	pend.duress = pend.duress || duress
	if pend.need != 0 {
		r.pend = pend
		o.Kind = OutcomePending
		return o
	}
	o.ExtendedOpen = u.extended
	return e.grant(r, pend.credID, pend.credPIN, pend.credKey, fc.max > 0, u.uid, pend.credPIN || kind == fPIN, pend.duress, o)
}

func (e *Engine) grant(r *reader, id uint64, pin bool, key uint64, limited bool, uid uint64, pinUsed, duress bool, o Outcome) Outcome {
	if limited {
		if reason := e.reserve(pin, key, id); reason != ReasonNone {
			o.Kind, o.Reason = OutcomeDenied, reason
			return o
		}
		o.UsedPass = true
	}
	r.fails.Store(0)
	if pinUsed {
		e.pinLocks.ok(uid)
	}
	o.Kind, o.Duress = OutcomeGranted, duress
	return o
}

// unknownCard counts an unknown card at r in the current window and
// reports whether it is the one that makes the window a burst (once per
// window), or one after that, to be denied quietly (the throttle: the
// alarm stands for them).
func (e *Engine) unknownCard(r *reader, now time.Time) (burst, quiet bool) {
	if e.burst.Off {
		return false, false
	}
	if r.burstStart.IsZero() || !now.Before(r.burstStart.Add(e.burst.Duration)) || now.Before(r.burstStart) {
		r.burstStart, r.burstN, r.burstRaised = now, 0, false
	}
	r.burstN++
	if r.burstRaised {
		r.quiet.Add(1)
		return false, true
	}
	if r.burstN < e.burst.Threshold {
		return false, false
	}
	r.burstRaised = true
	return true, false
}

// readerFail counts a failure at r and starts its lock at the threshold.
func (e *Engine) readerFail(r *reader, now time.Time) bool {
	if e.rlock.Off {
		return false
	}
	if r.fails.Add(1) < int32(e.rlock.Threshold) {
		return false
	}
	r.fails.Store(0)
	r.lockedUntil.Store(now.Add(e.rlock.Duration).UnixNano())
	r.clearPIN()
	r.pend = pending{}
	return true
}

// pinLocks are the per-user PIN lockouts. Entries exist only for users
// with recent wrong PINs, so the hot path checks an atomic count first.
type pinLocks struct {
	mu sync.Mutex
	n  atomic.Int32
	m  map[uint64]pinFail
}

type pinFail struct {
	fails int
	until int64 // Unix ns
}

func (l *pinLocks) locked(uid uint64, now time.Time) bool {
	if l.n.Load() == 0 {
		return false
	}
	l.mu.Lock()
	f := l.m[uid]
	l.mu.Unlock()
	return f.until > now.UnixNano()
}

func (l *pinLocks) fail(uid uint64, now time.Time, cfg LockoutConfig) bool {
	if cfg.Off {
		return false
	}
	n := now.UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	f, had := l.m[uid]
	if f.until != 0 && f.until <= n {
		f = pinFail{} // the last lock ran out: count afresh
	}
	if f.until > n {
		return false // already locked; failures do not extend it
	}
	f.fails++
	started := false
	if f.fails >= cfg.Threshold {
		f = pinFail{until: now.Add(cfg.Duration).UnixNano()}
		started = true
	}
	l.m[uid] = f
	if !had {
		l.n.Add(1)
	}
	return started
}

func (l *pinLocks) ok(uid uint64) {
	if l.n.Load() == 0 {
		return
	}
	l.mu.Lock()
	if _, had := l.m[uid]; had {
		delete(l.m, uid)
		l.n.Add(-1)
	}
	l.mu.Unlock()
}

// ResetLockouts lifts every reader and PIN lockout and forgets failure
// counts (an operator's "unlock" after a false alarm).
func (e *Engine) ResetLockouts() {
	for _, r := range e.readers {
		r.fails.Store(0)
		r.lockedUntil.Store(0)
	}
	e.pinLocks.mu.Lock()
	clear(e.pinLocks.m)
	e.pinLocks.n.Store(0)
	e.pinLocks.mu.Unlock()
}

// Apply brings the index up to date with committed writes (the store's
// change feed: Options.OnChange or Store.Subscribe). Users, credentials
// and time profiles are applied one record at a time; other kinds are
// ignored. Credentials that no reader presents (qr, license plates, …)
// and card or PIN values that are not canonical are not indexed.
func (e *Engine) Apply(changes []store.Change) {
	x := e.idx.Load()
	x.wmu.Lock()
	defer x.wmu.Unlock()
	for i := range changes {
		x.apply(&changes[i])
		if s := changes[i].Seq; s > e.seq.Load() {
			e.seq.Store(s)
		}
	}
}

// Stats describe the index and the readers.
type Stats struct {
	Seq           uint64 // last applied store sequence number
	Users         int
	Cards         int
	PINs          int
	Skipped       int // credential writes not indexed (type not presentable or value not canonical)
	Profiles      int
	ScheduleSets  int
	Granted       uint64
	Denied        uint64
	LockedReaders int
	LockedPINs    int
	QuietDenials  uint64 // unknown cards denied without an event after a burst alarm
}

// ReaderDecisions are one reader's decisions since the engine started, as
// the engine made them (a grant the door runtime then refused, at a
// disabled door, counts as granted here).
type ReaderDecisions struct {
	Reader   string
	Granted  uint64
	Denied   uint64
	DeniedBy [NumReasons]uint64 // indexed by Reason; sums to Denied
	Quiet    uint64             // of DeniedBy[ReasonUnknownCredential]: denied without an event
}

// Decisions reads every reader's counters, sorted by reader id. It only
// loads atomics: a scrape never holds anything a door waits on.
func (e *Engine) Decisions() []ReaderDecisions {
	out := make([]ReaderDecisions, 0, len(e.readers))
	for id, r := range e.readers {
		d := ReaderDecisions{Reader: id, Granted: r.granted.Load(), Quiet: r.quiet.Load()}
		for i := range r.deniedBy {
			d.DeniedBy[i] = r.deniedBy[i].Load()
			d.Denied += d.DeniedBy[i]
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b ReaderDecisions) int { return strings.Compare(a.Reader, b.Reader) })
	return out
}

// Stats reads counters; it takes no lock the door path waits on for long.
func (e *Engine) Stats(now time.Time) Stats {
	x := e.idx.Load()
	s := Stats{
		Seq:          e.seq.Load(),
		Users:        int(x.nUsers.Load()),
		Cards:        int(x.nCards.Load()),
		PINs:         int(x.nPINs.Load()),
		Skipped:      int(x.nSkipped.Load()),
		Profiles:     len(*x.profiles.Load()),
		ScheduleSets: len(*x.sets.Load()) - 1,
	}
	for _, r := range e.readers {
		s.Granted += r.granted.Load()
		s.Denied += r.denied.Load()
		s.QuietDenials += r.quiet.Load()
		if r.lockedUntil.Load() > now.UnixNano() {
			s.LockedReaders++
		}
	}
	e.pinLocks.mu.Lock()
	for _, f := range e.pinLocks.m {
		if f.until > now.UnixNano() {
			s.LockedPINs++
		}
	}
	e.pinLocks.mu.Unlock()
	return s
}
