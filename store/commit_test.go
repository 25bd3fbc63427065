package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A lone writer must not wait for company: with nothing in flight its
// write commits at once. In the synctest bubble the clock only moves when
// every goroutine waits on it, so any batch window (bbolt's db.Batch
// waited MaxBatchDelay, 2 ms, before committing a lone write) shows as
// elapsed time; the commit itself (disk I/O) takes none.
func TestLoneWriteCommitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		s, err := store.Open(filepath.Join(dir, "doord.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := range 3 {
			start := time.Now()
			u := store.User{Name: fmt.Sprint("lone ", i)}
			if _, err := s.CreateUser(&u, "test"); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d != 0 {
				t.Fatalf("create %d waited %v on the clock: a lone write must commit at once", i, d)
			}
		}
	})
}

// Concurrent creates with clashing ext_ids: the clashing ones fail with a
// conflict, alone; the others commit, each once.
func TestGroupCommitConflictsFailAlone(t *testing.T) {
	r := &recorder{}
	s := storetest.Open(t, store.Options{OnChange: r.onChange})
	const writers = 64
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			u := store.User{Name: fmt.Sprint("w", w), ExtID: fmt.Sprint("x", w%8)}
			_, errs[w] = s.CreateUser(&u, "test")
		})
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Error(err)
		}
	}
	if ok != 8 || conflicts != writers-8 {
		t.Errorf("%d created, %d conflicts; want 8 and %d", ok, conflicts, writers-8)
	}
	if got := len(r.all()); got != 8 || s.Seq() != 8 {
		t.Errorf("%d change records, seq %d; want 8, 8", got, s.Seq())
	}
}
