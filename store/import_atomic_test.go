package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// testChunk stands for store.importChunk (10,000 rows per transaction)
// in the large-import tests: what they check is an import of more than
// one chunk (staged, then swapped in whole), which 1,200 rows over
// chunks of 500 is as much as 12,000 over 10,000, at a tenth of the
// rows (these tests took minutes under qemu, and ran there three times).
const testChunk = 500

// largeImports makes imports larger than testChunk rows take the large
// path (staged in chunks, swapped in) for the rest of t.
func largeImports(t *testing.T) {
	t.Cleanup(store.SetImportChunkForTest(testChunk))
}

// bigReplace is a replace of more rows than one transaction holds
// (testChunk): e2 and e3 of three stay, e1 (card 1001) goes, and n new
// users come with card 50000+i and PIN 300000+i.
func bigReplace(n int) []irow {
	rows := append([]irow(nil), three[1:]...)
	for i := range n {
		rows = append(rows, irow{ext: fmt.Sprintf("n%05d", i), name: "N", locks: store.LocksBoth,
			cards: []string{fmt.Sprint(50000 + i)}, pins: []string{fmt.Sprint(300000 + i)}})
	}
	return rows
}

// dump is every user and credential of s, for "exactly as before".
func dump(t *testing.T, s *store.Store) ([]store.User, []store.Credential) {
	t.Helper()
	var us []store.User
	var cs []store.Credential
	if err := s.ForEachUser(func(u *store.User) error { us = append(us, *u); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.ForEachCredential(func(c *store.Credential) error { cs = append(cs, *c); return nil }); err != nil {
		t.Fatal(err)
	}
	return us, cs
}

// A write failure after the first chunk of a large replace was
// written leaves the store exactly as it was (users, credentials, seq),
// and the doors go on deciding on the old list: nothing of the import is
// visible, nothing of the old list is gone.
func TestImportLargeReplaceFailingLateLeavesStoreAsBefore(t *testing.T) {
	largeImports(t)
	s := storetest.Open(t)
	e := followingEngine(t, s)
	mustImport(t, s, store.ImportOptions{}, three...)
	users0, creds0 := dump(t, s)
	seq := s.Seq()
	var n atomic.Int64
	defer store.SetImportWriteHookForTest(func() error {
		if n.Add(1) == testChunk+testChunk/2 { // in the second chunk
			return store.DiskFullForTest(fmt.Errorf("write: %w", syscall.ENOSPC))
		}
		return nil
	})()
	_, err := s.Import(src(bigReplace(1200)...), store.ImportOptions{Mode: store.ImportReplace})
	if !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("err = %v, want ErrDiskFull", err)
	}
	if n.Load() < testChunk+testChunk/2 {
		t.Fatalf("the hook ran %d times: the failure was not after the first chunk", n.Load())
	}
	if s.Seq() != seq {
		t.Errorf("a failed import moved the store's seq %d → %d", seq, s.Seq())
	}
	users1, creds1 := dump(t, s)
	if !reflect.DeepEqual(users0, users1) || !reflect.DeepEqual(creds0, creds1) {
		t.Errorf("the store changed: %d users / %d credentials before, %d / %d after", len(users0), len(creds0), len(users1), len(creds1))
	}
	if o := swipe(e, 1001); o.Kind != access.OutcomeGranted {
		t.Errorf("e1's card after the failed replace: %v %v, want granted", o.Kind, o.Reason)
	}
	for _, c := range []uint64{50000, 51199} {
		if o := swipe(e, c); o.Kind != access.OutcomeDenied {
			t.Errorf("card %d of the failed import: %v, want denied", c, o.Kind)
		}
	}
	// The same import without the failure goes through whole.
	store.SetImportWriteHookForTest(nil)
	sum := mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace}, bigReplace(1200)...)
	if got, want := counts(sum), "added 1200 changed 0 removed 1 unchanged 2"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}

// A large replace is seen whole by a door deciding all the time: it never
// grants the file's first new card while denying its last (which a
// chunk-by-chunk write shows for most of the import), never denies a card
// the import keeps, and when Import returns the removed user's card is
// refused and every new card opens. The change feed's seq and the store's
// agree afterwards.
func TestImportLargeReplaceIsSeenWhole(t *testing.T) {
	largeImports(t)
	s := storetest.Open(t)
	e := followingEngine(t, s)
	mustImport(t, s, store.ImportOptions{}, three...)
	var (
		stop                 atomic.Bool
		swipes, torn, denied atomic.Int64
		wg                   sync.WaitGroup
	)
	wg.Go(func() {
		for !stop.Load() {
			first := swipe(e, 50000)
			last := swipe(e, 51199)
			if first.Kind == access.OutcomeGranted && last.Kind != access.OutcomeGranted {
				torn.Add(1)
			}
			if o := swipe(e, 1003); o.Kind != access.OutcomeGranted {
				denied.Add(1)
			}
			swipes.Add(1)
		}
	})
	sum, err := s.Import(src(bigReplace(1200)...), store.ImportOptions{Mode: store.ImportReplace})
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("Import: %v %+v", err, sum.Errors)
	}
	if torn.Load() != 0 {
		t.Errorf("%d of %d looks at the doors saw the import half written", torn.Load(), swipes.Load())
	}
	if denied.Load() != 0 {
		t.Errorf("a kept card was denied %d times during the import", denied.Load())
	}
	if o := swipe(e, 1001); o.Kind != access.OutcomeDenied || o.Reason != access.ReasonUnknownCredential {
		t.Errorf("removed user's card right after the import: %v %v, want denied unknown_credential", o.Kind, o.Reason)
	}
	for _, c := range []uint64{50000, 51199, 1003} {
		if o := swipe(e, c); o.Kind != access.OutcomeGranted {
			t.Errorf("card %d right after the import: %v %v, want granted", c, o.Kind, o.Reason)
		}
	}
	if got := len(userExts(t, s)); got != 1202 {
		t.Errorf("%d users, want 1202", got)
	}
	// Writes after the swap reach the engine through the feed as usual.
	mustImport(t, s, store.ImportOptions{Mode: store.ImportMerge}, irow{ext: "n00000", cards: []string{}, noPINs: true})
	if o := swipe(e, 50000); o.Kind != access.OutcomeDenied {
		t.Errorf("card 50000 after a later merge removed it: %v, want denied", o.Kind)
	}
}

// A user created by another writer while a large import is staged would
// be lost by the swap: the import fails with ErrImportConflict, nothing
// of it written, and the other write stays.
func TestImportLargeConflictingWriteFailsTheImport(t *testing.T) {
	largeImports(t)
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	var once sync.Once
	opt := store.ImportOptions{Mode: store.ImportMerge, Progress: func(phase string, done, total int) {
		if phase == "write" {
			once.Do(func() {
				if _, err := s.CreateUser(&store.User{Name: "Meanwhile", ExtID: "mid", Locks: store.LocksBoth}, "t"); err != nil {
					t.Error(err)
				}
			})
		}
	}}
	_, err := s.Import(src(bigReplace(1200)...), opt)
	if !errors.Is(err, store.ErrImportConflict) {
		t.Fatalf("err = %v, want ErrImportConflict", err)
	}
	if got := userExts(t, s); !reflect.DeepEqual(got, []string{"e1", "e2", "e3", "mid"}) {
		t.Errorf("users %v, want the old three and the one created meanwhile", got)
	}
}

// A pass spent on a limited credential while a large import is staged is
// not undone by the swap (nor does it fail the import).
func TestImportLargeKeepsPassesSpentMeanwhile(t *testing.T) {
	largeImports(t)
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	guest := store.Credential{Type: store.CredCard, Value: "777", Owner: store.OwnerOwner, Locks: store.LocksBoth, MaxPasses: 5, PassesLeft: 5}
	if err := s.CreateCredential(&guest); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	opt := store.ImportOptions{Mode: store.ImportMerge, Progress: func(phase string, done, total int) {
		if phase == "write" {
			once.Do(func() {
				if _, err := s.UsePass(guest.ID); err != nil {
					t.Error(err)
				}
			})
		}
	}}
	sum, err := s.Import(src(bigReplace(1200)...), opt)
	if err != nil || sum.Added != 1200 {
		t.Fatalf("Import: %v, %s", err, counts(sum))
	}
	c, err := s.LookupCredential(store.CredCard, "777")
	if err != nil || c.PassesLeft != 4 {
		t.Errorf("guest card after the import: %d passes left (%v), want 4", c.PassesLeft, err)
	}
}

// A row whose reader panics (a bug, whatever the row holds) is a bad row
// of the file, both when it is applied to a stored user inside the
// store's transaction and to a new one, and a reader that panics part
// way is the file's error: never a damaged store, never a crash.
func TestImportPanickingRowIsARowErrorNotDamage(t *testing.T) {
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	panicky := func(ext string, line int) *store.ImportRow {
		return &store.ImportRow{Line: line, ExtID: ext, Apply: func(*store.User, bool) []store.ImportError {
			panic("secret 4711")
		}}
	}
	for _, tc := range []struct {
		name     string
		src      store.ImportSource
		wantLine int
	}{
		{"stored user", func(yield func(*store.ImportRow) bool) error { yield(panicky("e1", 2)); return nil }, 2},
		{"new user", func(yield func(*store.ImportRow) bool) error { yield(panicky("new", 3)); return nil }, 3},
		{"reader", func(yield func(*store.ImportRow) bool) error {
			src(three[0])(yield)
			panic("reader bug")
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq := s.Seq()
			sum, err := s.Import(tc.src, store.ImportOptions{})
			if !errors.Is(err, store.ErrImportInvalid) {
				t.Fatalf("err = %v, want ErrImportInvalid", err)
			}
			if len(sum.Errors) != 1 || sum.Errors[0].Line != tc.wantLine {
				t.Fatalf("errors %+v, want one on line %d", sum.Errors, tc.wantLine)
			}
			if m := sum.Errors[0].Message; strings.Contains(m, "4711") {
				t.Errorf("the message quotes the panic's value: %q", m)
			}
			if reason, bad := s.Degraded(); bad {
				t.Fatalf("the store is degraded: %s", reason)
			}
			if s.Seq() != seq {
				t.Errorf("seq %d → %d", seq, s.Seq())
			}
		})
	}
	mustImport(t, s, store.ImportOptions{}, irow{ext: "e4", name: "After", locks: store.LocksBoth})
}
