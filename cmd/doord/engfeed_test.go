package main

import (
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// The doors are told to reschedule after the engine holds the changed
// profile (they read it from the engine), on creation, edit and delete,
// and after a reload.
func TestEngineFeedReschedulesAfterTheEngine(t *testing.T) {
	st := storetest.Open(t)
	e := access.NewEngine(access.EngineConfig{})
	var mu sync.Mutex
	var seen []int // profiles the engine held at each reschedule
	cancel, err := e.Follow(engineFeed{st, func() {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, e.Stats(time.Time{}).Profiles)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	p := store.TimeProfile{Name: "office", Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
	if err := st.CreateTimeProfile(&p); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSetting("unrelated", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteTimeProfile(p.ID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The initial Load (0 profiles), the create (1), the delete (0); the
	// setting does not reschedule.
	if want := []int{0, 1, 0}; len(seen) != len(want) || seen[0] != 0 || seen[1] != 1 || seen[2] != 0 {
		t.Errorf("profiles held at each reschedule %v, want %v", seen, want)
	}
}
