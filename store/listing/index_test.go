package listing_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
	"github.com/doord/doord/store/storetest"
)

func follow(t *testing.T, s *store.Store) *listing.Index {
	t.Helper()
	x := listing.New(s)
	cancel, err := s.Follow("list index", x)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return x
}

func page(t *testing.T, x *listing.Index, id listing.TableID, q listing.Query) listing.Page {
	t.Helper()
	if err := x.Fresh(time.Second); err != nil {
		t.Fatal(err)
	}
	p, err := x.Page(id, q)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIndexReadsItsWrites: every write is in the next page a client asks
// for once the write returned: creates, renames, deletes of users,
// credentials, apartments and time profiles, through the feed.
func TestIndexReadsItsWrites(t *testing.T) {
	s := storetest.Open(t)
	pre := store.User{Name: "Zed Before", State: store.StateActive, Locks: store.LocksBoth}
	if _, err := s.CreateUser(&pre, "t"); err != nil {
		t.Fatal(err)
	}
	x := follow(t, s) // Sync sees pre; the feed the rest
	byName := listing.Query{Sort: listing.Text(listing.UserName), Limit: 10}
	var uids []uint64
	for _, n := range []string{"carol", "Alice", "bob"} {
		u := store.User{Name: n, Info: "flat " + n, State: store.StateActive, Locks: store.LocksFirst}
		if _, err := s.CreateUser(&u, "t"); err != nil {
			t.Fatal(err)
		}
		uids = append(uids, u.UID)
		if p := page(t, x, listing.Users, byName); !slices.Contains(p.IDs, u.UID) {
			t.Fatalf("user %q not in the page right after its create: %v", n, p.IDs)
		}
	}
	want := []uint64{uids[1], uids[2], uids[0], pre.UID} // alice bob carol zed
	if p := page(t, x, listing.Users, byName); !slices.Equal(p.IDs, want) || p.Total != 4 {
		t.Fatalf("by name: %v (%d), want %v", p.IDs, p.Total, want)
	}
	if _, err := s.UpdateUserByUID(uids[1], "t", func(u *store.User) error { u.Name = "Zulu"; return nil }); err != nil {
		t.Fatal(err)
	}
	want = []uint64{uids[2], uids[0], pre.UID, uids[1]}
	if p := page(t, x, listing.Users, byName); !slices.Equal(p.IDs, want) {
		t.Fatalf("after a rename: %v, want %v", p.IDs, want)
	}
	lock1 := listing.Cmp{Col: listing.Small(listing.UserLocks), Op: listing.Eq, Num: 1}
	if p := page(t, x, listing.Users, listing.Query{Sort: listing.ID, Limit: 10, Where: lock1}); p.Total != 3 {
		t.Fatalf("lock_number eq 1: %v", p)
	}
	if err := s.DeleteUserByUID(uids[0]); err != nil {
		t.Fatal(err)
	}
	if p := page(t, x, listing.Users, byName); slices.Contains(p.IDs, uids[0]) || p.Total != 3 {
		t.Fatalf("after a delete: %v", p)
	}

	card := store.Credential{UserUID: uids[2], Type: store.CredCard, Value: "12345678", OwnerName: "Bob B"}
	pin := store.Credential{UserUID: uids[2], Type: store.CredPIN, Value: "9876"}
	for _, c := range []*store.Credential{&card, &pin} {
		if err := s.CreateCredential(c); err != nil {
			t.Fatal(err)
		}
	}
	p := page(t, x, listing.Credentials, listing.Query{Sort: listing.Text(listing.CredValue), Limit: 10,
		Where: listing.Contains{Cols: []listing.Col{listing.Text(listing.CredValue)}, Sub: "98"}})
	if p.Total != 0 {
		t.Fatalf("a PIN's digits are searchable in the index: %v", p)
	}
	p = page(t, x, listing.Credentials, listing.Query{Sort: listing.Text(listing.CredOwnerName), Limit: 10,
		Where: listing.Cmp{Col: listing.Int(listing.CredUser), Op: listing.Eq, Num: int64(uids[2])}})
	if p.Total != 2 {
		t.Fatalf("credentials of user %d: %v", uids[2], p)
	}

	apt := store.Apartment{Name: "Flat 7", Address: store.Address{Building: 2, Room: 7}}
	if err := s.CreateApartment(&apt); err != nil {
		t.Fatal(err)
	}
	tp := store.TimeProfile{Name: "Office", Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
	if err := s.CreateTimeProfile(&tp); err != nil {
		t.Fatal(err)
	}
	if p := page(t, x, listing.Apartments, listing.Query{Sort: listing.ID, Limit: 5,
		Where: listing.Cmp{Col: listing.Int(listing.AptBuilding), Op: listing.Eq, Num: 2}}); !slices.Equal(p.IDs, []uint64{apt.ID}) {
		t.Fatalf("apartments in building 2: %v", p)
	}
	if p := page(t, x, listing.Profiles, listing.Query{Sort: listing.Text(listing.ProfileName), Limit: 5}); !slices.Equal(p.IDs, []uint64{tp.ID}) {
		t.Fatalf("profiles: %v", p)
	}
	if err := s.DeleteApartment(apt.ID); err != nil {
		t.Fatal(err)
	}
	if p := page(t, x, listing.Apartments, listing.Query{Sort: listing.ID, Limit: 5}); p.Total != 0 {
		t.Fatalf("apartments after the delete: %v", p)
	}

	// A resync (as after a panic or an overflow) rebuilds the same
	// tables from a snapshot.
	fresh := listing.New(s)
	if _, err := fresh.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []listing.Query{byName, {Sort: listing.Text(listing.UserInfo), Desc: true, Limit: 10}} {
		a, b := page(t, x, listing.Users, q), page(t, fresh, listing.Users, q)
		if !slices.Equal(a.IDs, b.IDs) || a.Total != b.Total {
			t.Fatalf("followed %v, synced %v", a, b)
		}
	}
	if st := x.Stats(); st.Rows[listing.Users] != 3 || st.Rows[listing.Credentials] != 2 || st.Bytes[listing.Users] == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// behind is a source whose store is ahead of what the index applied.
type behind struct{ seq uint64 }

func (b behind) ScanLists(store.ListVisitor) (uint64, error) { return 5, nil }
func (b behind) Seq() uint64                                 { return b.seq }

// TestIndexFreshWaitsForTheStore: a page is not answered from an index
// that lacks a commit the store acknowledged (a lagging feed, or a
// resync under way): Fresh fails with ErrBehind after its wait, and
// succeeds once the commit is applied.
func TestIndexFreshWaitsForTheStore(t *testing.T) {
	x := listing.New(behind{seq: 6})
	if _, err := x.Page(listing.Users, listing.Query{Limit: 1}); !errors.Is(err, listing.ErrBehind) {
		t.Fatalf("Page before the first Sync: %v, want ErrBehind", err)
	}
	if _, err := x.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := x.Fresh(time.Millisecond); !errors.Is(err, listing.ErrBehind) {
		t.Fatalf("Fresh with the index at 5 and the store at 6: %v, want ErrBehind", err)
	}
	done := make(chan error)
	go func() { done <- x.Fresh(time.Minute) }()
	x.Apply([]store.Change{{Seq: 6, Kind: store.KindSetting, Key: "k"}})
	if err := <-done; err != nil {
		t.Fatalf("Fresh after seq 6 was applied: %v", err)
	}
}

// TestIndexPagesEveryUser pages through a table one page at a time, in
// both directions, and meets every row once.
func TestIndexPagesEveryUser(t *testing.T) {
	s := storetest.Open(t)
	var users []store.User
	for i := range 2500 {
		users = append(users, store.User{Name: fmt.Sprintf("User %04d", (i*7919)%2500), State: store.StateActive})
	}
	if err := s.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	x := follow(t, s)
	for _, desc := range []bool{false, true} {
		var all []uint64
		for off := 0; ; off += 100 {
			p := page(t, x, listing.Users, listing.Query{Sort: listing.Text(listing.UserName), Desc: desc, Offset: off, Limit: 100})
			if p.Total != len(users) {
				t.Fatalf("total %d", p.Total)
			}
			if len(p.IDs) == 0 {
				break
			}
			all = append(all, p.IDs...)
		}
		if len(all) != len(users) {
			t.Fatalf("desc %v: %d rows, want %d", desc, len(all), len(users))
		}
		seen := map[uint64]bool{}
		for _, id := range all {
			if seen[id] {
				t.Fatalf("uid %d twice", id)
			}
			seen[id] = true
		}
	}
}

// TestIndexConcurrentWritersSeeTheirWrites: clients that each create users
// and list right after every create find their user on the page, while
// others write and list at the same time (run with -race).
func TestIndexConcurrentWritersSeeTheirWrites(t *testing.T) {
	s := storetest.Open(t)
	x := follow(t, s)
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			for i := range 25 {
				u := store.User{Name: fmt.Sprintf("w%d-%02d", w, i), State: store.StateActive}
				if _, err := s.CreateUser(&u, "t"); err != nil {
					errs <- err
					return
				}
				if err := x.Fresh(time.Second); err != nil {
					errs <- err
					return
				}
				p, err := x.Page(listing.Users, listing.Query{Sort: listing.Text(listing.UserName), Limit: 1,
					Where: listing.Cmp{Col: listing.Text(listing.UserName), Op: listing.Eq, Text: u.Name}})
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(p.IDs, []uint64{u.UID}) {
					errs <- fmt.Errorf("user %s (%d) just created: page %v", u.Name, u.UID, p)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if p := page(t, x, listing.Users, listing.Query{Limit: 1}); p.Total != 100 {
		t.Fatalf("total %d, want 100", p.Total)
	}
}
