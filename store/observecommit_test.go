package store_test

import (
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// ObserveCommit hears each write that committed, with its duration, and
// not one that failed.
func TestObserveCommit(t *testing.T) {
	var got []time.Duration
	s := storetest.Open(t, store.Options{ObserveCommit: func(d time.Duration) { got = append(got, d) }})
	u := store.User{Name: "Ada", Locks: store.LocksBoth}
	if _, err := s.CreateUser(&u, "t"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(u.ID); err == nil { // gone: nothing committed
		t.Fatal("second delete succeeded")
	}
	if len(got) != 2 || got[0] <= 0 || got[1] <= 0 {
		t.Fatalf("observed %v, want two positive durations", got)
	}
}
