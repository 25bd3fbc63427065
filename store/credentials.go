package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// UnlimitedPasses is what UsePass reports for a credential without a pass
// limit (MaxPasses 0); its record is not changed.
const UnlimitedPasses = ^uint32(0)

// valueKey is the unique key of a credential: a value is unique within
// its type (a card number among cards, a PIN among PINs), so the type is
// part of the key. A card bound to a format has the format after a 0 byte:
// its key sorts right after the same number's plain key and before any
// longer number, so every key of one card number is one contiguous run
// (checkValueConflict walks it). Keys of records written before formats
// existed are plain keys: they need no migration.
func valueKey(t CredentialType, value, format string) []byte {
	k := append(keys.Str(string(t)), value...)
	if format != "" {
		k = append(append(k, 0), format...)
	}
	return k
}

// checkValueConflict is the uniqueness rule of a credential's value,
// against every other credential (c.ID is c's own id, 0 before it has
// one). Beyond an exact (type, value, format) match:
//
//   - cards: a plain number matches a frame of any format, so it conflicts
//     with a card of the same number bound to any format, and such a card
//     with the plain number; cards of one number in two different formats
//     are two different cards and coexist. So at most one credential
//     matches any frame.
//   - PINs, with duress on: a PIN that is another PIN's duress PIN, or
//     whose duress PIN is another PIN, is refused: at the keypad the two
//     could not be told apart (the real PIN would win and the duress alarm
//     would never sound, or the other way round).
func (w *wtx) checkValueConflict(c *Credential) error {
	return w.valueConflict(c, func(id uint64) bool { return id != c.ID })
}

// valueConflict is checkValueConflict's rule with "another credential"
// decided by other (an import also passes over the credentials it is
// about to delete).
func (w *wtx) valueConflict(c *Credential, other func(id uint64) bool) error {
	b := w.b(bCredByValue)
	heldByOther := func(k []byte) bool {
		id, ok := index.Lookup(b, k)
		return ok && other(id)
	}
	if heldByOther(valueKey(c.Type, c.Value, c.Format)) {
		return &ConflictError{Field: "value"}
	}
	switch c.Type {
	case CredCard:
		if c.Format != "" {
			if heldByOther(valueKey(CredCard, c.Value, "")) {
				return &ConflictError{Field: "value", Reason: ReasonCardPlainHeld}
			}
			return nil
		}
		bound := append(valueKey(CredCard, c.Value, ""), 0)
		cur := b.Cursor()
		for k, v := cur.Seek(bound); k != nil && bytes.HasPrefix(k, bound); k, v = cur.Next() {
			if id, _ := keys.ParseU64(v); other(id) {
				return &ConflictError{Field: "value", Reason: ReasonCardFormatHeld}
			}
		}
	case CredPIN:
		if w.duress == 0 {
			return nil
		}
		if d, ok := duressPIN(c.Value, w.duress); ok && heldByOther(valueKey(CredPIN, d, "")) {
			return &ConflictError{Field: "value", Reason: ReasonDuressIsOther}
		}
		if o, ok := duressPIN(c.Value, 10-w.duress); ok && heldByOther(valueKey(CredPIN, o, "")) {
			return &ConflictError{Field: "value", Reason: ReasonDuressOfOther}
		}
	}
	return nil
}

// duressPIN is pin with offset added to its last digit, mod 10 (the access
// engine's duress PIN; offset 10-n undoes offset n).
func duressPIN(pin string, offset uint8) (string, bool) {
	n := len(pin)
	if n == 0 || pin[n-1] < '0' || pin[n-1] > '9' {
		return "", false
	}
	return pin[:n-1] + string(rune('0'+(pin[n-1]-'0'+offset)%10)), true
}

func credEntries(c *Credential) []index.Entry {
	id := keys.U64(c.ID)
	es := make([]index.Entry, 0, 3+len(c.TimeProfiles))
	// A credential without a user is posted under user 0: the list of
	// credentials without a user is a walk of that prefix.
	es = append(es,
		index.Entry{Bucket: bCredByValue, Key: valueKey(c.Type, c.Value, c.Format), Val: id},
		index.Entry{Bucket: bCredByUser, Key: keys.Posting(keys.U64(c.UserUID), c.ID)},
	)
	if c.Apartment != 0 {
		es = append(es, index.Entry{Bucket: bCredByApt, Key: keys.Posting(keys.U64(c.Apartment), c.ID)})
	}
	for _, p := range c.TimeProfiles {
		es = append(es, index.Entry{Bucket: bCredByTP, Key: keys.Posting(keys.U64(p), c.ID)})
	}
	return es
}

func (w *wtx) checkCredential(c *Credential) error {
	if !validCredType(c.Type) {
		return &InvalidError{Field: "type", Reason: fmt.Sprintf("unknown credential type %q", c.Type)}
	}
	if c.Value == "" {
		return &InvalidError{Field: "value", Reason: "empty"}
	}
	if err := checkLen("value", c.Value); err != nil {
		return err
	}
	if err := checkCardFormat(c); err != nil {
		return err
	}
	if err := checkSpelling(c); err != nil {
		return err
	}
	if c.Owner != OwnerOwner && c.Owner != OwnerGuest {
		return &InvalidError{Field: "owner", Reason: fmt.Sprintf("unknown owner %q", c.Owner)}
	}
	if !validLocks(c.Locks) {
		return &InvalidError{Field: "locks", Reason: fmt.Sprintf("unknown locks %q", c.Locks)}
	}
	if c.MaxPasses == 0 {
		c.PassesLeft = 0
	} else if c.PassesLeft > c.MaxPasses {
		c.PassesLeft = c.MaxPasses
	}
	if c.UserUID != 0 && w.b(bUsers).Get(keys.U64(c.UserUID)) == nil {
		return &RefError{Field: "user_uid", ID: c.UserUID}
	}
	if c.Apartment != 0 && w.b(bApartments).Get(keys.U64(c.Apartment)) == nil {
		return &RefError{Field: "apartment", ID: c.Apartment}
	}
	c.TimeProfiles = dedupe(c.TimeProfiles)
	return w.checkRefs(c.TimeProfiles, nil)
}

// CreateCredential stores a new credential for an existing user, or
// without a user (UserUID 0), and fills in ID, Owner (owner), Locks (both), PassesLeft (= MaxPasses) and
// the stamps. Its (Type, Value) must be unused: ConflictError{"value"}.
func (s *Store) CreateCredential(c *Credential) error {
	var out Credential
	err := s.write(true, func(w *wtx) error {
		n := cloneCredential(c)
		n.ID = 0
		if err := w.createCredential(&n); err != nil {
			return err
		}
		out = n
		return nil
	})
	if err != nil {
		return err
	}
	*c = out
	return nil
}

func (w *wtx) createCredential(c *Credential) error {
	if c.Owner == "" {
		c.Owner = OwnerOwner
	}
	if c.Locks == "" {
		c.Locks = LocksBoth
	}
	c.PassesLeft = c.MaxPasses
	if err := w.checkCredential(c); err != nil {
		return err
	}
	if err := w.checkValueConflict(c); err != nil {
		return err
	}
	if err := w.assignID(bCreds, &c.ID, "id"); err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = w.now, w.now
	return w.putCredential(nil, c)
}

func (w *wtx) putCredential(old, c *Credential) error {
	return w.putCredentialSpent(old, c, false)
}

// putCredentialSpent writes c, marking its change record PassSpent when
// it is a UsePass.
func (w *wtx) putCredentialSpent(old, c *Credential, spent bool) error {
	if err := w.put(bCreds, keys.U64(c.ID), c); err != nil {
		return err
	}
	var oldEntries []index.Entry
	if old != nil {
		oldEntries = credEntries(old)
	}
	if err := w.index(oldEntries, credEntries(c)); err != nil {
		return err
	}
	cc := cloneCredential(c)
	return w.emit(Change{Kind: KindCredential, ID: c.ID, Credential: &cc, PassSpent: spent})
}

// GetCredential reads a credential by id.
func (s *Store) GetCredential(id uint64) (Credential, error) {
	var c Credential
	err := s.view(func(tx *bolt.Tx) (err error) {
		c, err = getJSON[Credential](tx.Bucket(bCreds), keys.U64(id))
		return err
	})
	return c, err
}

// LookupCredential finds the credential with this type and canonical
// value; a card only when it has no format (see Credential.Format).
func (s *Store) LookupCredential(t CredentialType, value string) (Credential, error) {
	var c Credential
	err := s.view(func(tx *bolt.Tx) (err error) {
		id, ok := index.Lookup(tx.Bucket(bCredByValue), valueKey(t, value, ""))
		if !ok {
			return ErrNotFound
		}
		c, err = getJSON[Credential](tx.Bucket(bCreds), keys.U64(id))
		return err
	})
	return c, err
}

// ListCredentials returns a user's credentials in id order; ErrNotFound
// if the user does not exist. userUID 0 lists the credentials without a
// user (all of them: ListCredentialPage pages).
func (s *Store) ListCredentials(userUID uint64) ([]Credential, error) {
	var out []Credential
	err := s.view(func(tx *bolt.Tx) error {
		if userUID != 0 && tx.Bucket(bUsers).Get(keys.U64(userUID)) == nil {
			return ErrNotFound
		}
		for _, id := range index.IDs(tx.Bucket(bCredByUser), keys.U64(userUID)) {
			c, err := getJSON[Credential](tx.Bucket(bCreds), keys.U64(id))
			if err != nil {
				return fmt.Errorf("credential %d of user %d: %w", id, userUID, err)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// UpdateCredential edits a credential in one transaction (fn: as in
// UpdateUser). ID, UserUID and CreatedAt are restored (MoveCredential
// changes the user); an emptied Owner or Locks keeps the stored value; a
// changed (Type, Value) must be unused. Changing MaxPasses without
// touching PassesLeft starts a fresh budget.
func (s *Store) UpdateCredential(id uint64, fn func(*Credential) error) (Credential, error) {
	return s.updateCredential(id, func(c *Credential, _ *wtx) error { return fn(c) })
}

// MoveCredential gives credential id to user userUID (0: to no user) and
// applies fn (nil: no other edit; as in UpdateCredential) in the same
// transaction: one commit and one change record, the credential keeping
// its id, its value and its passes left. The target user must exist
// (RefError "user_uid") and not be archived (ErrArchived); moving to the
// user it has is an edit like UpdateCredential's.
//
// The change record carries the credential with its new UserUID: the door
// engine re-links it from its old user to its new one (or to none) as it
// applies that one record, so no decision sees it under both or neither.
func (s *Store) MoveCredential(id, userUID uint64, fn func(*Credential) error) (Credential, error) {
	return s.updateCredentialTo(id, &userUID, func(c *Credential, _ *wtx) error {
		if fn == nil {
			return nil
		}
		return fn(c)
	})
}

func (s *Store) updateCredential(id uint64, fn func(*Credential, *wtx) error) (Credential, error) {
	return s.updateCredentialTo(id, nil, fn)
}

// updateCredentialTo is updateCredential moving the credential to user
// *to when to is not nil.
func (s *Store) updateCredentialTo(id uint64, to *uint64, fn func(*Credential, *wtx) error) (Credential, error) {
	var out Credential
	err := s.write(true, func(w *wtx) error {
		old, err := getJSON[Credential](w.b(bCreds), keys.U64(id))
		if err != nil {
			return err
		}
		n := cloneCredential(&old)
		if err := fn(&n, w); err != nil {
			return err
		}
		n.ID, n.UserUID, n.CreatedAt = old.ID, old.UserUID, old.CreatedAt
		if to != nil && *to != old.UserUID {
			if *to != 0 {
				u, err := getJSON[User](w.b(bUsers), keys.U64(*to))
				if errors.Is(err, ErrNotFound) {
					return &RefError{Field: "user_uid", ID: *to}
				}
				if err != nil {
					return err
				}
				if u.State == StateArchived {
					return ErrArchived
				}
			}
			n.UserUID = *to
		}
		if n.Owner == "" {
			n.Owner = old.Owner
		}
		if n.Locks == "" {
			n.Locks = old.Locks
		}
		if n.MaxPasses != old.MaxPasses && n.PassesLeft == old.PassesLeft {
			n.PassesLeft = n.MaxPasses
		}
		if err := w.checkCredential(&n); err != nil {
			return err
		}
		if (n.Type != old.Type || n.Value != old.Value) && n.Spelling == old.Spelling {
			n.Spelling = "" // it spelled the old value
		}
		if n.Type != old.Type || n.Value != old.Value || n.Format != old.Format {
			if err := w.checkValueConflict(&n); err != nil {
				return err
			}
		}
		n.UpdatedAt = w.now
		out = n
		return w.putCredential(&old, &n)
	})
	return out, err
}

// DeleteCredential deletes a credential.
func (s *Store) DeleteCredential(id uint64) error {
	return s.write(false, func(w *wtx) error { return w.deleteCredential(id) })
}

func (w *wtx) deleteCredential(id uint64) error {
	c, err := getJSON[Credential](w.b(bCreds), keys.U64(id))
	if err != nil {
		return err
	}
	if err := w.del(bCreds, keys.U64(id)); err != nil {
		return err
	}
	if err := w.index(credEntries(&c), nil); err != nil {
		return err
	}
	return w.emit(Change{Kind: KindCredential, ID: id, Deleted: true})
}

// ResetPasses gives a limited credential its full budget again.
func (s *Store) ResetPasses(id uint64) (Credential, error) {
	return s.updateCredential(id, func(c *Credential, _ *wtx) error {
		c.PassesLeft = c.MaxPasses
		return nil
	})
}

// UsePass durably spends one pass and returns how many are left. It fails
// with ErrNoPassesLeft when none are; for an unlimited credential it
// spends nothing and returns UnlimitedPasses. It does not wait for a
// batch window: the door path calls it once per grant.
//
// Whatever the outcome, a UsePass of an existing credential commits one
// change record marked PassSpent (the credential as it now is): the door
// engine counts the pass as unsaved until that record arrives in the feed,
// so a record is needed even when nothing changed (refused, unlimited).
func (s *Store) UsePass(id uint64) (left uint32, err error) {
	var refused bool
	err = s.write(false, func(w *wtx) error {
		refused = false
		c, err := getJSON[Credential](w.b(bCreds), keys.U64(id))
		if err != nil {
			return err
		}
		if c.MaxPasses == 0 || c.PassesLeft == 0 {
			left, refused = UnlimitedPasses, c.MaxPasses != 0
			if refused {
				left = 0
			}
			return w.emit(Change{Kind: KindCredential, ID: id, Credential: &c, PassSpent: true})
		}
		old := cloneCredential(&c)
		c.PassesLeft--
		c.UpdatedAt = w.now
		left = c.PassesLeft
		return w.putCredentialSpent(&old, &c, true)
	})
	if err == nil && refused {
		err = ErrNoPassesLeft
	}
	return left, err
}

// ForEachCredential calls fn with every credential in id order inside one
// read transaction; fn must not write to the store.
func (s *Store) ForEachCredential(fn func(*Credential) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCreds).ForEach(func(k, v []byte) error {
			c, err := decode[Credential](k, v)
			if err != nil {
				return fmt.Errorf("credential: %w", err)
			}
			return fn(&c)
		})
	})
}
