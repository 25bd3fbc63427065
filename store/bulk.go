package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bulkChunk is how many records BulkLoad writes per transaction: large
// enough that fsyncs vanish, small enough that a transaction's dirty pages
// stay in the tens of megabytes on a 512 MB board.
const bulkChunk = 20000

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
			setFill(w.tx, bUsers)
			for i := start; i < end; i++ {
				n := cloneUser(&users[i])
				if _, err := w.createUser(&n, users[i].CreatedBy, false); err != nil {
					return fmt.Errorf("bulk load: user %d (%q): %w", i, users[i].Name, err)
				}
				out[i-start] = n
			}
			return nil
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
			setFill(w.tx, bCreds)
			for i := start; i < end; i++ {
				n := cloneCredential(&creds[i])
				if err := w.createCredential(&n); err != nil {
					return fmt.Errorf("bulk load: credential %d (%s %q): %w", i, creds[i].Type, creds[i].Value, err)
				}
				out[i-start] = n
			}
			return nil
		})
		if err != nil {
			return err
		}
		copy(creds[start:end], out)
	}
	return nil
}

// setFill packs append-only buckets densely: keys arrive in increasing
// order, so bbolt's default half-full split would waste half of each page.
// FillPercent lives on the transaction's bucket handle, so it only affects
// this load.
func setFill(tx *bolt.Tx, name []byte) { tx.Bucket(name).FillPercent = 0.95 }
