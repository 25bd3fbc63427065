package store_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func TestUserCRUD(t *testing.T) {
	s, rec := openRec(t)
	tp := mustTP(t, s, "office")
	apt := mustApt(t, s, 1)

	u := store.User{Name: "Ada Lovelace", Email: "ada@example.org", Tags: []string{"staff", "staff"},
		TimeProfiles: []uint64{tp.ID}, Apartments: []uint64{apt.ID}, Properties: map[string]string{"badge": "7"}}
	dup, err := s.CreateUser(&u, "alice")
	if err != nil || dup {
		t.Fatalf("CreateUser = dup %v, %v; want false, nil", dup, err)
	}
	if u.UID == 0 || u.ID == "" || u.ExtID != u.ID || u.State != store.StateActive || u.Locks != store.LocksBoth {
		t.Errorf("defaults: uid %d id %q ext_id %q state %q locks %q", u.UID, u.ID, u.ExtID, u.State, u.Locks)
	}
	if u.CreatedBy != "alice" || u.UpdatedBy != "alice" || u.CreatedAt.IsZero() || !u.CreatedAt.Equal(u.UpdatedAt) {
		t.Errorf("stamps: %q %q %v %v", u.CreatedBy, u.UpdatedBy, u.CreatedAt, u.UpdatedAt)
	}
	if got, want := u.Tags, []string{"staff"}; !slices.Equal(got, want) {
		t.Errorf("tags = %v, want deduplicated %v", got, want)
	}
	if c := rec.last(); c.Kind != store.KindUser || c.ID != u.UID || c.User == nil || c.User.Name != u.Name || c.Seq != s.Seq() {
		t.Errorf("change = %+v, want user %d at seq %d", c, u.UID, s.Seq())
	}

	for name, get := range map[string]func() (store.User, error){
		"GetUser":        func() (store.User, error) { return s.GetUser(u.ID) },
		"GetUser(upper)": func() (store.User, error) { return s.GetUser(strings.ToUpper(u.ID)) },
		"GetUserByUID":   func() (store.User, error) { return s.GetUserByUID(u.UID) },
	} {
		got, err := get()
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, u)
		}
	}

	upd, err := s.UpdateUser(u.ID, "bob", func(x *store.User) error {
		x.Name = "Ada King"
		x.UID, x.ID = 999, "nope" // not fn's to change: restored
		x.State = store.StateDisabled
		x.Tags = []string{"board"}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if upd.Name != "Ada King" || upd.UID != u.UID || upd.ID != u.ID || upd.State != store.StateDisabled ||
		upd.UpdatedBy != "bob" || upd.CreatedBy != "alice" || !upd.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("UpdateUser = %+v", upd)
	}
	if got, _ := s.GetUser(u.ID); !reflect.DeepEqual(got, upd) {
		t.Errorf("GetUser after update = %+v, want %+v", got, upd)
	}

	// fn's error comes back as is and nothing is written.
	errVal := errors.New("name: too short")
	seq := s.Seq()
	if _, err := s.UpdateUser(u.ID, "bob", func(x *store.User) error { x.Name = "X"; return errVal }); err != errVal {
		t.Errorf("UpdateUser(fn error) = %v, want %v", err, errVal)
	}
	if got, _ := s.GetUser(u.ID); got.Name != "Ada King" || s.Seq() != seq {
		t.Errorf("after failed update: name %q seq %d, want unchanged (%q, %d)", got.Name, s.Seq(), "Ada King", seq)
	}

	if err := s.DeleteUser(u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if c := rec.last(); c.Kind != store.KindUser || c.ID != u.UID || !c.Deleted || c.User != nil {
		t.Errorf("delete change = %+v", c)
	}
	for _, err := range []error{
		func() error { _, err := s.GetUser(u.ID); return err }(),
		func() error { _, err := s.GetUserByUID(u.UID); return err }(),
		s.DeleteUser(u.ID),
		func() error { _, err := s.UpdateUser(u.ID, "", func(*store.User) error { return nil }); return err }(),
		func() error { _, err := s.GetUser("not-a-uuid"); return err }(),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: err = %v, want ErrNotFound", err)
		}
	}
}

func TestUserUniqueIndexes(t *testing.T) {
	s := storetest.Open(t)
	a := mustUser(t, s, store.User{Name: "A", ExtID: "emp-1"})
	b := mustUser(t, s, store.User{Name: "B", ExtID: "emp-2"})

	tests := []struct {
		name  string
		u     store.User
		field string
	}{
		{"same id", store.User{ID: a.ID}, "id"},
		{"same id other case", store.User{ID: strings.ToUpper(a.ID)}, "id"},
		{"same ext_id", store.User{ExtID: "emp-1"}, "ext_id"},
		{"ext_id equal to another's generated one", store.User{ExtID: a.ExtID}, "ext_id"},
	}
	for _, tt := range tests {
		u := tt.u
		_, err := s.CreateUser(&u, "")
		wantConflict(t, tt.name, err, tt.field)
	}
	_, err := s.UpdateUser(b.ID, "", func(u *store.User) error { u.ExtID = "emp-1"; return nil })
	wantConflict(t, "update to a taken ext_id", err, "ext_id")
	// Keeping one's own ext_id is not a conflict.
	if _, err := s.UpdateUser(a.ID, "", func(u *store.User) error { u.ExtID = "emp-1"; u.Info = "x"; return nil }); err != nil {
		t.Errorf("update keeping own ext_id: %v", err)
	}
	// A freed ext_id can be taken.
	if _, err := s.UpdateUser(b.ID, "", func(u *store.User) error { u.ExtID = "emp-3"; return nil }); err != nil {
		t.Fatalf("rename ext_id: %v", err)
	}
	mustUser(t, s, store.User{Name: "C", ExtID: "emp-2"})

	// A client-supplied uuid is kept (canonical form).
	u := store.User{ID: "6BA7B810-9DAD-11D1-80B4-00C04FD430C8"}
	if _, err := s.CreateUser(&u, ""); err != nil || u.ID != "6ba7b810-9dad-11d1-80b4-00c04fd430c8" {
		t.Errorf("CreateUser(given id) = %q, %v", u.ID, err)
	}
	u = store.User{ID: "user-1"}
	if _, err := s.CreateUser(&u, ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CreateUser(id not a uuid) err = %v, want ErrInvalid", err)
	}
}

func TestUserDupName(t *testing.T) {
	s := storetest.Open(t)
	tests := []struct {
		name string
		dup  bool
	}{
		{"John Smith", false},
		{"john smith", true},
		{"JOHN SMITH", true},
		{"John Smit", false},
		{"", false},
		{"", false}, // empty names are never duplicates
	}
	for _, tt := range tests {
		u := store.User{Name: tt.name}
		dup, err := s.CreateUser(&u, "")
		if err != nil || dup != tt.dup {
			t.Errorf("CreateUser(%q) = dup %v, %v; want %v", tt.name, dup, err, tt.dup)
		}
	}
	// Renaming frees the old name.
	x := mustUser(t, s, store.User{Name: "Only One"})
	if _, err := s.UpdateUser(x.ID, "", func(u *store.User) error { u.Name = "Someone Else"; return nil }); err != nil {
		t.Fatal(err)
	}
	if dup, _ := s.CreateUser(&store.User{Name: "only one"}, ""); dup {
		t.Errorf("name freed by rename still reported as duplicate")
	}
}

func TestUserArchivedIsFinal(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Name: "Leaver"})
	for _, st := range []store.UserState{store.StateDisabled, store.StateActive, store.StateArchived} {
		if _, err := s.UpdateUser(u.ID, "", func(x *store.User) error { x.State = st; return nil }); err != nil {
			t.Fatalf("to %s: %v", st, err)
		}
	}
	called := false
	for _, st := range []store.UserState{store.StateActive, store.StateDisabled, store.StateArchived} {
		_, err := s.UpdateUser(u.ID, "", func(x *store.User) error { called = true; x.State = st; return nil })
		if !errors.Is(err, store.ErrArchived) {
			t.Errorf("archived → %s: err = %v, want ErrArchived", st, err)
		}
	}
	if called {
		t.Errorf("fn was called for an archived user")
	}
	if got, _ := s.GetUser(u.ID); got.State != store.StateArchived {
		t.Errorf("state = %q, want archived", got.State)
	}
	if err := s.DeleteUser(u.ID); err != nil {
		t.Errorf("deleting an archived user: %v", err)
	}
	if _, err := s.UpdateUser(mustUser(t, s, store.User{}).ID, "", func(x *store.User) error { x.State = "gone"; return nil }); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown state: err = %v, want ErrInvalid", err)
	}
}

func TestUserRefs(t *testing.T) {
	s := storetest.Open(t)
	tp := mustTP(t, s, "p")
	apt := mustApt(t, s, 1)
	tests := []struct {
		name  string
		u     store.User
		field string
		id    uint64
	}{
		{"missing time profile", store.User{TimeProfiles: []uint64{tp.ID, 77}}, "time_profiles", 77},
		{"missing apartment", store.User{Apartments: []uint64{apt.ID, 88}}, "apartments", 88},
	}
	for _, tt := range tests {
		u := tt.u
		_, err := s.CreateUser(&u, "")
		wantRef(t, tt.name, err, tt.field, tt.id)
	}
	u := mustUser(t, s, store.User{TimeProfiles: []uint64{tp.ID}, Apartments: []uint64{apt.ID}})
	_, err := s.UpdateUser(u.ID, "", func(x *store.User) error { x.Apartments = append(x.Apartments, 99); return nil })
	wantRef(t, "update adds missing apartment", err, "apartments", 99)
}

func TestDeleteUserCascadesCredentials(t *testing.T) {
	s, rec := openRec(t)
	u := mustUser(t, s, store.User{Name: "U"})
	keep := mustUser(t, s, store.User{Name: "K"})
	c1 := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "100"})
	c2 := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1234"})
	c3 := mustCred(t, s, store.Credential{UserUID: keep.UID, Type: store.CredCard, Value: "200"})
	before := s.Seq()
	if err := s.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{c1.ID, c2.ID} {
		if _, err := s.GetCredential(id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("credential %d after cascade: err = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.LookupCredential(store.CredCard, "100"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("card 100 still indexed: %v", err)
	}
	if _, err := s.GetCredential(c3.ID); err != nil {
		t.Errorf("other user's credential: %v", err)
	}
	// The freed card value can be issued again.
	mustCred(t, s, store.Credential{UserUID: keep.UID, Type: store.CredCard, Value: "100"})
	var got []string
	for _, c := range rec.all() {
		if c.Seq > before && c.Seq <= before+3 {
			got = append(got, string(c.Kind)+" "+itoa(c.ID)+" deleted="+map[bool]string{true: "y", false: "n"}[c.Deleted])
		}
	}
	want := []string{"credential " + itoa(c1.ID) + " deleted=y", "credential " + itoa(c2.ID) + " deleted=y", "user " + itoa(u.UID) + " deleted=y"}
	if !slices.Equal(got, want) {
		t.Errorf("changes of the cascade = %q, want %q", got, want)
	}
}
