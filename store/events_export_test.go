package store

import bolt "go.etcd.io/bbolt"

// OpenEventLogForTest opens an event log whose writer calls beforeWrite
// with each batch before its transaction; an error from it fails the
// batch as a disk error would, and blocking in it stalls the writer.
func OpenEventLogForTest(s *Store, opt EventOptions, beforeWrite func([]Event) error) (*EventLog, error) {
	return openEventLog(s, opt, beforeWrite)
}

// EventSpaceForTest is the bytes of pages in use by the event buckets.
func EventSpaceForTest(s *Store) (n int) {
	s.db.View(func(tx *bolt.Tx) error {
		for _, name := range eventBuckets {
			st := tx.Bucket(name).Stats()
			n += st.BranchInuse + st.LeafInuse
		}
		return nil
	})
	return n
}
