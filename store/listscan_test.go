package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// TestScanListsMatchesDecode: what the list scanner reads from each record
// is what decoding it in full says, for plain records and for the ones it
// hands to the full decoder (escapes, unusual values, guests).
func TestScanListsMatchesDecode(t *testing.T) {
	s := storetest.Open(t)
	rng := rand.New(rand.NewPCG(5, 6))
	odd := []string{"plain", `quo"te`, `back\slash`, "tab\there", "ünïcødé", "<html>&", "\u2028", "", "line\nbreak"}
	pick := func() string { return odd[rng.IntN(len(odd))] }
	mustTP(t, s, "day")
	if err := s.CreateApartment(&store.Apartment{Name: "Flat " + pick(), Address: store.Address{Building: 1, Room: 2}}); err != nil {
		t.Fatal(err)
	}
	var users []store.User
	for i := range 300 {
		u := store.User{Name: pick() + fmt.Sprint(i), Info: pick(), Notes: pick(), CustomAccess: rng.IntN(3) == 0}
		if u.CustomAccess {
			u.AuthFactors = []string{"card"}
		}
		u.State = []store.UserState{"", store.StateDisabled, store.StateArchived}[rng.IntN(3)]
		u.Locks = []store.Locks{"", store.LocksFirst, store.LocksSecond}[rng.IntN(3)]
		if i%3 == 0 { // a name the binary form leaves out (first and last)
			u.FirstName, u.LastName = "Ann"+pick(), "Lee"
			u.Name = u.FirstName + " " + u.LastName
		}
		if i%5 == 0 {
			u.ExtID = "ext-" + fmt.Sprint(i)
		}
		users = append(users, u)
	}
	var creds []store.Credential
	for i := range 600 {
		c := store.Credential{UserUID: uint64(1 + rng.IntN(len(users))), Type: store.CredCard, Value: fmt.Sprint(1000 + i), OwnerName: pick()}
		switch rng.IntN(3) {
		case 0:
			c.Type, c.Value = store.CredPIN, fmt.Sprintf("%06d", i)
		case 1:
			c.Type, c.Value = store.CredQR, `qr"`+pick()+fmt.Sprint(i)
		}
		if rng.IntN(3) == 0 {
			c.Owner = store.OwnerGuest
		}
		if rng.IntN(3) == 0 {
			c.Locks = store.LocksSecond
		}
		creds = append(creds, c)
	}
	if err := s.BulkLoad(users, creds); err != nil {
		t.Fatal(err)
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
			wantU := map[uint64]store.ListUser{}
			s.ForEachUser(func(u *store.User) error { wantU[u.UID] = store.UserList(u); return nil })
			wantC := map[uint64]store.ListCredential{}
			s.ForEachCredential(func(c *store.Credential) error { wantC[c.ID] = store.CredentialList(c); return nil })
			gotU := map[uint64]store.ListUser{}
			gotC := map[uint64]store.ListCredential{}
			var profiles, apts, sizeU, sizeC, sizeA, sizeP int
			seq, err := s.ScanLists(store.ListVisitor{
				Bounds:     func(u, c, a, p int) { sizeU, sizeC, sizeA, sizeP = u, c, a, p },
				Profile:    func(*store.TimeProfile) error { profiles++; return nil },
				Apartment:  func(*store.Apartment) error { apts++; return nil },
				User:       func(u *store.ListUser) error { gotU[u.UID] = *u; return nil },
				Credential: func(c *store.ListCredential) error { gotC[c.ID] = *c; return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if seq != s.Seq() {
				t.Errorf("seq = %d, want %d", seq, s.Seq())
			}
			if profiles != 1 || apts != 1 || sizeU < len(users) || sizeC < len(creds) || sizeA < 1 || sizeP < 1 {
				t.Errorf("profiles, apartments, bounds = %d, %d, %d %d %d %d", profiles, apts, sizeU, sizeC, sizeA, sizeP)
			}
			if len(gotU) != len(wantU) || len(gotC) != len(wantC) {
				t.Fatalf("got %d users %d creds, want %d %d", len(gotU), len(gotC), len(wantU), len(wantC))
			}
			for id, w := range wantU {
				if g := gotU[id]; g != w {
					t.Errorf("user %d:\n got %+v\nwant %+v", id, g, w)
				}
			}
			for id, w := range wantC {
				if g := gotC[id]; g != w {
					t.Errorf("credential %d:\n got %+v\nwant %+v", id, g, w)
				}
			}
		})
	}
}
