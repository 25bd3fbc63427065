package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A backup taken while writers run holds every write acknowledged before
// it began and restores to a store that passes Check.
func TestBackupUnderWriteLoadRestores(t *testing.T) {
	s := storetest.Open(t)
	var (
		mu    sync.Mutex
		acked []string // ids whose CreateUser returned nil
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make(chan error, 4)
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				u := &store.User{Name: fmt.Sprintf("w%d-%d", w, i), Locks: store.LocksBoth}
				if _, err := s.CreateUser(u, "test"); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				acked = append(acked, u.ID)
				mu.Unlock()
			}
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
	waitAcked := func(n int) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			select {
			case err := <-errs:
				t.Fatal(err)
			case <-deadline:
				t.Fatalf("writers acknowledged %d writes, want %d", got, n)
			default:
				time.Sleep(time.Millisecond) // polling the writers' progress, not waiting for time
			}
		}
	}
	waitAcked(50)

	mu.Lock()
	before := append([]string(nil), acked...) // acknowledged before the backup began
	mu.Unlock()
	f, size, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if n, err := io.Copy(&buf, f); err != nil || n != size {
		t.Fatalf("snapshot read %d of %d bytes: %v", n, size, err)
	}
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	waitAcked(n + 20) // the writers are still going
	if left, _ := filepath.Glob(s.Path() + ".snapshot*"); len(left) > 0 {
		t.Errorf("Snapshot left a named file: %v", left)
	}

	snap := filepath.Join(t.TempDir(), "snap.db")
	if err := os.WriteFile(snap, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	live, _ := liveStore(t) // a store to replace, with a user of its own
	res, err := store.Restore(snap, live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Before == "" {
		t.Fatal("Restore kept no copy of the old store")
	}
	if _, err := os.Stat(res.Before); err != nil {
		t.Fatalf("old store not kept: %v", err)
	}
	r, err := store.Open(live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Check(); err != nil {
		t.Fatalf("restored store: %v", err)
	}
	for _, id := range before {
		if _, err := r.GetUser(id); err != nil {
			t.Fatalf("user %s acknowledged before the backup began: %v", id, err)
		}
	}
	if res.Stats.Users < len(before) {
		t.Errorf("restored %d users, want at least %d", res.Stats.Users, len(before))
	}
}

// liveStore makes a closed store at dir/doord.db with one user and
// returns its path and bytes.
func liveStore(t *testing.T) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(&store.User{Name: "live", Locks: store.LocksBoth}, "test"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, raw
}

// assertUntouched checks that the live file has its old bytes and that
// no restore leftovers lie beside it.
func assertUntouched(t *testing.T, path string, raw []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("live store changed (err %v)", err)
	}
	left, _ := filepath.Glob(path + ".*")
	if len(left) > 0 {
		t.Fatalf("restore left files behind: %v", left)
	}
}

// A damaged backup is refused before anything is swapped: truncated (a
// cut-off download), empty, and not a bbolt file at all.
func TestRestoreRefusesDamagedBackup(t *testing.T) {
	src := storetest.Open(t)
	for i := range 300 {
		if _, err := src.CreateUser(&store.User{Name: fmt.Sprint("u", i), Locks: store.LocksBoth}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := src.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	whole := buf.Bytes()
	cases := map[string][]byte{
		"empty":          nil,
		"garbage":        bytes.Repeat([]byte("not a database "), 2000),
		"truncated half": whole[:len(whole)/2],
		"truncated page": whole[:len(whole)-4096],
		"meta only":      whole[:8192],
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			live, raw := liveStore(t)
			snap := filepath.Join(t.TempDir(), "snap.db")
			if err := os.WriteFile(snap, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := store.Restore(snap, live, store.Options{})
			if err == nil {
				t.Fatal("Restore accepted a damaged backup")
			}
			t.Log(err)
			assertUntouched(t, live, raw)
		})
	}
}

// While a process (here another handle) holds the store, Restore refuses
// with ErrLocked and changes nothing; BackupClosed does too.
func TestRestoreRefusesWhileStoreOpen(t *testing.T) {
	live, raw := liveStore(t)
	snapDir := t.TempDir()
	snap := filepath.Join(snapDir, "snap.db")
	held, err := store.Open(live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := held.BackupFile(snap); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(live)
	_, err = store.Restore(snap, live, store.Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Restore on an open store: %v, want ErrLocked", err)
	}
	_, err = store.BackupClosed(live, filepath.Join(snapDir, "offline.db"), 100*time.Millisecond)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("BackupClosed on an open store: %v, want ErrLocked", err)
	}
	held.Close()
	assertUntouched(t, live, raw)

	// Closed, both work: the offline backup is a sound store.
	off := filepath.Join(snapDir, "offline.db")
	if _, err := store.BackupClosed(live, off, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Restore(off, live, store.Options{}); err != nil {
		t.Fatal(err)
	}
}

// Restore is the way out of a damaged store: it never opens the live
// file, so garbage there is replaced (and kept aside) like a sound store.
func TestRestoreReplacesADamagedStore(t *testing.T) {
	src, _ := liveStore(t)
	dir := t.TempDir()
	live := filepath.Join(dir, "doord.db")
	garbage := bytes.Repeat([]byte("damaged "), 4096)
	if err := os.WriteFile(live, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := store.Restore(src, live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := os.ReadFile(res.Before); err != nil || !bytes.Equal(kept, garbage) {
		t.Fatalf("damaged store not kept aside at %q: %v", res.Before, err)
	}
	if res.Stats.Users != 1 {
		t.Fatalf("restored %d users, want 1", res.Stats.Users)
	}
}

// Two restores in one second keep both old files: the second's must not
// be renamed over the first's (the original store).
func TestRestoreTwiceKeepsBothOldFiles(t *testing.T) {
	live, raw := liveStore(t)
	snap := filepath.Join(t.TempDir(), "snap.db")
	s, err := store.Open(filepath.Join(t.TempDir(), "doord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BackupFile(snap); err != nil {
		t.Fatal(err)
	}
	s.Close()
	first, err := store.Restore(snap, live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.Restore(snap, live, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Before == second.Before {
		t.Fatalf("both restores kept the old file at %s", first.Before)
	}
	if got, err := os.ReadFile(first.Before); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("the original store is no longer at %s (err %v)", first.Before, err)
	}
}
