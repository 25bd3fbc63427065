package store_test

import (
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func pinCred(uid uint64, v string) store.Credential {
	return store.Credential{UserUID: uid, Type: store.CredPIN, Value: v}
}

// With duress on (offset 1: 1234's duress PIN is 1235), no PIN may be
// another PIN's duress PIN, nor have another PIN as its duress PIN: at
// the keypad the two could not be told apart.
func TestDuressPINConflicts(t *testing.T) {
	s := storetest.Open(t, store.Options{DuressOffset: 1})
	a := mustUser(t, s, store.User{Name: "A"})
	b := mustUser(t, s, store.User{Name: "B"})
	mustCred(t, s, pinCred(a.UID, "1234"))
	mustCred(t, s, pinCred(a.UID, "5550"))
	for _, tc := range []struct {
		name, pin, reason string
		uid               uint64
	}{
		{"another user's duress PIN", "1235", store.ReasonDuressOfOther, b.UID},
		{"duress PIN is another user's PIN", "1233", store.ReasonDuressIsOther, b.UID},
		{"the same user's duress PIN", "1235", store.ReasonDuressOfOther, a.UID},
		{"duress wraps past 9", "5559", store.ReasonDuressIsOther, b.UID},
		{"leading zeros kept", "01235", "", b.UID},
		{"two digits off", "1236", "", b.UID},
	} {
		c := pinCred(tc.uid, tc.pin)
		err := s.CreateCredential(&c)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%s: %v, want created", tc.name, err)
			}
			continue
		}
		wantConflictReason(t, tc.name, err, tc.reason)
		if err != nil && containsAny(err.Error(), "1234", "5550", tc.pin) {
			t.Errorf("%s: the error %q repeats a PIN", tc.name, err)
		}
	}

	other := mustCred(t, s, pinCred(b.UID, "7777"))
	_, err := s.UpdateCredential(other.ID, func(c *store.Credential) error { c.Value = "5551"; return nil })
	wantConflictReason(t, "update to another's duress PIN", err, store.ReasonDuressOfOther)
	_, err = s.UpdateCredential(other.ID, func(c *store.Credential) error { c.Value = "1233"; return nil })
	wantConflictReason(t, "update to a PIN whose duress PIN is another's", err, store.ReasonDuressIsOther)
	// A PIN next to its own former value is no conflict with itself.
	own := mustCred(t, s, pinCred(a.UID, "4000"))
	if _, err := s.UpdateCredential(own.ID, func(c *store.Credential) error { c.Value = "4001"; return nil }); err != nil {
		t.Errorf("moving a PIN onto its own duress PIN: %v", err)
	}
}

func TestDuressOffAllowsNeighbourPINs(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Name: "U"})
	mustCred(t, s, pinCred(u.UID, "1234"))
	mustCred(t, s, pinCred(u.UID, "1235"))
}

func TestBulkLoadDuressPINConflicts(t *testing.T) {
	s := storetest.Open(t, store.Options{DuressOffset: 3})
	u := mustUser(t, s, store.User{Name: "U"})
	if err := s.BulkLoad(nil, []store.Credential{pinCred(u.UID, "1000"), pinCred(u.UID, "2000")}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		creds  []store.Credential
		reason string
	}{
		{"another's duress PIN, in the file", []store.Credential{pinCred(u.UID, "1003")}, store.ReasonDuressOfOther},
		{"duress PIN is another's, in the file", []store.Credential{pinCred(u.UID, "2007")}, store.ReasonDuressIsOther},
		{"in one chunk, later is the duress PIN", []store.Credential{pinCred(u.UID, "3000"), pinCred(u.UID, "3003")}, store.ReasonDuressOfOther},
		{"in one chunk, later's duress PIN is earlier", []store.Credential{pinCred(u.UID, "4003"), pinCred(u.UID, "4000")}, store.ReasonDuressIsOther},
	} {
		wantConflictReason(t, tc.name, s.BulkLoad(nil, tc.creds), tc.reason)
	}
	if err := s.BulkLoad(nil, []store.Credential{pinCred(u.UID, "5000"), pinCred(u.UID, "5006")}); err != nil {
		t.Errorf("two offsets apart: %v", err)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if x != "" && len(s) >= len(x) {
			for i := 0; i+len(x) <= len(s); i++ {
				if s[i:i+len(x)] == x {
					return true
				}
			}
		}
	}
	return false
}

// A bulk load that fails on a PIN names the record and the rule, never the
// PIN: the error reaches logs and the importer's answer.
func TestBulkLoadErrorsDoNotShowPINs(t *testing.T) {
	s := storetest.Open(t, store.Options{DuressOffset: 3})
	u := mustUser(t, s, store.User{Name: "U"})
	if err := s.BulkLoad(nil, []store.Credential{pinCred(u.UID, "918273")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]store.Credential{
		{pinCred(u.UID, "918273")}, // taken
		{pinCred(u.UID, "918276")}, // the other's duress PIN
	} {
		err := s.BulkLoad(nil, c)
		if err == nil {
			t.Fatalf("BulkLoad(%s) = nil, want a conflict", c[0].Type)
		}
		if containsAny(err.Error(), "918273", "918276") {
			t.Errorf("BulkLoad error shows the PIN: %v", err)
		}
	}
}
