package store_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
)

// bulkUsersAndCards is a small load with given time-ordered ids (as
// doordgen makes), every optional field somewhere, and a card and a PIN
// per user; the credentials are made once the users have their UIDs.
func bulkUsersAndCards(n int, tp, apt uint64) ([]store.User, func([]store.User) []store.Credential) {
	users := make([]store.User, n)
	for i := range users {
		id, _ := uuid.NewV7()
		u := store.User{ID: id.String(), Name: fmt.Sprint("User ", i%17), Email: fmt.Sprintf("u%d@example.org", i), CreatedBy: "import", Tags: []string{fmt.Sprint("t", i%3)}}
		if i%4 == 0 {
			u.TimeProfiles = []uint64{tp}
		}
		if i%5 == 0 {
			u.Apartments, u.State, u.Locks = []uint64{apt}, store.StateDisabled, store.LocksSecond
		}
		if i%7 == 0 {
			u.ExtID = fmt.Sprint("ext", i)
		}
		if i%11 == 0 {
			to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			u.ValidTo, u.Properties = &to, map[string]string{"k": "v"}
		}
		users[i] = u
	}
	return users, func(us []store.User) []store.Credential {
		var cs []store.Credential
		for i, u := range us {
			c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: fmt.Sprint(5000000 + i)}
			if i%6 == 0 {
				c.MaxPasses, c.TimeProfiles = 3, []uint64{tp}
			}
			cs = append(cs, c, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: fmt.Sprintf("%06d", (i*7919)%1000000)})
		}
		return cs
	}
}

// BulkLoad gives what CreateUser and CreateCredential give, record for
// record; the file passes Check and reads back the same after a reopen.
func TestBulkLoadSameAsCreate(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *store.Store {
		s, err := store.Open(filepath.Join(dir, name), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	one, bulk := open("one.db"), open("bulk.db")
	var tp, apt uint64
	for _, s := range []*store.Store{one, bulk} {
		p := mustTP(t, s, "p")
		a := mustApt(t, s, 1)
		tp, apt = p.ID, a.ID
	}
	users, mkCreds := bulkUsersAndCards(150, tp, apt)

	oneUsers := append([]store.User(nil), users...)
	for i := range oneUsers {
		if _, err := one.CreateUser(&oneUsers[i], "import"); err != nil {
			t.Fatal(err)
		}
	}
	oneCreds := mkCreds(oneUsers)
	for i := range oneCreds {
		if err := one.CreateCredential(&oneCreds[i]); err != nil {
			t.Fatal(err)
		}
	}
	bulkUsers := append([]store.User(nil), users...)
	if err := bulk.BulkLoad(bulkUsers, nil); err != nil {
		t.Fatal(err)
	}
	bulkCreds := mkCreds(bulkUsers)
	if err := bulk.BulkLoad(nil, bulkCreds); err != nil {
		t.Fatal(err)
	}
	for i := range users {
		a, b := oneUsers[i], bulkUsers[i]
		a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("user %d: BulkLoad wrote back\n  %+v\nCreateUser\n  %+v", i, b, a)
		}
	}

	// Reopen both and read everything back.
	one.Close()
	bulk.Close()
	one, bulk = open("one.db"), open("bulk.db")
	defer one.Close()
	defer bulk.Close()
	for _, s := range []*store.Store{one, bulk} {
		if err := s.Check(); err != nil {
			t.Fatalf("%s: %v", s.Path(), err)
		}
	}
	readAll := func(s *store.Store) ([]store.User, []store.Credential) {
		var us []store.User
		var cs []store.Credential
		s.ForEachUser(func(u *store.User) error {
			u.CreatedAt, u.UpdatedAt = time.Time{}, time.Time{}
			us = append(us, *u)
			return nil
		})
		s.ForEachCredential(func(c *store.Credential) error {
			c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
			cs = append(cs, *c)
			return nil
		})
		return us, cs
	}
	ou, oc := readAll(one)
	bu, bc := readAll(bulk)
	if len(bu) != len(users) || len(bc) != 2*len(users) {
		t.Fatalf("read back %d users, %d credentials; want %d, %d", len(bu), len(bc), len(users), 2*len(users))
	}
	if !reflect.DeepEqual(ou, bu) {
		t.Errorf("users read back differ")
	}
	if !reflect.DeepEqual(oc, bc) {
		t.Errorf("credentials read back differ")
	}
	// Lookups through every index.
	for i, u := range bulkUsers {
		if got, err := bulk.GetUser(u.ID); err != nil || got.UID != u.UID {
			t.Fatalf("GetUser(%s) = %d, %v; want %d", u.ID, got.UID, err, u.UID)
		}
		c := bulkCreds[2*i+1]
		if got, err := bulk.LookupCredential(c.Type, c.Value); err != nil || got.ID != c.ID {
			t.Fatalf("LookupCredential(%s) = %d, %v; want %d", c.Value, got.ID, err, c.ID)
		}
	}
	for _, f := range []store.UserFilter{{State: store.StateDisabled}, {Tag: "t1"}, {Apartment: apt}, {TimeProfile: tp}, {Q: "user 3"}} {
		f.Limit = 1000
		a, _, err1 := one.ListUsers(f)
		b, _, err2 := bulk.ListUsers(f)
		if err1 != nil || err2 != nil || len(a) != len(b) || len(a) == 0 {
			t.Errorf("ListUsers(%+v): %d users (%v) after BulkLoad, %d (%v) after CreateUser", f, len(b), err2, len(a), err1)
		}
	}
	// Writes carry on after the load, on both.
	for _, s := range []*store.Store{one, bulk} {
		u := mustUser(t, s, store.User{Name: "After"})
		if u.UID != uint64(len(users)+1) {
			t.Errorf("%s: next UID %d, want %d", s.Path(), u.UID, len(users)+1)
		}
		mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "1"})
		if err := s.Check(); err != nil {
			t.Error(err)
		}
	}
}
