package store_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A user's events are posted under the uid alone, and a query by the
// user's uuid still finds them (through the users' index), as it finds
// those of a deleted user (by the ring) and the uuid postings of events
// written before, which eviction removes and Check accepts.
func TestEventUserPostedByUIDAlone(t *testing.T) {
	st := storetest.Open(t)
	u := mustUser(t, st, store.User{Name: "Ann"})
	gone := mustUser(t, st, store.User{Name: "Gone"})
	l := openLog(t, st, store.EventOptions{Capacity: 4}, nil)
	ev := func(u store.User) store.Event {
		return store.Event{Type: store.EventAccessGranted, Door: "d", UserID: u.ID, UserUID: u.UID}
	}
	l.Append(ev(u))
	l.Append(ev(gone))
	l.Append(store.Event{Type: store.EventOperatorLogin, UserID: "6f1c2a7e-1b2c-4d3e-8f40-5a6b7c8d9e01"}) // a uuid, no uid
	l.Flush()
	want := []string{"#" + strconv.FormatUint(u.UID, 10), "#" + strconv.FormatUint(gone.UID, 10), "6f1c2a7e-1b2c-4d3e-8f40-5a6b7c8d9e01"}
	if got := store.UserPostingsForTest(st); !sameSet(got, want) {
		t.Fatalf("user postings %q, want %q (no uuid posting beside a uid)", got, want)
	}
	if err := st.DeleteUser(gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.EventFilter{{UserID: u.ID}, {UserUID: u.UID}, {UserID: u.ID, Door: "d"}, {UserID: gone.ID}, {UserID: "6f1c2a7e-1b2c-4d3e-8f40-5a6b7c8d9e01"}} {
		got := queryAll(t, l, f)
		if len(got) != 1 || (f.UserID != "" && got[0].UserID != f.UserID) || (f.UserUID != 0 && got[0].UserUID != f.UserUID) {
			t.Errorf("query %+v: %+v, want the one event", f, got)
		}
	}
	if got := queryAll(t, l, store.EventFilter{UserID: u.ID, Door: "other"}); len(got) != 0 {
		t.Errorf("user and another door: %+v, want none", got)
	}

	// An event of before, with the uuid posting beside the uid's: found
	// once, checked sound, and its postings gone when it is evicted.
	if err := store.PutLegacyUserPostingForTest(st, u.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err != nil {
		t.Fatalf("Check with a posting of before: %v", err)
	}
	if got := queryAll(t, l, store.EventFilter{UserID: u.ID}); len(got) != 1 {
		t.Errorf("with both postings: %d events, want 1", len(got))
	}
	for range 4 {
		l.Append(store.Event{Type: store.EventREX, Door: "d"})
	}
	l.Flush()
	if got := store.UserPostingsForTest(st); len(got) != 0 {
		t.Errorf("after the ring turned over, user postings %q left", got)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
