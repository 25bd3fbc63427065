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

// UserPostingsForTest lists the keys of the user postings (uuid or "#uid"
// and the seq), and PutLegacyUserPostingForTest adds the uuid posting
// that events with a uid had before.
func UserPostingsForTest(s *Store) (ks []string) {
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bEventsByUser).ForEach(func(k, _ []byte) error {
			ks = append(ks, string(k[1:len(k)-8]))
			return nil
		})
	})
	return ks
}

func PutLegacyUserPostingForTest(s *Store, userID string, seq uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bEventsByUser).Put(appendPosting(nil, "", userID, seq), nil)
	})
}
