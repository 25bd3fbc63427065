package store

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// userEntries is every index key a user owns. Create, update, delete and
// Check all derive from this one list.
func userEntries(u *User) []index.Entry {
	uid := keys.U64(u.UID)
	es := make([]index.Entry, 0, 4+len(u.Tags)+len(u.Apartments)+len(u.TimeProfiles))
	es = append(es,
		index.Entry{Bucket: bUserByID, Key: []byte(u.ID), Val: uid},
		index.Entry{Bucket: bUserByExtID, Key: []byte(u.ExtID), Val: uid},
		index.Entry{Bucket: bUserByName, Key: keys.Posting(nameKey(u.Name), u.UID)},
		index.Entry{Bucket: bUserByState, Key: keys.Posting(keys.Str(string(u.State)), u.UID)},
	)
	for _, t := range u.Tags {
		es = append(es, index.Entry{Bucket: bUserByTag, Key: keys.Posting(keys.Str(t), u.UID)})
	}
	for _, a := range u.Apartments {
		es = append(es, index.Entry{Bucket: bUserByApt, Key: keys.Posting(keys.U64(a), u.UID)})
	}
	for _, p := range u.TimeProfiles {
		es = append(es, index.Entry{Bucket: bUserByTP, Key: keys.Posting(keys.U64(p), u.UID)})
	}
	return es
}

// nameKey is the duplicate-name index prefix: names compare
// case-insensitively, as people read them.
func nameKey(name string) []byte { return keys.Str(strings.ToLower(name)) }

// canonicalID parses a client-supplied uuid into its canonical lowercase
// form, so "ABC…" and "abc…" are one user.
func canonicalID(id string) (string, bool) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// checkUser validates what the store indexes or references. Lists are
// deduplicated in place.
func (w *wtx) checkUser(u *User) error {
	if !validState(u.State) {
		return &InvalidError{Field: "state", Reason: fmt.Sprintf("unknown state %q", u.State)}
	}
	if !validLocks(u.Locks) && u.Locks != LocksNone {
		return &InvalidError{Field: "locks", Reason: fmt.Sprintf("unknown locks %q", u.Locks)}
	}
	if u.ExtID == "" {
		return &InvalidError{Field: "ext_id", Reason: "empty"}
	}
	if err := checkLen("name", u.Name); err != nil {
		return err
	}
	if err := checkLen("ext_id", u.ExtID); err != nil {
		return err
	}
	for _, t := range u.Tags {
		if err := checkLen("tags", t); err != nil {
			return err
		}
	}
	u.Tags = dedupe(u.Tags)
	u.TimeProfiles = dedupe(u.TimeProfiles)
	u.Apartments = dedupe(u.Apartments)
	return w.checkRefs(u.TimeProfiles, u.Apartments)
}

func (w *wtx) checkRefs(tps, apts []uint64) error {
	for _, id := range tps {
		if w.b(bTimeProfiles).Get(keys.U64(id)) == nil {
			return &RefError{Field: "time_profiles", ID: id}
		}
	}
	for _, id := range apts {
		if w.b(bApartments).Get(keys.U64(id)) == nil {
			return &RefError{Field: "apartments", ID: id}
		}
	}
	return nil
}

// CreateUser stores a new user and fills in UID, ID (a uuid v4 unless
// given), ExtID (the ID unless given), State (active), Locks (both) and
// the created/updated stamps. dupName reports that another user already
// has the same name ignoring case; that is allowed, only flagged (BAS-IP's
// has_dublicates).
func (s *Store) CreateUser(u *User, by string) (dupName bool, err error) {
	var out User
	err = s.write(true, func(w *wtx) error {
		n := cloneUser(u) // a re-run must start from the caller's input
		n.UID = 0         // the store picks keys; BulkLoad may preset them
		d, err := w.createUser(&n, by, true)
		dupName, out = d, n
		return err
	})
	if err != nil {
		return false, err
	}
	*u = out
	return dupName, nil
}

func (w *wtx) createUser(u *User, by string, checkDup bool) (dup bool, err error) {
	// A fresh random (v4) uuid has 122 random bits: it cannot be taken,
	// as id or as anyone's ext_id, so only given values are looked up.
	// That saves two random-page reads per create at a million users.
	generated := u.ID == ""
	if generated {
		u.ID = uuid.NewString()
	} else if id, ok := canonicalID(u.ID); ok {
		u.ID = id
	} else {
		return false, &InvalidError{Field: "id", Reason: "not a uuid"}
	}
	if !generated && w.taken(bUserByID, []byte(u.ID)) {
		return false, &ConflictError{Field: "id"}
	}
	if u.State == "" {
		u.State = StateActive
	}
	if u.Locks == "" {
		u.Locks = LocksBoth
	}
	if u.ExtID == "" {
		// A given uuid is unique among ids, but a client may have used that
		// string as someone's ext_id; then any fresh uuid will do.
		u.ExtID = u.ID
		for !generated && w.taken(bUserByExtID, []byte(u.ExtID)) {
			u.ExtID = uuid.NewString()
		}
	} else if w.taken(bUserByExtID, []byte(u.ExtID)) {
		return false, &ConflictError{Field: "ext_id"}
	}
	if err := w.checkUser(u); err != nil {
		return false, err
	}
	if checkDup && u.Name != "" {
		dup = index.Any(w.b(bUserByName), nameKey(u.Name))
	}
	if err := w.assignID(bUsers, &u.UID, "uid"); err != nil {
		return false, err
	}
	u.CreatedAt, u.UpdatedAt = w.now, w.now
	u.CreatedBy, u.UpdatedBy = by, by
	return dup, w.putUser(nil, u)
}

// putUser writes u and moves its index entries from old's (nil: none).
func (w *wtx) putUser(old, u *User) error {
	var site Locks
	if !w.fleetApply && !w.fleetLoad {
		var err error
		if site, err = w.writeRights(old, u); err != nil { // rights.go
			return err
		}
	}
	if err := w.put(bUsers, keys.U64(u.UID), u); err != nil {
		return err
	}
	var oldEntries []index.Entry
	if old != nil {
		oldEntries = userEntries(old)
	}
	if err := w.index(oldEntries, userEntries(u)); err != nil {
		return err
	}
	c := cloneUser(u)
	return w.emit(Change{Kind: KindUser, ID: u.UID, User: &c, siteLocks: site})
}

// uidOf resolves a user's uuid.
func uidOf(tx *bolt.Tx, id string) (uint64, error) {
	cid, ok := canonicalID(id)
	if !ok {
		return 0, ErrNotFound
	}
	uid, ok := index.Lookup(tx.Bucket(bUserByID), []byte(cid))
	if !ok {
		return 0, ErrNotFound
	}
	return uid, nil
}

// GetUser reads a user by uuid.
func (s *Store) GetUser(id string) (User, error) {
	var u User
	err := s.view(func(tx *bolt.Tx) error {
		uid, err := uidOf(tx, id)
		if err != nil {
			return err
		}
		if u, err = getJSON[User](tx.Bucket(bUsers), keys.U64(uid)); err == nil {
			s.fillRights(tx, &u)
		}
		return err
	})
	return u, err
}

// GetUserByUID reads a user by its integer key.
func (s *Store) GetUserByUID(uid uint64) (User, error) {
	var u User
	err := s.view(func(tx *bolt.Tx) (err error) {
		if u, err = getJSON[User](tx.Bucket(bUsers), keys.U64(uid)); err == nil {
			s.fillRights(tx, &u)
		}
		return err
	})
	return u, err
}

// UpdateUser edits a user in one transaction: fn gets the stored user and
// its error is returned as is. fn runs inside the write transaction and
// may run more than once (a group commit re-runs it), so it must only edit its
// argument and must not call the Store.
//
// The store then restores what is not fn's to change (UID, ID, CreatedAt,
// CreatedBy), keeps State, Locks and ExtID when fn emptied them, refuses
// any update of an archived user (ErrArchived; archived is final), checks
// ext_id uniqueness and references, and stamps UpdatedAt/UpdatedBy.
func (s *Store) UpdateUser(id string, by string, fn func(*User) error) (User, error) {
	return s.updateUser(func(tx *bolt.Tx) (uint64, error) { return uidOf(tx, id) }, by, fn)
}

// UpdateUserByUID is UpdateUser keyed by UID (BAS-IP addresses users by
// item_uid).
func (s *Store) UpdateUserByUID(uid uint64, by string, fn func(*User) error) (User, error) {
	return s.updateUser(func(*bolt.Tx) (uint64, error) { return uid, nil }, by, fn)
}

func (s *Store) updateUser(resolve func(*bolt.Tx) (uint64, error), by string, fn func(*User) error) (User, error) {
	var out User
	err := s.write(true, func(w *wtx) error {
		uid, err := resolve(w.tx)
		if err != nil {
			return err
		}
		old, err := getJSON[User](w.b(bUsers), keys.U64(uid))
		if err != nil {
			return err
		}
		if old.State == StateArchived {
			return ErrArchived
		}
		n := cloneUser(&old)
		if err := fn(&n); err != nil {
			return err
		}
		n.UID, n.ID, n.CreatedAt, n.CreatedBy = old.UID, old.ID, old.CreatedAt, old.CreatedBy
		if n.State == "" {
			n.State = old.State
		}
		if n.Locks == "" {
			n.Locks = old.Locks
		}
		if n.ExtID == "" {
			n.ExtID = old.ExtID
		}
		if n.ExtID != old.ExtID {
			if other, ok := index.Lookup(w.b(bUserByExtID), []byte(n.ExtID)); ok && other != uid {
				return &ConflictError{Field: "ext_id"}
			}
		}
		if err := w.checkUser(&n); err != nil {
			return err
		}
		n.UpdatedAt, n.UpdatedBy = w.now, by
		if err := w.putUser(&old, &n); err != nil {
			return err
		}
		out = n // with its locks and rights here (rights.go)
		return nil
	})
	return out, err
}

// DeleteUser deletes a user and, in the same transaction, its credentials.
func (s *Store) DeleteUser(id string) error {
	return s.write(false, func(w *wtx) error {
		uid, err := uidOf(w.tx, id)
		if err != nil {
			return err
		}
		return w.deleteUser(uid)
	})
}

// DeleteUserByUID is DeleteUser keyed by UID.
func (s *Store) DeleteUserByUID(uid uint64) error {
	return s.write(false, func(w *wtx) error { return w.deleteUser(uid) })
}

func (w *wtx) deleteUser(uid uint64) error {
	u, err := getJSON[User](w.b(bUsers), keys.U64(uid))
	if err != nil {
		return err
	}
	for _, cid := range index.IDs(w.b(bCredByUser), keys.U64(uid)) {
		if err := w.deleteCredential(cid); err != nil {
			return err
		}
	}
	if err := w.dropRights(uid); err != nil { // rights.go: their deletes go first
		return err
	}
	if err := w.del(bUsers, keys.U64(uid)); err != nil {
		return err
	}
	if err := w.index(userEntries(&u), nil); err != nil {
		return err
	}
	return w.emit(Change{Kind: KindUser, ID: uid, Deleted: true})
}

// UserFilter selects users for ListUsers. Zero fields do not filter.
type UserFilter struct {
	Cursor      string    // from a previous page's next; "" = first page
	Limit       int       // default 50, at most 1000
	Q           string    // case-insensitive substring of name, first_name, last_name, email, info, ext_id
	State       UserState // exact
	Tag         string    // exact
	Apartment   uint64
	TimeProfile uint64
}

// ListUsers returns one page of users in UID order and the cursor of the
// next page ("" when there is none). State, Tag, Apartment and TimeProfile
// walk their index (the most selective given first: apartment, time
// profile, tag, state), so a filtered page costs the page, not the table;
// further filters and Q are checked on the records walked. With Q or
// several filters a non-empty next may lead to an empty last page.
func (s *Store) ListUsers(f UserFilter) (users []User, next string, err error) {
	after, hasAfter, err := keys.DecodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	n := limit(f.Limit)
	q := strings.ToLower(f.Q)
	qraw := []byte(q)
	prefilter := q != "" && !strings.ContainsAny(q, "\"\\<>&\u2028\u2029\ufffd") && !hasControl(q)
	err = s.view(func(tx *bolt.Tx) error {
		ub := tx.Bucket(bUsers)
		var lastUID uint64
		more := false
		// visit handles one candidate; it returns false to stop the walk.
		visit := func(uid uint64, raw []byte) (bool, error) {
			if len(users) == n {
				more = true
				return false, nil
			}
			if raw == nil {
				return false, fmt.Errorf("index points to missing user %d (run Check)", uid)
			}
			// Most records fail Q; rejecting on the raw JSON first skips
			// decoding them. Safe only when q has no character JSON escapes,
			// and only for JSON records: a binary one holds its uuids as
			// bytes and a name made of first and last name not at all.
			if prefilter && isJSONRecord(raw) && !bytes.Contains(bytes.ToLower(raw), qraw) {
				return true, nil
			}
			u, err := decodeUser(uid, raw)
			if err != nil {
				return false, fmt.Errorf("corrupt user %d: %w", uid, err)
			}
			if userMatches(&u, &f, q) {
				users = append(users, u)
				lastUID = uid
			}
			return true, nil
		}
		var ib *bolt.Bucket
		var prefix []byte
		switch {
		case f.Apartment != 0:
			ib, prefix = tx.Bucket(bUserByApt), keys.U64(f.Apartment)
		case f.TimeProfile != 0:
			ib, prefix = tx.Bucket(bUserByTP), keys.U64(f.TimeProfile)
		case f.Tag != "":
			ib, prefix = tx.Bucket(bUserByTag), keys.Str(f.Tag)
		case f.State != "":
			ib, prefix = tx.Bucket(bUserByState), keys.Str(string(f.State))
		}
		var werr error
		if ib != nil {
			index.Walk(ib, prefix, after, hasAfter, func(uid uint64) bool {
				var ok bool
				ok, werr = visit(uid, ub.Get(keys.U64(uid)))
				return ok && werr == nil
			})
		} else if !hasAfter || after != ^uint64(0) {
			c := ub.Cursor()
			k, v := c.First()
			if hasAfter {
				k, v = c.Seek(keys.U64(after + 1))
			}
			for ; k != nil; k, v = c.Next() {
				uid, _ := keys.ParseU64(k)
				ok, err := visit(uid, v)
				if err != nil {
					werr = err
				}
				if !ok {
					break
				}
			}
		}
		if werr != nil {
			return werr
		}
		if more {
			next = keys.EncodeCursor(lastUID)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return users, next, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 {
			return true
		}
	}
	return false
}

func userMatches(u *User, f *UserFilter, q string) bool {
	if f.State != "" && u.State != f.State {
		return false
	}
	if f.Tag != "" && !contains(u.Tags, f.Tag) {
		return false
	}
	if f.Apartment != 0 && !contains(u.Apartments, f.Apartment) {
		return false
	}
	if f.TimeProfile != 0 && !contains(u.TimeProfiles, f.TimeProfile) {
		return false
	}
	if q == "" {
		return true
	}
	for _, s := range [...]string{u.Name, u.FirstName, u.LastName, u.Email, u.Info, u.ExtID} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// ForEachUser calls fn with every user in UID order inside one read
// transaction (a consistent snapshot), e.g. to build the in-memory index
// at start. fn must not write to the store; its error stops the walk.
func (s *Store) ForEachUser(fn func(*User) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
			u, err := decode[User](k, v)
			if err != nil {
				return fmt.Errorf("user: %w", err)
			}
			return fn(&u)
		})
	})
}
