package store_test

import (
	"errors"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func wantConflictReason(t *testing.T, what string, err error, reason string) {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Field != "value" || ce.Reason != reason || !errors.Is(err, store.ErrConflict) {
		t.Errorf("%s: err = %v, want ConflictError{value, %q}", what, err, reason)
	}
}

func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ie *store.InvalidError
	if !errors.As(err, &ie) || ie.Field != field {
		t.Errorf("%s: err = %v, want InvalidError{%q}", what, err, field)
	}
}

// H10301 facility 7 / card 77 and a 34-bit facility 7 / card 77 have one
// payload, 458829: bound to their formats they are two cards. A plain
// number 458829 would match both, so it conflicts with either, and they
// with it.
func TestCardFormatUniqueness(t *testing.T) {
	s, rec := openRec(t)
	a := mustUser(t, s, store.User{Name: "A"})
	b := mustUser(t, s, store.User{Name: "B"})
	card := func(uid uint64, v, format string) store.Credential {
		return store.Credential{UserUID: uid, Type: store.CredCard, Value: v, Format: format}
	}
	h := mustCred(t, s, card(a.UID, "458829", "h10301"))
	if got, err := s.GetCredential(h.ID); err != nil || got.Format != "h10301" {
		t.Errorf("stored format = %q, %v; want h10301", got.Format, err)
	}
	if ch := rec.last(); ch.Credential == nil || ch.Credential.Format != "h10301" {
		t.Errorf("change record = %+v, want the format in it", ch.Credential)
	}
	w34 := mustCred(t, s, card(b.UID, "458829", "34bit")) // another format: another card
	plain := card(b.UID, "458829", "")
	wantConflictReason(t, "plain number beside bound cards", s.CreateCredential(&plain), store.ReasonCardFormatHeld)
	dup := card(b.UID, "458829", "h10301")
	wantConflict(t, "same number, same format", s.CreateCredential(&dup), "value")

	p := mustCred(t, s, card(a.UID, "999", ""))
	bound := card(b.UID, "999", "c1000")
	wantConflictReason(t, "bound card beside a plain number", s.CreateCredential(&bound), store.ReasonCardPlainHeld)
	// A credential does not conflict with itself: the plain number may be
	// bound to a format, and back.
	if _, err := s.UpdateCredential(p.ID, func(c *store.Credential) error { c.Format = "c1000"; return nil }); err != nil {
		t.Errorf("binding a plain number to a format: %v", err)
	}
	if _, err := s.UpdateCredential(p.ID, func(c *store.Credential) error { c.Format = ""; return nil }); err != nil {
		t.Errorf("making it plain again: %v", err)
	}
	_, err := s.UpdateCredential(h.ID, func(c *store.Credential) error { c.Format = ""; return nil })
	wantConflictReason(t, "unbinding while another format holds the number", err, store.ReasonCardFormatHeld)
	if err := s.DeleteCredential(w34.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateCredential(h.ID, func(c *store.Credential) error { c.Format = ""; return nil }); err != nil {
		t.Errorf("unbinding the only card of its number: %v", err)
	}
	if got, err := s.LookupCredential(store.CredCard, "458829"); err != nil || got.ID != h.ID {
		t.Errorf("LookupCredential(plain) = %d, %v; want %d", got.ID, err, h.ID)
	}
}

func TestCardFormatValidation(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Name: "U"})
	for _, tc := range []struct {
		name  string
		c     store.Credential
		field string
	}{
		{"alias, not the canonical name", store.Credential{Type: store.CredCard, Value: "458829", Format: "26"}, "format"},
		{"unknown format", store.Credential{Type: store.CredCard, Value: "458829", Format: "h99999"}, "format"},
		{"a PIN has no format", store.Credential{Type: store.CredPIN, Value: "1234", Format: "h10301"}, "format"},
		{"payload too wide for h10301", store.Credential{Type: store.CredCard, Value: "16777216", Format: "h10301"}, "value"},
		{"not canonical", store.Credential{Type: store.CredCard, Value: "0458829", Format: "h10301"}, "value"},
	} {
		c := tc.c
		c.UserUID = u.UID
		wantInvalid(t, tc.name, s.CreateCredential(&c), tc.field)
	}
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "16777215", Format: "h10301"})
	_, err := s.UpdateCredential(c.ID, func(c *store.Credential) error { c.Format = "bogus"; return nil })
	wantInvalid(t, "update to an unknown format", err, "format")
}

// BulkLoad applies the same rule, within a chunk and against the file.
func TestBulkLoadCardFormatUniqueness(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Name: "U"})
	card := func(v, format string) store.Credential {
		return store.Credential{UserUID: u.UID, Type: store.CredCard, Value: v, Format: format}
	}
	if err := s.BulkLoad(nil, []store.Credential{card("458829", "h10301"), card("458829", "34bit"), card("1000", "")}); err != nil {
		t.Fatalf("two formats of one number and a plain number: %v", err)
	}
	for _, tc := range []struct {
		name   string
		creds  []store.Credential
		reason string
	}{
		{"plain beside bound, in the file", []store.Credential{card("458829", "")}, store.ReasonCardFormatHeld},
		{"bound beside plain, in the file", []store.Credential{card("1000", "h10304")}, store.ReasonCardPlainHeld},
		{"plain then bound, in one chunk", []store.Credential{card("77", ""), card("77", "h10301")}, store.ReasonCardPlainHeld},
		{"bound then plain, in one chunk", []store.Credential{card("78", "c1000"), card("78", "")}, store.ReasonCardFormatHeld},
	} {
		wantConflictReason(t, tc.name, s.BulkLoad(nil, tc.creds), tc.reason)
	}
	if err := s.BulkLoad(nil, []store.Credential{card("79", "c1000"), card("79", "h10301")}); err != nil {
		t.Errorf("two formats of one new number in one chunk: %v", err)
	}
}
