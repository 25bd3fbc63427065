package store

import (
	"bytes"
	"errors"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Fleet generations (store/fleet's gen.go): a replace import in fleet
// mode writes the whole new list into a new bucket (a generation) and
// flips one pointer; every controller then loads the new generation into
// an empty stage and swaps it in with one transaction, its generation
// number and revision saved in the same one.

var kFleetGen = []byte("fleet_gen")

// FleetGen is the fleet generation this store holds (0: the first).
func (s *Store) FleetGen() (uint64, error) {
	var gen uint64
	err := s.view(func(tx *bolt.Tx) error {
		gen, _ = keys.ParseU64(tx.Bucket(bMeta).Get(kFleetGen))
		return nil
	})
	return gen, err
}

// FleetReplacer is a FleetGate that can replace the whole list at once
// (store/fleet). Import in replace mode uses it for a list larger than
// one write: it stages the new list locally as a standalone import does,
// then hands it to CommitReplace instead of swapping it in.
type FleetReplacer interface {
	// BeginReplace notes where the fleet's list is now; the replace
	// fails (ErrImportConflict) if anything is written to it before
	// CommitReplace flips to the new list. This store has applied
	// everything up to that point when it returns.
	BeginReplace() (token any, err error)
	// CommitReplace writes the list each yields as the fleet's new list;
	// once it returned without error the list is replaced, and wait
	// returns when this store holds it (after the caller released the
	// stage, which the load needs).
	CommitReplace(token any, each func(yield func(FleetOp) error) error) (wait func() error, err error)
}

// fleetStageChunk is how many records stagedFleet reads per read
// transaction. A variable for tests.
var fleetStageChunk = 10000

// stagedFleet yields the new list an import staged: the stage's users
// and credentials, the store's time profiles and apartments, in chunks
// of read transactions (the yield may wait on the network).
func (s *Store) stagedFleet(yield func(FleetOp) error) error {
	for _, kind := range []ChangeKind{KindTimeProfile, KindApartment, KindUser, KindCredential} {
		name := fleetBuckets[kind]
		var after []byte
		for first := true; first || after != nil; first = false {
			var ops []FleetOp
			err := s.view(func(tx *bolt.Tx) error {
				b := tx.Bucket(name)
				if isStaged(name) {
					if st := tx.Bucket(bImportStage); st != nil {
						b = st.Bucket(name)
					} else {
						return errors.New("store: the import's stage is gone")
					}
				}
				c := b.Cursor()
				k, v := c.First()
				if after != nil {
					if k, v = c.Seek(after); bytes.Equal(k, after) {
						k, v = c.Next()
					}
				}
				after = nil
				var last []byte
				for ; k != nil; k, v = c.Next() {
					if len(ops) == fleetStageChunk {
						after = last
						break
					}
					ch, err := decodeRecord(kind, k, v)
					if err != nil {
						return err
					}
					val, err := EncodeFleet(&ch)
					if err != nil {
						return err
					}
					ops = append(ops, FleetOp{Kind: kind, ID: ch.ID, Value: val})
					last = bytes.Clone(k)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for i := range ops {
				if err := yield(ops[i]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// decodeRecord is a stored record of kind as a Change.
func decodeRecord(kind ChangeKind, k, v []byte) (Change, error) {
	id, _ := keys.ParseU64(k)
	c := Change{Kind: kind, ID: id}
	var err error
	switch kind {
	case KindUser:
		var u User
		u, err = decode[User](k, v)
		c.User = &u
	case KindCredential:
		var x Credential
		x, err = decode[Credential](k, v)
		c.Credential = &x
	case KindTimeProfile:
		var p TimeProfile
		p, err = decode[TimeProfile](k, v)
		c.TimeProfile = &p
	case KindApartment:
		var a Apartment
		a, err = decode[Apartment](k, v)
		c.Apartment = &a
	}
	return c, err
}

// FleetReplace loads a fleet generation into an empty stage (users and
// credentials, in transactions of the caller's chunks) and swaps it in
// with one transaction (Commit): the doors and lists go from the old list
// to the new one at once. Nothing is visible before Commit; Abort drops
// the stage. One at a time (it holds the import lock).
type FleetReplace struct {
	s       *Store
	small   []FleetOp // time profiles and apartments: applied in the swap
	refused int
	open    bool
}

// BeginFleetReplace opens an empty stage for a generation.
func (s *Store) BeginFleetReplace() (*FleetReplace, error) {
	s.importMu.Lock()
	if _, err := s.openStage(0); err != nil {
		s.importMu.Unlock()
		return nil, err
	}
	// The stage keeps the id sequences: ids this controller allocates
	// go on after the ones it already gave.
	err := s.stageWrite(func(w *wtx) error {
		for _, name := range stagedBuckets {
			if err := w.stage.Bucket(name).SetSequence(w.tx.Bucket(name).Sequence()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.dropStage()
		s.importMu.Unlock()
		return nil, err
	}
	return &FleetReplace{s: s, open: true}, nil
}

// Add puts ops (the generation's records, in revision order) into the
// stage; a record the store cannot take (a unique value held twice in
// the generation) is left out, as ApplyFleet does, on every controller
// alike.
func (r *FleetReplace) Add(ops []FleetOp) error {
	var big []FleetOp
	for _, op := range ops {
		if op.Deleted {
			continue
		}
		if op.Kind == KindUser || op.Kind == KindCredential {
			big = append(big, op)
		} else if _, ok := fleetBuckets[op.Kind]; ok {
			r.small = append(r.small, op)
		}
	}
	if len(big) == 0 {
		return nil
	}
	return r.s.stageWrite(func(w *wtx) error {
		for i := range big {
			if err := w.applyFleet(&big[i]); err != nil {
				var ce *FleetConflictError
				if !errors.As(err, &ce) {
					return err
				}
				r.refused++
			}
		}
		return nil
	})
}

// Refused is how many records Add left out.
func (r *FleetReplace) Refused() int { return r.refused }

// Commit swaps the stage in, replaces the time profiles and apartments
// with the generation's, and saves gen and rev, in one transaction.
func (r *FleetReplace) Commit(gen, rev uint64) error {
	if !r.open {
		return errors.New("store: the fleet replace is over")
	}
	s := r.s
	defer r.Abort()
	err := s.writeLocal(false, func(w *wtx) error {
		tx := w.tx
		st := tx.Bucket(bImportStage)
		if st == nil {
			return errors.New("store: the fleet replace's stage is gone")
		}
		for _, name := range stagedBuckets {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if err := tx.MoveBucket(name, st, nil); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bImportStage); err != nil {
			return err
		}
		keep := map[[2]uint64]bool{}
		kindNo := map[ChangeKind]uint64{KindTimeProfile: 1, KindApartment: 2}
		for _, op := range r.small {
			keep[[2]uint64{kindNo[op.Kind], op.ID}] = true
		}
		for _, kind := range []ChangeKind{KindTimeProfile, KindApartment} {
			var gone []uint64
			c := tx.Bucket(fleetBuckets[kind]).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if id, _ := keys.ParseU64(k); !keep[[2]uint64{kindNo[kind], id}] {
					gone = append(gone, id)
				}
			}
			for _, id := range gone {
				if err := w.applyFleet(&FleetOp{Kind: kind, ID: id, Deleted: true}); err != nil {
					return err
				}
			}
		}
		for i := range r.small {
			if err := w.applyFleet(&r.small[i]); err != nil {
				var ce *FleetConflictError
				if !errors.As(err, &ce) {
					return err
				}
				r.refused++
			}
		}
		if err := w.putRaw(bMeta, kFleetGen, keys.U64(gen)); err != nil {
			return err
		}
		if err := w.putRaw(bMeta, kFleetRev, keys.U64(rev)); err != nil {
			return err
		}
		s.stage.Store(nil)
		return w.emit(Change{Kind: KindUser, Reset: true})
	})
	return err
}

// Abort drops the stage (after Commit: nothing left to drop).
func (r *FleetReplace) Abort() {
	if !r.open {
		return
	}
	r.open = false
	r.s.dropStage()
	r.s.importMu.Unlock()
}
