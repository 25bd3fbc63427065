package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// TestExportUsersEveryPageInOrder: ExportUsers, whose pages are read
// ahead and decoded by workers, hands every user to fn once, in UID
// order, each with its own credentials in id order, across many pages
// and with a last page that is full (7 pages of 3 for 21 users).
func TestExportUsersEveryPageInOrder(t *testing.T) {
	defer store.SetExportPageForTest(3)()
	s := storetest.Open(t)
	var rows []irow
	for i := range 21 {
		r := irow{ext: fmt.Sprintf("e%02d", i), name: fmt.Sprintf("N%d", i), locks: store.LocksBoth}
		if i%2 == 0 {
			r.cards = []string{fmt.Sprint(5000 + i), fmt.Sprint(6000 + i)}
		}
		if i%3 == 0 {
			r.pins = []string{fmt.Sprintf("%06d", 100000+i)}
		}
		rows = append(rows, r)
	}
	mustImport(t, s, store.ImportOptions{}, rows...)
	var uids []uint64
	var exts []string
	err := s.ExportUsers(func(u *store.User, creds []store.Credential) error {
		uids = append(uids, u.UID)
		exts = append(exts, u.ExtID)
		i := len(exts) - 1
		var got []string
		for j, c := range creds {
			if c.UserUID != u.UID {
				t.Errorf("%s: credential %d is user %d's", u.ExtID, c.ID, c.UserUID)
			}
			if j > 0 && creds[j-1].ID >= c.ID {
				t.Errorf("%s: credentials not in id order", u.ExtID)
			}
			got = append(got, string(c.Type)+":"+c.Value)
		}
		var want []string
		for _, c := range rows[i].cards {
			want = append(want, "card:"+c)
		}
		for _, p := range rows[i].pins {
			want = append(want, "pin:"+p)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: credentials %v, want %v", u.ExtID, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) != 21 || !slices.IsSorted(uids) {
		t.Fatalf("exported %d users (%v), want 21 in UID order", len(exts), uids)
	}
	for i, e := range exts {
		if e != rows[i].ext {
			t.Fatalf("user %d is %s, want %s", i, e, rows[i].ext)
		}
	}
}

// TestExportUsersStopsOnFnError: fn's error ends the export at once (no
// further user is handed out, while pages were being read ahead) and is
// returned.
func TestExportUsersStopsOnFnError(t *testing.T) {
	defer store.SetExportPageForTest(2)()
	s := storetest.Open(t)
	var rows []irow
	for i := range 20 {
		rows = append(rows, irow{ext: fmt.Sprintf("e%02d", i), locks: store.LocksBoth})
	}
	mustImport(t, s, store.ImportOptions{}, rows...)
	stop := errors.New("client went away")
	n := 0
	err := s.ExportUsers(func(u *store.User, creds []store.Credential) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Fatalf("err %v after %d users, want the fn's error after 5", err, n)
	}
}
