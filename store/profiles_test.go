package store_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func TestTimeProfileCRUDAndDetach(t *testing.T) {
	s, rec := openRec(t)
	p := mustTP(t, s, "office")
	keep := mustTP(t, s, "night")
	if got, err := s.GetTimeProfile(p.ID); err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("GetTimeProfile = %+v, %v; want %+v", got, err, p)
	}
	upd, err := s.UpdateTimeProfile(p.ID, func(x *store.TimeProfile) error {
		x.Name = "Office"
		x.ID = 99
		x.Holidays = []string{"2025-12-25"}
		return nil
	})
	if err != nil || upd.Name != "Office" || upd.ID != p.ID || len(upd.Holidays) != 1 {
		t.Errorf("UpdateTimeProfile = %+v, %v", upd, err)
	}

	u1 := mustUser(t, s, store.User{TimeProfiles: []uint64{p.ID, keep.ID}})
	u2 := mustUser(t, s, store.User{TimeProfiles: []uint64{p.ID}, State: store.StateArchived})
	u3 := mustUser(t, s, store.User{TimeProfiles: []uint64{keep.ID}})
	c := mustCred(t, s, store.Credential{UserUID: u3.UID, Type: store.CredCard, Value: "1", TimeProfiles: []uint64{keep.ID, p.ID}})
	before := s.Seq()
	if users, creds, err := s.TimeProfileRefs(p.ID); err != nil || !slices.Equal(users, []uint64{u1.UID, u2.UID}) || !slices.Equal(creds, []uint64{c.ID}) {
		t.Errorf("TimeProfileRefs = %v, %v, %v; want [%d %d], [%d]", users, creds, err, u1.UID, u2.UID, c.ID)
	}

	if err := s.DeleteTimeProfile(p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTimeProfile(p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	for _, tt := range []struct {
		uid  uint64
		want []uint64
	}{{u1.UID, []uint64{keep.ID}}, {u2.UID, nil}, {u3.UID, []uint64{keep.ID}}} {
		got, _ := s.GetUserByUID(tt.uid)
		if !slices.Equal(got.TimeProfiles, tt.want) {
			t.Errorf("user %d time profiles = %v, want %v", tt.uid, got.TimeProfiles, tt.want)
		}
	}
	if got, _ := s.GetCredential(c.ID); !slices.Equal(got.TimeProfiles, []uint64{keep.ID}) {
		t.Errorf("credential time profiles = %v, want [%d]", got.TimeProfiles, keep.ID)
	}
	if page, _, _ := s.ListUsers(store.UserFilter{TimeProfile: p.ID}); len(page) != 0 {
		t.Errorf("ListUsers(deleted profile) = %d users, want 0", len(page))
	}
	// Two users, one credential, the profile: four records, in that order.
	var kinds []store.ChangeKind
	for _, ch := range rec.all() {
		if ch.Seq > before {
			kinds = append(kinds, ch.Kind)
		}
	}
	want := []store.ChangeKind{store.KindUser, store.KindUser, store.KindCredential, store.KindTimeProfile}
	if !slices.Equal(kinds, want) {
		t.Errorf("changes = %v, want %v", kinds, want)
	}
	if err := s.DeleteTimeProfile(p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, _, err := s.TimeProfileRefs(p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TimeProfileRefs(deleted) = %v", err)
	}
}

func TestDeletingTheOnlyProfileOfSomeoneIsRefused(t *testing.T) {
	s := storetest.Open(t)
	p := mustTP(t, s, "office")
	other := mustTP(t, s, "night")
	u := mustUser(t, s, store.User{TimeProfiles: []uint64{p.ID}})
	err := s.DeleteTimeProfile(p.ID)
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("deleting a user's only profile: err = %v, want ErrInUse", err)
	}
	if got, _ := s.GetUserByUID(u.UID); !slices.Equal(got.TimeProfiles, []uint64{p.ID}) {
		t.Fatalf("refused delete still changed the user: %v", got.TimeProfiles)
	}
	if _, err := s.UpdateUser(u.ID, "t", func(x *store.User) error { x.TimeProfiles = []uint64{other.ID}; return nil }); err != nil {
		t.Fatal(err)
	}
	// A credential whose only profile it is holds it up too.
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1234", TimeProfiles: []uint64{p.ID}})
	if err := s.DeleteTimeProfile(p.ID); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("deleting a credential's only profile: err = %v, want ErrInUse", err)
	}
	if err := s.DeleteCredential(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTimeProfile(p.ID); err != nil {
		t.Fatalf("delete once nobody depends on it alone: %v", err)
	}
}

func TestListTimeProfilesAndApartments(t *testing.T) {
	s := storetest.Open(t)
	var wantTP, wantApt []uint64
	for i := range 12 {
		wantTP = append(wantTP, mustTP(t, s, "p").ID)
		wantApt = append(wantApt, mustApt(t, s, i).ID)
	}
	var gotTP, gotApt []uint64
	for cur, n := "", 0; n == 0 || cur != ""; n++ {
		page, next, err := s.ListTimeProfiles(cur, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			gotTP = append(gotTP, p.ID)
		}
		cur = next
	}
	for cur, n := "", 0; n == 0 || cur != ""; n++ {
		page, next, err := s.ListApartments(cur, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			gotApt = append(gotApt, a.ID)
		}
		cur = next
	}
	if !slices.Equal(gotTP, wantTP) || !slices.Equal(gotApt, wantApt) {
		t.Errorf("paged ids: profiles %v apartments %v; want %v and %v", gotTP, gotApt, wantTP, wantApt)
	}
}

func TestApartmentCRUDAndDetach(t *testing.T) {
	s, rec := openRec(t)
	a := mustApt(t, s, 1)
	b := mustApt(t, s, 2)
	if got, err := s.GetApartment(a.ID); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("GetApartment = %+v, %v; want %+v", got, err, a)
	}
	dup := store.Apartment{Address: a.Address}
	wantConflict(t, "same address", s.CreateApartment(&dup), "address")
	_, err := s.UpdateApartment(b.ID, func(x *store.Apartment) error { x.Address = a.Address; return nil })
	wantConflict(t, "move onto a taken address", err, "address")
	upd, err := s.UpdateApartment(b.ID, func(x *store.Apartment) error { x.Address.Room = 20; x.Name = "penthouse"; return nil })
	if err != nil || upd.Address.Room != 20 || upd.Name != "penthouse" {
		t.Errorf("UpdateApartment = %+v, %v", upd, err)
	}
	again := store.Apartment{Address: store.Address{Building: 1, Unit: 1, Floor: 1, Room: 2}} // b's old address is free now
	if err := s.CreateApartment(&again); err != nil {
		t.Errorf("reuse freed address: %v", err)
	}

	u1 := mustUser(t, s, store.User{Apartments: []uint64{a.ID, b.ID}})
	u2 := mustUser(t, s, store.User{Apartments: []uint64{a.ID}})
	mustUser(t, s, store.User{Apartments: []uint64{b.ID}})
	if got, err := s.ApartmentResidents(a.ID); err != nil || !slices.Equal(got, []uint64{u1.UID, u2.UID}) {
		t.Errorf("ApartmentResidents = %v, %v; want [%d %d]", got, err, u1.UID, u2.UID)
	}
	if err := s.DeleteApartment(a.ID); err != nil {
		t.Fatal(err)
	}
	if ch := rec.last(); ch.Kind != store.KindApartment || !ch.Deleted || ch.ID != a.ID {
		t.Errorf("last change = %+v", ch)
	}
	if got, _ := s.GetUserByUID(u1.UID); !slices.Equal(got.Apartments, []uint64{b.ID}) {
		t.Errorf("u1 apartments = %v, want [%d]", got.Apartments, b.ID)
	}
	if got, _ := s.GetUserByUID(u2.UID); got.Apartments != nil {
		t.Errorf("u2 apartments = %v, want none", got.Apartments)
	}
	if _, err := s.ApartmentResidents(a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ApartmentResidents(deleted) err = %v", err)
	}
	// Its address is free again.
	re := store.Apartment{Address: a.Address}
	if err := s.CreateApartment(&re); err != nil {
		t.Errorf("reuse address of a deleted apartment: %v", err)
	}
}
