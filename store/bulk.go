package store

import (
	"bytes"
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// bulkChunk is how many records BulkLoad writes per transaction: large
// enough that fsyncs vanish, small enough that a transaction's dirty pages
// stay in the tens of megabytes on a 512 MB board. A variable so that
// tests can cross chunk boundaries with a few records.
var bulkChunk = 50000

// BulkLoad writes many users and then many credentials in large
// transactions, for generators and imports. Each record is validated,
// defaulted and indexed exactly as by CreateUser/CreateCredential, except
// that duplicate names are not looked for and preset keys are honoured: a
// user with UID 0 gets the next UID, written back into users[i]; a
// credential names its user by UserUID, which must exist by then (in the
// store or earlier in users). Change records are emitted for every
// record, chunk by chunk.
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
// into its left part again. Records are JSON-encoded on every core.
// Loaders that supply their own ids should use time-ordered ones (uuid
// v7): the uuid and ext_id indexes then grow at their right edge instead of
// rewriting pages all over the file in every chunk.
func (s *Store) BulkLoad(users []User, creds []Credential) error {
	for start := 0; start < len(users); start += bulkChunk {
		end := min(start+bulkChunk, len(users))
		if err := s.bulkUsers(users[start:end], start); err != nil {
			return err
		}
	}
	for start := 0; start < len(creds); start += bulkChunk {
		end := min(start+bulkChunk, len(creds))
		if err := s.bulkCreds(creds[start:end], start); err != nil {
			return err
		}
	}
	return nil
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

func (s *Store) bulkUsers(in []User, base int) error {
	out := make([]User, len(in))
	err := s.write(false, func(w *wtx) error {
		var (
			fail   bulkFail
			g      bulkBuckets
			uids   = make([]bulkKey, 0, len(in))
			fromID = make([]bool, len(in)) // ext_id defaulted to a given id: replaced, not refused, when taken
			n      = len(in)               // records that pass the per-record checks
			ub     = w.b(bUsers)
			seq    = ub.Sequence()
		)
		for i := range in {
			u := cloneUser(&in[i])
			generated := u.ID == ""
			if generated {
				u.ID = uuid.NewString()
			} else if id, ok := canonicalID(u.ID); ok {
				u.ID = id
			} else {
				fail.set(i, stepUserID, &InvalidError{Field: "id", Reason: "not a uuid"})
				n = i
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
				fromID[i] = !generated
			}
			if err := w.checkUser(&u); err != nil {
				// Its id and ext_id were looked up before this check.
				fail.set(i, stepUserCheck, err)
				for _, e := range userEntries(&u) {
					if e.Val != nil {
						g.add(e, i)
					}
				}
				n = i
				break
			}
			// assignID, replayed on a local copy of the sequence.
			if u.UID == 0 {
				seq++
				u.UID = seq
			} else if seq < u.UID {
				seq = u.UID
			}
			u.CreatedAt, u.UpdatedAt = w.now, w.now
			u.CreatedBy, u.UpdatedBy = in[i].CreatedBy, in[i].CreatedBy
			out[i] = u
			uids = append(uids, bulkKey{k: keys.U64(u.UID), rec: int32(i)})
			for _, e := range userEntries(&u) {
				g.add(e, i)
			}
		}

		// Duplicates, as a one-by-one load would meet them.
		sortKeys(uids)
		conflicts(ub, uids, func(j int, _ bool) {
			fail.set(int(uids[j].rec), stepUserUID, &ConflictError{Field: "uid"})
		})
		for bi, name := range g.names {
			ks := g.keys[bi]
			if !g.unique[bi] {
				continue
			}
			sortKeys(ks)
			conflicts(w.b(name), ks, func(j int, _ bool) {
				rec := int(ks[j].rec)
				switch {
				case bytes.Equal(name, bUserByID):
					fail.set(rec, stepUserID, &ConflictError{Field: "id"})
				case bytes.Equal(name, bUserByExtID) && fromID[rec]:
					// As createUser: a given id that is someone's ext_id
					// gets a fresh random ext_id (122 random bits: free).
					// (putBuckets sorts again.)
					out[rec].ExtID = uuid.NewString()
					ks[j].k = []byte(out[rec].ExtID)
				case bytes.Equal(name, bUserByExtID):
					fail.set(rec, stepUserExtID, &ConflictError{Field: "ext_id"})
				default:
					fail.set(rec, stepUserUID+1, &ConflictError{Field: string(name)})
				}
			})
		}
		if fail.err != nil {
			return fmt.Errorf("bulk load: user %d (%q): %w", base+fail.rec, in[fail.rec].Name, fail.err)
		}
		if n == 0 {
			return nil
		}

		// The records are encoded while the index entries are put.
		encoded := encodeAll(n, func(i int) ([]byte, error) { return encodeUser(&out[i]) })
		if seq != ub.Sequence() {
			if err := ub.SetSequence(seq); err != nil {
				return err
			}
		}
		if err := w.putBuckets(&g); err != nil {
			encoded()
			return err
		}
		data, err := encoded()
		if err != nil {
			return err
		}
		for j := range uids {
			uids[j].v = data[uids[j].rec]
		}
		if err := w.putSorted(bUsers, uids, false); err != nil {
			return err
		}
		for i := range n {
			c := cloneUser(&out[i])
			if err := w.emit(Change{Kind: KindUser, ID: c.UID, User: &c}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	copy(in, out)
	return nil
}

func (s *Store) bulkCreds(in []Credential, base int) error {
	out := make([]Credential, len(in))
	err := s.write(false, func(w *wtx) error {
		var (
			fail bulkFail
			g    bulkBuckets
			ids  = make([]bulkKey, 0, len(in))
			n    = len(in)
			cb   = w.b(bCreds)
			seq  = cb.Sequence()
		)
		for i := range in {
			c := cloneCredential(&in[i])
			if c.Owner == "" {
				c.Owner = OwnerOwner
			}
			if c.Locks == "" {
				c.Locks = LocksBoth
			}
			c.PassesLeft = c.MaxPasses
			if err := w.checkCredential(&c); err != nil {
				fail.set(i, stepCredCheck, err)
				n = i
				break
			}
			if c.ID == 0 {
				seq++
				c.ID = seq
			} else if seq < c.ID {
				seq = c.ID
			}
			c.CreatedAt, c.UpdatedAt = w.now, w.now
			out[i] = c
			ids = append(ids, bulkKey{k: keys.U64(c.ID), rec: int32(i)})
			for _, e := range credEntries(&c) {
				g.add(e, i)
			}
		}

		sortKeys(ids)
		conflicts(cb, ids, func(j int, _ bool) {
			fail.set(int(ids[j].rec), stepCredID, &ConflictError{Field: "id"})
		})
		for bi, name := range g.names {
			ks := g.keys[bi]
			if !g.unique[bi] {
				continue
			}
			sortKeys(ks)
			conflicts(w.b(name), ks, func(j int, _ bool) {
				step, field := stepCredID+1, string(name)
				if bytes.Equal(name, bCredByValue) {
					step, field = stepCredValue, "value"
				}
				fail.set(int(ks[j].rec), step, &ConflictError{Field: field})
			})
		}
		if fail.err != nil {
			return fmt.Errorf("bulk load: credential %d (%s %q): %w", base+fail.rec, in[fail.rec].Type, in[fail.rec].Value, fail.err)
		}
		if n == 0 {
			return nil
		}

		// The records are encoded while the index entries are put.
		encoded := encodeAll(n, func(i int) ([]byte, error) { return encodeCredential(&out[i]) })
		if seq != cb.Sequence() {
			if err := cb.SetSequence(seq); err != nil {
				return err
			}
		}
		if err := w.putBuckets(&g); err != nil {
			encoded()
			return err
		}
		data, err := encoded()
		if err != nil {
			return err
		}
		for j := range ids {
			ids[j].v = data[ids[j].rec]
		}
		if err := w.putSorted(bCreds, ids, false); err != nil {
			return err
		}
		for i := range n {
			c := cloneCredential(&out[i])
			if err := w.emit(Change{Kind: KindCredential, ID: c.ID, Credential: &c}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	copy(in, out)
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

func (g *bulkBuckets) add(e index.Entry, rec int) {
	k := bulkKey{k: e.Key, v: e.Val, rec: int32(rec)}
	for i, name := range g.names {
		if bytes.Equal(name, e.Bucket) {
			g.keys[i] = append(g.keys[i], k)
			return
		}
	}
	g.names = append(g.names, e.Bucket)
	g.keys = append(g.keys, []bulkKey{k})
	g.unique = append(g.unique, e.Val != nil)
}

// conflicts calls fn(j, stored) for every key ks[j] (sorted by sortKeys)
// that would be found taken when its record's turn came: held by the
// bucket before the chunk (stored), or by an earlier record of the chunk.
// The bucket is probed with one cursor, seeking only past keys it holds,
// and not at all when every key sorts after the bucket's last.
func conflicts(b *bolt.Bucket, ks []bulkKey, fn func(j int, stored bool)) {
	if len(ks) == 0 {
		return
	}
	c := b.Cursor()
	last, _ := c.Last()
	none := last == nil || bytes.Compare(last, ks[0].k) < 0
	var next []byte // the bucket's smallest key ≥ the last probe
	probed := false
	has := func(k []byte) bool {
		if none {
			return false
		}
		if probed {
			switch d := bytes.Compare(k, next); {
			case d < 0:
				return false
			case d == 0:
				return true
			}
		}
		next, _ = c.Seek(k)
		probed = true
		if next == nil {
			none = true
			return false
		}
		return bytes.Equal(next, k)
	}
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && bytes.Equal(ks[j].k, ks[i].k) {
			j++
		}
		stored := has(ks[i].k)
		if stored {
			fn(i, true)
		}
		for m := i + 1; m < j; m++ {
			fn(m, stored)
		}
		i = j
	}
}

// putBuckets writes a chunk's index entries, bucket by bucket.
func (w *wtx) putBuckets(g *bulkBuckets) error {
	for i, name := range g.names {
		sortKeys(g.keys[i])
		if err := w.putSorted(name, g.keys[i], true); err != nil {
			return err
		}
	}
	return nil
}

var empty = []byte{}

// putSorted puts ks (sorted) into bucket name. When pack is set and every
// key sorts after the bucket's last, the bucket is being appended to:
// its pages are then filled completely, since no later key lands left of
// them during the load. (Record buckets keep packAppendOnly's slack for
// records that grow when edited.)
func (w *wtx) putSorted(name []byte, ks []bulkKey, pack bool) error {
	if len(ks) == 0 {
		return nil
	}
	w.dirty = true
	b := w.b(name)
	if pack {
		if last, _ := b.Cursor().Last(); last == nil || bytes.Compare(last, ks[0].k) < 0 {
			b.FillPercent = 1.0
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

// bulkIndex is wtx's hook for a bulk transaction that goes through
// createUser/createCredential and holds records and index entries back
// until the end of the chunk. BulkLoad no longer takes that path (it
// gathers keys by bucket itself, above); wtx.bulk stays nil.
type bulkIndex struct {
	records []bulkRecord
	entries []index.Entry
	unique  map[string]bool // bucket NUL key of the unique entries, for taken
}

type bulkRecord struct {
	bucket, key []byte
	v           any
}

func (b *bulkIndex) add(es []index.Entry) {
	for _, e := range es {
		if e.Val != nil {
			b.unique[string(e.Bucket)+"\x00"+string(e.Key)] = true
		}
	}
	b.entries = append(b.entries, es...)
}
