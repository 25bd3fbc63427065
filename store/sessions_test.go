package store_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// TestAddSessionBoundsAndRefuses: AddSession keeps at most max sessions
// per operator, deleting the oldest, and stores none for a disabled or
// expired operator or one whose password changed since the login checked
// it (a login racing such a change leaves nothing behind).
func TestAddSessionBoundsAndRefuses(t *testing.T) {
	s := storetest.Open(t)
	o := store.Operator{Username: "op", Role: store.RoleOperator, Enabled: true}
	if err := s.CreateOperator(&o); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var hashes [][32]byte
	for i := range 5 {
		h := sha256.Sum256([]byte{byte(i)})
		hashes = append(hashes, h)
		// Created out of order on purpose: "oldest" is by CreatedAt.
		created := t0.Add(time.Duration([]int{3, 0, 4, 1, 2}[i]) * time.Minute)
		evicted, err := s.AddSession(store.Session{TokenHash: h, OperatorID: o.ID, CreatedAt: created, ExpiresAt: t0.Add(time.Hour)}, 3, &o)
		if err != nil {
			t.Fatal(err)
		}
		if i < 3 && len(evicted) != 0 {
			t.Errorf("add %d evicted %d, want 0", i, len(evicted))
		}
	}
	// After all five: created minutes 3,0,4,1,2; the last added (minute 2)
	// is never evicted; of the others the two oldest (0, 1) went.
	left, err := s.OperatorSessions(o.ID)
	if err != nil || len(left) != 3 {
		t.Fatalf("%d sessions left (%v), want 3", len(left), err)
	}
	for i, alive := range []bool{true, false, true, false, true} {
		if _, err := s.GetSession(hashes[i]); (err == nil) != alive {
			t.Errorf("session %d: err %v, want alive %v", i, err, alive)
		}
	}
	// A login that checked the password before an admin changed it gets
	// no session: the change ended them all.
	seen := o
	if _, err := s.UpdateOperator(o.ID, func(o *store.Operator) error { o.PasswordHash = "new"; return nil }); err != nil {
		t.Fatal(err)
	}
	late := sha256.Sum256([]byte("stale login"))
	if _, err := s.AddSession(store.Session{TokenHash: late, OperatorID: o.ID, ExpiresAt: t0.Add(time.Hour)}, 3, &seen); !errors.Is(err, store.ErrOperatorChanged) {
		t.Errorf("AddSession after a password change: %v, want ErrOperatorChanged", err)
	}
	if _, err := s.GetSession(late); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a stale login's session was stored: %v", err)
	}
	for _, mod := range []func(*store.Operator){
		func(o *store.Operator) { o.Enabled = false },
		func(o *store.Operator) { o.Enabled, o.Expired = true, true },
	} {
		if _, err := s.UpdateOperator(o.ID, func(o *store.Operator) error { mod(o); return nil }); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte("late"))
		if _, err := s.AddSession(store.Session{TokenHash: h, OperatorID: o.ID, ExpiresAt: t0.Add(time.Hour)}, 3, nil); !errors.Is(err, store.ErrOperatorInactive) {
			t.Errorf("AddSession for an inactive operator: %v, want ErrOperatorInactive", err)
		}
		if _, err := s.GetSession(h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an inactive operator's session was stored: %v", err)
		}
	}
}

// TestUpdateOperatorEndingKeepsOnlyKeep: the update and the end of the
// sessions are one write; keep survives, other operators' sessions too.
func TestUpdateOperatorEndingKeepsOnlyKeep(t *testing.T) {
	s := storetest.Open(t)
	a := store.Operator{Username: "a", Role: store.RoleOperator, Enabled: true}
	b := store.Operator{Username: "b", Role: store.RoleOperator, Enabled: true}
	for _, o := range []*store.Operator{&a, &b} {
		if err := s.CreateOperator(o); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour)
	ha1, ha2, hb := sha256.Sum256([]byte("a1")), sha256.Sum256([]byte("a2")), sha256.Sum256([]byte("b"))
	for _, ss := range []store.Session{{TokenHash: ha1, OperatorID: a.ID, ExpiresAt: exp}, {TokenHash: ha2, OperatorID: a.ID, ExpiresAt: exp}, {TokenHash: hb, OperatorID: b.ID, ExpiresAt: exp}} {
		if err := s.PutSession(ss); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.UpdateOperatorEnding(a.ID, &ha2, func(o *store.Operator) (bool, error) {
		o.Role = store.RoleViewer
		return true, nil
	})
	if err != nil || got.Role != store.RoleViewer {
		t.Fatalf("UpdateOperatorEnding = %+v, %v", got, err)
	}
	for h, alive := range map[[32]byte]bool{ha1: false, ha2: true, hb: true} {
		if _, err := s.GetSession(h); (err == nil) != alive {
			t.Errorf("session %x: err %v, want alive %v", h[:4], err, alive)
		}
	}
}
