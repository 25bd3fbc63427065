package store_test

import (
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/internal/keys"
	"github.com/doord/doord/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// Records written before cards had a format have no "f" and are indexed
// under the plain key: they read, scan and index as plain numbers, with no
// migration step, and keep their uniqueness against bound cards. (Neither
// the native nor the BAS-IP create path ever stored the format a
// facility/card pair was given in, so there is nothing to recover.)
func TestCardRecordsFromBeforeFormatsStayPlain(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Name: "U"})
	const id = 42
	// Its locks explicit, as schema 2 (migrate_explicit.go) leaves every
	// record: an absent "l" now reads as no door.
	old := []byte(`{"u":` + itoa(u.UID) + `,"t":"card","v":"458829","l":"both","ca":1700000000000000000}`)
	err := store.RawUpdateForTest(s, func(tx *bolt.Tx) error {
		if err := tx.Bucket(store.BucketCreds).Put(keys.U64(id), old); err != nil {
			return err
		}
		if err := tx.Bucket(store.BucketCreds).SetSequence(id); err != nil {
			return err
		}
		if err := tx.Bucket(store.BucketCredByValue).Put(append(keys.Str("card"), "458829"...), keys.U64(id)); err != nil {
			return err
		}
		return tx.Bucket([]byte("credentials_by_user")).Put(keys.Posting(keys.U64(u.UID), id), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.GetCredential(id); err != nil || c.Format != "" || c.Value != "458829" {
		t.Errorf("old record = %+v, %v; want a plain card 458829", c, err)
	}
	var scanned []store.AccessCredential
	if _, err := s.ScanAccess(store.AccessVisitor{Credential: func(c *store.AccessCredential) error {
		scanned = append(scanned, *c)
		return nil
	}}); err != nil || len(scanned) != 1 || scanned[0].Format != "" || scanned[0].Value != "458829" {
		t.Errorf("ScanAccess = %+v, %v; want one plain card", scanned, err)
	}
	bound := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "458829", Format: "h10301"}
	wantConflictReason(t, "bound card beside an old plain record", s.CreateCredential(&bound), store.ReasonCardPlainHeld)
	// Binding the old record to its format is an ordinary update.
	c, err := s.UpdateCredential(id, func(c *store.Credential) error { c.Format = "h10301"; return nil })
	if err != nil || c.Format != "h10301" {
		t.Errorf("binding the old record: %+v, %v", c, err)
	}
}
