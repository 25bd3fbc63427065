package store_test

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// irow is a test row: name and locks are set when given; cards and pins
// are managed when non-nil.
type irow struct {
	ext, name  string
	locks      store.Locks
	cards      []string // "value" or "format:value"
	pins       []string
	noCards    bool // cards column absent
	noPINs     bool
	badField   string // the reader found this field bad
	stateValue store.UserState
}

func src(rows ...irow) store.ImportSource {
	return func(yield func(*store.ImportRow) bool) error {
		for i, r := range rows {
			row := &store.ImportRow{Line: i + 2, ExtID: r.ext}
			if r.badField != "" {
				row.Errs = []store.ImportError{{Field: r.badField, Message: "is bad"}}
			}
			row.Apply = func(u *store.User, isNew bool) []store.ImportError {
				if r.name != "" {
					u.Name = r.name
				}
				if r.locks != "" {
					u.Locks = r.locks
				}
				if r.stateValue != "" {
					u.State = r.stateValue
				}
				return nil
			}
			if !r.noCards {
				row.SetCards = true
				for _, c := range r.cards {
					cr := store.Credential{Value: c}
					if f, v, ok := cut(c); ok {
						cr = store.Credential{Format: f, Value: v}
					}
					row.Cards = append(row.Cards, cr)
				}
			}
			if !r.noPINs {
				row.SetPINs = true
				for _, p := range r.pins {
					row.PINs = append(row.PINs, store.Credential{Value: p})
				}
			}
			if !yield(row) {
				return nil
			}
		}
		return nil
	}
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

func mustImport(t *testing.T, s *store.Store, opt store.ImportOptions, rows ...irow) store.ImportSummary {
	t.Helper()
	sum, err := s.Import(src(rows...), opt)
	if err != nil {
		t.Fatalf("Import: %v (errors %+v)", err, sum.Errors)
	}
	return sum
}

func counts(sum store.ImportSummary) string {
	return fmt.Sprintf("added %d changed %d removed %d unchanged %d", sum.Added, sum.Changed, sum.Removed, sum.Unchanged)
}

// holder is the ext_id of the user holding the credential, "" when none.
func holder(t *testing.T, s *store.Store, typ store.CredentialType, value string) string {
	t.Helper()
	c, err := s.LookupCredential(typ, value)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.GetUserByUID(c.UserUID)
	if err != nil {
		t.Fatal(err)
	}
	return u.ExtID
}

func userExts(t *testing.T, s *store.Store) []string {
	t.Helper()
	var out []string
	if err := s.ForEachUser(func(u *store.User) error { out = append(out, u.ExtID); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

var three = []irow{
	{ext: "e1", name: "Ann", locks: store.LocksBoth, cards: []string{"1001"}, pins: []string{"1234"}},
	{ext: "e2", name: "Bob", locks: store.LocksFirst, cards: []string{"h10301:1002", "1003"}},
	{ext: "e3", name: "Cy", locks: store.LocksSecond},
}

func TestImportMergeAddsThenReimportIsNoop(t *testing.T) {
	s := storetest.Open(t)
	sum := mustImport(t, s, store.ImportOptions{}, three...)
	if got, want := counts(sum), "added 3 changed 0 removed 0 unchanged 0"; got != want || !sum.Written {
		t.Fatalf("first import: %s (written %v), want %s", got, sum.Written, want)
	}
	if h := holder(t, s, store.CredPIN, "1234"); h != "e1" {
		t.Errorf("PIN 1234 held by %q, want e1", h)
	}
	if h := holder(t, s, store.CredCard, "1003"); h != "e2" {
		t.Errorf("card 1003 held by %q, want e2", h)
	}
	seq := s.Seq()
	sum = mustImport(t, s, store.ImportOptions{}, three...)
	if got, want := counts(sum), "added 0 changed 0 removed 0 unchanged 3"; got != want || sum.Written {
		t.Fatalf("re-import: %s (written %v), want %s and nothing written", got, sum.Written, want)
	}
	if s.Seq() != seq {
		t.Errorf("re-import moved the store seq from %d to %d: it wrote", seq, s.Seq())
	}
	sum = mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace}, three...)
	if got, want := counts(sum), "added 0 changed 0 removed 0 unchanged 3"; got != want || s.Seq() != seq {
		t.Fatalf("replace with the same list: %s (seq %d→%d), want %s and no write", got, seq, s.Seq(), want)
	}
}

func TestImportMergeChangesFieldsAndCredentials(t *testing.T) {
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	sum := mustImport(t, s, store.ImportOptions{},
		irow{ext: "e1", name: "Ann B", noCards: true, noPINs: true}, // cards and PINs not in the file: kept
		irow{ext: "e2", cards: []string{"1003", "2002"}, noPINs: true},
		irow{ext: "e4", name: "Dee", locks: store.LocksBoth, pins: []string{"5555"}},
	)
	if got, want := counts(sum), "added 1 changed 2 removed 0 unchanged 0"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	if h := holder(t, s, store.CredPIN, "1234"); h != "e1" {
		t.Errorf("e1's PIN (not in the file) now held by %q, want kept", h)
	}
	if h := holder(t, s, store.CredCard, "1001"); h != "e1" {
		t.Errorf("e1's card (not in the file) now held by %q, want kept", h)
	}
	if _, err := s.LookupCredential(store.CredCard, "1002"); err == nil {
		// 1002 was bound to h10301: LookupCredential finds plain cards only.
		t.Errorf("plain card 1002 exists")
	}
	creds := credsOf(t, s, "e2")
	if want := []string{"1003", "2002"}; !slices.Equal(creds, want) {
		t.Errorf("e2's cards %v, want %v (h10301:1002 removed)", creds, want)
	}
	u := userByExt(t, s, "e1")
	if u.Name != "Ann B" || u.Locks != store.LocksBoth {
		t.Errorf("e1 = %q locks %q, want the new name and the kept locks", u.Name, u.Locks)
	}
}

func credsOf(t *testing.T, s *store.Store, ext string) []string {
	t.Helper()
	u := userByExt(t, s, ext)
	cs, err := s.ListCredentials(u.UID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		v := c.Value
		if c.Format != "" {
			v = c.Format + ":" + v
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func userByExt(t *testing.T, s *store.Store, ext string) store.User {
	t.Helper()
	var found *store.User
	s.ForEachUser(func(u *store.User) error {
		if u.ExtID == ext {
			c := *u
			found = &c
		}
		return nil
	})
	if found == nil {
		t.Fatalf("no user %q", ext)
	}
	return *found
}

func TestImportReplaceRemovesUsersAndTheirCredentials(t *testing.T) {
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	// e1 goes; e3 takes e1's card (freed by the removal) in the same run.
	sum := mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace},
		three[1],
		irow{ext: "e3", name: "Cy", locks: store.LocksSecond, cards: []string{"1001"}},
	)
	if got, want := counts(sum), "added 0 changed 1 removed 1 unchanged 1"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	if got, want := userExts(t, s), []string{"e2", "e3"}; !slices.Equal(got, want) {
		t.Errorf("users %v, want %v", got, want)
	}
	if h := holder(t, s, store.CredPIN, "1234"); h != "" {
		t.Errorf("removed user's PIN still held by %q", h)
	}
	if h := holder(t, s, store.CredCard, "1001"); h != "e3" {
		t.Errorf("card 1001 held by %q, want e3", h)
	}
}

func TestImportCardMovesBetweenUsersInOneFile(t *testing.T) {
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	// e3 (earlier in the file) takes e1's card, which e1 (later) gives up.
	sum := mustImport(t, s, store.ImportOptions{},
		irow{ext: "e3", cards: []string{"1001"}, noPINs: true},
		irow{ext: "e1", cards: []string{}, noPINs: true},
	)
	if got, want := counts(sum), "added 0 changed 2 removed 0 unchanged 0"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
	if h := holder(t, s, store.CredCard, "1001"); h != "e3" {
		t.Errorf("card 1001 held by %q, want e3", h)
	}
}

func TestImportBadRowsAreAllReportedAndNothingIsWritten(t *testing.T) {
	for _, dry := range []bool{false, true} {
		t.Run(fmt.Sprintf("dry_run=%v", dry), func(t *testing.T) {
			s := storetest.Open(t)
			mustImport(t, s, store.ImportOptions{}, three[:2]...)
			seq := s.Seq()
			rows := []irow{
				{ext: "n1", name: "New", locks: store.LocksBoth, cards: []string{"7001"}}, // line 2: fine
				{ext: "n2", name: "NoLocks"},                                                         // line 3: a new user without locks
				{ext: "n1", name: "Again", locks: store.LocksBoth},                                   // line 4: ext_id twice
				{ext: "n3", name: "Thief", locks: store.LocksBoth, cards: []string{"1003"}},          // line 5: e2 keeps 1003
				{ext: "n4", name: "Copy", locks: store.LocksBoth, cards: []string{"7001"}},           // line 6: line 2's card
				{ext: "n5", name: "Bad", badField: "valid_to"},                                       // line 7: the reader's error
				{ext: "n6", name: "Pins", locks: store.LocksBoth, pins: []string{"1234"}},            // line 8: e1's PIN
				{ext: "n7", name: "Fmt", locks: store.LocksBoth, cards: []string{"h10301:99999999"}}, // line 9: too big for h10301
				{ext: "n8", name: "Last", locks: store.LocksBoth, cards: []string{"1001"}},           // line 10: e1's card, at the end
			}
			sum, err := s.Import(src(rows...), store.ImportOptions{DryRun: dry})
			if !errors.Is(err, store.ErrImportInvalid) {
				t.Fatalf("err = %v, want ErrImportInvalid", err)
			}
			var got []string
			for _, e := range sum.Errors {
				got = append(got, fmt.Sprintf("%d %s", e.Line, e.Field))
				if e.Message == "" {
					t.Errorf("line %d: empty message", e.Line)
				}
			}
			want := []string{"3 locks", "4 ext_id", "7 valid_to", "7 locks", "9 cards", "5 cards", "6 cards", "8 pins", "10 cards"}
			if !slices.Equal(got, want) || sum.ErrorCount != len(want) {
				t.Errorf("errors %v (count %d), want %v", got, sum.ErrorCount, want)
			}
			if s.Seq() != seq || sum.Written {
				t.Errorf("a bad file wrote (seq %d → %d, written %v)", seq, s.Seq(), sum.Written)
			}
			if got := userExts(t, s); !slices.Equal(got, []string{"e1", "e2"}) {
				t.Errorf("users %v after a refused import", got)
			}
		})
	}
}

func TestImportDryRunCountsAndWritesNothing(t *testing.T) {
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	seq := s.Seq()
	sum := mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace, DryRun: true},
		three[0], irow{ext: "e2", name: "Bobby"}, irow{ext: "e9", name: "Nine", locks: store.LocksBoth})
	if got, want := counts(sum), "added 1 changed 1 removed 1 unchanged 1"; got != want || !sum.DryRun || sum.Written {
		t.Fatalf("%s dry %v written %v, want %s, a dry run that wrote nothing", got, sum.DryRun, sum.Written, want)
	}
	if s.Seq() != seq {
		t.Errorf("dry run wrote")
	}
}

func TestImportReplaceWithoutExtIDIsAnError(t *testing.T) {
	s := storetest.Open(t)
	_, err := s.Import(src(irow{name: "Anon", locks: store.LocksBoth}), store.ImportOptions{Mode: store.ImportReplace})
	if !errors.Is(err, store.ErrImportInvalid) {
		t.Fatalf("err = %v, want ErrImportInvalid", err)
	}
	sum := mustImport(t, s, store.ImportOptions{}, irow{name: "Anon", locks: store.LocksBoth})
	if sum.Added != 1 {
		t.Fatalf("merge without ext_id: %s, want one added", counts(sum))
	}
	u := userExts(t, s)
	if len(u) != 1 || u[0] == "" {
		t.Errorf("users %v: want one with a generated ext_id", u)
	}
}

// A write failure (disk full) part way through a small import leaves
// nothing: it is one transaction.
func TestImportFailingWriteLeavesNothing(t *testing.T) {
	s := storetest.Open(t)
	mustImport(t, s, store.ImportOptions{}, three...)
	seq := s.Seq()
	n := 0
	defer store.SetImportWriteHookForTest(func() error {
		if n++; n == 3 {
			return store.DiskFullForTest(fmt.Errorf("write: %w", syscall.ENOSPC))
		}
		return nil
	})()
	_, err := s.Import(src(
		irow{ext: "e1", name: "Changed"},
		irow{ext: "e3", noCards: true, pins: []string{}}, // no change
		irow{ext: "x1", name: "X1", locks: store.LocksBoth, cards: []string{"9001"}},
		irow{ext: "x2", name: "X2", locks: store.LocksBoth, cards: []string{"9002"}},
	), store.ImportOptions{Mode: store.ImportReplace})
	if !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("err = %v, want ErrDiskFull", err)
	}
	if s.Seq() != seq {
		t.Errorf("a failed import committed (seq %d → %d)", seq, s.Seq())
	}
	if got := userExts(t, s); !slices.Equal(got, []string{"e1", "e2", "e3"}) {
		t.Errorf("users %v, want the old three", got)
	}
	if h := holder(t, s, store.CredCard, "1003"); h != "e2" {
		t.Errorf("e2's card: held by %q after a failed replace", h)
	}
}

// A large import goes in chunks; the result is the same as in one.
func TestImportChunkedMatchesOneTransaction(t *testing.T) {
	defer store.SetImportChunkForTest(3)()
	s := storetest.Open(t)
	var rows []irow
	for i := range 10 {
		rows = append(rows, irow{ext: fmt.Sprintf("u%02d", i), name: fmt.Sprintf("User %d", i), locks: store.LocksBoth,
			cards: []string{fmt.Sprint(5000 + i)}, pins: []string{fmt.Sprint(7000 + i)}})
	}
	mustImport(t, s, store.ImportOptions{}, rows...)
	// Replace: drop u00..u03, and move every card one user down (u05
	// takes u04's card, …): a card is added in an earlier chunk than the
	// one whose row releases it.
	next := slices.Clone(rows[4:])
	for i := range next {
		next[i].cards = []string{fmt.Sprint(5000 + 3 + i)}
	}
	sum := mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace}, next...)
	if got, want := counts(sum), "added 0 changed 6 removed 4 unchanged 0"; got != want || !sum.Written {
		t.Fatalf("%s, want %s", got, want)
	}
	for i := range next {
		if h := holder(t, s, store.CredCard, fmt.Sprint(5003+i)); h != next[i].ext {
			t.Errorf("card %d held by %q, want %s", 5003+i, h, next[i].ext)
		}
	}
	if len(userExts(t, s)) != 6 {
		t.Errorf("users %v", userExts(t, s))
	}
	seq := s.Seq()
	sum = mustImport(t, s, store.ImportOptions{Mode: store.ImportReplace}, next...)
	if sum.Unchanged != 6 || s.Seq() != seq {
		t.Errorf("re-import of the chunked import: %s (seq %d → %d)", counts(sum), seq, s.Seq())
	}
}
