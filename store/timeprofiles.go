package store

import (
	"fmt"
	"slices"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// CreateTimeProfile stores a new time profile and fills in ID and stamps.
// The store keeps profiles as given; their meaning is auth's.
func (s *Store) CreateTimeProfile(p *TimeProfile) error {
	var out TimeProfile
	err := s.write(true, func(w *wtx) error {
		n := cloneTimeProfile(p)
		var err error
		if n.ID, err = w.nextID(bTimeProfiles); err != nil {
			return err
		}
		n.CreatedAt, n.UpdatedAt = w.now, w.now
		out = n
		return w.putTimeProfile(&n)
	})
	if err == nil {
		*p = out
	}
	return err
}

func (w *wtx) putTimeProfile(p *TimeProfile) error {
	if err := w.put(bTimeProfiles, keys.U64(p.ID), p); err != nil {
		return err
	}
	c := cloneTimeProfile(p)
	return w.emit(Change{Kind: KindTimeProfile, ID: p.ID, TimeProfile: &c})
}

// GetTimeProfile reads a time profile.
func (s *Store) GetTimeProfile(id uint64) (TimeProfile, error) {
	var p TimeProfile
	err := s.view(func(tx *bolt.Tx) (err error) {
		p, err = getJSON[TimeProfile](tx.Bucket(bTimeProfiles), keys.U64(id))
		return err
	})
	return p, err
}

// ListTimeProfiles pages through time profiles in id order.
func (s *Store) ListTimeProfiles(cursor string, limit int) ([]TimeProfile, string, error) {
	return listByID[TimeProfile](s, bTimeProfiles, cursor, limit)
}

// TimeProfileRefs lists who uses profile id: the uids of the users and
// the ids of the credentials that list it, from the reverse indexes.
func (s *Store) TimeProfileRefs(id uint64) (users, creds []uint64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		k := keys.U64(id)
		if tx.Bucket(bTimeProfiles).Get(k) == nil {
			return ErrNotFound
		}
		users = index.IDs(tx.Bucket(bUserByTP), k)
		creds = index.IDs(tx.Bucket(bCredByTP), k)
		return nil
	})
	return users, creds, err
}

// UpdateTimeProfile edits a profile in one transaction (fn: as in
// UpdateUser); ID and CreatedAt are restored.
func (s *Store) UpdateTimeProfile(id uint64, fn func(*TimeProfile) error) (TimeProfile, error) {
	var out TimeProfile
	err := s.write(true, func(w *wtx) error {
		old, err := getJSON[TimeProfile](w.b(bTimeProfiles), keys.U64(id))
		if err != nil {
			return err
		}
		n := cloneTimeProfile(&old)
		if err := fn(&n); err != nil {
			return err
		}
		n.ID, n.CreatedAt, n.UpdatedAt = old.ID, old.CreatedAt, w.now
		out = n
		return w.putTimeProfile(&n)
	})
	return out, err
}

// DeleteTimeProfile deletes a profile and, in the same transaction,
// removes it from every user and credential that lists it (found through
// the reverse indexes, not a scan). Each edited user and credential gets
// its own change record.
func (s *Store) DeleteTimeProfile(id uint64) error {
	return s.write(false, func(w *wtx) error {
		k := keys.U64(id)
		if w.b(bTimeProfiles).Get(k) == nil {
			return ErrNotFound
		}
		// An empty schedule list means "no time restriction", so removing
		// someone's only profile would open doors to them at all hours.
		// Deny on doubt: refuse, and let the operator decide.
		if err := w.soleProfileOf(id, k); err != nil {
			return err
		}
		for _, uid := range index.IDs(w.b(bUserByTP), k) {
			if err := w.detachUser(uid, func(u *User) { u.TimeProfiles = without(u.TimeProfiles, id) }); err != nil {
				return err
			}
		}
		for _, cid := range index.IDs(w.b(bCredByTP), k) {
			old, err := getJSON[Credential](w.b(bCreds), keys.U64(cid))
			if err != nil {
				return err
			}
			n := cloneCredential(&old)
			n.TimeProfiles = without(n.TimeProfiles, id)
			n.UpdatedAt = w.now
			if err := w.putCredential(&old, &n); err != nil {
				return err
			}
		}
		if err := w.del(bTimeProfiles, k); err != nil {
			return err
		}
		return w.emit(Change{Kind: KindTimeProfile, ID: id, Deleted: true})
	})
}

// soleProfileOf fails with ErrInUse when profile id is the only time
// profile of any user or credential.
func (w *wtx) soleProfileOf(id uint64, k []byte) error {
	var users, creds int
	for _, uid := range index.IDs(w.b(bUserByTP), k) {
		u, err := getJSON[User](w.b(bUsers), keys.U64(uid))
		if err != nil {
			return err
		}
		// Archived users never pass a door again; they do not hold it up.
		if u.State != StateArchived && len(without(u.TimeProfiles, id)) == 0 {
			users++
		}
	}
	for _, cid := range index.IDs(w.b(bCredByTP), k) {
		c, err := getJSON[Credential](w.b(bCreds), keys.U64(cid))
		if err != nil {
			return err
		}
		if len(without(c.TimeProfiles, id)) == 0 {
			creds++
		}
	}
	if users+creds == 0 {
		return nil
	}
	return fmt.Errorf("%w: time profile %d is the only schedule of %d user(s) and %d credential(s); "+
		"deleting it would let them in at all hours, so give them another profile or detach it first", ErrInUse, id, users, creds)
}

// detachUser applies edit to a user as part of deleting something it
// refers to. Archived users are edited too: the reference must go, and
// this is the store's bookkeeping, not an update of the person.
func (w *wtx) detachUser(uid uint64, edit func(*User)) error {
	old, err := getJSON[User](w.b(bUsers), keys.U64(uid))
	if err != nil {
		return err
	}
	n := cloneUser(&old)
	edit(&n)
	n.UpdatedAt = w.now
	return w.putUser(&old, &n)
}

func without(xs []uint64, x uint64) []uint64 {
	out := slices.DeleteFunc(slices.Clone(xs), func(y uint64) bool { return y == x })
	if len(out) == 0 {
		return nil
	}
	return out
}
