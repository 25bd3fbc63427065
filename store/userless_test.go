package store_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/doord/doord/store"
	bolt "go.etcd.io/bbolt"
)

// A credential may exist without a user: it is stored, listed under no
// user and by its apartment, and keeps the uniqueness rules of any other.
func TestCredentialWithoutUser(t *testing.T) {
	s, _ := openRec(t)
	apt := mustApt(t, s, 12)
	c := mustCred(t, s, store.Credential{Type: store.CredCard, Value: "4567", OwnerName: "Flat 12", Apartment: apt.ID, MaxPasses: 3})
	if c.UserUID != 0 || c.Apartment != apt.ID || c.PassesLeft != 3 {
		t.Fatalf("created %+v", c)
	}
	got, err := s.GetCredential(c.ID)
	if err != nil || got.Apartment != apt.ID || got.UserUID != 0 || got.OwnerName != "Flat 12" {
		t.Fatalf("GetCredential = %+v, %v", got, err)
	}
	u := mustUser(t, s, store.User{Name: "u"})
	owned := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "4568", Apartment: apt.ID})

	dup := store.Credential{Type: store.CredCard, Value: "4567"}
	wantConflict(t, "the same card without a user", s.CreateCredential(&dup), "value")
	bad := store.Credential{Type: store.CredCard, Value: "99", Apartment: 404}
	wantRef(t, "a missing apartment", s.CreateCredential(&bad), "apartment", 404)

	ids := func(f store.CredentialFilter) []uint64 {
		t.Helper()
		cs, _, err := s.ListCredentialPage(f)
		if err != nil {
			t.Fatalf("ListCredentialPage(%+v): %v", f, err)
		}
		var out []uint64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.CredentialFilter
		want []uint64
	}{
		{"all", store.CredentialFilter{}, []uint64{c.ID, owned.ID}},
		{"no user", store.CredentialFilter{NoUser: true}, []uint64{c.ID}},
		{"user", store.CredentialFilter{User: u.UID}, []uint64{owned.ID}},
		{"apartment", store.CredentialFilter{Apartment: apt.ID}, []uint64{c.ID, owned.ID}},
		{"apartment, no user", store.CredentialFilter{Apartment: apt.ID, NoUser: true}, []uint64{c.ID}},
	} {
		if got := ids(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	page, next, err := s.ListCredentialPage(store.CredentialFilter{Limit: 1})
	if err != nil || len(page) != 1 || next == "" {
		t.Fatalf("first page of one: %v next %q err %v", page, next, err)
	}
	if rest := ids(store.CredentialFilter{Limit: 1, Cursor: next}); !slices.Equal(rest, []uint64{owned.ID}) {
		t.Errorf("second page %v, want [%d]", rest, owned.ID)
	}
	if _, _, err := s.ListCredentialPage(store.CredentialFilter{User: 404}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("list of a missing user: %v, want ErrNotFound", err)
	}

	// Deleting the apartment unbinds its credentials in the same commit.
	if err := s.DeleteApartment(apt.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{c.ID, owned.ID} {
		if got, _ := s.GetCredential(id); got.Apartment != 0 {
			t.Errorf("credential %d still bound to deleted apartment %d", id, got.Apartment)
		}
	}
	if got := ids(store.CredentialFilter{Apartment: apt.ID}); len(got) != 0 {
		t.Errorf("deleted apartment still lists %v", got)
	}
}

// MoveCredential gives a credential to another user, or to none, in one
// commit with one change record: the id, value and passes left stay.
func TestMoveCredentialKeepsIDAndPasses(t *testing.T) {
	s, rec := openRec(t)
	a := mustUser(t, s, store.User{Name: "a"})
	b := mustUser(t, s, store.User{Name: "b"})
	c := mustCred(t, s, store.Credential{UserUID: a.UID, Type: store.CredCard, Value: "77", MaxPasses: 5})
	if _, err := s.UsePass(c.ID); err != nil {
		t.Fatal(err)
	}
	for _, to := range []uint64{b.UID, 0, a.UID} {
		before := len(rec.all())
		got, err := s.MoveCredential(c.ID, to, nil)
		if err != nil {
			t.Fatalf("move to %d: %v", to, err)
		}
		if got.ID != c.ID || got.UserUID != to || got.PassesLeft != 4 || got.Value != "77" {
			t.Fatalf("moved to %d: %+v", to, got)
		}
		cs := rec.all()[before:]
		if len(cs) != 1 || cs[0].Kind != store.KindCredential || cs[0].Credential == nil || cs[0].Credential.UserUID != to {
			t.Fatalf("move to %d: change records %+v, want one credential record naming the new user", to, cs)
		}
	}
	// With an edit in the same commit.
	got, err := s.MoveCredential(c.ID, 0, func(c *store.Credential) error { c.OwnerName = "Flat 3"; return nil })
	if err != nil || got.UserUID != 0 || got.OwnerName != "Flat 3" {
		t.Fatalf("move with an edit: %+v %v", got, err)
	}
	_, err = s.MoveCredential(c.ID, 404, nil)
	wantRef(t, "move to a missing user", err, "user_uid", 404)
	arch := mustUser(t, s, store.User{Name: "gone", State: store.StateArchived})
	if _, err := s.MoveCredential(c.ID, arch.UID, nil); !errors.Is(err, store.ErrArchived) {
		t.Errorf("move to an archived user: %v, want ErrArchived", err)
	}
	// UpdateCredential still cannot change the user.
	got, err = s.UpdateCredential(c.ID, func(c *store.Credential) error { c.UserUID = b.UID; return nil })
	if err != nil || got.UserUID != 0 {
		t.Errorf("UpdateCredential changed the user: %+v %v", got, err)
	}
}

// A store built the old way — BAS-IP identifiers without a user under a
// disabled holding user, a moved identifier under a new id with alias
// settings — opens as schema 3 with those credentials without a user,
// the moved one back under the id its clients know, passes kept, and
// the holding user and every alias setting gone.
func TestMigrationDissolvesHoldingUser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hold := mustUser(t, s, store.User{Name: "BAS-IP identifiers without a user", State: store.StateDisabled, Tags: []string{"basip-unattached"}})
	if err := s.PutSetting("basip.holding_user", []byte(strconv.FormatUint(hold.UID, 10))); err != nil {
		t.Fatal(err)
	}
	tp := mustTP(t, s, "p")
	free := mustCred(t, s, store.Credential{UserUID: hold.UID, Type: store.CredCard, Value: "1001", OwnerName: "Flat 1", MaxPasses: 4, TimeProfiles: []uint64{tp.ID}})
	if _, err := s.UsePass(free.ID); err != nil {
		t.Fatal(err)
	}
	// Moved as the dialect moved: deleted and created again under a new
	// id, the passes copied, the first id kept in two settings.
	grace := mustUser(t, s, store.User{Name: "Grace"})
	first := mustCred(t, s, store.Credential{UserUID: hold.UID, Type: store.CredCard, Value: "2002", MaxPasses: 3})
	if err := s.DeleteCredential(first.ID); err != nil {
		t.Fatal(err)
	}
	moved := mustCred(t, s, store.Credential{UserUID: grace.UID, Type: store.CredCard, Value: "2002", MaxPasses: 3})
	if _, err := s.UpdateCredential(moved.ID, func(c *store.Credential) error { c.PassesLeft = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	f, m := strconv.FormatUint(first.ID, 10), strconv.FormatUint(moved.ID, 10)
	for k, v := range map[string]string{"basip.ident." + f: m, "basip.ident_uid." + m: f, "other.setting": "kept"} {
		if err := s.PutSetting(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	// Back to schema 2: no apartment index yet.
	err = store.RawUpdateForTest(s, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("credentials_by_apt")); err != nil {
			return err
		}
		return tx.Bucket(store.BucketMeta).Put(store.KeySchemaVersion, []byte("2"))
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
	if s.SchemaVersion() < 3 {
		t.Fatalf("SchemaVersion = %d, want the schema 3 migration run", s.SchemaVersion())
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check after the migration: %v", err)
	}
	got, err := s.GetCredential(free.ID)
	if err != nil || got.UserUID != 0 || got.OwnerName != "Flat 1" || got.PassesLeft != 3 || len(got.TimeProfiles) != 1 {
		t.Errorf("the holding user's credential: %+v %v; want it without a user, 3 passes left, its profile", got, err)
	}
	got, err = s.GetCredential(first.ID)
	if err != nil || got.UserUID != grace.UID || got.Value != "2002" || got.PassesLeft != 1 {
		t.Errorf("the moved credential under its first id %d: %+v %v", first.ID, got, err)
	}
	if _, err := s.GetCredential(moved.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the moved credential is still under its second id %d: %v", moved.ID, err)
	}
	if _, err := s.GetUserByUID(hold.UID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("holding user still there: %v", err)
	}
	for _, k := range []string{"basip.holding_user", "basip.ident." + f, "basip.ident_uid." + m} {
		if _, err := s.GetSetting(k); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("setting %s still there: %v", k, err)
		}
	}
	if v, err := s.GetSetting("other.setting"); err != nil || string(v) != "kept" {
		t.Errorf("an unrelated setting: %q %v", v, err)
	}
	_, sc := scanned(t, s, 0, free.ID)
	if sc.UserUID != 0 || sc.PassesLeft != 3 || len(sc.TimeProfiles) != 1 {
		t.Errorf("scanned %+v", sc)
	}
	if cs, _, err := s.ListCredentialPage(store.CredentialFilter{NoUser: true}); err != nil || len(cs) != 1 || cs[0].ID != free.ID {
		t.Errorf("credentials without a user after the migration: %+v %v", cs, err)
	}
}
