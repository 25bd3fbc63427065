package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// TestScaleMillion loads a million users with a card each and checks
// that index-backed lists stay fast. It takes a minute or two and ~1 GB of
// disk, so it runs only with DOORD_STORE_SCALE=1.
func TestScaleMillion(t *testing.T) {
	if os.Getenv("DOORD_STORE_SCALE") == "" {
		t.Skip("set DOORD_STORE_SCALE=1 to run")
	}
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tp := mustTP(t, s, "p")
	apt := mustApt(t, s, 1)
	const n = 1000000
	start := time.Now()
	for off := 0; off < n; off += 100000 {
		users := make([]store.User, 100000)
		for i := range users {
			k := off + i
			users[i] = store.User{Name: fmt.Sprint("User ", k), Email: fmt.Sprintf("u%d@example.org", k), Tags: []string{fmt.Sprint("t", k%100)}}
			if k%1000 == 0 {
				users[i].Apartments = []uint64{apt.ID}
			}
			if k%3 == 0 {
				users[i].TimeProfiles = []uint64{tp.ID}
			}
			if k%10 == 0 {
				users[i].State = store.StateDisabled
			}
		}
		creds := make([]store.Credential, 0, 100000)
		if err := s.BulkLoad(users, nil); err != nil {
			t.Fatal(err)
		}
		for i := range users {
			creds = append(creds, store.Credential{UserUID: users[i].UID, Type: store.CredCard, Value: fmt.Sprint(10000000 + off + i)})
		}
		if err := s.BulkLoad(nil, creds); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("bulk load 1M users + 1M cards: %v", time.Since(start))
	st0 := time.Now()
	st, _ := s.Stats()
	t.Logf("Stats %+v in %v", st, time.Since(st0))
	for _, f := range []store.UserFilter{{}, {State: store.StateDisabled}, {Tag: "t42"}, {Apartment: apt.ID}, {TimeProfile: tp.ID}, {Q: "u999999@"}, {State: store.StateDisabled, Q: "user 99999"}} {
		t0 := time.Now()
		page, next, err := s.ListUsers(f)
		d := time.Since(t0)
		t.Logf("ListUsers(%+v): %d users next=%v err=%v in %v", f, len(page), next != "", err, d)
		if err != nil || len(page) == 0 {
			t.Errorf("ListUsers(%+v) = %d users, %v", f, len(page), err)
		}
		// Index walks cost the page, not the table; only Q scans.
		if f.Q == "" && d > 200*time.Millisecond {
			t.Errorf("ListUsers(%+v) took %v at a million users", f, d)
		}
	}
	t0 := time.Now()
	u := mustUser(t, s, store.User{Name: "User 5"})
	t.Logf("CreateUser at 1M: %v", time.Since(t0))
	t0 = time.Now()
	if _, err := s.GetUserByUID(u.UID - 500000); err != nil {
		t.Error(err)
	}
	t.Logf("GetUserByUID at 1M: %v", time.Since(t0))
	t0 = time.Now()
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	t.Logf("Check at 1M: %v", time.Since(t0))
	t0 = time.Now()
	nn := 0
	s.ForEachUser(func(*store.User) error { nn++; return nil })
	t.Logf("ForEachUser at 1M: %v", time.Since(t0))
	fi, _ := os.Stat(path)
	t.Logf("file size %d MB", fi.Size()>>20)
}
