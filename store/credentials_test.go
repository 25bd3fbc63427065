package store_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func TestCredentialCRUD(t *testing.T) {
	s, rec := openRec(t)
	tp := mustTP(t, s, "p")
	u := mustUser(t, s, store.User{Name: "U"})
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "4242", TimeProfiles: []uint64{tp.ID}})
	if c.ID == 0 || c.Owner != store.OwnerOwner || c.Locks != store.LocksBoth || c.CreatedAt.IsZero() {
		t.Errorf("defaults: %+v", c)
	}
	if ch := rec.last(); ch.Kind != store.KindCredential || ch.ID != c.ID || ch.Credential == nil || ch.Credential.Value != "4242" {
		t.Errorf("change = %+v", ch)
	}
	for name, get := range map[string]func() (store.Credential, error){
		"GetCredential":    func() (store.Credential, error) { return s.GetCredential(c.ID) },
		"LookupCredential": func() (store.Credential, error) { return s.LookupCredential(store.CredCard, "4242") },
	} {
		if got, err := get(); err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, c)
		}
	}
	pin := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "4242"}) // same digits, other type: fine
	list, err := s.ListCredentials(u.UID)
	if err != nil || len(list) != 2 || list[0].ID != c.ID || list[1].ID != pin.ID {
		t.Errorf("ListCredentials = %+v, %v", list, err)
	}
	if _, err := s.ListCredentials(9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListCredentials(no user) err = %v, want ErrNotFound", err)
	}

	other := mustUser(t, s, store.User{Name: "O"})
	upd, err := s.UpdateCredential(c.ID, func(x *store.Credential) error {
		x.Value = "5151"
		x.UserUID = other.UID // immutable: restored
		x.Locks = store.LocksFirst
		return nil
	})
	if err != nil || upd.Value != "5151" || upd.UserUID != u.UID || upd.Locks != store.LocksFirst {
		t.Fatalf("UpdateCredential = %+v, %v", upd, err)
	}
	if _, err := s.LookupCredential(store.CredCard, "4242"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old value still indexed: %v", err)
	}
	if got, err := s.LookupCredential(store.CredCard, "5151"); err != nil || got.ID != c.ID {
		t.Errorf("new value: %+v, %v", got, err)
	}
	if err := s.DeleteCredential(c.ID); err != nil {
		t.Fatal(err)
	}
	if ch := rec.last(); !ch.Deleted || ch.ID != c.ID || ch.Kind != store.KindCredential {
		t.Errorf("delete change = %+v", ch)
	}
	if _, err := s.GetCredential(c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := s.DeleteCredential(c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestCredentialUniqueAndRefs(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{})
	card := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "1"})
	mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1"})
	pin2 := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "2"})

	tests := []struct {
		name string
		c    store.Credential
	}{
		{"same card", store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "1"}},
		{"same PIN", store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1"}},
	}
	for _, tt := range tests {
		c := tt.c
		wantConflict(t, tt.name, s.CreateCredential(&c), "value")
	}
	_, err := s.UpdateCredential(pin2.ID, func(c *store.Credential) error { c.Value = "1"; return nil })
	wantConflict(t, "update PIN to a taken PIN", err, "value")
	if _, err := s.UpdateCredential(card.ID, func(c *store.Credential) error { c.Value = "2"; return nil }); err != nil {
		t.Errorf("card 2 (a PIN 2 exists): %v", err)
	}

	c := store.Credential{UserUID: 404, Type: store.CredCard, Value: "9"}
	wantRef(t, "missing user", s.CreateCredential(&c), "user_uid", 404)
	c = store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "9", TimeProfiles: []uint64{5}}
	wantRef(t, "missing time profile", s.CreateCredential(&c), "time_profiles", 5)
	for _, bad := range []store.Credential{
		{UserUID: u.UID, Type: "retina", Value: "9"},
		{UserUID: u.UID, Type: store.CredCard, Value: ""},
		{UserUID: u.UID, Type: store.CredCard, Value: "9", Locks: "3"},
	} {
		if err := s.CreateCredential(&bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("CreateCredential(%+v) err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestPasses(t *testing.T) {
	s, rec := openRec(t)
	u := mustUser(t, s, store.User{})
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredQR, Value: "guest", Owner: store.OwnerGuest, MaxPasses: 2})
	if c.PassesLeft != 2 {
		t.Fatalf("PassesLeft = %d, want 2", c.PassesLeft)
	}
	for _, want := range []uint32{1, 0} {
		left, err := s.UsePass(c.ID)
		if err != nil || left != want {
			t.Errorf("UsePass = %d, %v; want %d", left, err, want)
		}
		if ch := rec.last(); ch.Credential == nil || ch.Credential.PassesLeft != want || !ch.PassSpent {
			t.Errorf("change after UsePass = %+v, want passes_left %d marked PassSpent", ch, want)
		}
	}
	if _, err := s.UsePass(c.ID); !errors.Is(err, store.ErrNoPassesLeft) {
		t.Errorf("UsePass with none left: err = %v, want ErrNoPassesLeft", err)
	}
	// A refused spend still confirms through the feed (the engine counts
	// the pass as unsaved until a PassSpent record arrives).
	if ch := rec.last(); ch.Credential == nil || ch.Credential.PassesLeft != 0 || !ch.PassSpent {
		t.Errorf("change after a refused UsePass = %+v, want passes_left 0 marked PassSpent", ch)
	}
	if ch, _ := s.UpdateCredential(c.ID, func(x *store.Credential) error { x.OwnerName = "x"; return nil }); rec.last().PassSpent {
		t.Errorf("an operator's update is marked PassSpent: %+v", ch)
	}
	// Durable: a reopen sees the spent passes.
	if got, _ := s.GetCredential(c.ID); got.PassesLeft != 0 {
		t.Errorf("stored PassesLeft = %d, want 0", got.PassesLeft)
	}
	r, err := s.ResetPasses(c.ID)
	if err != nil || r.PassesLeft != 2 {
		t.Errorf("ResetPasses = %d, %v; want 2", r.PassesLeft, err)
	}
	// Raising the limit without touching PassesLeft starts a fresh budget.
	r, _ = s.UpdateCredential(c.ID, func(x *store.Credential) error { x.MaxPasses = 5; return nil })
	if r.PassesLeft != 5 {
		t.Errorf("after MaxPasses 5: PassesLeft = %d, want 5", r.PassesLeft)
	}

	unl := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "77"})
	seq := s.Seq()
	if left, err := s.UsePass(unl.ID); err != nil || left != store.UnlimitedPasses || s.Seq() != seq+1 || !rec.last().PassSpent {
		t.Errorf("UsePass(unlimited) = %d, %v, seq %d→%d; want UnlimitedPasses, nil, one PassSpent record", left, err, seq, s.Seq())
	}
	if got, _ := s.GetCredential(unl.ID); got.PassesLeft != 0 || !got.UpdatedAt.Equal(unl.UpdatedAt) {
		t.Errorf("UsePass(unlimited) changed the record: %+v", got)
	}
	if _, err := s.UsePass(12345); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UsePass(missing) err = %v", err)
	}
}
