package fleet

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// people is an import of the users p<from>..p<to-1>, each with the card
// 10000+i.
func people(from, to int) store.ImportSource {
	return func(yield func(*store.ImportRow) bool) error {
		for i := from; i < to; i++ {
			row := &store.ImportRow{Line: i - from + 2, ExtID: "p" + strconv.Itoa(i), SetCards: true, SetPINs: true,
				Apply: func(u *store.User, isNew bool) []store.ImportError {
					u.Name, u.Locks = fmt.Sprintf("Person %d", i), store.LocksBoth
					return nil
				},
				Cards: []store.Credential{{Value: strconv.Itoa(10000 + i)}}}
			if !yield(row) {
				return nil
			}
		}
		return nil
	}
}

// list is the ext_ids of a store's users, sorted, and how many cards it
// holds.
func list(t *testing.T, st *store.Store) (exts []string, cards int) {
	t.Helper()
	if err := st.ForEachUser(func(u *store.User) error { exts = append(exts, u.ExtID); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.ForEachCredential(func(*store.Credential) error { cards++; return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(exts)
	return exts, cards
}

func exts(from, to int) []string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, "p"+strconv.Itoa(i))
	}
	sort.Strings(s)
	return s
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// isList reports whether st holds exactly the users from..to with one
// card each.
func isList(t *testing.T, st *store.Store, from, to int) bool {
	got, cards := list(t, st)
	return sameList(got, exts(from, to)) && cards == to-from
}

// seed imports p0..p299 through a in two merges of one write each (the
// list stays in generation 0) and waits for the others.
func seed(t *testing.T, a *member, others ...*member) {
	t.Helper()
	for _, part := range [][2]int{{0, 150}, {150, 300}} {
		if sum, err := a.st.Import(people(part[0], part[1]), store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil {
			t.Fatal(err, sum.Errors)
		}
	}
	for _, m := range others {
		m.waitRev(a.f.rev())
		if !isList(t, m.st, 0, 300) {
			t.Fatalf("%s does not hold the seeded list", m.cfg.Controller)
		}
	}
}

// seenWhole checks, after every transaction m's watch applies (until
// the hook is cleared), that m holds the users of was or of will (from,
// to: isList), nothing between, and counts the transactions.
func seenWhole(t *testing.T, m *member, was, will [2]int) (states *int) {
	states = new(int)
	m.f.hooks.afterApply.Store(new(func() {
		*states++
		if !isList(t, m.st, was[0], was[1]) && !isList(t, m.st, will[0], will[1]) {
			got, cards := list(t, m.st)
			t.Errorf("%s holds %d users (%d cards) between the list before and the list after", m.cfg.Controller, len(got), cards)
		}
	}))
	return states
}

// A replace of the whole list through a's import (larger than one
// write) is seen by b only whole: after every transaction b's watch
// applied, b holds the old list or the new one, nothing between.
func TestReplaceSeenWhole(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	seed(t, a, b)
	states := seenWhole(t, b, [2]int{0, 300}, [2]int{150, 450})
	sum, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	if err != nil {
		t.Fatal(err, sum.Errors)
	}
	if sum.Added != 150 || sum.Removed != 150 || !sum.Written {
		t.Errorf("summary %+v", sum)
	}
	if !isList(t, a.st, 150, 450) {
		t.Error("a does not hold the new list when its import returns")
	}
	b.waitFor("the new list", func() bool { return b.f.live() != nil && b.f.live().gen == 1 })
	b.f.hooks.afterApply.Store(nil)
	if !isList(t, b.st, 150, 450) {
		t.Error("b does not hold the new list")
	}
	if *states == 0 {
		t.Error("no transaction of b was observed")
	}
	// The fleet goes on in the new generation.
	u := store.User{Name: "After", Locks: store.LocksBoth}
	if _, err := b.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	a.waitRev(b.f.rev())
	if !a.hasUser(u.ID) {
		t.Error("a write after the replace did not reach a")
	}
}

// The rule for a write racing a replace: one that lands before the flip
// makes the replace a conflict with nothing replaced (and the write
// kept); one sent to the old list after the flip is a conflict for its
// writer and lands nowhere.
func TestReplaceRacingWrites(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	seed(t, a, b)
	racer := store.User{Name: "Racer", Locks: store.LocksBoth}
	a.f.hooks.beforeFlip.Store(new(func() {
		if _, err := b.st.CreateUser(&racer, "test"); err != nil {
			t.Errorf("b's write during the replace: %v", err)
		}
	}))
	_, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	a.f.hooks.beforeFlip.Store(nil)
	raceLost(t, err, racer.ID, 0, 301, a, b)
	buckets := 0
	for name := range b.f.live().js.KeyValueStoreNames(t.Context()).Name() {
		buckets++
		if name != b.cfg.Bucket() {
			t.Errorf("bucket %s is there after a failed replace", name)
		}
	}
	if buckets != 1 {
		t.Errorf("%d buckets listed, want the root alone", buckets)
	}

	// Now a replace that goes through, and a write b prepared against
	// the old list before it: a conflict, written nowhere.
	old := b.f.live()
	base := b.f.rev()
	if _, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"}); err != nil {
		t.Fatal(err)
	}
	late := userOp(uint64(2)<<32+999, "Late")
	_, err = b.f.publishBatch(old, []store.FleetOp{late}, base)
	var ce *store.FleetConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("a write to the replaced list: %v, want a FleetConflictError", err)
	}
	t.Log(err)
	if got := b.bucketRev(recordKey(store.KindUser, late.ID)); got != 0 {
		t.Errorf("the late write is in the root bucket at %d", got)
	}
	b.waitFor("the new list", func() bool { return b.f.live() != nil && b.f.live().gen == 1 })
	if b.userName(late.ID) != "" || !isList(t, b.st, 150, 450) {
		t.Error("b's list after the replace is not the new one")
	}
}

// A controller that is down during a replace loads the new list when it
// returns, and so does one that was down during two.
func TestReplaceCatchUpAfterDown(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	stC := storetest.Open(t)
	c := joinStore(t, n, "c", stC)
	seed(t, a, c)
	c.leave()
	if _, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"}); err != nil {
		t.Fatal(err)
	}
	c = joinStore(t, n, "c", stC)
	if g := c.f.live().gen; g != 1 {
		t.Errorf("c returned at generation %d, want 1", g)
	}
	if !isList(t, c.st, 150, 450) {
		t.Error("c does not hold the new list after it returned")
	}
	if got := c.bucketRev(recordKey(store.KindUser, 1<<32+1)); got == 0 {
		t.Fatal("the first generation's first user is not in the root bucket")
	}
	c.leave()
	if _, err := a.st.Import(people(400, 700), store.ImportOptions{Mode: store.ImportReplace, By: "test"}); err != nil {
		t.Fatal(err)
	}
	c = joinStore(t, n, "c", stC)
	if g, _ := stC.FleetGen(); g != 2 || !isList(t, c.st, 400, 700) {
		t.Errorf("c after a second replace: generation %d", g)
	}
	// The first generation's records are purged from the root bucket
	// (its controller numbers stay); generation 1 stays until the next.
	if got := c.bucketRev(recordKey(store.KindUser, 1<<32+1)); got != 0 {
		t.Errorf("a first-generation record is still in the root bucket at %d", got)
	}
	if got := c.bucketRev("ctl.a"); got == 0 {
		t.Error("the controller numbers went with the purge")
	}
}

// Two replaces at once through two controllers: the one that flips
// first wins, the other is a conflict with nothing of it anywhere, and
// both controllers end on the winner's list.
func TestConcurrentReplaces(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	seed(t, a, b)
	var bErr error
	a.f.hooks.beforeFlip.Store(new(func() {
		_, bErr = b.st.Import(people(100, 400), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	}))
	_, err := a.st.Import(people(150, 450), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	a.f.hooks.beforeFlip.Store(nil)
	if bErr != nil {
		t.Fatalf("b's replace, which flipped first: %v", bErr)
	}
	if !errors.Is(err, store.ErrImportConflict) {
		t.Fatalf("a's replace, which flipped second: %v, want ErrImportConflict", err)
	}
	a.waitFor("the new list", func() bool { return a.f.live() != nil && a.f.live().gen == 1 })
	for _, m := range []*member{a, b} {
		if !isList(t, m.st, 100, 400) {
			got, _ := list(t, m.st)
			t.Errorf("%s holds %d users, not b's list", m.cfg.Controller, len(got))
		}
	}
	buckets := 0
	for range b.f.live().js.KeyValueStoreNames(t.Context()).Name() {
		buckets++
	}
	if buckets != 2 {
		t.Errorf("%d buckets, want the root and b's generation (a's deleted)", buckets)
	}
}

// A merge import larger than one write is the whole new list in one
// generation flip: b sees the list before it or after it, never part of
// it; and a merge that a write racing it makes fail (a card one of its
// rows adds, taken on b before the flip) is a 409 that writes nothing
// of the file anywhere, with the racing write kept.
func TestMergeSeenWhole(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	seed(t, a, b)
	states := seenWhole(t, b, [2]int{0, 300}, [2]int{0, 600})
	sum, err := a.st.Import(people(300, 600), store.ImportOptions{Mode: store.ImportMerge, By: "test"})
	if err != nil {
		t.Fatal(err, sum.Errors)
	}
	if sum.Added != 300 || !sum.Written {
		t.Errorf("summary %+v", sum)
	}
	if !isList(t, a.st, 0, 600) {
		t.Error("a does not hold the merged list when its import returns")
	}
	b.waitFor("the merged list", func() bool { return b.f.live() != nil && b.f.live().gen == 1 })
	b.f.hooks.afterApply.Store(nil)
	if *states == 0 {
		t.Error("no transaction of b was observed")
	}
	if !isList(t, b.st, 0, 600) {
		t.Error("b does not hold the merged list")
	}

	// A row's card taken on b while the merge is being written: the
	// merge is a conflict, and nothing of it is anywhere.
	racer := store.User{Name: "Racer", Locks: store.LocksBoth}
	a.f.hooks.beforeFlip.Store(new(func() {
		if _, err := b.st.CreateUser(&racer, "test"); err != nil {
			t.Errorf("b's write during the merge: %v", err)
			return
		}
		c := store.Credential{UserUID: racer.UID, Type: store.CredCard, Value: strconv.Itoa(10000 + 850)}
		if err := b.st.CreateCredential(&c); err != nil {
			t.Errorf("b's card during the merge: %v", err)
		}
	}))
	_, err = a.st.Import(people(600, 900), store.ImportOptions{Mode: store.ImportMerge, By: "test"})
	a.f.hooks.beforeFlip.Store(nil)
	raceLost(t, err, racer.ID, 1, 601, a, b)
}

// raceLost checks that an import through a that b's write (of the user
// racer) raced before its flip was a conflict that changed nothing: a
// and b are still at generation gen, with the write, and hold users
// users in all.
func raceLost(t *testing.T, err error, racer string, gen uint64, users int, a, b *member) {
	t.Helper()
	if !errors.Is(err, store.ErrImportConflict) {
		t.Fatalf("an import with a write before its flip: %v, want ErrImportConflict", err)
	}
	a.waitRev(b.f.rev())
	for _, m := range []*member{a, b} {
		if g := m.f.live().gen; g != gen {
			t.Errorf("%s is at generation %d after a failed import, want %d", m.cfg.Controller, g, gen)
		}
		if !m.hasUser(racer) {
			t.Errorf("%s lost the write that raced the import", m.cfg.Controller)
		}
		if got, _ := list(t, m.st); len(got) != users {
			t.Errorf("%s holds %d users, want %d: the list before the import and the racer", m.cfg.Controller, len(got), users)
		}
	}
}
