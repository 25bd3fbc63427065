package store_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// rewriteRaw edits a stored record's top-level JSON keys behind the
// store's back, and leaves it in the JSON form of schemas 1 to 3 (a
// binary record is converted first).
func rewriteRaw(t *testing.T, s *store.Store, bucket []byte, id uint64, fn func(map[string]json.RawMessage)) {
	t.Helper()
	err := store.RawUpdateForTest(s, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		var m map[string]json.RawMessage
		raw, err := store.JSONRecordForTest(bucket, id, b.Get(keys.U64(id)))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		fn(m)
		data, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return b.Put(keys.U64(id), data)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func dropKeys(ks ...string) func(map[string]json.RawMessage) {
	return func(m map[string]json.RawMessage) {
		for _, k := range ks {
			delete(m, k)
		}
	}
}

// scanned is what ScanAccess reports for user uid and credential id.
func scanned(t *testing.T, s *store.Store, uid, id uint64) (store.AccessUser, store.AccessCredential) {
	t.Helper()
	var u store.AccessUser
	var c store.AccessCredential
	_, err := s.ScanAccess(store.AccessVisitor{
		User: func(a *store.AccessUser) error {
			if a.UID == uid {
				u = *a
			}
			return nil
		},
		Credential: func(a *store.AccessCredential) error {
			if a.ID == id {
				c = *a
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return u, c
}

// A stored record without a state or locks fails closed: the user reads
// as disabled, the user and the credential as opening no door, through
// both the full decoder and the access scanner.
func TestAbsentStateAndLocksFailClosed(t *testing.T) {
	s, _ := openRec(t)
	u := mustUser(t, s, store.User{Name: "x"})
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "77"})
	rewriteRaw(t, s, store.BucketUsers, u.UID, dropKeys("s", "l"))
	rewriteRaw(t, s, store.BucketCreds, c.ID, dropKeys("l"))
	gu, err := s.GetUser(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gu.State != store.StateDisabled || gu.Locks != "" {
		t.Errorf("decoded user state %q locks %q, want disabled and no locks", gu.State, gu.Locks)
	}
	gc, err := s.GetCredential(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gc.Locks != "" {
		t.Errorf("decoded credential locks %q, want none", gc.Locks)
	}
	au, ac := scanned(t, s, u.UID, c.ID)
	if au.State != store.StateDisabled || au.Locks != "" || ac.Locks != "" {
		t.Errorf("scanned user state %q locks %q, credential locks %q; want disabled, none, none", au.State, au.Locks, ac.Locks)
	}
	// Put the record back as the indexes know it, for the cleanup Check.
	rewriteRaw(t, s, store.BucketUsers, u.UID, func(m map[string]json.RawMessage) {
		m["s"], m["l"] = json.RawMessage(`"active"`), json.RawMessage(`"both"`)
	})
}

// New records carry their state and locks explicitly, defaults included.
func TestStateAndLocksStoredExplicitly(t *testing.T) {
	s, _ := openRec(t)
	u := mustUser(t, s, store.User{Name: "x"})
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "77"})
	rewriteRaw(t, s, store.BucketUsers, u.UID, func(m map[string]json.RawMessage) {
		if string(m["s"]) != `"active"` || string(m["l"]) != `"both"` {
			t.Errorf("stored user s=%s l=%s, want explicit active and both", m["s"], m["l"])
		}
	})
	rewriteRaw(t, s, store.BucketCreds, c.ID, func(m map[string]json.RawMessage) {
		if string(m["l"]) != `"both"` {
			t.Errorf("stored credential l=%s, want explicit both", m["l"])
		}
	})
}

// Opening a file written before explicit values (schema 1: an absent
// state meant active, absent locks both) writes them in, so nothing that
// opened a door before stops doing so.
func TestMigrationWritesExplicitStateAndLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	act := mustUser(t, s, store.User{Name: "active"})
	dis := mustUser(t, s, store.User{Name: "disabled", State: store.StateDisabled, Locks: store.LocksSecond})
	c := mustCred(t, s, store.Credential{UserUID: act.UID, Type: store.CredCard, Value: "77"})
	c1 := mustCred(t, s, store.Credential{UserUID: dis.UID, Type: store.CredCard, Value: "78", Locks: store.LocksFirst})
	// As schema 1 stored them: defaults left out.
	rewriteRaw(t, s, store.BucketUsers, act.UID, dropKeys("s", "l"))
	rewriteRaw(t, s, store.BucketCreds, c.ID, dropKeys("l"))
	err = store.RawUpdateForTest(s, func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketMeta).Put(store.KeySchemaVersion, []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	defer store.SetExplicitChunkForTest(1)() // a transaction per record: the chunked path
	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.SchemaVersion() < 2 {
		t.Fatalf("SchemaVersion = %d, want the migration run", s.SchemaVersion())
	}
	for _, tc := range []struct {
		id          string
		state       store.UserState
		locks       store.Locks
		credID      uint64
		credLocks   store.Locks
		description string
	}{
		{act.ID, store.StateActive, store.LocksBoth, c.ID, store.LocksBoth, "defaults left out"},
		{dis.ID, store.StateDisabled, store.LocksSecond, c1.ID, store.LocksFirst, "explicit values"},
	} {
		u, err := s.GetUser(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if u.State != tc.state || u.Locks != tc.locks {
			t.Errorf("%s: user state %q locks %q, want %q %q", tc.description, u.State, u.Locks, tc.state, tc.locks)
		}
		cr, _ := s.GetCredential(tc.credID)
		if cr.Locks != tc.credLocks {
			t.Errorf("%s: credential locks %q, want %q", tc.description, cr.Locks, tc.credLocks)
		}
		au, ac := scanned(t, s, u.UID, tc.credID)
		if au.State != tc.state || au.Locks != tc.locks || ac.Locks != tc.credLocks {
			t.Errorf("%s: scanned %q %q %q", tc.description, au.State, au.Locks, ac.Locks)
		}
	}
	if err := s.Check(); err != nil {
		t.Errorf("Check after the migration: %v", err)
	}
}
