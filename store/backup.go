package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the whole file to w while writers
// carry on (a read transaction pins the snapshot).
func (s *Store) Backup(w io.Writer) (int64, error) {
	return s.BackupTo(func(int64) (io.Writer, error) { return w, nil })
}

// BackupTo is Backup for a destination that must know the length before
// the first byte (an HTTP answer with a Content-Length, so that a copy cut
// short is an error at the client rather than a file that looks whole):
// open gets the snapshot's exact size, taken in the same read transaction
// as the copy, and returns the writer (or an error: nothing is copied).
//
// The read transaction lasts as long as the copy. Writers carry on, but a
// commit that must grow the file waits for it (bbolt remaps the file only
// without readers): copy to something fast (a local file, see Snapshot),
// never straight to a network peer.
func (s *Store) BackupTo(open func(size int64) (io.Writer, error)) (int64, error) {
	var n int64
	err := s.view(func(tx *bolt.Tx) error {
		w, err := open(tx.Size())
		if err != nil {
			return err
		}
		n, err = tx.WriteTo(w)
		return err
	})
	return n, diskFull(err)
}

// Snapshot copies a consistent snapshot into an unnamed temporary file
// beside the store (same file system, so no tmpfs or RAM is spent) and
// returns it at offset 0 with its size. The read transaction ends with
// the local copy, so a slow reader of the file holds up no writer. The file
// is already unlinked: closing it frees the space, and a crash leaves
// nothing behind.
func (s *Store) Snapshot() (*os.File, int64, error) {
	f, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".snapshot*")
	if err != nil {
		return nil, 0, diskFull(err)
	}
	os.Remove(f.Name())
	n, err := s.Backup(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, diskFull(err)
	}
	return f, n, nil
}

// BackupFile writes a backup to path atomically (see WriteFileAtomic).
func (s *Store) BackupFile(path string) (int64, error) {
	return WriteFileAtomic(path, s.Backup)
}

// BackupClosed backs up the store file at path, which no process has open,
// to out (atomically, as BackupFile). It opens the file read-only under
// bbolt's shared lock, so a daemon cannot take the file meanwhile; while
// a daemon holds it, it fails after timeout with ErrLocked (back up through
// the daemon instead). The file is copied as it is: no migration runs.
func BackupClosed(path, out string, timeout time.Duration) (int64, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	if _, err := os.Stat(path); err != nil {
		// bbolt would create an empty file; a backup of nothing is a mistake.
		return 0, fmt.Errorf("backup: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, &lockedError{path: path, timeout: timeout}
	}
	if err != nil {
		return 0, fmt.Errorf("backup: open %s: %w", path, err)
	}
	defer db.Close()
	s := &Store{db: db, path: path}
	return s.BackupFile(out)
}

// WriteFileAtomic writes what fill writes to path so that a crash leaves
// either the old file or the new one, never a torn file: path.tmp* in the
// same directory (mode 0600), fsync, rename over path, fsync of the
// directory. On error path is untouched and the temporary file removed.
func WriteFileAtomic(path string, fill func(io.Writer) (int64, error)) (int64, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, diskFull(err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	n, err := fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	return n, diskFull(err)
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
