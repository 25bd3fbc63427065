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
// (store/fleet). Import (merge or replace) uses it for a file larger
// than one write: it stages the new list locally as a standalone import
// does, then hands it to CommitReplace instead of swapping it in.
type FleetReplacer interface {
	// BeginReplace notes where the fleet's list is now; the replace
	// fails (ErrImportConflict) if anything is written to it before
	// CommitReplace flips to the new list. This store has applied
	// everything up to that point when it returns.
	BeginReplace() (token any, err error)
	// CommitReplace writes the list each yields as the fleet's new list;
	// once it returned without error the list is replaced, and wait
	// (called after the caller released the stage, which the load
	// needs) returns true when this store holds it, false when it gave
	// up waiting for a load still under way (the import says Loading).
	CommitReplace(token any, each func(yield func(FleetOp) error) error) (wait func() (loaded bool), err error)
}

// fleetStageChunk is how many records stagedFleet reads per read
// transaction. A variable for tests.
var fleetStageChunk = 10000

// stagedFleet yields the new list an import staged: the stage's users
// and credentials, the store's time profiles and apartments, and with
// door rights (rights.go) the stage's rights (of this controller's
// groups, and the ones the import wrote in others) with each user's
// record in the bucket's form (its site-wide grant), in chunks of read
// transactions (the yield may wait on the network). The rights of other
// groups that the import did not write are the fleet's to carry over
// (store/fleet's CommitReplace).
func (s *Store) stagedFleet(yield func(FleetOp) error) error {
	for _, kind := range []ChangeKind{KindTimeProfile, KindApartment, KindUser, KindCredential, KindRight} {
		if kind == KindRight && s.rightsConfig() == nil {
			continue
		}
		name, ok := fleetBuckets[kind]
		if !ok {
			name = bRights
		}
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
				if b == nil {
					return nil // no rights staged
				}
				var stRights *bolt.Bucket // the users' site-wide grants
				if st := tx.Bucket(bImportStage); st != nil {
					stRights = st.Bucket(bRights)
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
					last = bytes.Clone(k)
					if kind == KindRight {
						uid, g := splitRightKey(k)
						if g == "" {
							continue // the site-wide grant: in the user's record
						}
						val, err := encodeRight(&Right{Locks: Locks(v)})
						if err != nil {
							return err
						}
						ops = append(ops, FleetOp{Kind: KindRight, ID: uid, Group: g, Value: val})
						continue
					}
					ch, err := decodeRecord(kind, k, v)
					if err != nil {
						return err
					}
					if kind == KindUser && s.rightsConfig() != nil {
						ch.siteLocks = LocksNone
						if l := userRights(stRights, ch.ID)[""]; l != "" {
							ch.siteLocks = l
						}
					}
					val, err := EncodeFleet(&ch)
					if err != nil {
						return err
					}
					ops = append(ops, FleetOp{Kind: kind, ID: ch.ID, Value: val})
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

// BeginFleetReplace opens a load of a fleet generation (store/fleet's
// gen.go) in place of the list the store holds: a FleetLoad into an
// empty stage that keeps the store's id sequences (ids this controller
// allocates go on after the ones it already gave). Its Add stages the
// generation's rights of this controller's groups (before the users:
// their locks here are derived from them), users and credentials, and
// keeps its time profiles and apartments for the swap; Commit swaps the
// stage in, replaces the time profiles and apartments, and saves the
// generation and revision, in one transaction: the doors and lists go
// from the old list to the new one at once.
func (s *Store) BeginFleetReplace() (*FleetLoad, error) {
	s.importMu.Lock()
	if _, err := s.openStage(0); err != nil {
		s.importMu.Unlock()
		return nil, err
	}
	err := s.stageWrite(func(w *wtx) error {
		for _, name := range stagedBuckets {
			if b := w.stage.Bucket(name); b != nil {
				if err := b.SetSequence(w.tx.Bucket(name).Sequence()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		s.dropStage()
		s.importMu.Unlock()
		return nil, err
	}
	return &FleetLoad{s: s, replace: true}, nil
}

// replaceSmall, in a replace's swap, makes the store's time profiles and
// apartments the generation's (l.small).
func (l *FleetLoad) replaceSmall(w *wtx) error {
	keep := map[[2]uint64]bool{}
	kindNo := map[ChangeKind]uint64{KindTimeProfile: 1, KindApartment: 2}
	for _, op := range l.small {
		keep[[2]uint64{kindNo[op.Kind], op.ID}] = true
	}
	for _, kind := range []ChangeKind{KindTimeProfile, KindApartment} {
		var gone []uint64
		c := w.tx.Bucket(fleetBuckets[kind]).Cursor()
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
	for i := range l.small {
		if err := w.applyFleet(&l.small[i]); err != nil {
			var ce *FleetConflictError
			if !errors.As(err, &ce) {
				return err
			}
			l.Refused++
		}
	}
	return nil
}
