package store

import (
	"fmt"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// exportPage is how many users ExportUsers reads per read transaction.
const exportPage = 1000

// ExportUsers calls fn with every user in UID order and the user's
// credentials (in id order), for an export. Users are read a page at a
// time, each page in a read transaction of its own, and fn runs outside
// any transaction: a slow reader at the other end of a network stream
// never holds a read transaction (which would keep every page a writer
// frees from reuse, and grow the file, for as long as the client takes).
// A user and its credentials are always from one snapshot; the export as
// a whole is not one point in time (a backup is). fn's error stops the
// walk and is returned.
func (s *Store) ExportUsers(fn func(u *User, creds []Credential) error) error {
	type entry struct {
		u     User
		creds []Credential
	}
	var after uint64
	first := true
	for {
		var page []entry
		err := s.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bUsers).Cursor()
			k, v := c.First()
			if !first {
				k, v = c.Seek(keys.U64(after + 1))
			}
			for ; k != nil && len(page) < exportPage; k, v = c.Next() {
				u, err := decode[User](k, v)
				if err != nil {
					return fmt.Errorf("user: %w", err)
				}
				e := entry{u: u}
				for _, id := range index.IDs(tx.Bucket(bCredByUser), keys.U64(u.UID)) {
					cr, err := getJSON[Credential](tx.Bucket(bCreds), keys.U64(id))
					if err != nil {
						return fmt.Errorf("credential %d of user %d: %w", id, u.UID, err)
					}
					e.creds = append(e.creds, cr)
				}
				page = append(page, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i].u, page[i].creds); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		first, after = false, page[len(page)-1].u.UID
		if after == ^uint64(0) {
			return nil
		}
	}
}
