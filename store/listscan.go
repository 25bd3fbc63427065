package store

import (
	"fmt"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// Start-up for the list index (store/listing), as access.go is for the
// door engine: the lists need a few display fields of every user and
// credential, which ScanLists reads with the same small scanner on every
// core instead of decoding each record in full (encoding/json: several
// seconds at a million). A record the scanner does not fully understand
// is decoded the slow way (TestScanListsMatchesDecode).

// ListUser is the part of a user the lists sort and filter on.
type ListUser struct {
	UID        uint64
	Name, Info string
	// What the people search matches besides Name and Info. ExtID only
	// when it was given (not the id it defaults to).
	FirstName, LastName, Email, Phone, ExtID string
	State                                    UserState
	Locks                                    Locks
	CustomAccess                             bool
}

// ListCredential is the part of a credential the lists sort and filter
// on. Value is kept for every type: the list index decides what of it
// to keep (it keeps no PIN).
type ListCredential struct {
	ID, UserUID uint64
	Type        CredentialType
	Value       string
	Owner       Owner
	OwnerName   string
	Locks       Locks
}

// UserList is u's list fields.
func UserList(u *User) ListUser {
	return ListUser{UID: u.UID, Name: u.Name, Info: u.Info, State: u.State, Locks: u.Locks, CustomAccess: u.CustomAccess,
		FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, Phone: u.Phone, ExtID: omitDefault(u.ExtID, u.ID)}
}

// CredentialList is c's list fields.
func CredentialList(c *Credential) ListCredential {
	return ListCredential{ID: c.ID, UserUID: c.UserUID, Type: c.Type, Value: c.Value, Owner: c.Owner,
		OwnerName: c.OwnerName, Locks: c.Locks}
}

// ListVisitor receives ScanLists's records, as AccessVisitor does
// ScanAccess's: calls never overlap, kinds come in the order of the
// fields, records within a kind in no particular order; pointers are
// valid only during the call; a callback's error stops the scan.
type ListVisitor struct {
	// Bounds gets upper bounds of each kind's record count before the
	// first record: the buckets' sequences (the highest id given out;
	// ids are never reused). Counting the records instead would walk
	// every page first.
	Bounds     func(users, credentials, apartments, profiles int)
	Profile    func(*TimeProfile) error
	Apartment  func(*Apartment) error
	User       func(*ListUser) error
	Credential func(*ListCredential) error
}

// ScanLists reads every time profile, apartment, user and credential's
// list fields in one read transaction and returns that snapshot's
// sequence number (see ScanAccess).
func (s *Store) ScanLists(v ListVisitor) (seq uint64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		seq, _ = keys.ParseU64(tx.Bucket(bMeta).Get(kSeq))
		if v.Bounds != nil {
			v.Bounds(int(tx.Bucket(bUsers).Sequence()), int(tx.Bucket(bCreds).Sequence()),
				int(tx.Bucket(bApartments).Sequence()), int(tx.Bucket(bTimeProfiles).Sequence()))
		}
		if v.Profile != nil {
			if err := forEachDecoded(tx.Bucket(bTimeProfiles), "time profile", v.Profile); err != nil {
				return err
			}
		}
		if v.Apartment != nil {
			if err := forEachDecoded(tx.Bucket(bApartments), "apartment", v.Apartment); err != nil {
				return err
			}
		}
		if v.User != nil {
			err := scanUsers(s, tx, v.User, func(data []byte, u *ListUser, uid uint64) bool {
				ok := scanListUser(data, u)
				u.UID = uid
				return ok
			}, UserList)
			if err != nil {
				return err
			}
		}
		if v.Credential != nil {
			return scanCredentials(s, tx, v.Credential, func(data []byte, c *ListCredential, id uint64) bool {
				ok := scanListCredential(data, c)
				c.ID = id
				return ok
			}, CredentialList)
		}
		return nil
	})
	return seq, err
}

func forEachDecoded[T any](b *bolt.Bucket, what string, fn func(*T) error) error {
	return b.ForEach(func(k, data []byte) error {
		v, err := decode[T](k, data)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return fn(&v)
	})
}

// scanListUser fills u as decodeUser would (a missing state is
// disabled), or reports false.
func scanListUser(data []byte, u *ListUser) bool {
	if !isJSONRecord(data) {
		return scanListUserBinary(data, u)
	}
	u.State = StateDisabled
	return scanObject(data, func(key []byte, s *jscan) bool {
		switch string(key) {
		case "n":
			return s.text(&u.Name)
		case "in":
			return s.text(&u.Info)
		case "fn":
			return s.text(&u.FirstName)
		case "ln":
			return s.text(&u.LastName)
		case "e":
			return s.text(&u.Email)
		case "ph":
			return s.text(&u.Phone)
		case "x":
			return s.text(&u.ExtID)
		case "s":
			var st string
			if !s.text(&st) {
				return false
			}
			switch st {
			case "active":
				u.State = StateActive
			case "disabled":
				u.State = StateDisabled
			case "archived":
				u.State = StateArchived
			default:
				u.State = UserState(st)
			}
			if u.State == "" {
				u.State = StateDisabled
			}
		case "l":
			l, ok := s.locks()
			u.Locks = l
			return ok
		case "c":
			return s.boolean(&u.CustomAccess)
		default:
			return s.skip()
		}
		return true
	})
}

// scanListCredential is scanListUser for credentials (a missing owner is
// the owner).
func scanListCredential(data []byte, c *ListCredential) bool {
	if !isJSONRecord(data) {
		return scanListCredentialBinary(data, c)
	}
	c.Owner = OwnerOwner
	return scanObject(data, func(key []byte, s *jscan) bool {
		switch string(key) {
		case "u":
			return s.u64(&c.UserUID)
		case "t":
			var t string
			if !s.text(&t) {
				return false
			}
			switch t {
			case "card":
				c.Type = CredCard
			case "pin":
				c.Type = CredPIN
			default:
				c.Type = CredentialType(t)
			}
		case "v":
			return s.text(&c.Value)
		case "o":
			var o string
			if !s.text(&o) {
				return false
			}
			switch o {
			case "", "owner":
				c.Owner = OwnerOwner
			case "guest":
				c.Owner = OwnerGuest
			default:
				c.Owner = Owner(o)
			}
		case "on":
			return s.text(&c.OwnerName)
		case "l":
			l, ok := s.locks()
			c.Locks = l
			return ok
		default:
			return s.skip()
		}
		return true
	})
}

// text reads a plain string (no escapes) into dst.
func (s *jscan) text(dst *string) bool {
	b, ok := s.str()
	if ok {
		*dst = string(b)
	}
	return ok
}

// EncodeCursor and DecodeCursor are the lists' opaque cursors (the last
// id of a page), for lists answered outside the store (the people search
// answers from store/listing with the same cursors as ListUsers).
func EncodeCursor(id uint64) string { return keys.EncodeCursor(id) }

// DecodeCursor: see EncodeCursor; "" is the start (ok false), a cursor
// the store did not issue is ErrBadCursor.
func DecodeCursor(c string) (id uint64, ok bool, err error) { return keys.DecodeCursor(c) }
