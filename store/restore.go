package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// RestoreResult says what Restore did.
type RestoreResult struct {
	// Before is where the store that was replaced now lives
	// (path.before-restore-<time>); "" when there was none.
	Before string
	// Stats are the restored store's counts.
	Stats Stats
}

// Restore replaces the store file at path with the backup at snapshot,
// which must be a whole, consistent doord store:
//
//  1. the live file's lock is taken (flock, as bbolt takes it) and held to
//     the end, so no daemon opens it meanwhile; ErrLocked after
//     opt.Timeout while one holds it;
//  2. the snapshot is copied beside path (path.restore-<time>.tmp,
//     fsynced), opened as a store (Open's damaged-file checks; migrations
//     run on the copy) and passed through Check;
//  3. the live file is renamed to path.before-restore-<time> and the copy
//     renamed to path (directory fsynced); then the new file is opened
//     once more. If that fails the old file is put back.
//
// On any error the live file is where and what it was, and the copy is
// removed. The old file is kept after a success too: delete it once the
// restored store is known to be right.
func Restore(snapshot, path string, opt Options) (RestoreResult, error) {

	var res RestoreResult
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	if fi, err := os.Stat(snapshot); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	} else if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("restore: %s is not a regular file", snapshot)
	}
	unlock, err := lockFile(path, timeout)
	if err != nil {
		return res, err
	}
	defer unlock()

	stamp := time.Now().UTC().Format("20060102T150405Z")
	staging := path + ".restore-" + stamp + ".tmp"
	if _, err := WriteFileAtomic(staging, func(w io.Writer) (int64, error) {
		f, err := os.Open(snapshot)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		return io.Copy(w, f)
	}); err != nil {
		return res, fmt.Errorf("restore: copy %s: %w", snapshot, err)
	}
	keepStaging := false
	defer func() {
		if !keepStaging {
			os.Remove(staging)
		}
	}()
	if err := verifySnapshot(staging, opt); err != nil {
		return res, fmt.Errorf("restore: %s is not a sound doord store, nothing was changed: %w", snapshot, err)
	}

	if _, err := os.Stat(path); err == nil {
		res.Before = freeName(path + ".before-restore-" + stamp)
		if err := os.Rename(path, res.Before); err != nil {
			return res, fmt.Errorf("restore: set the old store aside: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("restore: %w", err)
	}
	putBack := func(cause error) (RestoreResult, error) {
		if res.Before != "" {
			if err := os.Rename(res.Before, path); err != nil {
				return res, fmt.Errorf("restore: %w; and putting the old store back failed: %v (it is at %s)", cause, err, res.Before)
			}
			res.Before = ""
		} else {
			os.Remove(path)
		}
		syncDir(filepath.Dir(path))
		return res, fmt.Errorf("restore: %w; the old store is back in place", cause)
	}
	if err := os.Rename(staging, path); err != nil {
		return putBack(err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return putBack(err)
	}
	st, err := Open(path, Options{Timeout: timeout, KeyFile: opt.KeyFile})
	if err != nil {
		return putBack(fmt.Errorf("the restored file does not open: %w", err))
	}
	res.Stats, err = st.Stats()
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return putBack(err)
	}
	return res, nil
}

// freeName is name, or name-2, name-3, … when it exists: two restores in
// one second must not rename the second's old file over the first's
// (rename replaces its target).
func freeName(name string) string {
	try := name
	for i := 2; ; i++ {
		if _, err := os.Lstat(try); errors.Is(err, os.ErrNotExist) {
			return try
		}
		try = fmt.Sprintf("%s-%d", name, i)
	}
}

// VerifyBackup checks a backup of s at path as Restore checks a snapshot
// before it swaps it in (see verifySnapshot), with s's key (a backup does
// not hold the key). It reads the whole copy, seconds at a million users;
// the live file is not read.
func (s *Store) VerifyBackup(path string) error {
	return verifySnapshot(path, Options{KeyFile: s.keyFile})
}

// verifySnapshot opens the file at path as a store, as serve would (a
// damaged file is a DamagedError, contained: damage.go), runs Check, and
// then holds it to the length its header records: a backup is written
// whole (tx.WriteTo writes exactly that many bytes), so a shorter file is
// a copy that was cut off, even where the pages it lost were not in use.
func verifySnapshot(path string, opt Options) error {
	st, err := Open(path, Options{Timeout: opt.Timeout, KeyFile: opt.KeyFile})
	if err != nil {
		return err
	}
	err = st.Check()
	var want int64
	if err == nil {
		var stats Stats
		stats, err = st.Stats()
		want = stats.FileSize
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() < want {
		return fmt.Errorf("truncated: the file has %d bytes, its header says %d (a backup is written whole; this copy was cut off)", fi.Size(), want)
	}
	return nil
}

// lockFile takes the exclusive flock bbolt takes on a store file (the
// daemon holds it for as long as it runs), retrying until timeout. A
// missing file has nothing to protect: unlock is then a no-op.
func lockFile(path string, timeout time.Duration) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &lockedError{path: path, timeout: timeout}
			}
			return nil, fmt.Errorf("restore: lock %s: %w", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
