package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

func opEntries(o *Operator) []index.Entry {
	return []index.Entry{{Bucket: bOpByUsername, Key: []byte(o.Username), Val: keys.U64(o.ID)}}
}

func checkOperator(o *Operator) error {
	if o.Username == "" {
		return &InvalidError{Field: "username", Reason: "empty"}
	}
	if err := checkLen("username", o.Username); err != nil {
		return err
	}
	switch o.Role {
	case RoleAdmin, RoleOperator, RoleViewer:
		return nil
	}
	return &InvalidError{Field: "role", Reason: fmt.Sprintf("unknown role %q", o.Role)}
}

// CreateOperator stores a new operator and fills in ID and the stamps
// (CreatedBy and UpdatedBy are the caller's). Usernames are unique and
// case-sensitive: ConflictError{"username"}.
func (s *Store) CreateOperator(o *Operator) error {
	var out Operator
	err := s.write(true, func(w *wtx) error {
		n := cloneOperator(o)
		if err := checkOperator(&n); err != nil {
			return err
		}
		if w.b(bOpByUsername).Get([]byte(n.Username)) != nil {
			return &ConflictError{Field: "username"}
		}
		var err error
		if n.ID, err = w.nextID(bOperators); err != nil {
			return err
		}
		n.CreatedAt, n.UpdatedAt = w.now, w.now
		out = n
		return w.putOperator(nil, &n)
	})
	if err == nil {
		*o = out
	}
	return err
}

// putOperator's change record carries no payload: operators hold password
// hashes and TOTP secrets, which have no business in a change feed.
// The TOTP secret is stored sealed (secrets.go).
func (w *wtx) putOperator(old, o *Operator) error {
	rec := *o
	rec.TOTPSecret = w.s.sealTOTP(o.ID, o.TOTPSecret)
	if err := w.put(bOperators, keys.U64(o.ID), &rec); err != nil {
		return err
	}
	var oldEntries []index.Entry
	if old != nil {
		oldEntries = opEntries(old)
	}
	if err := w.index(oldEntries, opEntries(o)); err != nil {
		return err
	}
	return w.emit(Change{Kind: KindOperator, ID: o.ID})
}

// GetOperator reads an operator by id.
func (s *Store) GetOperator(id uint64) (Operator, error) {
	var o Operator
	err := s.view(func(tx *bolt.Tx) (err error) {
		o, err = s.getOperator(tx.Bucket(bOperators), keys.U64(id))
		return err
	})
	return o, err
}

// GetOperatorByUsername reads an operator by exact username.
func (s *Store) GetOperatorByUsername(name string) (Operator, error) {
	var o Operator
	err := s.view(func(tx *bolt.Tx) (err error) {
		id, ok := index.Lookup(tx.Bucket(bOpByUsername), []byte(name))
		if !ok {
			return ErrNotFound
		}
		o, err = s.getOperator(tx.Bucket(bOperators), keys.U64(id))
		return err
	})
	return o, err
}

// ListOperators returns every operator in id order (there are few).
func (s *Store) ListOperators() ([]Operator, error) {
	var out []Operator
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bOperators).ForEach(func(k, v []byte) error {
			var o Operator
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("corrupt operator %x: %w", k, err)
			}
			o.TOTPSecret = s.openTOTP(o.ID, o.TOTPSecret)
			out = append(out, o)
			return nil
		})
	})
	return out, err
}

// CountOperators counts operators (first-run setup asks "are there any?").
func (s *Store) CountOperators() (int, error) {
	var n int
	err := s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bOperators).Stats().KeyN
		return nil
	})
	return n, err
}

// UpdateOperator edits an operator in one transaction (fn: as in
// UpdateUser); ID, CreatedAt and CreatedBy are restored, UpdatedAt is
// stamped, a changed username must be unused.
func (s *Store) UpdateOperator(id uint64, fn func(*Operator) error) (Operator, error) {
	return s.UpdateOperatorEnding(id, nil, func(o *Operator) (bool, error) { return false, fn(o) })
}

// UpdateOperatorEnding is UpdateOperator for a change that may end the
// operator's sessions: when fn reports true, every session of the
// operator but keep (nil: none) is deleted in the same transaction, so no
// crash or later change (re-enabling, re-promoting) can bring them back.
func (s *Store) UpdateOperatorEnding(id uint64, keep *[32]byte, fn func(*Operator) (endSessions bool, err error)) (Operator, error) {
	var out Operator
	err := s.write(true, func(w *wtx) error {
		old, err := s.getOperator(w.b(bOperators), keys.U64(id))
		if err != nil {
			return err
		}
		n := cloneOperator(&old)
		end, err := fn(&n)
		if err != nil {
			return err
		}
		if end {
			if err := w.deleteOperatorSessions(id, keep); err != nil {
				return err
			}
		}
		n.ID, n.CreatedAt, n.CreatedBy, n.UpdatedAt = old.ID, old.CreatedAt, old.CreatedBy, w.now
		if err := checkOperator(&n); err != nil {
			return err
		}
		if n.Username != old.Username {
			if other, ok := index.Lookup(w.b(bOpByUsername), []byte(n.Username)); ok && other != id {
				return &ConflictError{Field: "username"}
			}
		}
		out = n
		return w.putOperator(&old, &n)
	})
	return out, err
}

// DeleteOperator deletes an operator and its sessions.
func (s *Store) DeleteOperator(id uint64) error {
	return s.write(false, func(w *wtx) error {
		o, err := getJSON[Operator](w.b(bOperators), keys.U64(id))
		if err != nil {
			return err
		}
		if err := w.deleteOperatorSessions(id, nil); err != nil {
			return err
		}
		if err := w.del(bOperators, keys.U64(id)); err != nil {
			return err
		}
		if err := w.index(opEntries(&o), nil); err != nil {
			return err
		}
		return w.emit(Change{Kind: KindOperator, ID: id, Deleted: true})
	})
}

// sessKey is the operator→session index key: all of one operator's
// sessions share the 8-byte operator prefix.
func sessKey(opID uint64, hash []byte) []byte { return append(keys.U64(opID), hash...) }

func sessEntries(s *Session) []index.Entry {
	return []index.Entry{{Bucket: bSessByOp, Key: sessKey(s.OperatorID, s.TokenHash[:])}}
}

// PutSession stores (or replaces) a session; its operator must exist.
// Sessions produce no change records: they are nobody's feed.
func (s *Store) PutSession(sess Session) error {
	return s.write(false, func(w *wtx) error {
		if w.b(bOperators).Get(keys.U64(sess.OperatorID)) == nil {
			return &RefError{Field: "operator_id", ID: sess.OperatorID}
		}
		return w.putSession(sess)
	})
}

func (w *wtx) putSession(sess Session) error {
	var oldEntries []index.Entry
	if old, err := getJSON[Session](w.b(bSessions), sess.TokenHash[:]); err == nil {
		oldEntries = sessEntries(&old)
	}
	if err := w.put(bSessions, sess.TokenHash[:], sess); err != nil {
		return err
	}
	if oldEntries == nil {
		return w.index(nil, sessEntries(&sess))
	}
	return w.index(oldEntries, sessEntries(&sess))
}

// ErrOperatorInactive is AddSession's answer for an operator that is
// disabled or expired by the time its session would be stored: a login
// racing a disable must not leave a session behind it.
var ErrOperatorInactive = errors.New("the operator is disabled or expired")

// ErrOperatorChanged is AddSession's answer when the operator's password,
// second factor or role changed since the login that asked for the
// session checked them: the change ended every session, and a login
// racing it must not add one that outlives it.
var ErrOperatorChanged = errors.New("the operator changed during the login")

// AddSession stores a new session for an enabled, unexpired operator whose
// password hash, TOTP and role are still those of basis (the operator as
// the login saw it; nil skips that check) and, when max > 0, deletes that
// operator's oldest sessions (by CreatedAt) so that at most max remain; it
// returns the token hashes it deleted, for the caller's cache. A client
// that logs in every minute cannot grow the store.
func (s *Store) AddSession(sess Session, max int, basis *Operator) (evicted [][32]byte, err error) {
	err = s.write(false, func(w *wtx) error {
		evicted = nil
		op, err := s.getOperator(w.b(bOperators), keys.U64(sess.OperatorID))
		if errors.Is(err, ErrNotFound) {
			return &RefError{Field: "operator_id", ID: sess.OperatorID}
		}
		if err != nil {
			return err
		}
		if !op.Enabled || op.Expired {
			return ErrOperatorInactive
		}
		if basis != nil && (op.PasswordHash != basis.PasswordHash || op.TOTPSecret != basis.TOTPSecret ||
			op.TOTPConfirmed != basis.TOTPConfirmed || op.Role != basis.Role) {
			return ErrOperatorChanged
		}
		if err := w.putSession(sess); err != nil || max <= 0 {
			return err
		}
		all, err := w.operatorSessions(sess.OperatorID)
		if err != nil {
			return err
		}
		if len(all) <= max {
			return nil
		}
		// Oldest first; the new session is never among the evicted.
		slices.SortFunc(all, func(a, b Session) int {
			if a.TokenHash == sess.TokenHash {
				return 1
			}
			if b.TokenHash == sess.TokenHash {
				return -1
			}
			return a.CreatedAt.Compare(b.CreatedAt)
		})
		for _, old := range all[:len(all)-max] {
			if err := w.deleteSession(old.TokenHash[:]); err != nil {
				return err
			}
			evicted = append(evicted, old.TokenHash)
		}
		return nil
	})
	return evicted, err
}

// OperatorSessions lists an operator's sessions, expired or not.
func (s *Store) OperatorSessions(opID uint64) ([]Session, error) {
	var out []Session
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		out, err = operatorSessions(tx, opID)
		return err
	})
	return out, err
}

func (w *wtx) operatorSessions(opID uint64) ([]Session, error) { return operatorSessions(w.tx, opID) }

func operatorSessions(tx *bolt.Tx, opID uint64) ([]Session, error) {
	prefix := keys.U64(opID)
	var out []Session
	c := tx.Bucket(bSessByOp).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		sess, err := getJSON[Session](tx.Bucket(bSessions), k[8:])
		if err != nil {
			return nil, fmt.Errorf("session index %x: %w", k, err)
		}
		out = append(out, sess)
	}
	return out, nil
}

// GetSession reads a session by token hash, expired or not (the caller
// compares ExpiresAt with its clock).
func (s *Store) GetSession(hash [32]byte) (Session, error) {
	var sess Session
	err := s.view(func(tx *bolt.Tx) (err error) {
		sess, err = getJSON[Session](tx.Bucket(bSessions), hash[:])
		return err
	})
	return sess, err
}

// DeleteSession deletes a session (logout); ErrNotFound if absent.
func (s *Store) DeleteSession(hash [32]byte) error {
	return s.write(false, func(w *wtx) error { return w.deleteSession(hash[:]) })
}

func (w *wtx) deleteSession(hash []byte) error {
	sess, err := getJSON[Session](w.b(bSessions), hash)
	if err != nil {
		return err
	}
	if err := w.del(bSessions, hash); err != nil {
		return err
	}
	return w.index(sessEntries(&sess), nil)
}

// DeleteOperatorSessions logs an operator out everywhere.
func (s *Store) DeleteOperatorSessions(opID uint64) error {
	return s.write(false, func(w *wtx) error { return w.deleteOperatorSessions(opID, nil) })
}

// deleteOperatorSessions deletes every session of opID but keep (nil:
// none).
func (w *wtx) deleteOperatorSessions(opID uint64, keep *[32]byte) error {
	prefix := keys.U64(opID)
	var hashes [][]byte
	c := w.b(bSessByOp).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if keep != nil && bytes.Equal(k[8:], keep[:]) {
			continue
		}
		hashes = append(hashes, bytes.Clone(k[8:]))
	}
	for _, h := range hashes {
		if err := w.deleteSession(h); err != nil {
			return err
		}
	}
	return nil
}

// PurgeExpiredSessions deletes sessions that expired at or before now and
// returns how many. Sessions are few (one per login), so this scans.
func (s *Store) PurgeExpiredSessions(now time.Time) (int, error) {
	var n int
	err := s.write(false, func(w *wtx) error {
		n = 0
		var expired [][]byte
		err := w.b(bSessions).ForEach(func(k, v []byte) error {
			var sess Session
			if err := json.Unmarshal(v, &sess); err != nil {
				return fmt.Errorf("corrupt session %x: %w", k, err)
			}
			if !sess.ExpiresAt.After(now) {
				expired = append(expired, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range expired {
			if err := w.deleteSession(h); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	return n, err
}

// kUnknownLoginFailures counts failed logins for usernames that are not
// operators (meta bucket).
var kUnknownLoginFailures = []byte("unknown_login_failures")

// NoteUnknownLoginFailure counts a failed login for a username that is not
// an operator, durably, in a write like the one a real operator's failure
// costs (UpdateOperator): the answer's timing must not tell which names
// exist. It returns the count.
func (s *Store) NoteUnknownLoginFailure() (uint64, error) {
	var n uint64
	err := s.write(true, func(w *wtx) error {
		n, _ = keys.ParseU64(w.b(bMeta).Get(kUnknownLoginFailures))
		n++
		return w.putRaw(bMeta, kUnknownLoginFailures, keys.U64(n))
	})
	return n, err
}
