package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Fast start-up for the access engine.
//
// The engine needs a handful of fields of every user and credential, and it
// needs them within a second or two of start at a million users. Decoding
// the stored records in full (ForEachUser: encoding/json, ~4.4 µs a user)
// takes most of ten seconds, so ScanAccess reads the same records through a
// small purpose-built scanner that extracts only the decision fields and
// skips the rest of each record's JSON without building it, on every core.
// There is no second copy of the data (no snapshot bucket, no snapshot
// file) that could drift from the records: the records stay the one source
// of truth, no write pays for a second encoding, and there is nothing for
// Check to compare. A record the scanner does not fully understand (an
// escaped string in a field it needs, an unexpected shape) is decoded the
// slow way instead, so the result is always what decodeUser and
// decodeCredential would say (TestScanAccessMatchesDecode holds them to
// that).

// AccessUser is the part of a user the access decision reads.
type AccessUser struct {
	UID          uint64
	State        UserState
	Locks        Locks
	ValidFrom    time.Time // zero: no lower bound
	ValidTo      time.Time // zero: no upper bound
	TimeProfiles []uint64
	AuthFactors  []string
	CustomAccess bool
	Security     bool
	ExtendedOpen bool
}

// AccessCredential is the part of a credential the access decision reads.
// UserUID 0 is a credential without a user: the engine decides it on
// these fields alone (its apartment and owner do not enter the decision).
type AccessCredential struct {
	ID           uint64
	UserUID      uint64
	Type         CredentialType
	Value        string
	Format       string // a card's format; "" a plain number
	Locks        Locks
	ValidFrom    time.Time
	ValidTo      time.Time
	MaxPasses    uint32
	PassesLeft   uint32
	TimeProfiles []uint64
}

// UserAccess is u's decision fields.
func UserAccess(u *User) AccessUser {
	a := AccessUser{
		UID: u.UID, State: u.State, Locks: u.Locks, TimeProfiles: u.TimeProfiles,
		AuthFactors: u.AuthFactors, CustomAccess: u.CustomAccess, Security: u.Security,
		ExtendedOpen: u.ExtendedOpen,
	}
	if u.ValidFrom != nil {
		a.ValidFrom = *u.ValidFrom
	}
	if u.ValidTo != nil {
		a.ValidTo = *u.ValidTo
	}
	return a
}

// CredentialAccess is c's decision fields.
func CredentialAccess(c *Credential) AccessCredential {
	a := AccessCredential{
		ID: c.ID, UserUID: c.UserUID, Type: c.Type, Value: c.Value, Format: c.Format, Locks: c.Locks,
		MaxPasses: c.MaxPasses, PassesLeft: c.PassesLeft, TimeProfiles: c.TimeProfiles,
	}
	if c.ValidFrom != nil {
		a.ValidFrom = *c.ValidFrom
	}
	if c.ValidTo != nil {
		a.ValidTo = *c.ValidTo
	}
	return a
}

// AccessVisitor receives ScanAccess's records. Calls never overlap (no
// locking needed in them) but come in no particular order within a kind:
// first IDBounds, then every time profile, then every user, then every
// credential. A callback's error stops the scan. Nil callbacks are
// skipped. Pointers are valid only during the call.
type AccessVisitor struct {
	// IDBounds gets the highest user and credential ids ever given out
	// (bbolt's bucket sequences: ids are never reused, and BulkLoad moves
	// a sequence past a preset id), before the first record: every id the
	// scan yields is at most these, so an array by id can be sized once.
	// (Counting the records instead walked every page of both buckets
	// before the scan: 0.3 s of a 1M-user start.)
	IDBounds func(maxUserID, maxCredentialID uint64)
	// Counts gets estimates of the card and PIN credentials the scan will
	// yield, after IDBounds: from the records at up to 4,096 ids spread
	// from the bucket's first key to its sequence (exact up to 4,096 ids;
	// beyond, a kind that is half of them within ~1.5 % (one standard
	// deviation); where ids are sparse or in distant runs, as a fleet's
	// controllers' are, only the records the sample met, far too low).
	// They size tables: nothing may depend on them.
	Counts     func(cards, pins uint64)
	Profile    func(*TimeProfile) error
	User       func(*AccessUser) error
	Credential func(*AccessCredential) error
}

// ScanAccess reads every time profile, user and credential's decision
// fields in one read transaction (a consistent snapshot) and returns that
// snapshot's sequence number: a follower of the change feed applies only
// records with a higher Seq on top.
func (s *Store) ScanAccess(v AccessVisitor) (seq uint64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		seq, _ = keys.ParseU64(tx.Bucket(bMeta).Get(kSeq))
		if v.IDBounds != nil {
			v.IDBounds(tx.Bucket(bUsers).Sequence(), tx.Bucket(bCreds).Sequence())
		}
		if v.Counts != nil {
			v.Counts(sampleCredentials(tx.Bucket(bCreds)))
		}
		if v.Profile != nil {
			if err := forEachDecoded(tx.Bucket(bTimeProfiles), "time profile", v.Profile); err != nil {
				return err
			}
		}
		if v.User != nil {
			err := scanUsers(s, tx, v.User, func(data []byte, u *AccessUser, uid uint64) bool {
				ok := scanUser(data, u)
				u.UID = uid
				return ok
			}, UserAccess)
			if err != nil {
				return err
			}
		}
		if v.Credential != nil {
			return scanCredentials(s, tx, v.Credential, func(data []byte, c *AccessCredential, id uint64) bool {
				ok := scanCredential(data, c)
				c.ID = id
				return ok
			}, CredentialAccess)
		}
		return nil
	})
	return seq, err
}

// credSamples is how many ids sampleCredentials reads at most.
const credSamples = 4096

// sampleCredentials estimates the card and PIN credentials in b from the
// records at credSamples ids from its first key to its sequence, one at
// random in each of credSamples equal stretches: each record met at its
// id stands for its stretch. (A sample at fixed steps would alias with a
// store's patterns: doordgen writes a card and a PIN a user, and every
// even step then met only one kind. Counting them exactly means reading
// every record; these are read in microseconds, from pages the scan
// reads next anyway.)
func sampleCredentials(b *bolt.Bucket) (cards, pins uint64) {
	return sampleCredentialsBy(b, credSamples)
}

// sampleCredentialsBy is sampleCredentials with samples stretches. Where
// fewer than a quarter of the samples meet a record, ids are sparse or in
// distant runs (a fleet's), and one sample's stretch can be millions of
// ids wide: a lucky one would size tables for millions. There it counts
// only the records it met, a low estimate (tables grow from it).
func sampleCredentialsBy(b *bolt.Bucket, samples uint64) (cards, pins uint64) {
	c := b.Cursor()
	k, _ := c.First()
	base, ok := keys.ParseU64(k)
	if !ok {
		return 0, 0
	}
	span := uint64(1)
	if seq := b.Sequence(); seq > base {
		span = seq - base + 1
	}
	step := span / samples
	if span%samples != 0 {
		step++
	}
	var met, metCards, metPINs, taken uint64
	// Seeded by the bucket: the same store samples the same ids.
	rng := rand.New(rand.NewPCG(base, span))
	for lo := uint64(0); lo < span; lo += step {
		width := min(step, span-lo) // the last stretch may be shorter
		id := base + lo + rng.Uint64N(width)
		taken++
		k, data := c.Seek(keys.U64(id))
		if got, ok := keys.ParseU64(k); !ok || got != id {
			continue // no record at this id: its stretch counts as empty
		}
		var a AccessCredential
		if !scanCredential(data, &a) {
			continue // a record only a full decode reads: rare, left out
		}
		met++
		switch a.Type {
		case CredCard:
			cards += width
			metCards++
		case CredPIN:
			pins += width
			metPINs++
		}
		if lo+step < lo {
			break // the last stretch ends at 2^64
		}
	}
	if 4*met < taken {
		return metCards, metPINs
	}
	return cards, pins
}

// scanUsers and scanCredentials read every user or credential into the
// reader's own compact shape T on scanParallel: fast parses the common
// record shape (false: it cannot), any other record is decoded in full
// and converted by full, and a record neither can read is a corrupt
// record error naming its id. ScanAccess and ScanLists share them.
func scanUsers[T any](s *Store, tx *bolt.Tx, emit func(*T) error, fast func(data []byte, out *T, uid uint64) bool, full func(*User) T) error {
	return scanParallel(s, tx.Bucket(bUsers), func(id uint64, data []byte, out *T) error {
		if fast(data, out, id) {
			return nil
		}
		u, err := decodeUser(id, data)
		if err != nil {
			return fmt.Errorf("user: corrupt record %d: %w", id, err)
		}
		*out = full(&u)
		return nil
	}, emit)
}

func scanCredentials[T any](s *Store, tx *bolt.Tx, emit func(*T) error, fast func(data []byte, out *T, id uint64) bool, full func(*Credential) T) error {
	return scanParallel(s, tx.Bucket(bCreds), func(id uint64, data []byte, out *T) error {
		if fast(data, out, id) {
			return nil
		}
		c, err := decodeCredential(id, data)
		if err != nil {
			return fmt.Errorf("credential: corrupt record %d: %w", id, err)
		}
		*out = full(&c)
		return nil
	}, emit)
}

// scanStage is where a scanParallel worker is, for its panics.
type scanStage uint8

const (
	stageWalk  scanStage = iota // in bbolt's cursor
	stageParse                  // reading a record
	stageEmit                   // in the caller's emit
)

// Spans and batches of scanParallel: a worker walks the ids of one span
// with its own cursor and emits what it parsed a batch at a time.
const (
	scanSpan  = 8192
	scanBatch = 1024
)

// scanParallel reads bucket b (keys: big-endian uint64 ids, most of them
// between the bucket's first key and its sequence) on every core. Those
// ids are cut into spans that the workers take in turn; each walks its
// span with a cursor of its own and parses the records it finds; emit is
// called under a lock. The first span starts at the bucket's first key
// and the last one runs to its end, so a key beyond the sequence is still
// met (and refused if it is not 8 bytes). A walk that ends at a key far
// past its span moves the next span to be taken up to that key's: the
// spans between hold nothing; a walk that meets the bucket's end ends
// the scan. (A fleet controller's ids start at its number << 32, and its
// sequence can lie billions of ids past its last key: walking every span
// cost half a million seeks a controller number, seconds a start, while
// an empty stretch of ids now costs nothing.)
//
// Walking on every core matters at a million users: the one cursor that
// fed the parsers before (touching every page of the bucket, most of
// them for the first time since the file was mapped) was a third of the
// scan's CPU time and ran alone. bbolt's transactions are documented as
// not safe for concurrent use; a read-only one is, for cursors: its
// buckets keep no node cache (that is only for writes), a page read is a
// read of the map, and its statistics are atomic. Every worker has its
// own cursor. The transaction stays open until every worker is done.
//
// Each worker runs contained as the transaction's own goroutine is
// (Store.contained): a memory fault, or a panic in bbolt's cursor (its
// page assertions), marks the store damaged and fails the scan instead of
// ending the process; any other panic in parse or emit (emit is the
// caller's code: the access engine's index during a change feed resync)
// fails the scan with its description.
func scanParallel[T any](s *Store, b *bolt.Bucket, parse func(id uint64, data []byte, out *T) error, emit func(*T) error) error {
	_, err := scanSpans(s, b, parse, emit)
	return err
}

// scanSpans is scanParallel, reporting how many spans were walked.
func scanSpans[T any](s *Store, b *bolt.Bucket, parse func(id uint64, data []byte, out *T) error, emit func(*T) error) (walked uint64, err error) {
	var base uint64 // the first key's id: where span 0 starts
	if k, _ := b.Cursor().First(); k == nil {
		return 0, nil
	} else if id, ok := keys.ParseU64(k); ok {
		base = id
	}
	spans := uint64(1)
	if seq := b.Sequence(); seq > base {
		spans = (seq-base)/scanSpan + 1
	}
	workers := min(uint64(runtime.GOMAXPROCS(0)), spans)
	var (
		mu     sync.Mutex
		failed atomic.Bool
		first  error
		next   atomic.Uint64
		nWalk  atomic.Uint64
		wg     sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		failed.Store(true)
	}
	// flush emits one parsed batch.
	flush := func(out []T, stage *scanStage) error {
		if failed.Load() {
			return nil
		}
		// Not reset by a defer: that would run before the worker's
		// recover and hide where a panic came from.
		*stage = stageEmit
		mu.Lock()
		defer mu.Unlock()
		for i := range out {
			if err := emit(&out[i]); err != nil {
				return err
			}
		}
		*stage = stageWalk
		return nil
	}
	// raise moves the next span to be taken up to j, never back.
	raise := func(j uint64) {
		for cur := next.Load(); cur < j && !next.CompareAndSwap(cur, j); cur = next.Load() {
		}
	}
	// skipTo moves the next span to be taken up to the one holding id,
	// which the walk of an earlier span met first after it: the spans
	// between are empty. (The last span runs to the bucket's end, so an
	// id beyond the sequence moves it no further than that.)
	skipTo := func(id uint64) { raise(min((id-base)/scanSpan, spans-1)) }
	// walk parses and emits the records of span i.
	walk := func(i uint64, out []T, stage *scanStage) error {
		*stage = stageWalk
		nWalk.Add(1)
		c := b.Cursor()
		var k, data []byte
		if i == 0 {
			k, data = c.First()
		} else {
			k, data = c.Seek(keys.U64(base + i*scanSpan))
		}
		var hi []byte
		if i < spans-1 {
			hi = keys.U64(base + (i+1)*scanSpan)
		}
		n := 0
		var zero T
		for ; k != nil && (hi == nil || bytes.Compare(k, hi) < 0); k, data = c.Next() {
			id, ok := keys.ParseU64(k)
			if !ok {
				return fmt.Errorf("key %x is not 8 bytes", k)
			}
			out[n] = zero
			*stage = stageParse
			if err := parse(id, data, &out[n]); err != nil {
				return err
			}
			*stage = stageWalk
			if n++; n == len(out) {
				if err := flush(out, stage); err != nil {
					return err
				}
				n = 0
			}
			if failed.Load() {
				return nil
			}
		}
		if k == nil {
			// The bucket ended in this span: the spans after it hold
			// nothing. (A fleet controller's sequence can lie billions of
			// ids past its last key: millions of seeks to nothing.)
			raise(spans)
		} else if id, ok := keys.ParseU64(k); ok && id >= base {
			skipTo(id)
		}
		return flush(out[:n], stage)
	}
	for range workers {
		wg.Go(func() {
			stage := stageWalk
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer func() {
				if v := recover(); v != nil {
					if _, memory := v.(interface{ Addr() uintptr }); memory || stage == stageWalk {
						fail(s.damaged(v))
					} else {
						fail(fmt.Errorf("scan panicked: %s", fault.Describe(v)))
					}
				}
			}()
			out := make([]T, scanBatch)
			for !failed.Load() {
				i := next.Add(1) - 1
				if i >= spans {
					return
				}
				if err := walk(i, out, &stage); err != nil {
					fail(err)
				}
			}
		})
	}
	wg.Wait()
	return nWalk.Load(), first
}

// scanUser fills u from a stored user record (codec.go's userRec) and
// reports whether it understood all of it; on false the caller decodes
// the record in full.
func scanUser(data []byte, u *AccessUser) bool {
	if !isJSONRecord(data) {
		return scanUserBinary(data, u)
	}
	u.State, u.Locks = StateDisabled, "" // absent: fail closed (codec.go)
	return scanObject(data, func(key []byte, s *jscan) bool {
		switch string(key) {
		case "s":
			b, ok := s.str()
			if !ok {
				return false
			}
			switch string(b) {
			case "active":
				u.State = StateActive
			case "disabled":
				u.State = StateDisabled
			case "archived":
				u.State = StateArchived
			default:
				u.State = UserState(b)
			}
		case "l":
			l, ok := s.locks()
			u.Locks = l
			return ok
		case "vf":
			return s.time(&u.ValidFrom)
		case "vt":
			return s.time(&u.ValidTo)
		case "tp":
			return s.u64s(&u.TimeProfiles)
		case "af":
			return s.strs(&u.AuthFactors)
		case "c":
			return s.boolean(&u.CustomAccess)
		case "sec":
			return s.boolean(&u.Security)
		case "xo":
			return s.boolean(&u.ExtendedOpen)
		default:
			return s.skip()
		}
		return true
	})
}

// scanCredential is scanUser for credRec.
func scanCredential(data []byte, c *AccessCredential) bool {
	if !isJSONRecord(data) {
		return scanCredentialBinary(data, c)
	}
	c.Locks = "" // absent: no door (codec.go)
	return scanObject(data, func(key []byte, s *jscan) bool {
		switch string(key) {
		case "u":
			return s.u64(&c.UserUID)
		case "t":
			b, ok := s.str()
			if !ok {
				return false
			}
			switch string(b) {
			case "card":
				c.Type = CredCard
			case "pin":
				c.Type = CredPIN
			default:
				c.Type = CredentialType(b)
			}
		case "v":
			b, ok := s.str()
			if !ok {
				return false
			}
			c.Value = string(b)
		case "f":
			b, ok := s.str()
			if !ok {
				return false
			}
			if code := CardFormatCode(string(b)); code != 0 {
				c.Format = cardFormats[code-1].Name // no allocation per record
			} else {
				c.Format = string(b)
			}
		case "l":
			l, ok := s.locks()
			c.Locks = l
			return ok
		case "vf":
			return s.time(&c.ValidFrom)
		case "vt":
			return s.time(&c.ValidTo)
		case "m":
			var v uint64
			ok := s.u64(&v) && v <= 1<<32-1
			c.MaxPasses = uint32(v)
			return ok
		case "pl":
			var v uint64
			ok := s.u64(&v) && v <= 1<<32-1
			c.PassesLeft = uint32(v)
			return ok
		case "tp":
			return s.u64s(&c.TimeProfiles)
		default:
			return s.skip()
		}
		return true
	})
}

// jscan is a minimal JSON reader over one record: enough to pick out
// plain strings, unsigned integers, booleans, lists of those and times,
// and to skip anything else correctly (escapes, nesting).
type jscan struct {
	b []byte
	i int
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// scanObject walks a top-level object, handing each key to field, which
// must consume the value.
func scanObject(b []byte, field func(key []byte, s *jscan) bool) bool {
	s := &jscan{b: b}
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		s.ws()
		return s.i == len(b)
	}
	for {
		s.ws()
		key, ok := s.str()
		if !ok || !s.eat(':') {
			return false
		}
		s.ws()
		if !field(key, s) {
			return false
		}
		if s.eat(',') {
			continue
		}
		if !s.eat('}') {
			return false
		}
		s.ws()
		return s.i == len(b)
	}
}

// str reads a string without escapes and returns its bytes; a string with
// escapes (or anything else) is false.
func (s *jscan) str() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (s *jscan) locks() (Locks, bool) {
	b, ok := s.str()
	if !ok {
		return "", false
	}
	switch string(b) {
	case "both":
		return LocksBoth, true
	case "1":
		return LocksFirst, true
	case "2":
		return LocksSecond, true
	}
	return Locks(b), true
}

func (s *jscan) u64(v *uint64) bool {
	start := s.i
	var n uint64
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		d := uint64(s.b[s.i] - '0')
		if n > (1<<64-1-d)/10 {
			return false
		}
		n = n*10 + d
		s.i++
	}
	if s.i == start || s.i-start > 1 && s.b[start] == '0' {
		return false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	*v = n
	return true
}

func (s *jscan) null() bool {
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

func (s *jscan) boolean(v *bool) bool {
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		s.i += 4
		*v = true
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		s.i += 5
		*v = false
	default:
		return false
	}
	return true
}

func (s *jscan) time(t *time.Time) bool {
	if s.null() {
		*t = time.Time{}
		return true
	}
	start := s.i
	if _, ok := s.str(); !ok {
		return false
	}
	return t.UnmarshalJSON(s.b[start:s.i]) == nil
}

func (s *jscan) u64s(out *[]uint64) bool {
	if s.null() {
		*out = nil
		return true
	}
	if !s.eat('[') {
		return false
	}
	var vs []uint64
	if !s.eat(']') {
		for {
			s.ws()
			var v uint64
			if !s.u64(&v) {
				return false
			}
			vs = append(vs, v)
			if s.eat(',') {
				continue
			}
			if !s.eat(']') {
				return false
			}
			break
		}
	}
	*out = vs
	return true
}

func (s *jscan) strs(out *[]string) bool {
	if s.null() {
		*out = nil
		return true
	}
	if !s.eat('[') {
		return false
	}
	var vs []string
	if !s.eat(']') {
		for {
			s.ws()
			b, ok := s.str()
			if !ok {
				return false
			}
			vs = append(vs, string(b))
			if s.eat(',') {
				continue
			}
			if !s.eat(']') {
				return false
			}
			break
		}
	}
	*out = vs
	return true
}

// skip consumes any one JSON value. It checks structure loosely (the
// record came out of json.Marshal); what it cannot follow is false.
func (s *jscan) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		for j := s.i + 1; j < len(s.b); j++ {
			switch s.b[j] {
			case '\\':
				j++
			case '"':
				s.i = j + 1
				return true
			}
		}
		return false
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '{', '[':
				depth++
				s.i++
			case '}', ']':
				depth--
				s.i++
				if depth == 0 {
					return true
				}
			case '"':
				if !s.skip() {
					return false
				}
			default:
				s.i++
			}
		}
		return false
	default:
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.i > start
			}
			s.i++
		}
		return false
	}
}
