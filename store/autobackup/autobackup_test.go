package autobackup_test

import (
	"bytes"
	"context"
	"errors"

	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/autobackup"
	"github.com/doord/doord/store/storetest"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	bs, err := autobackup.Backups(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		out = append(out, filepath.Base(b.Path))
	}
	return out
}

// A day of hourly backups (25 of them) with keep 3 leaves the three newest, each a
// store that verifies and holds what was written before it was taken.
func TestScheduleKeepsNewestVerified(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := storetest.Open(t)
		dir := t.TempDir()
		s, err := autobackup.New(st, autobackup.Options{Dir: dir, Every: time.Hour, Keep: 3, Verify: st.VerifyBackup})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		synctest.Wait() // the first backup is taken at once
		if got := names(t, dir); len(got) != 1 || got[0] != autobackup.Name(start) {
			t.Fatalf("after start: %v, want one backup named for the start", got)
		}
		u := &store.User{Name: "Added at 10:30", Locks: store.LocksBoth, State: store.StateActive}
		time.Sleep(90 * time.Minute)
		if _, err := st.CreateUser(u, "test"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(23 * time.Hour)
		synctest.Wait()
		cancel()
		<-done
		got := names(t, dir)
		want := []string{
			autobackup.Name(start.Add(24 * time.Hour)), // 90m + 23h after the start
			autobackup.Name(start.Add(23 * time.Hour)),
			autobackup.Name(start.Add(22 * time.Hour)),
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("backups %v, want %v", got, want)
		}
		if st := s.Status(); st.Last.Path != filepath.Join(dir, want[0]) || st.LastError != "" {
			t.Errorf("status %+v, want last %s without error", st, want[0])
		}
		// The newest backup is a store holding the user written before it.
		b, err := store.Open(filepath.Join(dir, want[0]), store.Options{KeyFile: filepath.Join(t.TempDir(), "k")})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if _, err := b.GetUserByUID(u.UID); err != nil {
			t.Errorf("backup lacks the user written before it: %v", err)
		}
	})
}

// A restart resumes the schedule from the newest backup: no backup at
// start when one was taken less than Every ago.
func TestScheduleResumesAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := storetest.Open(t)
		dir := t.TempDir()
		o := autobackup.Options{Dir: dir, Every: 24 * time.Hour, Keep: 7}
		s, _ := autobackup.New(st, o)
		if _, err := s.Once(time.Now().Add(-20 * time.Hour)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go s.Run(ctx)
		synctest.Wait()
		if got := names(t, dir); len(got) != 1 {
			t.Fatalf("a restart 20h after the last daily backup took one at once: %v", got)
		}
		if next := s.Status().Next; !next.Equal(time.Now().Add(4 * time.Hour).UTC().Truncate(time.Second)) {
			t.Errorf("next backup due %v, want 4h from now", next)
		}
		time.Sleep(4*time.Hour + time.Second)
		synctest.Wait()
		if got := names(t, dir); len(got) != 2 {
			t.Fatalf("after the due time: %v, want 2 backups", got)
		}
	})
}

type failing struct{ err error }

func (f failing) BackupFile(path string) (int64, error) {
	// As store.WriteFileAtomic does when the disk fills: part of a
	// temporary file, then an error.
	os.WriteFile(path+".tmp1", []byte("part"), 0o600)
	os.Remove(path + ".tmp1")
	return 0, f.err
}

// A failed backup (disk full) or one that does not verify leaves no file
// and never pushes good backups out.
func TestFailuresKeepGoodBackups(t *testing.T) {
	st := storetest.Open(t)
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	good, _ := autobackup.New(st, autobackup.Options{Dir: dir, Every: time.Hour, Keep: 2, Log: log})
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2 {
		if _, err := good.Once(t0.Add(time.Duration(i) * time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	before := names(t, dir)

	full, _ := autobackup.New(failing{store.ErrDiskFull}, autobackup.Options{Dir: dir, Every: time.Hour, Keep: 2, Log: log})
	if _, err := full.Once(t0.Add(2 * time.Hour)); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("disk full: %v", err)
	}
	bad, _ := autobackup.New(st, autobackup.Options{Dir: dir, Every: time.Hour, Keep: 2, Log: log,
		Verify: func(string) error { return errors.New("store check: 1 problem(s)") }})
	_, err := bad.Once(t0.Add(3 * time.Hour))
	if err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("unverified copy: %v", err)
	}
	if got := names(t, dir); strings.Join(got, " ") != strings.Join(before, " ") {
		t.Fatalf("after two failures: %v, want the good ones %v untouched", got, before)
	}
	if st := bad.Status(); st.LastError == "" {
		t.Error("status shows no error after a failed backup")
	}
	if !strings.Contains(logs.String(), "scheduled backup failed") {
		t.Errorf("failure not logged: %s", logs.String())
	}
}

// Pruning deletes only this package's backups and the temporary files a
// crash mid-copy leaves; an installer's own files in the directory stay.
func TestPruneTouchesOnlyItsOwnFiles(t *testing.T) {
	st := storetest.Open(t)
	dir := t.TempDir()
	mine := []string{"notes.txt", "doord.db", "doord-before-upgrade.db"}
	for _, n := range append(mine, "doord-20200101T000000Z.db.tmp42") {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	s, _ := autobackup.New(st, autobackup.Options{Dir: dir, Every: time.Hour, Keep: 1})
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s.Once(t0)
	s.Once(t0.Add(time.Hour))
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := append([]string{autobackup.Name(t0.Add(time.Hour))}, mine...)
	for _, w := range want {
		if _, err := os.Stat(filepath.Join(dir, w)); err != nil {
			t.Errorf("%s gone: %v (dir: %v)", w, err, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("dir holds %v, want %v", got, want)
	}
}

func TestOptionsNameTheKey(t *testing.T) {
	err := autobackup.Options{Every: time.Second}.Validate()
	for _, key := range []string{"backup.dir", "backup.every", "backup.keep"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}
