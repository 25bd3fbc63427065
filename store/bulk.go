package store

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// bulkChunk is how many users BulkLoad writes per transaction: large
// enough that fsyncs vanish, small enough that a transaction's dirty pages
// stay in the tens of megabytes on a 512 MB board (with more than one
// core, a second chunk is being prepared meanwhile). A user with its six
// index keys takes about 500 bytes of pages, a credential with its three
// about 200, so credentials go 2.5 times as many per transaction: fewer
// passes over the card and PIN index, whose new keys land all over it.
// A variable so that tests can cross chunk boundaries with a few records.
var bulkChunk = 50000

func bulkCredChunk() int { return bulkChunk * 5 / 2 }

// Test hooks: whether chunks are prepared ahead, and a function called
// after each chunk's commit with the record bucket and the records done.
var (
	bulkPipelined  = true
	bulkAfterChunk func(bucket []byte, done int)
)

// BulkLoad writes many users and then many credentials in large
// transactions, for generators and imports. Each record is validated,
// defaulted and indexed exactly as by CreateUser/CreateCredential, except
// that duplicate names are not looked for and preset keys are honoured: a
// user with UID 0 gets the next UID, written back into users[i]; a
// credential names its user by UserUID, which must exist by then (in the
// store or earlier in users). Change records are emitted for every
// record, chunk by chunk. Preset keys ahead of the sequences are held for
// the load from its start (bulkhold.go): other writers meanwhile are
// given keys around them, so a load's outcome does not depend on their
// timing.
//
// It is not atomic as a whole: on error, the chunks before the failing one
// stay committed, and the error names the failing record; it is the error
// CreateUser or CreateCredential would have returned for that record after
// the ones before it.
//
// Why it is fast (a million users and two million credentials in
// seconds): a chunk is not written record by record. Its records are
// checked one by one (cheap, in memory), then each bucket's new keys are
// gathered, sorted, checked for duplicates (against each other by the
// sort, against the file by one cursor walk), and put in key order. bbolt
// splits nodes only when a transaction commits, so random-order puts into
// a big node shift its key array on every insert, while sorted puts
// append; an index whose new keys all sort after its existing ones (uids,
// time-ordered uuids) is packed full, since nothing will ever be inserted
// into its left part again. While one chunk is put and committed, the next
// is checked, sorted and encoded on another core (see bulkPipeline), so a
// load takes about as long as bbolt's puts and commits alone. Loaders that
// supply their own ids should use time-ordered ones (uuid v7): the uuid
// and ext_id indexes then grow at their right edge instead of rewriting
// pages all over the file in every chunk.
func (s *Store) BulkLoad(users []User, creds []Credential) error {
	return s.BulkLoadWith(users, creds, BulkOptions{})
}

// BulkOptions adjust BulkLoadWith.
type BulkOptions struct {
	// NoSync leaves out the fsyncs of each chunk's commit (and of growing
	// the file) and syncs the file once at the end. It is only for files
	// that may be thrown away if the power fails during the load
	// (doordgen, benchmarks), never for a controller's store: bbolt orders
	// its writes with those fsyncs, and without them a power cut can leave
	// the whole file unreadable, not just the load unfinished. Commits of
	// other writers during the load are not synced either until it
	// returns. (A crash of the process alone loses nothing committed: the
	// kernel still has the pages.)
	NoSync bool
	// fleet: the records are a fleet's (store/fleet's cold load): they
	// are committed here even in fleet mode, with their stamps and passes.
	fleet bool
	// stage: the records go into the open import stage (importstage.go),
	// not the live buckets, and emit nothing (a fleet's cold load,
	// fleetload.go).
	stage bool
}

// BulkLoadWith is BulkLoad with options.
func (s *Store) BulkLoadWith(users []User, creds []Credential, opt BulkOptions) (err error) {
	own, release, err := s.hold(users, creds)
	if err != nil {
		return err
	}
	defer release()
	if opt.NoSync {
		defer func() {
			// db.NoSync is read by commits under the writer lock: set it
			// back under that lock too. This commit's fsync makes the whole
			// load durable.
			serr := s.db.Update(func(tx *bolt.Tx) error {
				tx.DB().NoSync, tx.DB().NoGrowSync = false, false
				return nil
			})
			if err == nil && serr != nil {
				err = diskFull(serr)
			}
		}()
	}
	err = s.bulkPipeline(len(users), bulkChunk, bUsers, own, opt,
		func(w *wtx, start, end int, seq uint64) *bulkPrep { return w.prepUsers(users, start, end, seq) },
		func(w *wtx, p *bulkPrep) error { return w.writeUsers(p, users) },
		func(p *bulkPrep) { copy(users[p.start:p.end], p.users) })
	if err != nil {
		return err
	}
	return s.bulkPipeline(len(creds), bulkCredChunk(), bCreds, own, opt,
		func(w *wtx, start, end int, seq uint64) *bulkPrep { return w.prepCreds(creds, start, end, seq) },
		func(w *wtx, p *bulkPrep) error { return w.writeCreds(p, creds) },
		func(p *bulkPrep) { copy(creds[p.start:p.end], p.creds) })
}

// bulkPrep is one chunk made ready to write: records checked, defaulted
// and given their keys, index entries gathered by bucket and sorted,
// duplicates within the chunk found, records being encoded. What is left
// for the write transaction is what depends on the file: keys the file
// already holds, and the puts.
type bulkPrep struct {
	start, end int
	snap       uint64 // the store seq of the snapshot the records were checked against
	holds      *holds // the other loads' holds its new keys skipped (bulkhold.go)
	seq0, seq  uint64 // the record bucket's sequence before and after the chunk's keys
	n          int    // records that passed (all, unless fail)
	fail       bulkFail
	keys       []bulkKey   // the records' keys, sorted
	g          bulkBuckets // index entries by bucket
	changes    []Change    // without their seq
	encoded    func() ([][]byte, error)
	regen      map[int]string // record → replacement ext_id found by the write transaction

	users  []User
	fromID []bool // ext_id defaulted to a given id: replaced, not refused, when taken
	creds  []Credential
	duress uint8 // the store's duress offset (valueRuleConflicts)
}

// discard waits for the encoders of a prep that will not be written.
func (p *bulkPrep) discard() {
	if p != nil && p.encoded != nil {
		p.encoded()
	}
}

// bulkPipeline writes records [0, n) in chunks, one write transaction
// each, while a goroutine prepares the next chunk against a read
// snapshot: on two cores, checking, sorting and encoding one chunk
// overlap the puts and the commit of the one before. A prep is used only
// if nothing but this load has committed since its snapshot (the store
// seq says so: every write of a record bumps it) and the record bucket's
// sequence is the one it assigned keys from; otherwise, and whenever the
// prep found a problem, the write transaction prepares the chunk again
// itself, so errors and results are exactly those of checking each
// record in the transaction that writes it.
func (s *Store) bulkPipeline(n, chunk int, bucket []byte, own *heldKeys, opt BulkOptions,
	prep func(w *wtx, start, end int, seq uint64) *bulkPrep,
	write func(w *wtx, p *bulkPrep) error,
	done func(p *bulkPrep),
) error {
	if n == 0 {
		return nil
	}
	ch := make(chan *bulkPrep)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ch)
		if !bulkPipelined || runtime.GOMAXPROCS(0) == 1 {
			return // nothing to overlap with: do not hold a second chunk
		}
		var seq uint64
		for start := 0; start < n; start = bulkEnd(start, n, chunk) {
			var p *bulkPrep
			err := s.db.View(func(tx *bolt.Tx) error {
				if start == 0 {
					seq = tx.Bucket(bucket).Sequence()
				}
				w := &wtx{s: s, tx: tx, now: time.Now().UTC(), duress: s.duress, own: own, fleetLoad: opt.fleet}
				if opt.stage {
					if w.stage = tx.Bucket(bImportStage); w.stage == nil {
						return errors.New("store: the load's stage is gone")
					}
					if start == 0 {
						seq = w.b(bucket).Sequence()
					}
				}
				p = w.prep(prep, start, bulkEnd(start, n, chunk), seq)
				return nil
			})
			if err != nil {
				return // the write transaction prepares for itself
			}
			failed, next := p.fail.err != nil, p.seq // p is the writer's once sent
			select {
			case ch <- p:
			case <-stop:
				p.discard()
				return
			}
			if failed {
				return
			}
			seq = next
		}
	})
	defer func() {
		close(stop)
		for p := range ch {
			p.discard()
		}
		wg.Wait()
	}()

	var (
		ours    = map[uint64]bool{} // store seqs since the last commit not ours
		last    uint64              // store seq after our last commit
		started bool
	)
	for start := 0; start < n; start = bulkEnd(start, n, chunk) {
		end := bulkEnd(start, n, chunk)
		p := <-ch // nil once the preparer gave up: prepare in the transaction
		var after uint64
		write1 := s.write
		if opt.fleet {
			write1 = s.writeLocal
		}
		if opt.stage {
			write1 = func(_ bool, fn func(w *wtx) error) error { return s.stageWrite(fn) }
		}
		err := write1(false, func(w *wtx) error {
			w.own = own
			w.fleetLoad = opt.fleet
			if opt.NoSync {
				// Under the writer lock; see BulkOptions. Growing the file
				// would fsync it too.
				w.tx.DB().NoSync, w.tx.DB().NoGrowSync = true, true
			}
			now := storeSeq(w.tx)
			if !started || now != last {
				clear(ours)
				ours[now] = true
			}
			seq := w.b(bucket).Sequence()
			if p == nil || p.start != start || p.fail.err != nil || p.seq0 != seq || !ours[p.snap] || p.holds != w.holds() {
				p.discard()
				p = w.prep(prep, start, end, seq)
			}
			if err := write(w, p); err != nil {
				return err
			}
			after = now
			if len(w.changes) > 0 {
				after = w.seq
			}
			return nil
		})
		p.discard()
		if err != nil {
			return err
		}
		started, last = true, after
		ours[after] = true
		done(p)
		if bulkAfterChunk != nil {
			bulkAfterChunk(bucket, end)
		}
	}
	return nil
}

// bulkEnd is the end of the chunk that starts at start. Chunks start at
// an eighth of the size and double: nothing overlaps the first one's
// preparation, and preparing is about three times as fast as writing, so
// each chunk is prepared while the one before (half its size) is written.
func bulkEnd(start, n, chunk int) int {
	size := max(chunk/8, 1)
	for pos := size; pos <= start && size < chunk; pos += size {
		size = min(2*size, chunk)
	}
	return min(start+size, n)
}

// prep runs a prepare function and notes the snapshot it saw.
func (w *wtx) prep(prep func(w *wtx, start, end int, seq uint64) *bulkPrep, start, end int, seq uint64) *bulkPrep {
	p := prep(w, start, end, seq)
	p.snap = storeSeq(w.tx)
	return p
}

func storeSeq(tx *bolt.Tx) uint64 {
	v, _ := keys.ParseU64(tx.Bucket(bMeta).Get(kSeq))
	return v
}

// The steps at which CreateUser can refuse a user, in the order it takes
// them; a chunk reports its first failing record's earliest step.
const (
	stepUserID    = iota // id not a uuid, or taken
	stepUserExtID        // ext_id taken
	stepUserCheck        // checkUser: fields and references
	stepUserUID          // preset uid taken
)

// The same for CreateCredential.
const (
	stepCredCheck = iota // checkCredential: fields and references
	stepCredValue        // (type, value) taken
	stepCredID           // preset id taken
)

// prepUsers does for users [start, end) what createUser does before it
// writes, in w's transaction (a read snapshot or the write transaction),
// assigning UIDs after seq.
func (w *wtx) prepUsers(in []User, start, end int, seq uint64) *bulkPrep {
	n := end - start
	p := &bulkPrep{start: start, end: end, seq0: seq, n: n, users: make([]User, n), fromID: make([]bool, n), keys: make([]bulkKey, 0, n)}
	p.holds = w.holds()
	for i := range n {
		src := &in[start+i]
		u := cloneUser(src)
		generated := u.ID == ""
		if generated {
			u.ID = uuid.NewString()
		} else if id, ok := canonicalID(u.ID); ok {
			u.ID = id
		} else {
			p.fail.set(i, stepUserID, &InvalidError{Field: "id", Reason: "not a uuid"})
			p.n = i
			break
		}
		if u.State == "" {
			u.State = StateActive
		}
		if u.Locks == "" {
			u.Locks = LocksBoth
		}
		if u.ExtID == "" {
			u.ExtID = u.ID
			p.fromID[i] = !generated
		}
		if err := w.checkUser(&u); err != nil {
			// Its id and ext_id were looked up before this check.
			p.fail.set(i, stepUserCheck, err)
			for _, e := range userEntries(&u) {
				if e.Val != nil {
					p.g.add(e, i, n)
				}
			}
			p.n = i
			break
		}
		// assignID, replayed on a copy of the sequence.
		if u.UID == 0 {
			seq = p.holds.nextFree(w.own, bUsers, seq)
			u.UID = seq
		} else if seq < u.UID {
			seq = u.UID
		}
		if !w.fleetLoad {
			u.CreatedAt, u.UpdatedAt = w.now, w.now
			u.CreatedBy, u.UpdatedBy = src.CreatedBy, src.CreatedBy
		}
		p.users[i] = u
		p.keys = append(p.keys, bulkKey{k: keys.U64(u.UID), rec: int32(i)})
		for _, e := range userEntries(&u) {
			p.g.add(e, i, n)
		}
	}
	p.seq = seq
	p.userConflicts(nil)
	for rec, ext := range p.regen {
		p.users[rec].ExtID = ext
	}
	p.regen = nil
	if p.fail.err != nil {
		return p
	}
	p.g.sort()
	p.changes = make([]Change, p.n)
	for i := range p.n {
		c := cloneUser(&p.users[i])
		p.changes[i] = Change{Kind: KindUser, ID: c.UID, User: &c}
	}
	p.encoded = encodeAll(p.n, func(i int) ([]byte, error) { return encodeUser(&p.users[i]) })
	return p
}

// userConflicts finds the keys a one-by-one load would find taken by
// earlier users of the chunk and, given a transaction, by the file. A
// given id's defaulted ext_id that is taken is replaced (in p.regen), as
// createUser does.
func (p *bulkPrep) userConflicts(w *wtx) {
	var b func([]byte) *bolt.Bucket
	if w != nil {
		b = w.b
	}
	sortKeys(p.keys)
	conflicts(b, bUsers, p.keys, func(j int) {
		p.fail.set(int(p.keys[j].rec), stepUserUID, &ConflictError{Field: "uid"})
	})
	for bi, name := range p.g.names {
		if !p.g.unique[bi] {
			continue
		}
		ks := p.g.keys[bi]
		sortKeys(ks)
		conflicts(b, name, ks, func(j int) {
			rec := int(ks[j].rec)
			switch {
			case bytes.Equal(name, bUserByID):
				p.fail.set(rec, stepUserID, &ConflictError{Field: "id"})
			case bytes.Equal(name, bUserByExtID) && p.fromID[rec]:
				// A fresh random ext_id (122 random bits: free).
				ext := uuid.NewString()
				if p.regen == nil {
					p.regen = map[int]string{}
				}
				p.regen[rec] = ext
				ks[j].k = []byte(ext)
			case bytes.Equal(name, bUserByExtID):
				p.fail.set(rec, stepUserExtID, &ConflictError{Field: "ext_id"})
			default:
				p.fail.set(rec, stepUserUID+1, &ConflictError{Field: string(name)})
			}
		})
		if len(p.regen) > 0 {
			sortKeys(ks)
		}
	}
}

// writeUsers puts a prepared chunk of users.
func (w *wtx) writeUsers(p *bulkPrep, in []User) error {
	p.userConflicts(w)
	if p.fail.err != nil {
		rec := p.start + p.fail.rec
		return fmt.Errorf("bulk load: user %d (%q): %w", rec, in[rec].Name, p.fail.err)
	}
	if p.n == 0 {
		return nil
	}
	// The index entries are put while the records are encoded.
	if err := w.putBuckets(&p.g); err != nil {
		return err
	}
	data, err := p.encoded()
	if err != nil {
		return err
	}
	for rec, ext := range p.regen {
		p.users[rec].ExtID = ext
		p.changes[rec].User.ExtID = ext
		if data[rec], err = encodeUser(&p.users[rec]); err != nil {
			return err
		}
	}
	if err := w.bulkRights(p, data); err != nil { // rights.go
		return err
	}
	return w.putRecords(bUsers, p, data)
}

// prepCreds does for credentials [start, end) what createCredential does
// before it writes (see prepUsers).
func (w *wtx) prepCreds(in []Credential, start, end int, seq uint64) *bulkPrep {
	n := end - start
	p := &bulkPrep{start: start, end: end, seq0: seq, n: n, creds: make([]Credential, n), keys: make([]bulkKey, 0, n), duress: w.duress}
	p.holds = w.holds()
	for i := range n {
		c := cloneCredential(&in[start+i])
		if c.Owner == "" {
			c.Owner = OwnerOwner
		}
		if c.Locks == "" {
			c.Locks = LocksBoth
		}
		if !w.fleetLoad {
			c.PassesLeft = c.MaxPasses
		}
		if err := w.checkCredential(&c); err != nil {
			p.fail.set(i, stepCredCheck, err)
			p.n = i
			break
		}
		if c.ID == 0 {
			seq = p.holds.nextFree(w.own, bCreds, seq)
			c.ID = seq
		} else if seq < c.ID {
			seq = c.ID
		}
		if !w.fleetLoad {
			c.CreatedAt, c.UpdatedAt = w.now, w.now
		}
		p.creds[i] = c
		p.keys = append(p.keys, bulkKey{k: keys.U64(c.ID), rec: int32(i)})
		for _, e := range credEntries(&c) {
			p.g.add(e, i, n)
		}
	}
	p.seq = seq
	p.credConflicts(nil)
	if p.fail.err != nil {
		return p
	}
	p.g.sort()
	p.changes = make([]Change, p.n)
	for i := range p.n {
		c := cloneCredential(&p.creds[i])
		p.changes[i] = Change{Kind: KindCredential, ID: c.ID, Credential: &c}
	}
	p.encoded = encodeAll(p.n, func(i int) ([]byte, error) { return encodeCredential(&p.creds[i]) })
	return p
}

// credConflicts is userConflicts for credentials.
func (p *bulkPrep) credConflicts(w *wtx) {
	var b func([]byte) *bolt.Bucket
	if w != nil {
		b = w.b
	}
	sortKeys(p.keys)
	conflicts(b, bCreds, p.keys, func(j int) {
		p.fail.set(int(p.keys[j].rec), stepCredID, &ConflictError{Field: "id"})
	})
	for bi, name := range p.g.names {
		if !p.g.unique[bi] {
			continue
		}
		ks := p.g.keys[bi]
		sortKeys(ks)
		conflicts(b, name, ks, func(j int) {
			step, field := stepCredID+1, string(name)
			if bytes.Equal(name, bCredByValue) {
				step, field = stepCredValue, "value"
			}
			p.fail.set(int(ks[j].rec), step, &ConflictError{Field: field})
		})
	}
	p.valueRuleConflicts(b)
}

// valueRuleConflicts finds the records that break checkValueConflict's
// rules beyond an exact duplicate (which credConflicts finds): a plain card
// number beside a format-bound card of the same number, and with duress on
// a PIN that is another PIN's duress PIN or whose duress PIN is another
// PIN; against the chunk's earlier records, and, when b is given, the
// bucket, probed in key order with one cursor.
func (p *bulkPrep) valueRuleConflicts(b func([]byte) *bolt.Bucket) {
	type probe struct {
		k      []byte
		rec    int
		prefix bool // a key with this prefix conflicts; else only k itself
		reason string
	}
	var probes []probe
	// Within the chunk a plain number can only meet a bound card when
	// there is one: most loads have none and need no map.
	var cards map[string][2]int // card number → [first plain rec+1, first format-bound rec+1]
	for i := range p.n {
		if p.creds[i].Format != "" {
			cards = map[string][2]int{}
			break
		}
	}
	pins := map[string]int{} // PIN → first rec
	fail := func(rec int, reason string) {
		p.fail.set(rec, stepCredValue, &ConflictError{Field: "value", Reason: reason})
	}
	for i := range p.n {
		c := &p.creds[i]
		switch {
		case c.Type == CredCard:
			plain := c.Format == ""
			if cards != nil {
				g := cards[c.Value]
				switch {
				case plain && g[1] != 0:
					fail(i, ReasonCardFormatHeld)
				case !plain && g[0] != 0:
					fail(i, ReasonCardPlainHeld)
				case plain && g[0] == 0:
					g[0] = i + 1
				case !plain && g[1] == 0:
					g[1] = i + 1
				}
				cards[c.Value] = g
			}
			switch {
			case b == nil: // the chunk alone: nothing to probe
			case plain:
				probes = append(probes, probe{append(valueKey(CredCard, c.Value, ""), 0), i, true, ReasonCardFormatHeld})
			default:
				probes = append(probes, probe{valueKey(CredCard, c.Value, ""), i, false, ReasonCardPlainHeld})
			}
		case c.Type == CredPIN && p.duress != 0:
			for _, v := range [...]struct {
				off    uint8
				reason string
			}{{p.duress, ReasonDuressIsOther}, {10 - p.duress, ReasonDuressOfOther}} {
				other, ok := duressPIN(c.Value, v.off)
				if !ok {
					continue
				}
				if _, held := pins[other]; held {
					fail(i, v.reason)
				}
				if b != nil {
					probes = append(probes, probe{valueKey(CredPIN, other, ""), i, false, v.reason})
				}
			}
			if _, ok := pins[c.Value]; !ok {
				pins[c.Value] = i
			}
		}
	}
	if b == nil || len(probes) == 0 {
		return
	}
	slices.SortFunc(probes, func(a, b probe) int { return bytes.Compare(a.k, b.k) })
	pr := newProber(b(bCredByValue), probes[0].k)
	for _, q := range probes {
		next := pr.ceil(q.k)
		if bytes.Equal(next, q.k) || q.prefix && bytes.HasPrefix(next, q.k) {
			fail(q.rec, q.reason)
		}
	}
}

// writeCreds puts a prepared chunk of credentials.
func (w *wtx) writeCreds(p *bulkPrep, in []Credential) error {
	p.credConflicts(w)
	if p.fail.err != nil {
		rec := p.start + p.fail.rec
		return fmt.Errorf("bulk load: credential %d (%s): %w", rec, in[rec].Type, p.fail.err)
	}
	if p.n == 0 {
		return nil
	}
	if err := w.putBuckets(&p.g); err != nil {
		return err
	}
	data, err := p.encoded()
	if err != nil {
		return err
	}
	return w.putRecords(bCreds, p, data)
}

// putRecords puts a chunk's records, moves the bucket's sequence and
// queues the change records.
func (w *wtx) putRecords(bucket []byte, p *bulkPrep, data [][]byte) error {
	for j := range p.keys {
		p.keys[j].v = data[p.keys[j].rec]
	}
	b := w.b(bucket)
	if p.seq != b.Sequence() {
		if err := b.SetSequence(p.seq); err != nil {
			return err
		}
	}
	if err := w.putSorted(bucket, p.keys, false); err != nil {
		return err
	}
	w.changes = slices.Grow(w.changes, len(p.changes))
	for _, c := range p.changes {
		if err := w.emit(c); err != nil {
			return err
		}
	}
	return nil
}

// bulkFail is a chunk's first failure in the order a one-by-one load
// would meet it: the lowest record, and that record's earliest step.
type bulkFail struct {
	rec, step int
	err       error
}

func (f *bulkFail) set(rec, step int, err error) {
	if f.err == nil || rec < f.rec || rec == f.rec && step < f.step {
		*f = bulkFail{rec: rec, step: step, err: err}
	}
}

// bulkKey is one key a chunk puts, and the record (index in the chunk) it
// belongs to.
type bulkKey struct {
	k, v []byte
	rec  int32
}

func cmpBulkKey(a, b bulkKey) int {
	if c := bytes.Compare(a.k, b.k); c != 0 {
		return c
	}
	return cmp.Compare(a.rec, b.rec)
}

// sortKeys orders ks by key, then by record. Keys often arrive sorted
// (ids, postings of one value), and checking is cheaper than sorting.
func sortKeys(ks []bulkKey) {
	if !slices.IsSortedFunc(ks, cmpBulkKey) {
		slices.SortFunc(ks, cmpBulkKey)
	}
}

// bulkBuckets are a chunk's index entries by bucket. A record type has a
// handful of index buckets, so a slice beats a map.
type bulkBuckets struct {
	names  [][]byte
	keys   [][]bulkKey
	unique []bool // the bucket's entries carry a value (unique index)
}

// add adds record rec's entry e; size is the number of records, the
// usual number of entries in a bucket.
func (g *bulkBuckets) add(e index.Entry, rec, size int) {
	k := bulkKey{k: e.Key, v: e.Val, rec: int32(rec)}
	for i, name := range g.names {
		if bytes.Equal(name, e.Bucket) {
			g.keys[i] = append(g.keys[i], k)
			return
		}
	}
	g.names = append(g.names, e.Bucket)
	g.keys = append(g.keys, append(make([]bulkKey, 0, size), k))
	g.unique = append(g.unique, e.Val != nil)
}

// conflicts calls fn(j) for every key ks[j] (sorted by sortKeys) that
// would be found taken when its record's turn came: held by an earlier
// record of the chunk, or, when b is given, by bucket b(name) before the
// chunk. The bucket is probed with one cursor (see prober).
func conflicts(b func([]byte) *bolt.Bucket, name []byte, ks []bulkKey, fn func(j int)) {
	if len(ks) == 0 {
		return
	}
	var pr *prober
	if b != nil {
		pr = newProber(b(name), ks[0].k)
	}
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && bytes.Equal(ks[j].k, ks[i].k) {
			j++
		}
		if pr != nil && bytes.Equal(pr.ceil(ks[i].k), ks[i].k) {
			fn(i)
		}
		for m := i + 1; m < j; m++ {
			fn(m)
		}
		i = j
	}
}

// prober answers, for keys asked in ascending order, the bucket's
// smallest key at or after each, with one cursor: seeking only past keys
// it holds, stepping when the next answer is a few keys on, and not
// touching the bucket at all when every key sorts after its last.
type prober struct {
	c      *bolt.Cursor
	none   bool
	next   []byte // the bucket's smallest key ≥ the last probe
	probed bool
}

// newProber probes bucket b for keys from first on.
func newProber(b *bolt.Bucket, first []byte) *prober {
	c := b.Cursor()
	last, _ := c.Last()
	return &prober{c: c, none: last == nil || bytes.Compare(last, first) < 0}
}

// ceil is the bucket's smallest key ≥ k (nil: none); k must not be less
// than the previous call's.
func (p *prober) ceil(k []byte) []byte {
	if p.none {
		return nil
	}
	if p.probed {
		if bytes.Compare(k, p.next) <= 0 {
			return p.next
		}
		// New keys among many stored ones (PINs) are a few keys
		// apart: stepping is cheaper than seeking from the root.
		for range 8 {
			if p.next, _ = p.c.Next(); p.next == nil {
				p.none = true
				return nil
			}
			if bytes.Compare(k, p.next) <= 0 {
				return p.next
			}
		}
	}
	p.next, _ = p.c.Seek(k)
	p.probed = true
	if p.next == nil {
		p.none = true
	}
	return p.next
}

func (g *bulkBuckets) sort() {
	for i, ks := range g.keys {
		if g.unique[i] {
			sortKeys(ks)
		} else {
			sortPostings(ks)
		}
	}
}

// sortPostings sorts posting keys (a value's prefix, then the record's
// id). They come in id order, and an index has few values (states, tags,
// time profiles, often names) next to many ids, so gathering the keys by
// prefix and sorting the prefixes does in one pass what a sort does in
// twenty.
func sortPostings(ks []bulkKey) {
	if slices.IsSortedFunc(ks, cmpBulkKey) {
		return
	}
	byPrefix := map[string]int{}
	var groups [][]bulkKey
	for _, k := range ks {
		prefix := k.k[:max(len(k.k)-8, 0)]
		i, ok := byPrefix[string(prefix)]
		if !ok {
			if len(groups) > len(ks)/8 {
				slices.SortFunc(ks, cmpBulkKey) // mostly distinct values
				return
			}
			i = len(groups)
			byPrefix[string(prefix)] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], k)
	}
	slices.SortFunc(groups, func(a, b []bulkKey) int { return cmpBulkKey(a[0], b[0]) })
	ks = ks[:0]
	for _, g := range groups {
		ks = append(ks, g...)
	}
	sortKeys(ks) // a no-op unless ids were out of order
}

// putBuckets writes a chunk's index entries, bucket by bucket (each
// sorted by g.sort, or by userConflicts after replacing an ext_id).
func (w *wtx) putBuckets(g *bulkBuckets) error {
	for i, name := range g.names {
		if err := w.putSorted(name, g.keys[i], true); err != nil {
			return err
		}
	}
	return nil
}

var empty = []byte{}

// randomKeyFill is where a bulk load splits the pages of an index whose
// keys land all over it. A chunk adds a few keys to each page; a page
// split at half leaves two half-full pages that the next chunks fill
// only slowly. Measured on doordgen's 200,000 users (chunks of 50,000):
// credentials_by_value 61 % full at bbolt's 0.5, 70 % at 0.7, 59 % at 0.9
// (a page split nearly full overflows again at the next chunk);
// users_by_name 54, 68, 69 %.
const randomKeyFill = 0.7

// putSorted puts ks (sorted) into bucket name. When pack is set and every
// key sorts after the bucket's last, the bucket is being appended to:
// its pages are then filled completely, since no later key lands left of
// them during the load. (Record buckets keep packAppendOnly's slack for
// records that grow when edited.) An index whose keys land all over it
// (names, credential values) is split at randomKeyFill instead of
// bbolt's half.
func (w *wtx) putSorted(name []byte, ks []bulkKey, pack bool) error {
	if len(ks) == 0 {
		return nil
	}
	w.dirty = true
	b := w.b(name)
	if pack {
		if last, _ := b.Cursor().Last(); last == nil || bytes.Compare(last, ks[0].k) < 0 {
			b.FillPercent = 1.0
		} else if !slices.ContainsFunc(appendOnly, func(a []byte) bool { return bytes.Equal(a, name) }) {
			b.FillPercent = randomKeyFill
		}
	}
	for _, k := range ks {
		v := k.v
		if v == nil {
			v = empty
		}
		if err := b.Put(k.k, v); err != nil {
			return fmt.Errorf("bulk load: %s: %w", name, err)
		}
	}
	return nil
}

// encodeAll starts encoding records 0..n-1 in the background, on all
// cores but the caller's, and returns the function that waits for them.
func encodeAll(n int, enc func(i int) ([]byte, error)) (wait func() ([][]byte, error)) {
	data := make([][]byte, n)
	workers := max(1, min(runtime.GOMAXPROCS(0)-1, n/1000))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			for i := wk; i < n; i += workers {
				var err error
				if data[i], err = enc(i); err != nil {
					errs[wk] = err
					return
				}
			}
		})
	}
	return func() ([][]byte, error) {
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		return data, nil
	}
}
