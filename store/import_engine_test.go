package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// followingEngine is an access engine following s, with one card reader
// on door 1.
func followingEngine(t *testing.T, s *store.Store) *access.Engine {
	t.Helper()
	e := access.NewEngine(access.EngineConfig{
		Readers:       []access.ReaderConfig{{ID: "door", Lock: 1, Mode: access.ModeCard}},
		ReaderLockout: access.LockoutConfig{Off: true},
	})
	cancel, err := e.Follow(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return e
}

func swipe(e *access.Engine, card uint64) access.Outcome {
	return e.Present("door", access.Presentation{Kind: access.PresentCard, Card: card}, time.Now())
}

// A replace that removes users: their cards stop opening when Import
// returns, and the others' go on opening.
func TestImportReplaceRevokesRemovedUsersCardsAtOnce(t *testing.T) {
	s := storetest.Open(t)
	e := followingEngine(t, s)
	mustImport(t, s, store.ImportOptions{}, three...)
	for _, c := range []uint64{1001, 1003} {
		if o := swipe(e, c); o.Kind != access.OutcomeGranted {
			t.Fatalf("card %d before the replace: %v %v, want granted", c, o.Kind, o.Reason)
		}
	}
	mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace}, three[1:]...) // e1 (card 1001) goes
	if o := swipe(e, 1001); o.Kind != access.OutcomeDenied || o.Reason != access.ReasonUnknownCredential {
		t.Errorf("removed user's card right after the import: %v %v, want denied unknown_credential", o.Kind, o.Reason)
	}
	if o := swipe(e, 1003); o.Kind != access.OutcomeGranted {
		t.Errorf("kept user's card: %v %v, want granted", o.Kind, o.Reason)
	}
}

// An import in many transactions while a door decides all the time: every
// swipe of a card the import keeps is granted, before, during and after;
// the import's own cards open once it returned.
func TestImportDuringSwipes(t *testing.T) {
	defer store.SetImportChunkForTest(200)()
	s := storetest.Open(t)
	e := followingEngine(t, s)
	mustImport(t, s, store.ImportOptions{}, three...)
	rows := append([]irow(nil), three[1:]...) // keeps e2 (1003), e3; removes e1
	for i := range 2000 {
		rows = append(rows, irow{ext: fmt.Sprintf("n%04d", i), name: "N", locks: store.LocksBoth,
			cards: []string{fmt.Sprint(50000 + i)}, pins: []string{fmt.Sprint(100000 + i)}})
	}
	var (
		stop    atomic.Bool
		swipes  atomic.Int64
		denials atomic.Int64
		slowest atomic.Int64
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		for !stop.Load() {
			start := time.Now()
			o := swipe(e, 1003)
			if d := int64(time.Since(start)); d > slowest.Load() {
				slowest.Store(d)
			}
			swipes.Add(1)
			if o.Kind != access.OutcomeGranted {
				denials.Add(1)
			}
		}
	})
	sum := mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace}, rows...)
	stop.Store(true)
	wg.Wait()
	if sum.Added != 2000 || sum.Removed != 1 {
		t.Fatalf("import: %s", counts(sum))
	}
	if swipes.Load() < 10 || denials.Load() != 0 {
		t.Errorf("%d swipes during the import, %d denied: want many, none denied", swipes.Load(), denials.Load())
	}
	t.Logf("%d swipes during the import, slowest %v", swipes.Load(), time.Duration(slowest.Load()))
	for _, c := range []uint64{50000, 51999} {
		if o := swipe(e, c); o.Kind != access.OutcomeGranted {
			t.Errorf("imported card %d: %v %v, want granted", c, o.Kind, o.Reason)
		}
	}
	if o := swipe(e, 1001); o.Kind != access.OutcomeDenied {
		t.Errorf("removed user's card: %v, want denied", o.Kind)
	}
}
