package store_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/doord/doord/store"
)

const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// TestTOTPSecretEncryptedAtRest: the file holds the TOTP secret only
// sealed with the key in the data directory's 0600 key file; the store
// reads it back; a copy of the file without the key yields no secret, and
// with the key it does.
func TestTOTPSecretEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := store.Operator{Username: "ada", PasswordHash: "x", Role: store.RoleAdmin, Enabled: true, TOTPSecret: totpSecret}
	if err := s.CreateOperator(&o); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateOperator(o.ID, func(o *store.Operator) error { o.TOTPConfirmed = true; return nil }); err != nil {
		t.Fatal(err)
	}
	raw, err := store.RawOperatorForTest(s, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(totpSecret)) || bytes.Contains(raw, []byte(totpSecret[:16])) {
		t.Fatalf("the file holds the TOTP secret in clear: %s", raw)
	}
	var stored store.Operator
	if err := json.Unmarshal(raw, &stored); err != nil || stored.TOTPSecret == "" {
		t.Fatalf("stored record %s: %v", raw, err)
	}
	got, err := s.GetOperator(o.ID)
	if err != nil || got.TOTPSecret != totpSecret || !got.TOTPConfirmed {
		t.Fatalf("GetOperator: secret %q confirmed %v, %v", got.TOTPSecret, got.TOTPConfirmed, err)
	}
	if byName, _ := s.GetOperatorByUsername("ada"); byName.TOTPSecret != totpSecret {
		t.Fatalf("GetOperatorByUsername: secret %q", byName.TOTPSecret)
	}
	if all, _ := s.ListOperators(); len(all) != 1 || all[0].TOTPSecret != totpSecret {
		t.Fatalf("ListOperators: %+v", all)
	}
	keyFile := filepath.Join(dir, "doord.key")
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v, mode %v; want 0600", keyFile, err, fi.Mode().Perm())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The database copied alone: no usable secret.
	other := t.TempDir()
	copyFile(t, path, filepath.Join(other, "doord.db"))
	c, err := store.Open(filepath.Join(other, "doord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetOperator(o.ID); got.TOTPSecret == totpSecret || got.TOTPSecret == "" {
		t.Errorf("without the key the secret reads %q: want neither the secret nor empty (empty would turn two-factor login off)", got.TOTPSecret)
	}
	c.Close()
	// With the key it is the secret again.
	k, err := store.Open(filepath.Join(other, "doord.db"), store.Options{KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if got, _ := k.GetOperator(o.ID); got.TOTPSecret != totpSecret {
		t.Errorf("with the key the secret reads %q", got.TOTPSecret)
	}
}

// TestClearTOTPSecretsAreSealedAtOpen: a file from before the encryption
// holds clear secrets; the next Open seals them.
func TestClearTOTPSecretsAreSealedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := store.Operator{Username: "ada", PasswordHash: "x", Role: store.RoleAdmin, Enabled: true}
	if err := s.CreateOperator(&o); err != nil {
		t.Fatal(err)
	}
	o.TOTPSecret, o.TOTPConfirmed = totpSecret, true
	clear, _ := json.Marshal(o)
	if err := store.PutRawOperatorForTest(s, o.ID, clear); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, _ := store.RawOperatorForTest(s, o.ID)
	if bytes.Contains(raw, []byte(totpSecret)) {
		t.Fatalf("still clear after Open: %s", raw)
	}
	if got, _ := s.GetOperator(o.ID); got.TOTPSecret != totpSecret || !got.TOTPConfirmed {
		t.Fatalf("after sealing: %q %v", got.TOTPSecret, got.TOTPConfirmed)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
