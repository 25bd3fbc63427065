package store_test

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func TestOperators(t *testing.T) {
	s, rec := openRec(t)
	if n, err := s.CountOperators(); err != nil || n != 0 {
		t.Errorf("CountOperators = %d, %v; want 0", n, err)
	}
	o := store.Operator{Username: "admin", PasswordHash: "$argon2id$x", Role: store.RoleAdmin, Enabled: true, CreatedBy: "setup"}
	if err := s.CreateOperator(&o); err != nil {
		t.Fatal(err)
	}
	if ch := rec.last(); ch.Kind != store.KindOperator || ch.ID != o.ID || ch.User != nil || ch.Seq != s.Seq() {
		t.Errorf("change = %+v, want operator %d with no payload", ch, o.ID)
	}
	for name, get := range map[string]func() (store.Operator, error){
		"GetOperator":           func() (store.Operator, error) { return s.GetOperator(o.ID) },
		"GetOperatorByUsername": func() (store.Operator, error) { return s.GetOperatorByUsername("admin") },
	} {
		if got, err := get(); err != nil || !reflect.DeepEqual(got, o) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, o)
		}
	}
	if _, err := s.GetOperatorByUsername("Admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("usernames are case-sensitive: err = %v, want ErrNotFound", err)
	}
	other := store.Operator{Username: "Admin", Role: store.RoleViewer}
	if err := s.CreateOperator(&other); err != nil {
		t.Errorf("Admin next to admin: %v", err)
	}
	same := store.Operator{Username: "admin", Role: store.RoleViewer}
	wantConflict(t, "same username", s.CreateOperator(&same), "username")
	_, err := s.UpdateOperator(other.ID, func(x *store.Operator) error { x.Username = "admin"; return nil })
	wantConflict(t, "rename onto a taken username", err, "username")
	bad := store.Operator{Username: "x", Role: "root"}
	if err := s.CreateOperator(&bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown role: err = %v, want ErrInvalid", err)
	}

	now := time.Now().UTC()
	upd, err := s.UpdateOperator(o.ID, func(x *store.Operator) error {
		x.FailedLogins = 3
		x.LastFailure = &now
		x.CreatedBy = "mallory" // restored
		return nil
	})
	if err != nil || upd.FailedLogins != 3 || upd.LastFailure == nil || upd.CreatedBy != "setup" {
		t.Errorf("UpdateOperator = %+v, %v", upd, err)
	}
	list, err := s.ListOperators()
	if err != nil || len(list) != 2 || list[0].ID != o.ID {
		t.Errorf("ListOperators = %+v, %v", list, err)
	}
	if n, _ := s.CountOperators(); n != 2 {
		t.Errorf("CountOperators = %d, want 2", n)
	}

	h1, h2 := sha256.Sum256([]byte("t1")), sha256.Sum256([]byte("t2"))
	h3 := sha256.Sum256([]byte("t3"))
	for _, ss := range []store.Session{
		{TokenHash: h1, OperatorID: o.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{TokenHash: h2, OperatorID: o.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{TokenHash: h3, OperatorID: other.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := s.PutSession(ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteOperator(o.ID); err != nil {
		t.Fatal(err)
	}
	if ch := rec.last(); ch.Kind != store.KindOperator || !ch.Deleted {
		t.Errorf("delete change = %+v", ch)
	}
	for _, h := range [][32]byte{h1, h2} {
		if _, err := s.GetSession(h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session of a deleted operator: err = %v, want ErrNotFound", err)
		}
	}
	if _, err := s.GetSession(h3); err != nil {
		t.Errorf("other operator's session: %v", err)
	}
	if _, err := s.GetOperatorByUsername("admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted username still indexed: %v", err)
	}
	wantRef(t, "session of a missing operator", s.PutSession(store.Session{TokenHash: h1, OperatorID: o.ID}), "operator_id", o.ID)
}

func TestSessions(t *testing.T) {
	s := storetest.Open(t)
	o := store.Operator{Username: "op", Role: store.RoleOperator}
	if err := s.CreateOperator(&o); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sessions := map[string]time.Time{
		"past":   now.Add(-time.Minute),
		"now":    now, // expires at now: expired
		"future": now.Add(time.Minute),
		"later":  now.Add(time.Hour),
	}
	for tok, exp := range sessions {
		if err := s.PutSession(store.Session{TokenHash: sha256.Sum256([]byte(tok)), OperatorID: o.ID, CreatedAt: now.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetSession(sha256.Sum256([]byte("future")))
	if err != nil || got.OperatorID != o.ID || !got.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Errorf("GetSession = %+v, %v", got, err)
	}
	n, err := s.PurgeExpiredSessions(now)
	if err != nil || n != 2 {
		t.Errorf("PurgeExpiredSessions = %d, %v; want 2", n, err)
	}
	for tok, alive := range map[string]bool{"past": false, "now": false, "future": true, "later": true} {
		_, err := s.GetSession(sha256.Sum256([]byte(tok)))
		if alive != (err == nil) {
			t.Errorf("session %q after purge: err = %v, want alive %v", tok, err, alive)
		}
	}
	if err := s.DeleteSession(sha256.Sum256([]byte("future"))); err != nil {
		t.Errorf("DeleteSession: %v", err)
	}
	if err := s.DeleteSession(sha256.Sum256([]byte("future"))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSession twice: %v", err)
	}
	if err := s.DeleteOperatorSessions(o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(sha256.Sum256([]byte("later"))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after DeleteOperatorSessions: %v", err)
	}
	if st, _ := s.Stats(); st.Sessions != 0 {
		t.Errorf("Stats.Sessions = %d, want 0", st.Sessions)
	}
}

func TestSettings(t *testing.T) {
	s, rec := openRec(t)
	if _, err := s.GetSetting("tz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSetting(absent) err = %v", err)
	}
	for _, v := range []string{"Europe/Berlin", "UTC", ""} {
		if err := s.PutSetting("tz", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetSetting("tz")
		if err != nil || string(got) != v {
			t.Errorf("GetSetting = %q, %v; want %q", got, err, v)
		}
		if ch := rec.last(); ch.Kind != store.KindSetting || ch.Key != "tz" || ch.Seq != s.Seq() {
			t.Errorf("change = %+v", ch)
		}
	}
	if err := s.PutSetting("", []byte("x")); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty key: %v", err)
	}
	if err := s.DeleteSetting("tz"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSetting("tz"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after DeleteSetting: %v", err)
	}
}
