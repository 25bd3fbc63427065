package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Fleet mode (the store's side of store/fleet). In a fleet the records a
// door decides on — users, credentials, time profiles, apartments — live
// in a NATS JetStream KV bucket, and every controller's store is a copy of
// that bucket at some revision. Two rules keep the copy exact:
//
//   - Writes through the store (the native API, the BAS-IP dialect,
//     imports) do not commit locally. Store.write runs the write function
//     in a transaction that is rolled back, hands the records it produced
//     to the FleetGate together with the fleet revision the store was at,
//     and returns what the gate returns: the gate writes them to the
//     bucket (compare-and-set against that revision: a record changed on
//     another controller since is a FleetConflictError, never a silent
//     overwrite) and waits until its watch applied them here. So the
//     caller's result (ids, stamps) is exactly what every controller
//     stores, and a 2xx means this controller's engine already has it.
//     Operators, sessions, settings (door modes) and pass spends stay
//     local: they are this controller's, not the fleet's.
//   - The watch applies the bucket's records through ApplyFleet, one
//     transaction per batch, in revision order, with the batch's last
//     revision saved in meta in the same transaction (FleetRev): a
//     restart resumes after it. Applied records emit Change records like
//     any write, so the door engine and the list index follow them.
//
// Ids: records are keyed by their integer id in the bucket, so two
// controllers must never allocate the same one. A controller joins the
// fleet with a number n (allocated once through the bucket) and allocates
// ids of its own in [n<<32, (n+1)<<32) from the record buckets' local
// sequences (SetFleetIDBase): no network round trip per id, bulk loads
// and imports keep working, and ids a store had before joining (below
// 1<<32) cannot collide with any controller's.

// FleetGate is what store/fleet implements for Store.write in fleet mode.
type FleetGate interface {
	// Replicate writes ops to the fleet's bucket, each expected to be
	// unchanged there since revision base (the store's FleetRev when the
	// write function ran), and returns once this store applied them. It
	// returns ErrFleetOffline when the bucket cannot be reached and a
	// FleetConflictError when a record changed since base.
	Replicate(ops []FleetOp, base uint64) error
	// Ready returns ErrFleetOffline when a record write cannot go to the
	// fleet now, before any work is done for it.
	Ready() error
}

// FleetOp is one record as the fleet's bucket carries it.
type FleetOp struct {
	Kind    ChangeKind
	ID      uint64
	Deleted bool
	Value   []byte // EncodeFleet of the record; nil when Deleted
	Group   string // KindRight: the door group (ID is the user's uid)
	Rev     uint64 // ApplyFleet: the bucket revision of this record
	// Batch (ApplyFleet) is the atomic batch the record was written in
	// ("": alone): the records of a batch, consecutive in ops, are
	// applied together or left out together.
	Batch string
}

// ErrFleetOffline: a record write was refused because the fleet's NATS
// server is out of reach (writing only locally would fork the list).
var ErrFleetOffline = errors.New("the fleet's NATS server is unreachable; records can only be changed while it is reachable, and nothing was written")

// FleetTooLargeError: a write changes more records than one write of the
// fleet takes (one atomic batch of its NATS server); nothing was written.
// It is the InvalidError (a 422, field "records") naming the limit; an
// import that is one write by its rows but not by its records (a
// removed user's rights in every group count too) goes as a new
// generation instead (import.go).
type FleetTooLargeError struct{ InvalidError }

func (e *FleetTooLargeError) Unwrap() error { return &e.InvalidError }

// FleetConflictError: a record changed on another controller after this
// one read it (or a unique value was taken there first). Is(ErrConflict).
type FleetConflictError struct {
	Kind   ChangeKind
	ID     uint64
	Reason string
}

func (e *FleetConflictError) Error() string {
	return fmt.Sprintf("%s %d: %s", e.Kind, e.ID, e.Reason)
}
func (e *FleetConflictError) Is(target error) bool { return target == ErrConflict }

var kFleetRev = []byte("fleet_rev")

// fleetBuckets are the record buckets that live in the fleet.
var fleetBuckets = map[ChangeKind][]byte{
	KindUser: bUsers, KindCredential: bCreds, KindTimeProfile: bTimeProfiles, KindApartment: bApartments,
}

// fleetGate is the gate of a store in fleet mode (nil: standalone).
type fleetGate struct{ g FleetGate }

// SetFleetGate puts the store in fleet mode (nil: back to standalone).
func (s *Store) SetFleetGate(g FleetGate) {
	if g == nil {
		s.gate.Store(nil)
		return
	}
	s.gate.Store(&fleetGate{g})
}

// gateOf is the store's gate, or nil.
func (s *Store) gateOf() FleetGate {
	if p := s.gate.Load(); p != nil {
		return p.g
	}
	return nil
}

// errCaptured rolls back a gated write's transaction once its records
// were captured.
var errCaptured = errors.New("store: captured for the fleet")

// gatedWrite is write in fleet mode: fn runs in a transaction of its own;
// when it produced fleet records (not a pass spend) they are captured and
// the transaction rolled back, then replicated through g; a write of
// local records only (operators, settings, spends) commits as usual.
func (s *Store) gatedWrite(g FleetGate, fn func(w *wtx) error) error {
	var ops []FleetOp
	var base uint64
	var appErr error
	err := s.update(func(tx *bolt.Tx) error {
		w := &wtx{s: s, tx: tx, now: time.Now().UTC(), duress: s.duress}
		ops, appErr = nil, nil
		packAppendOnly(tx)
		if err := s.fleetIDs.restore(tx); err != nil {
			return err
		}
		if err := fn(w); err != nil {
			appErr = err
			return err
		}
		s.fleetIDs.note(tx)
		fleet, local := 0, 0
		for i := range w.changes {
			if isFleetKind(w.changes[i].Kind) && !w.changes[i].PassSpent {
				fleet++
			} else {
				local++
			}
		}
		if fleet == 0 {
			if !w.dirty {
				return errNoop
			}
			if err := w.saveSeq(); err != nil {
				return err
			}
			s.collect(tx, w.changes)
			return nil
		}
		if local > 0 {
			return fmt.Errorf("store: a write mixing fleet records with local ones cannot go to the fleet")
		}
		if err := g.Ready(); err != nil {
			appErr = err
			return err
		}
		base, _ = keys.ParseU64(tx.Bucket(bMeta).Get(kFleetRev))
		var err error
		if ops, err = fleetOps(w.changes); err != nil {
			return err
		}
		return errCaptured
	})
	switch {
	case appErr != nil:
		return diskFull(appErr)
	case err == errCaptured:
		return g.Replicate(ops, base)
	case err != nil && err != errNoop:
		return diskFull(err)
	}
	return nil
}

// fleetIDs remembers the ids that gated writes allocated: their
// transactions are rolled back, and until the watch applies the records
// back the bucket sequence would hand the same id to the next write.
type fleetIDs struct {
	mu sync.Mutex
	hw map[string]uint64 // bucket → highest sequence a gated write reached
}

// restore moves tx's record sequences up to what earlier gated writes
// reached (in the same id range).
func (f *fleetIDs) restore(tx *bolt.Tx) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, hw := range f.hw {
		b := tx.Bucket([]byte(name))
		if seq := b.Sequence(); seq < hw && seq>>32 == hw>>32 {
			if err := b.SetSequence(hw); err != nil {
				return err
			}
		}
	}
	return nil
}

// note records tx's record sequences.
func (f *fleetIDs) note(tx *bolt.Tx) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hw == nil {
		f.hw = map[string]uint64{}
	}
	for _, name := range fleetBuckets {
		seq := tx.Bucket(name).Sequence()
		if hw := f.hw[string(name)]; seq > hw || seq>>32 != hw>>32 {
			f.hw[string(name)] = seq
		}
	}
}

// fleetOps turns a write's change records into bucket records; a record
// written twice in one write keeps its last form.
func fleetOps(cs []Change) ([]FleetOp, error) {
	ops := make([]FleetOp, 0, len(cs))
	at := map[[3]any]int{}
	for i := range cs {
		op := FleetOp{Kind: cs[i].Kind, ID: cs[i].ID, Deleted: cs[i].Deleted}
		if op.Kind == KindRight {
			op.Group = cs[i].Key
		}
		if !op.Deleted {
			v, err := EncodeFleet(&cs[i])
			if err != nil {
				return nil, err
			}
			op.Value = v
		}
		k := [3]any{op.Kind, op.ID, op.Group}
		if j, ok := at[k]; ok {
			ops[j] = op
			continue
		}
		at[k] = len(ops)
		ops = append(ops, op)
	}
	return ops, nil
}

// fleetCred is a credential as the bucket holds it: with its spelling,
// which the API's JSON leaves out.
type fleetCred struct {
	*Credential
	Spelling string `json:"spelling,omitempty"`
}

// EncodeFleet is a change's record as the fleet's bucket holds it: the
// record's JSON as the API shows it (readable with `nats kv get`), a
// credential with its spelling.
func EncodeFleet(c *Change) ([]byte, error) {
	switch {
	case c.User != nil:
		u := *c.User
		u.DoorRights = nil // records of their own
		if c.siteLocks != "" {
			u.Locks = c.siteLocks // rights.go
		}
		return json.Marshal(&u)
	case c.Right != nil:
		return encodeRight(c.Right)
	case c.Credential != nil:
		return json.Marshal(fleetCred{c.Credential, c.Credential.Spelling})
	case c.TimeProfile != nil:
		return json.Marshal(c.TimeProfile)
	case c.Apartment != nil:
		return json.Marshal(c.Apartment)
	}
	return nil, fmt.Errorf("store: %s %d is not a fleet record", c.Kind, c.ID)
}

// decodeFleet reads a bucket record of kind with id (the key's id wins
// over the value's).
func decodeFleet(op *FleetOp) (Change, error) {
	c := Change{Kind: op.Kind, ID: op.ID}
	var err error
	switch op.Kind {
	case KindUser:
		var u User
		err = json.Unmarshal(op.Value, &u)
		u.UID = op.ID
		c.User = &u
	case KindCredential:
		var x Credential
		fc := fleetCred{Credential: &x}
		err = json.Unmarshal(op.Value, &fc)
		x.ID, x.Spelling = op.ID, fc.Spelling
		c.Credential = &x
	case KindTimeProfile:
		var p TimeProfile
		err = json.Unmarshal(op.Value, &p)
		p.ID = op.ID
		c.TimeProfile = &p
	case KindApartment:
		var a Apartment
		err = json.Unmarshal(op.Value, &a)
		a.ID = op.ID
		c.Apartment = &a
	case KindRight:
		var r Right
		err = json.Unmarshal(op.Value, &r)
		c.Key, c.Right = op.Group, &r
	default:
		err = fmt.Errorf("unknown kind")
	}
	if err != nil {
		return c, fmt.Errorf("fleet record %s %d: %w", op.Kind, op.ID, err)
	}
	return c, nil
}

// FleetRev is the last fleet bucket revision applied to this store (0:
// none yet).
func (s *Store) FleetRev() (uint64, error) {
	var rev uint64
	err := s.view(func(tx *bolt.Tx) error {
		rev, _ = keys.ParseU64(tx.Bucket(bMeta).Get(kFleetRev))
		return nil
	})
	return rev, err
}

// ApplyFleet applies bucket records in one transaction and records rev
// (at least every op's Rev) as the last applied revision, in revision
// order (ops sorted by Rev, all above FleetRev). A record that the store
// cannot take as it stands — its unique value (a card, ext_id, an
// address) held by another record, or an undecodable value — is left out
// and returned in refused, with why, and so is every other record of its
// batch (FleetOp.Batch: a write of several records lands whole or not at
// all): every controller applies the same revisions in the same order,
// so every one leaves out the same records. Deletes do not cascade: the
// controller that deleted a user wrote its credentials' deletes to the
// bucket with it.
func (s *Store) ApplyFleet(rev uint64, ops []FleetOp) (refused map[uint64]error, err error) {
	var out map[string]error // batches left out whole
	for {
		err = s.writeLocal(false, func(w *wtx) error {
			refused = nil
			refuse := func(r uint64, why error) {
				if refused == nil {
					refused = map[uint64]error{}
				}
				refused[r] = why
			}
			for i := range ops {
				b := ops[i].Batch
				if why := out[b]; b != "" && why != nil {
					refuse(ops[i].Rev, why)
				} else if rerr := w.applyFleet(&ops[i]); rerr != nil {
					var ce *FleetConflictError
					if !errors.As(rerr, &ce) {
						return rerr
					}
					if b != "" {
						// Run again without the batch: what its
						// earlier records did is in this transaction.
						if out == nil {
							out = map[string]error{}
						}
						out[b] = &FleetConflictError{Kind: ce.Kind, ID: ce.ID,
							Reason: ce.Reason + " (the whole write it belongs to was left out)"}
						return errBatchOut
					}
					refuse(ops[i].Rev, rerr)
				}
				rev = max(rev, ops[i].Rev)
			}
			if rev == 0 {
				return nil // prune's deletions and a cold load's profiles: no revision
			}
			return w.putRaw(bMeta, kFleetRev, keys.U64(rev))
		})
		if !errors.Is(err, errBatchOut) {
			return refused, err
		}
	}
}

// errBatchOut rolls back an ApplyFleet transaction to run it again
// without a batch one of whose records was refused.
var errBatchOut = errors.New("store: a fleet batch is left out")

func (w *wtx) applyFleet(op *FleetOp) error {
	w.fleetApply = true
	if op.Kind == KindRight {
		return w.applyFleetRight(op) // rights.go
	}
	bucket, ok := fleetBuckets[op.Kind]
	if !ok {
		return nil
	}
	k := keys.U64(op.ID)
	refuse := func(reason string) error { return &FleetConflictError{Kind: op.Kind, ID: op.ID, Reason: reason} }
	if op.Deleted {
		data := w.b(bucket).Get(k)
		if data == nil {
			return nil
		}
		var entries []index.Entry
		switch op.Kind {
		case KindUser:
			u, err := decode[User](k, data)
			if err != nil {
				return err
			}
			entries = userEntries(&u)
		case KindCredential:
			c, err := decode[Credential](k, data)
			if err != nil {
				return err
			}
			entries = credEntries(&c)
		case KindApartment:
			a, err := decode[Apartment](k, data)
			if err != nil {
				return err
			}
			entries = aptEntries(&a)
		}
		if err := w.del(bucket, k); err != nil {
			return err
		}
		if op.Kind == KindUser {
			if err := w.dropRights(op.ID); err != nil {
				return err
			}
		}
		if entries != nil {
			if err := w.index(entries, nil); err != nil {
				return err
			}
		}
		return w.emit(Change{Kind: op.Kind, ID: op.ID, Deleted: true})
	}
	c, err := decodeFleet(op)
	if err != nil {
		return refuse(err.Error())
	}
	// A record of this controller's own id range (its own write, applied
	// as it comes back from the bucket) moves the range's sequence past
	// it: the write that allocated the id was rolled back.
	if b := w.b(bucket); b.Sequence()>>32 == op.ID>>32 && b.Sequence() < op.ID {
		w.dirty = true
		if err := b.SetSequence(op.ID); err != nil {
			return err
		}
	}
	switch op.Kind {
	case KindUser:
		u := c.User
		if u.ID == "" || u.ExtID == "" {
			return refuse("id and ext_id are required")
		}
		if other, ok := index.Lookup(w.b(bUserByID), []byte(u.ID)); ok && other != u.UID {
			return refuse("its id is another user's")
		}
		if other, ok := index.Lookup(w.b(bUserByExtID), []byte(u.ExtID)); ok && other != u.UID {
			return refuse("ext_id already exists")
		}
		if err := w.applyFleetUser(u); err != nil { // rights.go
			return err
		}
		return overStored(w.b(bUsers), k, func(old *User) error { return w.putUser(old, u) })
	case KindCredential:
		x := c.Credential
		if cerr := w.checkValueConflict(x); cerr != nil {
			return refuse(cerr.Error())
		}
		return overStored(w.b(bCreds), k, func(old *Credential) error { return w.putCredential(old, x) })
	case KindTimeProfile:
		return w.putTimeProfile(c.TimeProfile)
	case KindApartment:
		a := c.Apartment
		if other, ok := index.Lookup(w.b(bAptByAddr), addrKey(a.Address)); ok && other != a.ID {
			return refuse("address already exists")
		}
		return overStored(w.b(bApartments), k, func(old *Apartment) error { return w.putApartment(old, a) })
	}
	return nil
}

// overStored calls put with the record stored at k in b, or nil when
// there is none: a record the fleet sends replaces the local one through
// the same put as an API write (indexes moved off the old values).
func overStored[T any](b *bolt.Bucket, k []byte, put func(old *T) error) error {
	old, err := getJSON[T](b, k)
	if errors.Is(err, ErrNotFound) {
		return put(nil)
	} else if err != nil {
		return err
	}
	return put(&old)
}

// SetFleetIDBase makes this store allocate the ids of new users,
// credentials, time profiles and apartments in [n<<32, (n+1)<<32), after
// the highest id it already holds there: n is the controller's number in
// the fleet, unique in its site.
func (s *Store) SetFleetIDBase(n uint32) error {
	if n == 0 || n >= 1<<20 {
		return fmt.Errorf("store: fleet controller number %d out of range 1..%d", n, 1<<20-1)
	}
	lo, hi := uint64(n)<<32, uint64(n+1)<<32
	return s.update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bUsers, bCreds, bTimeProfiles, bApartments} {
			b := tx.Bucket(name)
			seq := lo
			c := b.Cursor()
			k, _ := c.Seek(keys.U64(hi))
			if k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
			if id, _ := keys.ParseU64(k); k != nil && id >= lo && id < hi {
				seq = id
			}
			if b.Sequence() != seq {
				if err := b.SetSequence(seq); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// FleetRecords reports whether the store holds any user or credential
// (a cold fleet start loads in bulk only into a store without them:
// FleetLoad; the few time profiles and apartments it applies first are
// all it can have left behind).
func (s *Store) FleetRecords() (bool, error) {
	any := false
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bUsers, bCreds} {
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				any = true
			}
		}
		return nil
	})
	return any, err
}

// ForEachFleetID calls fn with the kind and id of every user, credential,
// time profile and apartment, in one read transaction.
func (s *Store) ForEachFleetID(fn func(kind ChangeKind, id uint64)) error {
	return s.view(func(tx *bolt.Tx) error {
		for kind, name := range fleetBuckets {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				id, _ := keys.ParseU64(k)
				fn(kind, id)
			}
		}
		return nil
	})
}

// FleetValue is the record of kind with id as this store holds it, in
// the bucket's form (EncodeFleet); ok is false when the store has none.
// store/fleet puts it back into the bucket in place of a write that every
// controller left out.
func (s *Store) FleetValue(kind ChangeKind, id uint64) (value []byte, ok bool, err error) {
	bucket, known := fleetBuckets[kind]
	if !known {
		return nil, false, fmt.Errorf("store: %s is not a fleet record", kind)
	}
	err = s.view(func(tx *bolt.Tx) error {
		k := keys.U64(id)
		v := tx.Bucket(bucket).Get(k)
		if v == nil {
			return nil
		}
		c, err := decodeRecord(kind, k, v)
		if kind == KindUser {
			c.siteLocks = s.siteLocksOf(tx, id) // rights.go: its bucket form
		}
		if err != nil {
			return err
		}
		value, err = EncodeFleet(&c)
		ok = err == nil
		return err
	})
	return value, ok, err
}
