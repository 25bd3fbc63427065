package access

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/store"
)

// The in-memory credential index.
//
// Readers (Present, on each reader's goroutine) and the one writer (Apply,
// following the store's change feed) meet in 256 card shards, 256 PIN
// shards and the user chunks, each behind its own RWMutex. A lookup holds
// one shard's read lock for one map access and one user chunk's for a
// 32-byte copy; a write builds the new record first and holds the write
// lock only to store it, so a reader never waits for more than a map
// assignment. Measured against an RCU design (atomic pointer per shard,
// copy on write): the same read cost, but every write copied a shard
// (~8,000 entries at 2M credentials) and fed the garbage collector.
//
// Nothing the decision reads contains a pointer (maps of plain structs,
// chunks of plain structs), so the collector never scans the index: at
// two million credentials a GC cycle costs what it costs for an empty
// heap, and decisions under write load keep their tail latency.
//
// Users live in fixed chunks addressed by a slot number; a credential
// record carries its user's slot and UID, and a lookup checks the UID, so
// a slot freed and reused between the two reads is caught, not followed.
//
// Schedules are referenced through interned schedule sets (the sorted
// profile ids of a user or credential): most people share a few
// combinations, so a record holds one uint32, and a profile edit is one
// recompile, not a walk over users.

const (
	shardBits = 8
	nShards   = 1 << shardBits
)

// Factor bits: what a reader or a user requires.
const (
	fCard  uint8 = 1
	fPIN   uint8 = 2
	fOther uint8 = 4 // a factor no reader delivers (qr, face_id, …)
)

// User states as the index keeps them.
const (
	stAbsent uint8 = iota // slot held for credentials of a user not (or no longer) in the store
	stActive
	stDisabled
	stArchived
	// stNoUser: a credential without a user (store UserUID 0). Its user
	// fields grant everything, so the policy reads the credential's own
	// (EngineConfig.Userless decides whether it opens at all).
	stNoUser
)

// noUser is the user a credential without one decides with: no bounds, no
// schedule, both locks, no extra factors, no security, no extended open.
var noUser = userRec{state: stNoUser, to: math.MaxUint32, locks: 3}

// credRec is everything a decision reads about one credential, its
// user's fields included (copied in by the writer whenever either
// changes), so that a decision is one map access. Validity bounds are
// seconds since 2000-01-01 UTC, inclusive, compared with the whole second
// of now (from rounded up; to is the last second that ends at or before
// valid_to: never more permissive than the stored instant); 56 bytes.
type credRec struct {
	id      uint64
	userUID uint64
	cFrom   uint32 // 0 = none
	cTo     uint32 // MaxUint32 = none
	uFrom   uint32
	uTo     uint32
	cSched  uint32 // schedule set, 0 = no restriction
	uSched  uint32
	max     uint32
	left    uint32
	cLocks  uint8 // bit 0: lock 1, bit 1: lock 2
	uLocks  uint8
	state   uint8 // the user's; stAbsent when the user is not known
	factors uint8 // the user's required factors (CustomAccess), 0 = none
	sec     bool  // the user's Security
	ext     bool  // the user's ExtendedOpen
}

// userRec is the user as a decision sees it (a view of a credRec).
type userRec struct {
	uid      uint64
	from, to uint32
	sched    uint32
	state    uint8
	locks    uint8
	factors  uint8
	security bool
	extended bool
}

// userW is the writer's copy of a user: what it copies into the user's
// credentials, and the head of the list of those credentials.
type userW struct {
	u     userRec
	first uint64 // first credential id of this user's list (credLoc.next)
	refs  uint32 // credentials in the list
}

type credShard struct {
	mu sync.RWMutex
	t  credTable
	_  [16]byte // keep neighbouring shards' locks off one cache line
}

// credLoc is where a credential id is indexed, and the next credential
// of the same user.
type credLoc struct {
	kp   uint64 // the key, with pinMark set for a PIN
	next uint64
}

// Index keys. A PIN is its digits behind a leading 1 (below 10^13). A
// plain card number is its value, 1 to 2^63-1. A card bound to a format is
// boundBit | code<<codeShift | value, its value within its format's
// payload (35 bits at most), so no bound key is a plain one. Hashing
// (shardOf, credTable.home) reads only the low codeShift bits: a number
// and the same number bound to a format share a shard and a home slot, and
// a frame's lookup finds either in one walk of one run (lookupCard).
const (
	boundBit  = 1 << 63
	codeShift = 56
	hashMask  = 1<<codeShift - 1
	// pinMark tags a PIN in credLoc.kp: both top bits, which no card key
	// has (bound keys have bit 62 clear: codes are small).
	pinMark = 3 << 62
)

func (l credLoc) key() uint64 {
	if l.pin() {
		return l.kp &^ pinMark
	}
	return l.kp
}
func (l credLoc) pin() bool { return l.kp&pinMark == pinMark }

func locOf(key uint64, pin bool) credLoc {
	if pin {
		key |= pinMark
	}
	return credLoc{kp: key}
}

// boundKey is the key of card number v bound to format code f.
func boundKey(v uint64, f uint8) uint64 { return boundBit | uint64(f)<<codeShift | v }

type index struct {
	cards, pins [nShards]credShard
	profiles    atomic.Pointer[map[uint64]*Schedule]
	sets        atomic.Pointer[[]schedSet]

	nUsers, nCards, nPINs, nSkipped atomic.Int64

	// Writer side, touched only under wmu (Apply, loading).
	wmu      sync.Mutex
	uidSlot  dense[uint32] // uid → slot+1
	users    []userW       // by slot
	freeSlot []uint32
	loc      dense[credLoc] // credential id → where it is indexed
	setIDs   map[string]uint32
	setKey   []byte
	loading  bool          // not yet published: no reader, no locks needed
	pending  []pendingCred // loading: credentials not yet in their tables (flushPending)
	touched  uint64
	sp       *spends // the engine's unsaved spends; nil while loading
}

type schedSet []uint64 // sorted profile ids

func newIndex() *index {
	x := &index{setIDs: map[string]uint32{}}
	profiles := map[uint64]*Schedule{}
	x.profiles.Store(&profiles)
	sets := []schedSet{nil} // set 0: no restriction
	x.sets.Store(&sets)
	return x
}

func shardOf(key uint64) uint64 { return ((key & hashMask) * 0x9E3779B97F4A7C15) >> (64 - shardBits) }

func (x *index) shard(pin bool, key uint64) *credShard {
	if pin {
		return &x.pins[shardOf(key)]
	}
	return &x.cards[shardOf(key)]
}

// lookup is the hot path's credential read.
func (x *index) lookup(pin bool, key uint64) (credRec, bool) {
	sh := x.shard(pin, key)
	sh.mu.RLock()
	c, ok := sh.t.get(key)
	sh.mu.RUnlock()
	return c, ok
}

// lookupCard is the hot path's card read: the credential a frame with
// payload v and format code f (FrameFormat) opens, and its key. That is
// the card bound to f, else the plain number v; the store never holds both
// (a plain number conflicts with every bound card of its value), so the
// first of the two in their common run is the one, and a miss costs what
// a plain lookup's miss costs.
func (x *index) lookupCard(v uint64, f uint8) (credRec, uint64, bool) {
	if v >= boundBit {
		// Plain keys are below 2^63: a 64-bit raw value must not reach a
		// bound key through its top bits.
		return credRec{}, 0, false
	}
	bound := v
	if f != 0 && v <= hashMask {
		bound = boundKey(v, f)
	}
	sh := &x.cards[shardOf(v)]
	sh.mu.RLock()
	c, k, ok := sh.t.getEither(v, bound)
	sh.mu.RUnlock()
	return c, k, ok
}

// user is c's user's fields; false when the user is not known.
func (x *index) user(c *credRec) (userRec, bool) {
	return userRec{
		uid: c.userUID, from: c.uFrom, to: c.uTo, sched: c.uSched,
		state: c.state, locks: c.uLocks, factors: c.factors, security: c.sec, extended: c.ext,
	}, c.state != stAbsent
}

// schedOpen reports whether schedule set id grants access at w. A profile
// id that is not (or no longer) known grants nothing.
func (x *index) schedOpen(id uint32, w *wall) bool {
	if id == 0 {
		return true
	}
	sets := *x.sets.Load()
	profiles := *x.profiles.Load()
	for _, pid := range sets[id] {
		if p := profiles[pid]; p != nil && p.open(w) {
			return true
		}
	}
	return false
}

// spend takes one pass from the limited credential id at (pin, key) and
// returns how many are left.
func (x *index) spend(pin bool, key, id uint64) (uint32, bool) {
	sh := x.shard(pin, key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c, ok := sh.t.get(key)
	if !ok || c.id != id || c.max == 0 || c.left == 0 {
		return 0, false
	}
	c.left--
	sh.t.set(key, c)
	return c.left, true
}

// setLeft sets the passes left of the limited credential id at (pin, key).
func (x *index) setLeft(pin bool, key, id uint64, left uint32) {
	sh := x.shard(pin, key)
	sh.mu.Lock()
	if c, ok := sh.t.get(key); ok && c.id == id && c.max > 0 {
		c.left = left
		sh.t.set(key, c)
	}
	sh.mu.Unlock()
}

// Writer side.

func (x *index) apply(c *store.Change) {
	switch c.Kind {
	case store.KindUser:
		if c.Deleted || c.User == nil {
			x.removeUser(c.ID)
			return
		}
		a := store.UserAccess(c.User)
		x.putUser(&a)
	case store.KindCredential:
		if c.Deleted || c.Credential == nil {
			x.removeCred(c.ID)
			x.sp.forget(c.ID)
			return
		}
		a := store.CredentialAccess(c.Credential)
		x.putCred(&a, c.PassSpent)
	case store.KindTimeProfile:
		if c.Deleted || c.TimeProfile == nil {
			x.putProfile(c.ID, nil)
			return
		}
		x.putProfile(c.ID, c.TimeProfile)
	}
}

func (x *index) putProfile(id uint64, p *store.TimeProfile) {
	old := *x.profiles.Load()
	next := make(map[uint64]*Schedule, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	if p == nil {
		delete(next, id)
	} else {
		s, _ := CompileProfile(p) // malformed parts grant nothing
		next[id] = s
	}
	x.profiles.Store(&next)
}

// intern returns the schedule set of ids, adding it when new.
func (x *index) intern(ids []uint64) uint32 {
	if len(ids) == 0 {
		return 0
	}
	s := slices.Clone(ids)
	slices.Sort(s)
	s = slices.Compact(s)
	x.setKey = x.setKey[:0]
	for _, id := range s {
		x.setKey = binary.LittleEndian.AppendUint64(x.setKey, id)
	}
	if id, ok := x.setIDs[string(x.setKey)]; ok {
		return id
	}
	cur := *x.sets.Load()
	// Appending writes past every reader's length, so readers of the
	// old slice never see the new element being written.
	next := append(cur, s)
	id := uint32(len(next) - 1)
	x.sets.Store(&next)
	x.setIDs[string(x.setKey)] = id
	return id
}

// epoch2000 is 2000-01-01 UTC in Unix seconds: validity bounds are
// uint32 seconds after it (until 2136).
const epoch2000 = 946684800

func fromSecs(t time.Time) uint32 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix() - epoch2000
	if t.Nanosecond() > 0 {
		s++ // round up: not valid before the stored instant
	}
	return uint32(max(0, min(s, math.MaxUint32)))
}

// toSecs is the last second the whole of which lies at or before t: a
// decision at now (read as its whole second) is granted only when every
// instant of that second is within validity, so a credential is never
// valid after its stored valid_to, even by a nanosecond (a valid_to with
// a fraction ends validity at the whole second before it).
func toSecs(t time.Time) uint32 {
	if t.IsZero() {
		return math.MaxUint32
	}
	s := t.Unix() - epoch2000
	if t.Nanosecond() < 999_999_999 {
		s-- // the second starting at s ends after t
	}
	return uint32(max(0, min(s, math.MaxUint32-1)))
}

// nowSecs is now on the same scale; a clock before 2000 (a board without
// a real-time clock before NTP) reads as 0, which any lower bound denies.
func nowSecs(t time.Time) uint32 {
	return uint32(max(0, min(t.Unix()-epoch2000, math.MaxUint32-1)))
}

func lockBits(l store.Locks) uint8 {
	switch l {
	case store.LocksBoth:
		return 3
	case store.LocksFirst:
		return 1
	case store.LocksSecond:
		return 2
	case store.LocksNone:
		return noDoorRight
	}
	return 0 // unknown: no door (deny on doubt)
}

// noDoorRight marks a user's locks LocksNone (in a fleet with door
// rights: no right in any of this controller's groups), for its own
// denial reason; it opens no door (the door bits are 1 and 2).
const noDoorRight = 0x80

func stateOf(s store.UserState) uint8 {
	switch s {
	case store.StateActive:
		return stActive
	case store.StateArchived:
		return stArchived
	}
	return stDisabled // disabled, or anything unknown
}

func factorBits(custom bool, fs []string) uint8 {
	if !custom {
		return 0
	}
	var b uint8
	for _, f := range fs {
		switch store.CredentialType(f) {
		case store.CredCard:
			b |= fCard
		case store.CredPIN:
			b |= fPIN
		default:
			b |= fOther
		}
	}
	return b
}

// slotFor returns uid's user slot, taking a free one (state absent) when
// uid has none.
func (x *index) slotFor(uid uint64) uint32 {
	if s, ok := x.uidSlot.get(uid); ok {
		return s - 1
	}
	var slot uint32
	if n := len(x.freeSlot); n > 0 {
		slot = x.freeSlot[n-1]
		x.freeSlot = x.freeSlot[:n-1]
	} else {
		slot = uint32(len(x.users))
		x.users = append(x.users, userW{})
	}
	x.uidSlot.put(uid, slot+1)
	x.users[slot] = userW{u: userRec{uid: uid}}
	return slot
}

func (x *index) putUser(a *store.AccessUser) {
	slot := x.slotFor(a.UID)
	w := &x.users[slot]
	if w.u.state == stAbsent {
		x.nUsers.Add(1)
	}
	w.u = userRec{
		uid:      a.UID,
		from:     fromSecs(a.ValidFrom),
		to:       toSecs(a.ValidTo),
		sched:    x.intern(a.TimeProfiles),
		state:    stateOf(a.State),
		locks:    lockBits(a.Locks),
		factors:  factorBits(a.CustomAccess, a.AuthFactors),
		security: a.Security,
		extended: a.ExtendedOpen,
	}
	x.propagate(w)
}

// propagate copies a user's fields into each of their credentials.
func (x *index) propagate(w *userW) {
	if len(x.pending) > 0 {
		x.flushPending() // a load's credentials must be in place to take the user's fields
	}
	for id := w.first; id != 0; {
		l, _ := x.loc.get(id)
		sh := x.shard(l.pin(), l.key())
		sh.mu.Lock()
		if c, ok := sh.t.get(l.key()); ok && c.id == id {
			setUser(&c, &w.u)
			sh.t.set(l.key(), c)
		}
		sh.mu.Unlock()
		id = l.next
	}
}

func setUser(c *credRec, u *userRec) {
	c.uFrom, c.uTo, c.uSched, c.state, c.uLocks, c.factors, c.sec, c.ext = u.from, u.to, u.sched, u.state, u.locks, u.factors, u.security, u.extended
}

func (x *index) removeUser(uid uint64) {
	s, ok := x.uidSlot.get(uid)
	if !ok {
		return
	}
	slot := s - 1
	w := &x.users[slot]
	if w.u.state != stAbsent {
		x.nUsers.Add(-1)
	}
	w.u = userRec{uid: uid}
	x.propagate(w)
	x.release(slot)
}

// release frees an absent user's slot once no credential refers to it.
func (x *index) release(slot uint32) {
	w := &x.users[slot]
	if w.u.state != stAbsent || w.refs != 0 {
		return
	}
	x.uidSlot.del(w.u.uid)
	*w = userW{}
	x.freeSlot = append(x.freeSlot, slot)
}

// link adds credential id to its user's list; unlink removes it.
func (x *index) link(slot uint32, id uint64, l *credLoc) {
	w := &x.users[slot]
	l.next = w.first
	w.first = id
	w.refs++
}

func (x *index) unlink(uid, id uint64) {
	s, ok := x.uidSlot.get(uid)
	if !ok {
		return
	}
	slot := s - 1
	w := &x.users[slot]
	l, _ := x.loc.get(id)
	if w.first == id {
		w.first = l.next
	} else {
		for prev := w.first; prev != 0; {
			pl, _ := x.loc.get(prev)
			if pl.next == id {
				pl.next = l.next
				x.loc.put(prev, pl)
				break
			}
			prev = pl.next
		}
	}
	w.refs--
	x.release(slot)
}

// credKey is the index key of a credential value: a card's canonical
// number (tagged with its format's code when it has one), or a PIN's
// digits behind a leading 1 (so "0123" ≠ "123"). Credentials no reader
// presents (qr, license plates, …), values that are not canonical, and
// bound cards whose format is unknown or whose value does not fit it are
// not indexed: they open nothing rather than something else.
func credKey(t store.CredentialType, v, format string) (key uint64, pin, ok bool) {
	switch t {
	case store.CredCard:
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return 0, false, false
		}
		if format == "" {
			return n, false, n < boundBit
		}
		code := store.CardFormatCode(format)
		if code == 0 || n > cardFormats[code-1].MaxValue() {
			return 0, false, false
		}
		return boundKey(n, code), false, true
	case store.CredPIN:
		if len(v) < 1 || len(v) > MaxPINDigits {
			return 0, true, false
		}
		k := uint64(1)
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, true, false
			}
			k = k*10 + uint64(v[i]-'0')
		}
		return k, true, true
	}
	return 0, false, false
}

// putCred indexes a credential record; spent marks the record of a
// UsePass (store.Change.PassSpent).
func (x *index) putCred(a *store.AccessCredential, spent bool) {
	key, pin, ok := credKey(a.Type, a.Value, a.Format)
	old, had := x.loc.get(a.ID)
	moved := false
	if had {
		sh := x.shard(old.pin(), old.key())
		prev, found := sh.t.get(old.key()) // the writer's own read: no lock needed
		switch {
		case !ok || old.kp != locOf(key, pin).kp || !found:
			// A new value (or none a reader presents): out of the old
			// place first. (The key alone decides: old.next is the user's
			// list, which an edit of the same value must not disturb.)
			x.removeCred(a.ID)
			had = false
		case prev.userUID != a.UserUID:
			// Moved to another user (or to none, or from none): it leaves
			// its old user's list but stays in its shard until the new
			// record replaces it below, so no decision finds it missing.
			x.unlink(prev.userUID, a.ID)
			moved = true
		}
	}
	if !ok {
		x.nSkipped.Add(1) // counted per write, not per credential: a gauge of oddities
		x.sp.forget(a.ID) // not presentable: nothing to protect
		return
	}
	sh := x.shard(pin, key)
	// Another id holds this value (the store forbids it; a feed replayed
	// out of order could show it briefly): the newer wins. A load reads a
	// consistent snapshot, whose values are unique, and skips the check.
	// The same holds for the keys a frame could match beside this one (a
	// plain number and the same number bound to a format).
	if !x.loading {
		for _, k := range rivalKeys(key, pin) {
			if prev, ok := sh.t.get(k); ok && prev.id != a.ID {
				x.removeCred(prev.id)
			}
		}
	}
	// A credential without a user has no user slot and is in no user's
	// list: nothing propagates into it, and removing it unlinks nothing.
	hasUser := a.UserUID != 0
	var slot uint32
	if hasUser {
		slot = x.slotFor(a.UserUID)
	}
	if !had || moved {
		l := locOf(key, pin)
		if hasUser {
			x.link(slot, a.ID, &l)
		}
		x.loc.put(a.ID, l)
	}
	if !had {
		if pin {
			x.nPINs.Add(1)
		} else {
			x.nCards.Add(1)
		}
	}
	rec := credRec{
		id:      a.ID,
		userUID: a.UserUID,
		cFrom:   fromSecs(a.ValidFrom),
		cTo:     toSecs(a.ValidTo),
		cSched:  x.intern(a.TimeProfiles),
		max:     a.MaxPasses,
		left:    a.PassesLeft,
		cLocks:  lockBits(a.Locks),
	}
	if rec.max == 0 {
		rec.left = 0
	}
	if hasUser {
		setUser(&rec, &x.users[slot].u)
	} else {
		setUser(&rec, &noUser)
	}
	if x.loading {
		// Not yet published: no reader, no lock, no spends (swap lays
		// them over the loaded counts).
		x.pending = append(x.pending, pendingCred{key, pin, rec})
		if len(x.pending) == cap(x.pending) {
			x.flushPending()
		}
		return
	}
	// A limited credential's count is the store's less the spends not yet
	// on disk; the spends lock is held until the record is in place, so
	// no reservation falls between the two.
	left, locked := x.sp.stored(a.ID, rec.left, key, pin, spent, rec.max > 0)
	if rec.max > 0 {
		rec.left = left
	}
	sh.mu.Lock()
	sh.t.set(key, rec)
	sh.mu.Unlock()
	if locked {
		x.sp.mu.Unlock()
	}
	// A credential whose user is unknown has an absent user: it is denied
	// as unknown until the user arrives (putUser copies the user in).
}

// rivalKeys are the keys that must not be indexed beside key: itself, and
// for a card the keys one frame could match too (checkValueConflict's
// rule in the store): a plain number's bound forms, a bound card's plain
// number. They all live in key's shard.
func rivalKeys(key uint64, pin bool) []uint64 {
	ks := []uint64{key}
	switch {
	case pin:
	case key&boundBit != 0:
		ks = append(ks, key&hashMask)
	case key <= hashMask:
		for code := range len(cardFormats) {
			ks = append(ks, boundKey(key, uint8(code+1)))
		}
	}
	return ks
}

// presize makes a load's shard tables for about cards and pins
// credentials (store.AccessVisitor.Counts), so that the load fills them
// without growing them. A load used to stage its credentials per shard
// (128 MB at 2M credentials, written once and read once) and build each
// table once its count was known; filling tables sized from the sample
// instead spends that memory on nothing, and the fresh memory a start
// touches was the largest part of its CPU time (BENCHMARKS.md). A shard
// gets the mean of its kind plus four standard deviations (its count is
// binomial: at 2M credentials 3,906 ± 62), so at the sample's estimate
// no shard grows; one that does (an estimate far off) grows as any
// table does, nothing else changes. Where huge pages are on (bigmem.go)
// the tables of a kind are cut from one slab advised to them: 512 tables
// of ~300 KB each would otherwise fault in 4 KB at a time (~40,000
// faults at 2M credentials).
func (x *index) presize(cards, pins uint64) {
	for k, n := range [2]uint64{cards, pins} {
		if n == 0 {
			continue // tables grow from nothing if there are some after all
		}
		shards := &x.cards
		if k == 1 {
			shards = &x.pins
		}
		m := float64(n) / nShards
		size := tableSize(int(m+4*math.Sqrt(m))+1, loadLoad)
		if !useSlabs() {
			for s := range shards {
				shards[s].t = credTable{slots: make([]slot, size)}
			}
			continue
		}
		slab := bigSlice[slot](nShards*size, nShards*size)
		for s := range shards {
			shards[s].t = credTable{slots: slab[s*size : (s+1)*size : (s+1)*size], carved: true}
		}
	}
}

// pendingCred is a loaded credential on its way into its table.
type pendingCred struct {
	key uint64
	pin bool
	rec credRec
}

// pendingBatch is how many loaded credentials flushPending puts at once.
const pendingBatch = 256

// flushPending puts the loaded credentials waiting in x.pending into
// their tables. A load's inserts land in random lines of ~160 MB of
// tables, each a miss to memory, and an insert's probe waits for its
// line: one after the other, ~100 ns each. Reading the home slot of every
// credential of the batch first, reads that do not depend on each
// other, lets the processor fetch many lines at once; the inserts then
// find them in the cache.
func (x *index) flushPending() {
	p := x.pending
	var sum uint64
	for i := range p {
		t := &x.shard(p[i].pin, p[i].key).t
		if len(t.slots) > 0 {
			sum += t.slots[t.home(p[i].key)].key
		}
	}
	x.touched += sum // kept, so that the reads are not dropped
	for i := range p {
		x.shard(p[i].pin, p[i].key).t.set(p[i].key, p[i].rec)
	}
	x.pending = p[:0]
}

// useSlabs is whether presize cuts tables from slabs: where huge pages
// are on (a variable so that tests take both paths on any machine).
var useSlabs = hugePages

func (x *index) removeCred(id uint64) {
	if len(x.pending) > 0 {
		x.flushPending() // a load's credentials must be in place to be found
	}
	l, ok := x.loc.get(id)
	if !ok {
		return
	}
	sh := x.shard(l.pin(), l.key())
	sh.mu.Lock()
	c, ok := sh.t.get(l.key())
	ok = ok && c.id == id
	if ok {
		sh.t.del(l.key())
	}
	sh.mu.Unlock()
	if ok {
		if l.pin() {
			x.nPINs.Add(-1)
		} else {
			x.nCards.Add(-1)
		}
		x.unlink(c.userUID, id)
	}
	x.loc.del(id)
}

// dense maps mostly-sequential ids to small values in slices, 4 or 16
// bytes an entry instead of a map's ~40. The store hands out ids from
// sequences: from 1 on a single controller, and from n<<32 on fleet
// controller n (store.SetFleetIDBase), so every such range of 1<<32 ids
// gets a slice of its own, indexed by the id's low half (run); an id
// far past its run's end goes to a map.
//
// An id can go to the map and later fall inside its run's slice, when
// the slice grows past it (a parallel load delivers spans of ids out of
// order): get then finds the slice's entry empty and looks in the map,
// and put and del keep the two from disagreeing.
type dense[V comparable] struct {
	d    []V           // range 0
	hi   []denseRun[V] // ranges 1 and up, by n
	over map[uint64]V
}

// denseRun is range n's slice.
type denseRun[V comparable] struct {
	n uint32
	d []V
}

// maxRuns bounds the ranges given a slice (a fleet has one per
// controller that created records); ids of any further range go to the
// map.
const maxRuns = 4096

// run is the slice for id's range (nil: none yet) and id's index in it.
func (m *dense[V]) run(id uint64) (*[]V, uint64) {
	n := id >> 32
	if n == 0 {
		return &m.d, id
	}
	i, ok := slices.BinarySearchFunc(m.hi, n, func(r denseRun[V], n uint64) int {
		return cmp.Compare(uint64(r.n), n)
	})
	if !ok {
		return nil, 0
	}
	return &m.hi[i].d, id & (1<<32 - 1)
}

func (m *dense[V]) get(id uint64) (V, bool) {
	var zero V
	if id < uint64(len(m.d)) { // the common case first: no search
		if v := m.d[id]; v != zero || m.over == nil {
			return v, v != zero
		}
	} else if d, i := m.run(id); d != nil && i < uint64(len(*d)) {
		if v := (*d)[i]; v != zero || m.over == nil {
			return v, v != zero
		}
	}
	v, ok := m.over[id]
	return v, ok
}

func (m *dense[V]) put(id uint64, v V) {
	d, i := m.run(id)
	if d == nil && len(m.hi) < maxRuns && id&(1<<32-1) < 1<<16 {
		// A new range (a controller's first ids): a slice of its own.
		n := uint32(id >> 32)
		at, _ := slices.BinarySearchFunc(m.hi, n, func(r denseRun[V], n uint32) int { return cmp.Compare(r.n, n) })
		m.hi = slices.Insert(m.hi, at, denseRun[V]{n: n})
		d, i = &m.hi[at].d, id&(1<<32-1)
	}
	if d != nil && (i < uint64(len(*d)) || i < 1<<31 && i < 2*uint64(len(*d))+1<<16) {
		if i >= uint64(len(*d)) {
			n := int(i) + 1
			if n > cap(*d) {
				*d = slices.Grow(*d, max(n, 2*cap(*d))-len(*d))
			}
			*d = (*d)[:n]
		}
		(*d)[i] = v
		if m.over != nil {
			delete(m.over, id) // put there before the slice reached it
		}
		return
	}
	if m.over == nil {
		m.over = map[uint64]V{}
	}
	m.over[id] = v
}

func (m *dense[V]) del(id uint64) {
	var zero V
	if d, i := m.run(id); d != nil && i < uint64(len(*d)) {
		(*d)[i] = zero
	}
	delete(m.over, id)
}
