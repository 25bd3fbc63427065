package store

import bolt "go.etcd.io/bbolt"

// SessionCount is how many operator sessions are stored (expired ones
// until the purge deletes them). It walks the sessions bucket's pages
// only: a few per operator, whatever the number of users (metrics).
func (s *Store) SessionCount() (int, error) {
	var n int
	err := s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bSessions).Stats().KeyN
		return nil
	})
	return n, err
}
