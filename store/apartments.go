package store

import (
	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

func addrKey(a Address) []byte { return keys.Addr(a.Building, a.Unit, a.Floor, a.Room) }

func aptEntries(a *Apartment) []index.Entry {
	return []index.Entry{{Bucket: bAptByAddr, Key: addrKey(a.Address), Val: keys.U64(a.ID)}}
}

// CreateApartment stores a new apartment and fills in ID and stamps. Its
// address must be unused: ConflictError{"address"}.
func (s *Store) CreateApartment(a *Apartment) error {
	var out Apartment
	err := s.write(true, func(w *wtx) error {
		n := *a
		if w.b(bAptByAddr).Get(addrKey(n.Address)) != nil {
			return &ConflictError{Field: "address"}
		}
		var err error
		if n.ID, err = w.nextID(bApartments); err != nil {
			return err
		}
		n.CreatedAt, n.UpdatedAt = w.now, w.now
		out = n
		return w.putApartment(nil, &n)
	})
	if err == nil {
		*a = out
	}
	return err
}

func (w *wtx) putApartment(old, a *Apartment) error {
	if err := w.put(bApartments, keys.U64(a.ID), a); err != nil {
		return err
	}
	var oldEntries []index.Entry
	if old != nil {
		oldEntries = aptEntries(old)
	}
	if err := w.index(oldEntries, aptEntries(a)); err != nil {
		return err
	}
	c := *a
	return w.emit(Change{Kind: KindApartment, ID: a.ID, Apartment: &c})
}

// GetApartment reads an apartment.
func (s *Store) GetApartment(id uint64) (Apartment, error) {
	var a Apartment
	err := s.view(func(tx *bolt.Tx) (err error) {
		a, err = getJSON[Apartment](tx.Bucket(bApartments), keys.U64(id))
		return err
	})
	return a, err
}

// ListApartments pages through apartments in id order.
func (s *Store) ListApartments(cursor string, limit int) ([]Apartment, string, error) {
	return listByID[Apartment](s, bApartments, cursor, limit)
}

// UpdateApartment edits an apartment in one transaction (fn: as in
// UpdateUser); ID and CreatedAt are restored, a changed address must be
// unused.
func (s *Store) UpdateApartment(id uint64, fn func(*Apartment) error) (Apartment, error) {
	var out Apartment
	err := s.write(true, func(w *wtx) error {
		old, err := getJSON[Apartment](w.b(bApartments), keys.U64(id))
		if err != nil {
			return err
		}
		n := old
		if err := fn(&n); err != nil {
			return err
		}
		n.ID, n.CreatedAt, n.UpdatedAt = old.ID, old.CreatedAt, w.now
		if n.Address != old.Address {
			if other, ok := index.Lookup(w.b(bAptByAddr), addrKey(n.Address)); ok && other != id {
				return &ConflictError{Field: "address"}
			}
		}
		out = n
		return w.putApartment(&old, &n)
	})
	return out, err
}

// DeleteApartment deletes an apartment and removes it from its residents'
// Apartments lists and from the credentials bound to it (their Apartment
// becomes 0) in the same transaction; each edited user and credential
// gets its own change record.
func (s *Store) DeleteApartment(id uint64) error {
	return s.write(false, func(w *wtx) error {
		k := keys.U64(id)
		a, err := getJSON[Apartment](w.b(bApartments), k)
		if err != nil {
			return err
		}
		for _, uid := range index.IDs(w.b(bUserByApt), k) {
			if err := w.detachUser(uid, func(u *User) { u.Apartments = without(u.Apartments, id) }); err != nil {
				return err
			}
		}
		for _, cid := range index.IDs(w.b(bCredByApt), k) {
			old, err := getJSON[Credential](w.b(bCreds), keys.U64(cid))
			if err != nil {
				return err
			}
			n := cloneCredential(&old)
			n.Apartment = 0
			n.UpdatedAt = w.now
			if err := w.putCredential(&old, &n); err != nil {
				return err
			}
		}
		if err := w.del(bApartments, k); err != nil {
			return err
		}
		if err := w.index(aptEntries(&a), nil); err != nil {
			return err
		}
		return w.emit(Change{Kind: KindApartment, ID: id, Deleted: true})
	})
}

// ApartmentResidents returns the UIDs of the users that list the
// apartment, in UID order.
func (s *Store) ApartmentResidents(id uint64) ([]uint64, error) {
	var uids []uint64
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bApartments).Get(keys.U64(id)) == nil {
			return ErrNotFound
		}
		uids = index.IDs(tx.Bucket(bUserByApt), keys.U64(id))
		return nil
	})
	return uids, err
}
