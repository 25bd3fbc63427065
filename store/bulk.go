package store

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/doord/doord/store/internal/index"
	bolt "go.etcd.io/bbolt"
)

// bulkChunk is how many records BulkLoad writes per transaction: large
// enough that fsyncs vanish, small enough that a transaction's dirty pages
// stay in the tens of megabytes on a 512 MB board.
const bulkChunk = 50000

// BulkLoad writes many users and then many credentials in large
// transactions, for generators and imports. Each record is validated and
// indexed exactly as by CreateUser/CreateCredential, except that duplicate
// names are not looked for and preset keys are honoured: a user with UID 0
// gets the next UID, written back into users[i]; a credential names its
// user by UserUID, which must exist by then (in the store or earlier in
// users). Change records are emitted for every record, chunk by chunk.
//
// It is not atomic as a whole: on error, the chunks before the failing one
// stay committed, and the error names the failing record.
func (s *Store) BulkLoad(users []User, creds []Credential) error {
	for start := 0; start < len(users); start += bulkChunk {
		end := min(start+bulkChunk, len(users))
		out := make([]User, end-start)
		err := s.write(false, func(w *wtx) error {
			w.bulk = &bulkIndex{unique: map[string]bool{}}
			for i := start; i < end; i++ {
				n := cloneUser(&users[i])
				if _, err := w.createUser(&n, users[i].CreatedBy, false); err != nil {
					return fmt.Errorf("bulk load: user %d (%q): %w", i, users[i].Name, err)
				}
				out[i-start] = n
			}
			return w.bulk.flush(w.tx)
		})
		if err != nil {
			return err
		}
		copy(users[start:end], out)
	}
	for start := 0; start < len(creds); start += bulkChunk {
		end := min(start+bulkChunk, len(creds))
		out := make([]Credential, end-start)
		err := s.write(false, func(w *wtx) error {
			w.bulk = &bulkIndex{unique: map[string]bool{}}
			for i := start; i < end; i++ {
				n := cloneCredential(&creds[i])
				if err := w.createCredential(&n); err != nil {
					return fmt.Errorf("bulk load: credential %d (%s %q): %w", i, creds[i].Type, creds[i].Value, err)
				}
				out[i-start] = n
			}
			return w.bulk.flush(w.tx)
		})
		if err != nil {
			return err
		}
		copy(creds[start:end], out)
	}
	return nil
}

// bulkIndex holds a bulk transaction's records and index entries until
// the end of the chunk. Records are then JSON-encoded on every core, and
// everything is written in key order: bbolt only splits nodes when a
// transaction commits, so thousands of random inserts (uuids, ext_ids)
// into one node shift its key array each time, while sorted inserts
// append.
type bulkIndex struct {
	records []bulkRecord
	entries []index.Entry
	unique  map[string]bool // bucket NUL key of the unique entries, for taken
}

type bulkRecord struct {
	bucket, key []byte
	v           any
	data        []byte
}

func (b *bulkIndex) add(es []index.Entry) {
	for _, e := range es {
		if e.Val != nil {
			b.unique[string(e.Bucket)+"\x00"+string(e.Key)] = true
		}
	}
	b.entries = append(b.entries, es...)
}

func (b *bulkIndex) flush(tx *bolt.Tx) error {
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(b.records); i += workers {
				r := &b.records[i]
				r.data, errs[w] = encode(r.v)
				if errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	slices.SortFunc(b.records, func(x, y bulkRecord) int {
		if c := bytes.Compare(x.bucket, y.bucket); c != 0 {
			return c
		}
		return bytes.Compare(x.key, y.key)
	})
	for _, r := range b.records {
		if err := tx.Bucket(r.bucket).Put(r.key, r.data); err != nil {
			return err
		}
	}
	byBucket := map[string][]index.Entry{}
	for _, e := range b.entries {
		byBucket[string(e.Bucket)] = append(byBucket[string(e.Bucket)], e)
	}
	for _, es := range byBucket {
		slices.SortFunc(es, func(x, y index.Entry) int { return bytes.Compare(x.Key, y.Key) })
		if err := index.Put(tx, es); err != nil {
			return err
		}
	}
	return nil
}
