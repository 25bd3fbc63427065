package fleet

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

// An import small enough for one write (1 row and 199 removals) whose
// removals' rights in every group (199 people, each with a card and a
// right in 4 groups: 1,194 records) are more than one write of a fleet
// takes (999) is still done, all or nothing: as one generation flip.
// Every controller holds the one person kept, and the bucket only the
// kept person's rights.
func TestImportRemovalsWithRightsOverTheBatchLimit(t *testing.T) {
	n := startNATS(t)
	var ms []*member
	for _, g := range []string{"A", "B", "C", "D"} {
		ms = append(ms, joinGroups(t, n, strings.ToLower(g), g))
	}
	a := ms[0]
	// p0..p199 with a right in each group: a merge of 200 rows (one
	// write) through each group's controller.
	for _, m := range ms {
		if sum, err := m.st.Import(people(0, 200), store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil {
			t.Fatal(err, sum.Errors)
		}
		for _, o := range ms {
			o.waitRev(m.f.rev())
		}
	}
	if got := len(a.rightsInBucket(t)); got != 800 {
		t.Fatalf("%d rights in the bucket before, want 800", got)
	}
	sum, err := a.st.Import(people(0, 1), store.ImportOptions{Mode: store.ImportReplace, By: "test"})
	if err != nil {
		t.Fatal(err, sum.Errors)
	}
	if !sum.Written || sum.Removed != 199 {
		t.Errorf("summary %+v", sum)
	}
	sameGen(ms...)
	for _, m := range ms {
		m.waitFor("p0 alone", func() bool { return isList(t, m.st, 0, 1) })
	}
	want := map[string]bool{"A p0": true, "B p0": true, "C p0": true, "D p0": true}
	if got := a.rightsInBucket(t); len(got) != len(want) || !got["A p0"] || !got["B p0"] || !got["C p0"] || !got["D p0"] {
		t.Errorf("rights in the bucket after %v, want %v", got, want)
	}
}

// A write that is more records than one write of the fleet takes is
// refused before anything is written, with the 422 that names the
// limit: here deleting a person with 1,000 cards (1,001 records). The
// import that made them (one row, 1,001 records) went as a generation.
func TestDeleteOverTheBatchLimitRefusedWhole(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	row := func(yield func(*store.ImportRow) bool) error {
		r := &store.ImportRow{Line: 2, ExtID: "many", SetCards: true, SetPINs: true,
			Apply: func(u *store.User, isNew bool) []store.ImportError {
				u.Name, u.Locks = "Many Cards", store.LocksBoth
				return nil
			}}
		for i := range 1000 {
			r.Cards = append(r.Cards, store.Credential{Value: strconv.Itoa(20000 + i)})
		}
		yield(r)
		return nil
	}
	if sum, err := a.st.Import(row, store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil || sum.Added != 1 {
		t.Fatal(err, sum)
	}
	sameGen(a, b)
	b.waitFor("the person with 1,000 cards", func() bool { _, cards := list(t, b.st); return cards == 1000 })
	var id string
	if err := a.st.ForEachUser(func(u *store.User) error { id = u.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	err := a.st.DeleteUser(id)
	var ie *store.InvalidError
	if !errors.As(err, &ie) || ie.Field != "records" || !strings.Contains(ie.Reason, "at most 999") {
		t.Fatalf("deleting 1,001 records: %v, want the invalid records error naming 999", err)
	}
	rev := a.f.rev()
	for _, m := range []*member{a, b} {
		m.waitRev(rev)
		if got, cards := list(t, m.st); len(got) != 1 || cards != 1000 {
			t.Errorf("%s holds %d users and %d cards after the refused delete, want 1 and 1000", m.cfg.Controller, len(got), cards)
		}
	}
	kl, err := a.f.live().kv.ListKeysFiltered(t.Context(), "cred.>")
	if err != nil {
		t.Fatal(err)
	}
	keys := 0
	for range kl.Keys() {
		keys++
	}
	if keys != 1000 {
		t.Errorf("%d cards in the bucket after the refused delete, want 1000", keys)
	}
}
