package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/doord/doord/store"
)

// damagedFile builds a store with enough users that the users bucket has
// pages of its own, closes it, and returns its path, the users bucket's
// root page and the page size.
func damagedFile(t *testing.T, n int) (path string, page uint64, pageSize int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users := make([]store.User, n)
	for i := range users {
		users[i] = store.User{Name: fmt.Sprintf("user %d", i), State: store.StateActive}
	}
	if err := s.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	page, pageSize, err = store.PageOfForTest(s, store.BucketUsers)
	if err != nil || page == 0 {
		t.Fatalf("users root page %d, %v (want a page of its own)", page, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, page, pageSize
}

func overwritePage(t *testing.T, path string, page uint64, pageSize int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, pageSize)
	for i := range junk {
		junk[i] = 0xA5
	}
	if _, err := f.WriteAt(junk, int64(page)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesDamagedFile: only an absent file makes a new store. Each
// damaged file stops Open with ErrDamaged and a message naming the file,
// the problem and the way out, without a panic or a fault, and without
// writing to the file (a 0-byte file stays 0 bytes instead of becoming an
// empty store).
func TestOpenRefusesDamagedFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, page uint64, pageSize int)
		want   string
	}{
		{"zero bytes", func(t *testing.T, path string, _ uint64, _ int) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty (0 bytes)"},
		{"truncated to half", func(t *testing.T, path string, _ uint64, _ int) {
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"truncated inside the header", func(t *testing.T, path string, _ uint64, _ int) {
			if err := os.Truncate(path, 1000); err != nil {
				t.Fatal(err)
			}
		}, "truncated: 1000 bytes"},
		{"both meta pages overwritten", func(t *testing.T, path string, _ uint64, pageSize int) {
			overwritePage(t, path, 0, pageSize)
			overwritePage(t, path, 1, pageSize)
		}, "neither header page is valid"},
		{"a bad data page", overwritePage, "a page could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, page, pageSize := damagedFile(t, 300)
			tt.damage(t, path, page, pageSize)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := store.Open(path, store.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a damaged file")
			}
			if !errors.Is(err, store.ErrDamaged) {
				t.Errorf("err = %v, want ErrDamaged", err)
			}
			msg := err.Error()
			t.Logf("%s", msg)
			if !strings.Contains(msg, path) {
				t.Errorf("message %q does not name the file", msg)
			}
			rest := strings.Replace(msg, path, "", 1) // the test's name is in the path
			for _, want := range []string{tt.want, "restore a backup", "doord restore"} {
				if !strings.Contains(rest, want) {
					t.Errorf("message %q does not mention %q", msg, want)
				}
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Errorf("Open changed the damaged file (%d bytes → %d)", len(before), len(after))
			}
		})
	}
}

// TestOpenCreatesAbsentFile: the one case that makes a new store.
func TestOpenCreatesAbsentFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if reason, bad := s.Degraded(); bad {
		t.Errorf("new store degraded: %s", reason)
	}
}

// TestDamageAtRunTimeIsContained: a page that goes bad while the store is
// open (a bad sector, a file truncated behind doord's back) fails the
// reads that touch it with ErrDamaged — no panic, no SIGBUS — marks the
// store degraded with the reason, and tells the OnDamaged listener once.
func TestDamageAtRunTimeIsContained(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, page uint64, pageSize int)
	}{
		{"page overwritten", overwritePage},
		{"file truncated (SIGBUS on the map)", func(t *testing.T, path string, _ uint64, pageSize int) {
			if err := os.Truncate(path, int64(2*pageSize)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, page, pageSize := damagedFile(t, 300)
			s, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var told atomic.Int32
			s.OnDamaged(func(reason string) {
				if reason == "" {
					t.Error("OnDamaged with an empty reason")
				}
				told.Add(1)
			})
			if _, bad := s.Degraded(); bad {
				t.Fatal("degraded before any damage")
			}
			tt.damage(t, path, page, pageSize)
			for range 2 {
				_, _, err = s.ListUsers(store.UserFilter{Limit: 1000})
				if !errors.Is(err, store.ErrDamaged) {
					t.Fatalf("ListUsers on a damaged page: %v, want ErrDamaged", err)
				}
			}
			reason, bad := s.Degraded()
			t.Logf("degraded: %s", reason)
			if !bad || reason == "" {
				t.Errorf("Degraded() = %q, %v; want a reason", reason, bad)
			}
			if n := told.Load(); n != 1 {
				t.Errorf("OnDamaged called %d times, want once", n)
			}
		})
	}
}

// ScanAccess walks and parses on worker goroutines of its own
// (scanParallel): a bad page or a page past the end of the file met there
// must fail the scan with ErrDamaged and mark the store degraded, as on
// the transaction's goroutine, never end the process.
func TestScanAccessContainsDamage(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, path string, page uint64, pageSize int){
		"page overwritten": overwritePage,
		// Cut at the users bucket's root page, so that the fault comes
		// from the walk, not from finding the bucket.
		"file truncated at the users bucket": func(t *testing.T, path string, page uint64, pageSize int) {
			if err := os.Truncate(path, int64(page)*int64(pageSize)); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			path, page, pageSize := damagedFile(t, 300)
			s, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			damage(t, path, page, pageSize)
			_, err = s.ScanAccess(store.AccessVisitor{User: func(*store.AccessUser) error { return nil }})
			if !errors.Is(err, store.ErrDamaged) {
				t.Fatalf("ScanAccess on a damaged page: %v, want ErrDamaged", err)
			}
			if _, bad := s.Degraded(); !bad {
				t.Error("not degraded after ScanAccess met the damage")
			}
		})
	}
}
