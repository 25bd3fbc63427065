package store

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// A large import (more rows and removals than one transaction should
// hold on a 512 MB board: importChunk) is staged and swapped in, so that
// it is all-or-nothing at any size:
//
//  1. A top-level bucket, the stage, gets a copy of every bucket that
//     holds users and credentials (stagedBuckets: records and indexes,
//     with their sequences), in transactions of stageCopyChunk keys,
//     each key in order (bbolt appends). An import into an empty store
//     copies nothing.
//  2. The import is written into the stage by the same code as a live
//     write (wtx.stage redirects those buckets), in transactions of
//     importChunk rows. Nothing of it is visible: readers and the doors
//     see the live buckets, and a staged write emits no change records.
//  3. One transaction swaps it in: each live bucket is deleted (its
//     pages are freed, not rewritten) and the stage's moved to the top
//     level in its place (bbolt's MoveBucket). It emits one change
//     record, Change.Reset: each Follower (the access engine, the user
//     cache, the BAS-IP lists) is resynced from a snapshot that holds
//     the swap, deciding on its old state until its new one is loaded,
//     then switching at once. Import returns after that.
//
// A failure before the swap (disk full, a bad row found while writing, a
// crash) leaves the live buckets as they were; the stage is deleted
// (after a crash, by the next large import). Other writers are not
// blocked: each stage transaction is as short as a chunk. But what they
// change in the users and credentials meanwhile would be lost by the
// swap, so the stage watches the commits (collect): a pass spent on a
// limited credential (UsePass) is carried into the stage at the swap; any
// other change of a user, credential, time profile or apartment makes
// the import fail with ErrImportConflict, nothing written.
//
// Cost: the file holds the old and the new list until the swap (about
// 800 bytes of pages per user with a card and a PIN; the old pages are
// free for reuse after it), a copy of the old list takes a few seconds
// per million users, and memory stays at one chunk's dirty pages.

// bImportStage is the stage's top-level bucket; its sub-buckets are
// named as the live ones.
var bImportStage = []byte("import_stage")

// stagedBuckets are the buckets a stage holds: every bucket whose
// records or index entries a user's or credential's write touches.
// The door rights (rights.go) are staged with them when the store has
// them: a user's locks here are derived from its rights, and a fleet's
// new list carries the rights (fleetgen.go). A bucket the store does not
// have (the rights, in a store that never used them) is not staged.
var stagedBuckets = [][]byte{
	bUsers, bUserByID, bUserByExtID, bUserByName, bUserByState, bUserByTag, bUserByApt, bUserByTP,
	bCreds, bCredByValue, bCredByUser, bCredByTP, bCredByApt, bRights,
}

func isStaged(name []byte) bool {
	for _, b := range stagedBuckets {
		if bytes.Equal(b, name) {
			return true
		}
	}
	return false
}

// stageCopyChunk is how many keys one transaction copies into the stage.
var stageCopyChunk = 200000

// ErrImportConflict: the users or credentials were changed by another
// writer while a large import was staged; nothing was written.
var ErrImportConflict = errors.New("users, credentials, time profiles or apartments were changed by another writer during the import; nothing was written: run the import again")

// maxStageSpent bounds the passes spent during one staged import that
// are carried into the stage; past it the import fails with
// ErrImportConflict.
const maxStageSpent = 1 << 16

// stageWatch is what other writers committed while a stage was open. It
// is written by collect and read by the swap, both under bbolt's writer
// lock.
type stageWatch struct {
	conflict bool
	spent    []uint64 // credentials a UsePass changed
}

// note looks at a commit's records (in its write transaction).
func (sw *stageWatch) note(recs []Change) {
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Kind == KindCredential && r.PassSpent && !r.Deleted:
			if len(sw.spent) >= maxStageSpent {
				sw.conflict = true
			} else {
				sw.spent = append(sw.spent, r.ID)
			}
		case r.Kind == KindUser, r.Kind == KindCredential, r.Kind == KindTimeProfile, r.Kind == KindApartment, r.Kind == KindRight:
			sw.conflict = true
		}
	}
}

// openStage makes an empty stage (dropping one a crash left) and starts
// watching; seq is the store's seq it expects (the validation's), and
// same reports whether it still was.
func (s *Store) openStage(seq uint64) (same bool, err error) {
	err = s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bImportStage) != nil {
			if err := tx.DeleteBucket(bImportStage); err != nil {
				return err
			}
		}
		st, err := tx.CreateBucket(bImportStage)
		if err != nil {
			return err
		}
		if s.rightsConfig() != nil {
			if _, err := tx.CreateBucketIfNotExists(bRights); err != nil {
				return err
			}
		}
		for _, name := range stagedBuckets {
			if tx.Bucket(name) == nil {
				continue // not staged (above)
			}
			if _, err := st.CreateBucket(name); err != nil {
				return err
			}
		}
		same = storeSeq(tx) == seq
		s.stage.Store(&stageWatch{})
		return nil
	})
	return same, diskFull(err)
}

// dropStage deletes the stage and stops watching.
func (s *Store) dropStage() {
	s.update(func(tx *bolt.Tx) error {
		s.stage.Store(nil)
		if tx.Bucket(bImportStage) == nil {
			return nil
		}
		return tx.DeleteBucket(bImportStage)
	})
	s.stage.Store(nil) // also when the update could not run
}

// copyToStage copies every staged bucket's keys and sequence into the
// stage, stageCopyChunk keys per transaction.
func (s *Store) copyToStage(progress func(n int)) error {
	for _, name := range stagedBuckets {
		var after []byte
		for first := true; first || after != nil; first = false {
			n := 0
			err := s.update(func(tx *bolt.Tx) error {
				st := tx.Bucket(bImportStage)
				if st == nil {
					return errors.New("store: the import's stage is gone")
				}
				src, dst := tx.Bucket(name), st.Bucket(name)
				if src == nil || dst == nil {
					return nil // not staged (openStage)
				}
				dst.FillPercent = 1.0 // keys arrive in order
				if first {
					if err := dst.SetSequence(src.Sequence()); err != nil {
						return err
					}
				}
				c := src.Cursor()
				k, v := c.First()
				if after != nil {
					if k, v = c.Seek(after); bytes.Equal(k, after) {
						k, v = c.Next()
					}
				}
				var last []byte
				for ; k != nil && n < stageCopyChunk; k, v = c.Next() {
					if v == nil {
						return fmt.Errorf("store: %s holds a bucket, which an import cannot stage", name)
					}
					if err := dst.Put(k, v); err != nil {
						return err
					}
					last, n = k, n+1
				}
				after = nil
				if k != nil {
					after = bytes.Clone(last)
				}
				return nil
			})
			if err != nil {
				return diskFull(err)
			}
			progress(n)
		}
	}
	return nil
}

// stageWrite runs fn in a write transaction of its own with the stage's
// buckets in place of the live ones; nothing it writes is published.
func (s *Store) stageWrite(fn func(w *wtx) error) error {
	err := s.update(func(tx *bolt.Tx) error {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		st := tx.Bucket(bImportStage)
		if st == nil {
			return errors.New("store: the import's stage is gone")
		}
		w := &wtx{s: s, tx: tx, now: time.Now().UTC(), duress: s.duress, stage: st}
		for _, name := range appendOnly {
			w.b(name).FillPercent = 0.9
		}
		return fn(w)
	})
	return diskFull(err)
}

// stageView runs fn in a read transaction with the stage's buckets in
// place of the live ones.
func (s *Store) stageView(fn func(w *wtx) error) error {
	return s.view(func(tx *bolt.Tx) error {
		st := tx.Bucket(bImportStage)
		if st == nil {
			return errors.New("store: the import's stage is gone")
		}
		return fn(&wtx{s: s, tx: tx, now: time.Now().UTC(), duress: s.duress, stage: st})
	})
}

// swapStage puts the stage in place of the live buckets in one
// transaction (see above) and returns the seq of its Reset record.
func (s *Store) swapStage() (uint64, error) { return s.swapStageWith(s.write, nil) }

// swapStageWith is swapStage through write (a fleet's cold load commits
// with writeLocal: its records are the fleet's already), running also,
// when set, in the swap's transaction after it.
func (s *Store) swapStageWith(write func(batch bool, fn func(w *wtx) error) error, also func(w *wtx) error) (uint64, error) {
	var seq uint64
	err := write(false, func(w *wtx) error {
		sw := s.stage.Load()
		if sw == nil || sw.conflict {
			return ErrImportConflict
		}
		tx := w.tx
		st := tx.Bucket(bImportStage)
		// Passes spent meanwhile: the import changed no stored
		// credential but by deleting it, so the live record is the one
		// to keep, and a spend does not move its index entries. (Read
		// before the swap, written after it: MoveBucket moves a bucket
		// as last committed, without this transaction's edits.)
		spent := make(map[uint64][]byte, len(sw.spent))
		for _, id := range sw.spent {
			if v := tx.Bucket(bCreds).Get(keys.U64(id)); v != nil {
				spent[id] = bytes.Clone(v)
			}
		}
		for _, name := range stagedBuckets {
			if st.Bucket(name) == nil {
				continue // not staged (openStage)
			}
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("store: swap %s: %w", name, err)
			}
			if err := tx.MoveBucket(name, st, nil); err != nil {
				return fmt.Errorf("store: swap %s: %w", name, err)
			}
		}
		for id, v := range spent {
			k := keys.U64(id)
			if tx.Bucket(bCreds).Get(k) == nil {
				continue // the import deleted it
			}
			if err := tx.Bucket(bCreds).Put(k, v); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bImportStage); err != nil {
			return err
		}
		s.stage.Store(nil)
		if also != nil {
			if err := also(w); err != nil {
				return err
			}
		}
		if err := w.emit(Change{Kind: KindUser, Reset: true}); err != nil {
			return err
		}
		seq = w.seq
		return nil
	})
	return seq, err
}
