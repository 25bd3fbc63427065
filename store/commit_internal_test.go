package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A writer whose function fails after it wrote is rolled back alone: its
// group-mates' writes commit, its own leave nothing behind, and each
// writer gets its own result.
func TestGroupCommitRollsBackOnlyTheFailedWriter(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "doord.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := errors.New("failed after writing")
	const writers = 64
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.write(true, func(w *wtx) error {
				if err := w.putRaw(bMeta, fmt.Appendf(nil, "test/%d", i), []byte("x")); err != nil {
					return err
				}
				if i%4 == 0 {
					return bad
				}
				return nil
			})
		})
	}
	wg.Wait()
	err = s.view(func(tx *bolt.Tx) error {
		for i := range writers {
			got := tx.Bucket(bMeta).Get(fmt.Appendf(nil, "test/%d", i)) != nil
			switch {
			case i%4 == 0 && !errors.Is(errs[i], bad):
				t.Errorf("writer %d: %v, want its own error", i, errs[i])
			case i%4 != 0 && errs[i] != nil:
				t.Errorf("writer %d: %v, want nil", i, errs[i])
			case got != (i%4 != 0):
				t.Errorf("writer %d's key on disk: %v, want %v", i, got, i%4 != 0)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
