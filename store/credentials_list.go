package store

import (
	"fmt"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// CredentialFilter selects credentials for ListCredentialPage. Zero
// fields do not filter.
type CredentialFilter struct {
	Cursor    string // from a previous page's next; "" = first page
	Limit     int    // default 50, at most 1000
	User      uint64 // this user's credentials
	NoUser    bool   // only credentials without a user (User must be 0)
	Apartment uint64 // bound to this apartment
}

// ListCredentialPage returns one page of credentials in id order and the
// cursor of the next page ("" when there is none). An apartment filter
// walks the apartment index, a user filter (or NoUser, user 0) the user
// index, so a filtered page costs the page, not the table; with both, the
// apartment's credentials are walked and the user checked on each. A user
// that does not exist is ErrNotFound.
func (s *Store) ListCredentialPage(f CredentialFilter) (out []Credential, next string, err error) {
	after, hasAfter, err := keys.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if f.NoUser && f.User != 0 {
		return nil, "", &InvalidError{Field: "user", Reason: "a user and no user at once"}
	}
	n := limit(f.Limit)
	byUser := f.User != 0 || f.NoUser
	err = s.view(func(tx *bolt.Tx) error {
		if f.User != 0 && tx.Bucket(bUsers).Get(keys.U64(f.User)) == nil {
			return ErrNotFound
		}
		cb := tx.Bucket(bCreds)
		var last uint64
		var werr error
		more := false
		visit := func(id uint64, raw []byte) bool {
			if len(out) == n {
				more = true
				return false
			}
			if raw == nil {
				werr = fmt.Errorf("index points to missing credential %d (run Check)", id)
				return false
			}
			c, err := decodeCredential(id, raw)
			if err != nil {
				werr = fmt.Errorf("corrupt credential %d: %w", id, err)
				return false
			}
			if byUser && c.UserUID != f.User || f.Apartment != 0 && c.Apartment != f.Apartment {
				return true
			}
			out = append(out, c)
			last = id
			return true
		}
		var ib *bolt.Bucket
		var prefix []byte
		switch {
		case f.Apartment != 0:
			ib, prefix = tx.Bucket(bCredByApt), keys.U64(f.Apartment)
		case byUser:
			ib, prefix = tx.Bucket(bCredByUser), keys.U64(f.User)
		}
		if ib != nil {
			index.Walk(ib, prefix, after, hasAfter, func(id uint64) bool {
				return visit(id, cb.Get(keys.U64(id)))
			})
		} else if !hasAfter || after != ^uint64(0) {
			c := cb.Cursor()
			k, v := c.First()
			if hasAfter {
				k, v = c.Seek(keys.U64(after + 1))
			}
			for ; k != nil; k, v = c.Next() {
				id, _ := keys.ParseU64(k)
				if !visit(id, v) {
					break
				}
			}
		}
		if werr != nil {
			return werr
		}
		if more {
			next = keys.EncodeCursor(last)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}
