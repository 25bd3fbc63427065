package store_test

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/doord/doord/store"
	bolt "go.etcd.io/bbolt"
)

// A file of schema 3 (users and credentials in compact JSON) opens as
// schema 4 with nothing rewritten, reads, scans and checks as it did, and
// a record written after is binary; a JSON record that changes is
// rewritten binary.
func TestSchema3FileOpensWithJSONRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("y", 3600))
	u1 := mustUser(t, s, store.User{Name: "Greta Meyer", FirstName: "Greta", LastName: "Meyer", Tags: []string{"a"}, ValidFrom: &from})
	u2 := mustUser(t, s, store.User{Name: "Off", State: store.StateDisabled, Locks: store.LocksFirst})
	c1 := mustCred(t, s, store.Credential{UserUID: u1.UID, Type: store.CredCard, Value: "65537"})
	c2 := mustCred(t, s, store.Credential{UserUID: u2.UID, Type: store.CredPIN, Value: "123456", MaxPasses: 3})
	if err := store.RewriteJSONForTest(s); err != nil {
		t.Fatal(err)
	}
	err = store.RawUpdateForTest(s, func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketMeta).Put(store.KeySchemaVersion, []byte("3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := s.SchemaVersion(); v != 4 {
		t.Fatalf("SchemaVersion = %d, want 4", v)
	}
	if f := store.StoredFormForTest(s, store.BucketUsers, u1.UID); f != "json" {
		t.Fatalf("user stored %s after the migration, want json (not rewritten)", f)
	}
	for _, want := range []store.User{u1, u2} {
		got, err := s.GetUser(want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || got.State != want.State || got.Locks != want.Locks || !reflect.DeepEqual(got.Tags, want.Tags) ||
			(want.ValidFrom != nil && !got.ValidFrom.Equal(*want.ValidFrom)) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("user %q read back as %+v", want.Name, got)
		}
	}
	au, ac := scanned(t, s, u2.UID, c2.ID)
	if au.State != store.StateDisabled || au.Locks != store.LocksFirst || ac.Value != "123456" || ac.MaxPasses != 3 {
		t.Errorf("scanned %+v %+v", au, ac)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}

	if _, err := s.UpdateUser(u1.ID, "test", func(u *store.User) error { u.Info = "moved"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UsePass(c2.ID); err != nil {
		t.Fatal(err)
	}
	u3 := mustUser(t, s, store.User{Name: "New"})
	for _, r := range []struct {
		bucket []byte
		id     uint64
		form   string
	}{
		{store.BucketUsers, u1.UID, "binary"}, {store.BucketUsers, u2.UID, "json"}, {store.BucketUsers, u3.UID, "binary"},
		{store.BucketCreds, c1.ID, "json"}, {store.BucketCreds, c2.ID, "binary"},
	} {
		if f := store.StoredFormForTest(s, r.bucket, r.id); f != r.form {
			t.Errorf("%s %d stored %s, want %s", r.bucket, r.id, f, r.form)
		}
	}
	if got, _ := s.GetUser(u1.ID); got.Info != "moved" || got.Name != u1.Name || !got.ValidFrom.Equal(from) {
		t.Errorf("updated user read back as %+v", got)
	}
	if got, _ := s.GetCredential(c2.ID); got.PassesLeft != 2 {
		t.Errorf("credential after a pass: %+v", got)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check after writes: %v", err)
	}
}
