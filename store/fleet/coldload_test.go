package fleet

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A cold load reads the bucket in chunks of coldChunk records, never
// the whole of it: here 61 users and 60 cards in chunks of 7. A user
// changed after their card (its revision is now after the card's) and a
// card written while the load runs still arrive whole, the load's
// records and the revision appear at once, and the controller takes
// writes once live.
func TestColdLoadInChunks(t *testing.T) {
	const chunkSize = 7 // the joining controller's coldChunk
	n := startNATS(t)
	a := join(t, n, "a")
	var ids []string
	var uids []uint64
	for i := range 60 {
		u := store.User{Name: "P"}
		if _, err := a.st.CreateUser(&u, "test"); err != nil {
			t.Fatal(err)
		}
		c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: fmt.Sprint(50_000 + i)}
		if err := a.st.CreateCredential(&c); err != nil {
			t.Fatal(err)
		}
		ids, uids = append(ids, u.ID), append(uids, u.UID)
	}
	if _, err := a.st.UpdateUser(ids[0], "test", func(u *store.User) error { u.Name = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	late := store.User{Name: "Late"} // its card comes in the credentials' pass, the user after
	var adds int
	onChunk := func(chunk int) {
		if chunk > chunkSize {
			t.Errorf("a chunk of %d records, more than coldChunk", chunk)
		}
		if adds++; adds == 9 { // the users' pass is done: write a user and a card
			if _, err := a.st.CreateUser(&late, "test"); err != nil {
				t.Error(err)
			}
			lc := store.Credential{UserUID: late.UID, Type: store.CredCard, Value: "77777"}
			if err := a.st.CreateCredential(&lc); err != nil {
				t.Error(err)
			}
		}
	}
	c := joinHooked(t, n, "c", storetest.Open(t), func(m *member) { m.f.coldChunk, m.f.onColdChunk = chunkSize, onChunk })
	c.waitRev(a.f.rev())
	st, err := c.st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Users != 61 || st.Credentials != 61 {
		t.Errorf("cold load gave %d users, %d cards; want 61 and 61", st.Users, st.Credentials)
	}
	if adds < 18 {
		t.Errorf("%d chunks for 121 records", adds)
	}
	if got, err := c.st.GetUser(ids[0]); err != nil || got.Name != "Renamed" {
		t.Errorf("the renamed user: %+v, %v", got, err)
	}
	if got, err := c.st.LookupCredential(store.CredCard, "77777"); err != nil || got.UserUID != late.UID {
		t.Errorf("the card written during the load: %+v, %v", got, err)
	}
	if c.f.Stats().ColdLoadSeconds <= 0 {
		t.Error("the cold load was not measured")
	}
	u := store.User{Name: "Mine"}
	if _, err := c.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
}

// A cold load's chunk holds the records it has read, not coldChunk's
// worth: a controller of a small site loads at every start and resync,
// and a chunk allocated whole (coldChunk, 50,000 records: about 4 MB)
// cost it a large site's memory each time. Here coldChunk is a million,
// which allocated whole is about 90 MB (about 60 on 32-bit ARM); the
// whole join and load of a few records allocates a few MB.
func TestSmallColdLoadAllocatesForWhatItHolds(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	if sum, err := a.st.Import(people(0, 5), store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil {
		t.Fatal(err, sum.Errors)
	}
	st := storetest.Open(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := joinHooked(t, n, "c", st, func(m *member) { m.f.coldChunk = 1 << 20 })
	c.waitRev(a.f.rev())
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 24<<20 {
		t.Errorf("joining and loading 5 users and 5 cards allocated %d MB; a chunk of coldChunk records allocated whole?", got>>20)
	} else {
		t.Logf("joining and loading 5 users and 5 cards allocated %d KB", got>>10)
	}
	if s, err := c.st.Stats(); err != nil || s.Users != 5 || s.Credentials != 5 {
		t.Fatalf("c holds %d users, %d cards (%v); want 5 and 5", s.Users, s.Credentials, err)
	}
}
