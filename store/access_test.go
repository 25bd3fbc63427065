package store_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// TestScanAccessMatchesDecode holds the fast scanner to the full decoder:
// for random users and credentials (odd strings, escapes, properties,
// validity windows with offsets, pass budgets) ScanAccess must report
// exactly what ForEachUser and ForEachCredential decode.
func TestScanAccessMatchesDecode(t *testing.T) {
	s := storetest.Open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	tp1, tp2 := mustTP(t, s, "a"), mustTP(t, s, "b")
	odd := []string{"plain", `quo"te`, `back\slash`, "tab\there", "ünïcødé", "<html>&", "\u2028", "", "line\nbreak"}
	pick := func() string { return odd[rng.IntN(len(odd))] }
	zone := time.FixedZone("x", 5*3600+1800)
	var users []store.User
	for i := range 300 {
		u := store.User{
			Name: pick() + fmt.Sprint(i), Info: pick(), Notes: pick(), Email: pick(),
			Tags:       []string{pick() + "t"},
			Properties: map[string]string{"k" + pick(): pick(), "x": "{[\"]}"},
			Security:   rng.IntN(2) == 0, CustomAccess: rng.IntN(3) == 0, ExtendedOpen: rng.IntN(2) == 0,
		}
		switch rng.IntN(4) {
		case 0:
			u.State = store.StateDisabled
		case 1:
			u.State = store.StateArchived
		}
		switch rng.IntN(3) {
		case 0:
			u.Locks = store.LocksFirst
		case 1:
			u.Locks = store.LocksSecond
		}
		if rng.IntN(2) == 0 {
			f := time.Date(2024, 1, 2, 3, 4, 5, 6, zone)
			u.ValidFrom = &f
		}
		if rng.IntN(2) == 0 {
			to := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			u.ValidTo = &to
		}
		if rng.IntN(2) == 0 {
			u.TimeProfiles = []uint64{tp1.ID, tp2.ID}[:1+rng.IntN(2)]
		}
		if rng.IntN(2) == 0 {
			u.AuthFactors = []string{"card", "pin", `we"ird`}[:1+rng.IntN(3)]
		}
		users = append(users, u)
	}
	var creds []store.Credential
	for i := range 600 {
		c := store.Credential{UserUID: uint64(1 + rng.IntN(len(users))), Type: store.CredCard, Value: fmt.Sprint(1000 + i)}
		switch rng.IntN(4) {
		case 0:
			c.Type, c.Value = store.CredPIN, fmt.Sprintf("%06d", i)
		case 1:
			c.Type, c.Value = store.CredQR, `qr"`+pick()+fmt.Sprint(i)
		case 2:
			c.Format = []string{"h10301", "34bit", "c1000", "h10304"}[rng.IntN(4)]
		}
		if rng.IntN(3) == 0 {
			c.MaxPasses = uint32(rng.IntN(5))
		}
		if rng.IntN(3) == 0 {
			c.Locks = store.LocksSecond
		}
		if rng.IntN(3) == 0 {
			c.TimeProfiles = []uint64{tp2.ID}
		}
		if rng.IntN(3) == 0 {
			to := time.Date(2029, 5, 6, 7, 8, 9, 0, zone)
			c.ValidTo = &to
		}
		c.OwnerName = pick()
		creds = append(creds, c)
	}
	if err := s.BulkLoad(users, creds); err != nil {
		t.Fatal(err)
	}
	// Spend some passes so PassesLeft differs from MaxPasses.
	for i := range creds {
		if creds[i].MaxPasses > 1 && i%2 == 0 {
			if _, err := s.UsePass(creds[i].ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Both stored forms: the binary one of schema 4 on, then the same
	// records as files of schemas 1 to 3 hold them (JSON).
	for _, form := range []string{"binary", "json"} {
		t.Run(form, func(t *testing.T) {
			if form == "json" {
				if err := store.RewriteJSONForTest(s); err != nil {
					t.Fatal(err)
				}
			}
			wantU := map[uint64]store.AccessUser{}
			s.ForEachUser(func(u *store.User) error { wantU[u.UID] = store.UserAccess(u); return nil })
			wantC := map[uint64]store.AccessCredential{}
			s.ForEachCredential(func(c *store.Credential) error { wantC[c.ID] = store.CredentialAccess(c); return nil })
			gotU := map[uint64]store.AccessUser{}
			gotC := map[uint64]store.AccessCredential{}
			var profiles int
			var maxU, maxC uint64
			seq, err := s.ScanAccess(store.AccessVisitor{
				IDBounds:   func(u, c uint64) { maxU, maxC = u, c },
				Profile:    func(*store.TimeProfile) error { profiles++; return nil },
				User:       func(u *store.AccessUser) error { gotU[u.UID] = *u; return nil },
				Credential: func(c *store.AccessCredential) error { gotC[c.ID] = *c; return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if seq != s.Seq() {
				t.Errorf("seq = %d, want %d", seq, s.Seq())
			}
			if profiles != 2 {
				t.Errorf("%d profiles, want 2", profiles)
			}
			for id := range wantU {
				if id > maxU {
					t.Errorf("user id %d above IDBounds' %d", id, maxU)
				}
			}
			for id := range wantC {
				if id > maxC {
					t.Errorf("credential id %d above IDBounds' %d", id, maxC)
				}
			}
			if maxU < uint64(len(users)) || maxC < uint64(len(creds)) {
				t.Errorf("IDBounds %d, %d below the %d users and %d credentials", maxU, maxC, len(users), len(creds))
			}
			if len(gotU) != len(wantU) || len(gotC) != len(wantC) {
				t.Fatalf("got %d users %d creds, want %d %d", len(gotU), len(gotC), len(wantU), len(wantC))
			}
			for id, w := range wantU {
				if g := gotU[id]; !accessEqual(g, w) {
					t.Errorf("user %d:\n got %+v\nwant %+v", id, g, w)
				}
			}
			for id, w := range wantC {
				if g := gotC[id]; !accessEqual(g, w) {
					t.Errorf("credential %d:\n got %+v\nwant %+v", id, g, w)
				}
			}
		})
	}
}

// accessEqual compares with time.Time.Equal semantics for the windows
// (the scanner and json produce the same instant and offset, but
// reflect.DeepEqual would also compare the *Location pointer).
func accessEqual[T any](a, b T) bool {
	norm := func(v reflect.Value) {
		for i := range v.NumField() {
			if t, ok := v.Field(i).Interface().(time.Time); ok {
				if !t.IsZero() {
					_, off := t.Zone()
					t = time.Unix(0, t.UnixNano()).In(time.FixedZone("", off))
				}
				v.Field(i).Set(reflect.ValueOf(t))
			}
		}
	}
	av, bv := reflect.ValueOf(&a).Elem(), reflect.ValueOf(&b).Elem()
	norm(av)
	norm(bv)
	return reflect.DeepEqual(av.Interface(), bv.Interface())
}

func TestScanAccessStopsOnError(t *testing.T) {
	s := storetest.Open(t)
	users := make([]store.User, 5000)
	for i := range users {
		users[i].Name = fmt.Sprint("u", i)
	}
	if err := s.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	boom := fmt.Errorf("boom")
	n := 0
	_, err := s.ScanAccess(store.AccessVisitor{User: func(*store.AccessUser) error {
		n++
		if n == 10 {
			return boom
		}
		return nil
	}})
	if err != boom {
		t.Errorf("err = %v, want boom", err)
	}
}
