package storetest

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/doord/doord/store"
	berrors "go.etcd.io/bbolt/errors"
)

// Open opens a store in a fresh t.TempDir(). On cleanup it runs Check,
// failing the test on any inconsistency, and closes the store. A test may
// close the store itself; the file is then reopened to be checked.
func Open(t testing.TB, opts ...store.Options) *store.Store {
	t.Helper()
	var opt store.Options
	if len(opts) > 0 {
		opt = opts[0]
	}
	s, err := store.Open(filepath.Join(t.TempDir(), "doord.db"), opt)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		err := s.Check()
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			re, oerr := store.Open(s.Path(), store.Options{})
			if oerr != nil {
				t.Errorf("storetest: reopen for check: %v", oerr)
				return
			}
			defer re.Close()
			err = re.Check()
		}
		if err != nil {
			t.Errorf("storetest: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	return s
}
