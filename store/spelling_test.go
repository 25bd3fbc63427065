package store_test

import (
	"errors"
	"testing"

	"github.com/doord/doord/store"
)

// TestCredentialSpelling: a card keeps the spelling it was written with
// (BAS-IP clients compare identifier_number byte for byte with what they
// sent) beside its canonical value; a new value written without a new
// spelling forgets the old one, so that a spelling never names another
// card; a PIN has no spelling (its digits are its only form, and secret).
func TestCredentialSpelling(t *testing.T) {
	s, _ := openRec(t)
	u := mustUser(t, s, store.User{Name: "U"})
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "439041101", Spelling: "00-00-00-1A-2B-3C-4D"})
	if got, err := s.GetCredential(c.ID); err != nil || got.Spelling != "00-00-00-1A-2B-3C-4D" {
		t.Fatalf("GetCredential spelling %q, %v", got.Spelling, err)
	}
	got, err := s.UpdateCredential(c.ID, func(x *store.Credential) error { x.Locks = store.LocksFirst; return nil })
	if err != nil || got.Spelling != "00-00-00-1A-2B-3C-4D" {
		t.Fatalf("an edit that keeps the value dropped the spelling: %q, %v", got.Spelling, err)
	}
	got, err = s.UpdateCredential(c.ID, func(x *store.Credential) error { x.Value = "5151"; return nil })
	if err != nil || got.Spelling != "" {
		t.Fatalf("a new value kept the old spelling: %q, %v", got.Spelling, err)
	}
	got, err = s.UpdateCredential(c.ID, func(x *store.Credential) error { x.Value, x.Spelling = "4242", "0x1092"; return nil })
	if err != nil || got.Spelling != "0x1092" {
		t.Fatalf("a new value with its spelling: %q, %v", got.Spelling, err)
	}
	pin := store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "123456", Spelling: "123456"}
	var ie *store.InvalidError
	if err := s.CreateCredential(&pin); !errors.As(err, &ie) || ie.Field != "spelling" {
		t.Fatalf("a PIN with a spelling: %v, want InvalidError on spelling", err)
	}
}
