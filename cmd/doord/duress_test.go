package main

import (
	"errors"
	"testing"

	"github.com/doord/doord/store"
)

// [access] duress reaches the store: with it on, the store refuses a PIN
// that is another PIN's duress PIN, as the engine would read it.
func TestDuressConfigReachesTheStore(t *testing.T) {
	for _, tc := range []struct {
		duress string
		refuse bool
	}{{"last_digit_plus_one", true}, {"", false}} {
		cfg := testConfig(t, t.TempDir())
		cfg.Access.Duress = tc.duress
		d, _ := start(t, cfg)
		u := store.User{Name: "U"}
		if _, err := d.st.CreateUser(&u, "test"); err != nil {
			t.Fatal(err)
		}
		if err := d.st.CreateCredential(&store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1234"}); err != nil {
			t.Fatal(err)
		}
		err := d.st.CreateCredential(&store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1235"})
		var ce *store.ConflictError
		if refused := errors.As(err, &ce) && ce.Reason == store.ReasonDuressOfOther; refused != tc.refuse {
			t.Errorf("duress %q: PIN 1235 beside 1234: %v, want refused %v", tc.duress, err, tc.refuse)
		}
		if err := d.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
