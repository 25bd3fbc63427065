package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestConcurrentCreatesDeliverChangesInOrder(t *testing.T) {
	r := &recorder{}
	s := storetest.Open(t, store.Options{OnChange: r.onChange})
	const workers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				u := store.User{Name: fmt.Sprintf("w%d-%d", w, i), Tags: []string{fmt.Sprint("w", w%4)}}
				if _, err := s.CreateUser(&u, "load"); err != nil {
					errs <- err
					return
				}
				// A write returns after OnChange saw it.
				if !r.has(u.UID) {
					errs <- fmt.Errorf("CreateUser(%s) returned before OnChange saw uid %d", u.Name, u.UID)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := r.all()
	if len(got) != workers*each {
		t.Fatalf("%d change records, want %d", len(got), workers*each)
	}
	uids := map[uint64]bool{}
	for i, c := range got {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has seq %d, want %d (contiguous, in order)", i, c.Seq, i+1)
		}
		if c.Kind != store.KindUser || c.User == nil || uids[c.ID] {
			t.Fatalf("change %d = %+v: want a new user", i, c)
		}
		uids[c.ID] = true
	}
	if s.Seq() != uint64(workers*each) {
		t.Errorf("Seq() = %d, want %d", s.Seq(), workers*each)
	}
	for _, e := range r.errs {
		t.Error(e)
	}
	// OnChange is called once per commit; batching must have coalesced
	// the 64 writers into far fewer commits than creates.
	t.Logf("%d creates in %d commits", workers*each, r.calls)
	if r.calls > workers*each/4 {
		t.Errorf("%d commits for %d concurrent creates: group commit is not coalescing", r.calls, workers*each)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func (r *recorder) has(uid uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.changes) - 1; i >= 0; i-- {
		if r.changes[i].Kind == store.KindUser && r.changes[i].ID == uid {
			return true
		}
	}
	return false
}

func TestConcurrentMixedWritesKeepOrder(t *testing.T) {
	// Conflicts inside a batch must not disturb the others' records.
	r := &recorder{}
	s := storetest.Open(t, store.Options{OnChange: r.onChange})
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for w := range 32 {
		wg.Go(func() {
			for i := range 10 {
				u := store.User{ExtID: fmt.Sprint("e", (w*10+i)%50)} // 320 creates, 50 distinct ext_ids
				_, err := s.CreateUser(&u, "")
				switch {
				case errors.Is(err, store.ErrConflict):
					mu.Lock()
					conflicts++
					mu.Unlock()
				case err != nil:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if conflicts != 320-50 {
		t.Errorf("%d conflicts, want %d", conflicts, 320-50)
	}
	if got := len(r.all()); got != 50 || s.Seq() != 50 {
		t.Errorf("%d change records, seq %d; want 50, 50", got, s.Seq())
	}
	for _, e := range r.errs {
		t.Error(e)
	}
}

func TestReopenKeepsDataAndSeq(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	u := mustUser(t, s, store.User{Name: "Persistent", Tags: []string{"x"}})
	c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "1"})
	seq := s.Seq()
	if seq != 2 {
		t.Errorf("Seq = %d after two writes, want 2", seq)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r := &recorder{}
	s, err = store.Open(path, store.Options{OnChange: r.onChange})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Seq() != seq {
		t.Errorf("Seq after reopen = %d, want %d", s.Seq(), seq)
	}
	if got, err := s.GetUser(u.ID); err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("user after reopen = %+v, %v; want %+v", got, err, u)
	}
	if got, err := s.LookupCredential(store.CredCard, "1"); err != nil || got.ID != c.ID {
		t.Errorf("credential after reopen = %+v, %v", got, err)
	}
	u2 := mustUser(t, s, store.User{})
	if u2.UID != u.UID+1 {
		t.Errorf("next UID after reopen = %d, want %d", u2.UID, u.UID+1)
	}
	if ch := r.all(); len(ch) != 1 || ch[0].Seq != seq+1 {
		t.Errorf("first change after reopen = %+v, want seq %d", ch, seq+1)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	s := storetest.Open(t)
	start := time.Now()
	_, err := store.Open(s.Path(), store.Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second Open err = %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("database %s is in use by another doord process (lock not acquired within 50ms)", s.Path())
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %v", d)
	}
	// The first store still works.
	mustUser(t, s, store.User{})
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cur := s.SchemaVersion()
	err = store.RawUpdateForTest(s, func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketMeta).Put(store.KeySchemaVersion, []byte(strconv.Itoa(cur+1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = store.Open(path, store.Options{})
	want := fmt.Sprintf("database schema version %d is newer than this doord supports (%d); upgrade doord", cur+1, cur)
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), want) {
		t.Errorf("Open = %v, want an error containing %q", err, want)
	}
}

func TestMigrationRunsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, s, store.User{Name: "before"})
	v := s.SchemaVersion()
	s.Close()

	runs := 0
	restore := store.AddMigrationForTest(v+1, func(tx *bolt.Tx) error {
		runs++
		// A real migration would rewrite records; this one proves it sees them.
		if tx.Bucket(store.BucketUsers).Stats().KeyN != 1 {
			return errors.New("users not visible to the migration")
		}
		_, err := tx.CreateBucket([]byte("v2_extra"))
		return err
	})
	defer restore()
	for i := range 2 {
		s, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if s.SchemaVersion() != v+1 {
			t.Errorf("open %d: SchemaVersion = %d, want %d", i, s.SchemaVersion(), v+1)
		}
		if got, err := s.GetUser(u.ID); err != nil || got.Name != "before" {
			t.Errorf("open %d: user = %+v, %v", i, got, err)
		}
		s.Close()
	}
	if runs != 1 {
		t.Errorf("migration ran %d times, want 1", runs)
	}

	// A failing migration leaves the file at its old version.
	restore2 := store.AddMigrationForTest(v+2, func(tx *bolt.Tx) error { return errors.New("boom") })
	if _, err := store.Open(path, store.Options{}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Open with failing migration = %v, want boom", err)
	}
	restore2()
	s, err = store.Open(path, store.Options{})
	if err != nil || s.SchemaVersion() != v+1 {
		t.Errorf("after failed migration: version %v, %v; want %d", s, err, v+1)
	}
	s.Close()
}

func TestCheckDetectsCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(tx *bolt.Tx, u store.User, c store.Credential) error
		want    string
	}{
		{"stale ext_id entry", func(tx *bolt.Tx, u store.User, _ store.Credential) error {
			return tx.Bucket(store.BucketUserByExtID).Put([]byte("ghost"), []byte{0, 0, 0, 0, 0, 0, 0, 9})
		}, "users_by_ext_id"},
		{"missing ext_id entry", func(tx *bolt.Tx, u store.User, _ store.Credential) error {
			return tx.Bucket(store.BucketUserByExtID).Delete([]byte(u.ExtID))
		}, "missing or pointing elsewhere"},
		{"ext_id entry pointing elsewhere", func(tx *bolt.Tx, u store.User, _ store.Credential) error {
			return tx.Bucket(store.BucketUserByExtID).Put([]byte(u.ExtID), []byte{0, 0, 0, 0, 0, 0, 0, 9})
		}, "missing or pointing elsewhere"},
		{"stale tag entry", func(tx *bolt.Tx, u store.User, _ store.Credential) error {
			return tx.Bucket(store.BucketUserByTag).Put([]byte("\x03bad\x00\x00\x00\x00\x00\x00\x00\x01"), nil)
		}, "users_by_tag"},
		{"credential value entry removed", func(tx *bolt.Tx, _ store.User, c store.Credential) error {
			return tx.Bucket(store.BucketCredByValue).ForEach(func(k, v []byte) error {
				return tx.Bucket(store.BucketCredByValue).Delete(k)
			})
		}, "credential"},
		{"user record removed under its credential", func(tx *bolt.Tx, u store.User, _ store.Credential) error {
			return tx.Bucket(store.BucketUsers).Delete([]byte{0, 0, 0, 0, 0, 0, 0, byte(u.UID)})
		}, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(filepath.Join(t.TempDir(), "doord.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			u := mustUser(t, s, store.User{Name: "N", Tags: []string{"t"}})
			c := mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "1"})
			if err := s.Check(); err != nil {
				t.Fatalf("Check before corruption: %v", err)
			}
			if err := store.RawUpdateForTest(s, func(tx *bolt.Tx) error { return tt.corrupt(tx, u, c) }); err != nil {
				t.Fatal(err)
			}
			err = s.Check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDiskFullMapping(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"errno", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, true},
		{"bbolt %s wrapping", fmt.Errorf("file resize error: %s", syscall.ENOSPC), true},
		{"other errno", &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}, false},
	}
	for _, tt := range tests {
		got := store.DiskFullForTest(tt.err)
		if errors.Is(got, store.ErrDiskFull) != tt.want {
			t.Errorf("%s: diskFull(%v) = %v, want ErrDiskFull %v", tt.name, tt.err, got, tt.want)
		}
		if !errors.Is(got, tt.err) && got != tt.err {
			t.Errorf("%s: the original error is lost: %v", tt.name, got)
		}
	}
}

func TestStatsAndBackup(t *testing.T) {
	s := storetest.Open(t)
	u := mustUser(t, s, store.User{Name: "B"})
	mustCred(t, s, store.Credential{UserUID: u.UID, Type: store.CredPIN, Value: "1"})
	mustTP(t, s, "p")
	mustApt(t, s, 1)
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Users != 1 || st.Credentials != 1 || st.TimeProfiles != 1 || st.Apartments != 1 || st.Operators != 0 || st.FileSize == 0 || st.Seq != s.Seq() {
		t.Errorf("Stats = %+v", st)
	}
	var buf bytes.Buffer
	n, err := s.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if _, err := s.BackupFile(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Equal(raw, buf.Bytes()) {
		t.Errorf("BackupFile wrote %d bytes differing from Backup's %d", len(raw), buf.Len())
	}
	b, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, err := b.GetUser(u.ID); err != nil || got.Name != "B" {
		t.Errorf("user in backup = %+v, %v", got, err)
	}
	if err := b.Check(); err != nil {
		t.Errorf("backup Check: %v", err)
	}
}

func TestBulkLoad(t *testing.T) {
	r := &recorder{}
	s := storetest.Open(t, store.Options{OnChange: r.onChange})
	tp := mustTP(t, s, "p")
	// Chunks of 1,000 users and 2,500 credentials: the load below crosses
	// 5 user and 2 credential chunks (at the default 50,000 per chunk, the
	// 45,000 users this test once loaded fitted in one).
	store.SetBulkChunkForTest(t, 1000)
	users := make([]store.User, 4500)
	for i := range users {
		users[i] = store.User{Name: fmt.Sprint("bulk ", i%1000), Tags: []string{"bulk"}, TimeProfiles: []uint64{tp.ID}}
	}
	users[10].UID = 1 << 40 // preset keys are honoured
	if err := s.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	var creds []store.Credential
	for i := range users {
		creds = append(creds, store.Credential{UserUID: users[i].UID, Type: store.CredCard, Value: fmt.Sprint(100000 + i)})
	}
	if err := s.BulkLoad(nil, creds); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LookupCredential(store.CredCard, "100010"); err != nil || got.UserUID != 1<<40 {
		t.Errorf("card of the preset-uid user = %+v, %v", got, err)
	}
	st, _ := s.Stats()
	if st.Users != len(users) || st.Credentials != len(users) {
		t.Errorf("Stats = %+v, want %d users and credentials", st, len(users))
	}
	if got := len(r.all()); got != 1+2*len(users) {
		t.Errorf("%d change records, want %d", got, 1+2*len(users))
	}
	// A later create continues after the preset key.
	if u, last := mustUser(t, s, store.User{}), users[len(users)-1].UID; u.UID != last+1 || last <= 1<<40 {
		t.Errorf("next UID = %d after a load ending at %d, want %d (after the preset %d)", u.UID, last, last+1, uint64(1<<40))
	}
	// Two preset keys in one chunk collide even before either is written.
	err := s.BulkLoad([]store.User{{UID: 5 << 40}, {UID: 5 << 40}}, nil)
	wantConflict(t, "bulk duplicate preset uid", err, "uid")
	// Errors name the record; duplicates are refused as everywhere else.
	err = s.BulkLoad(nil, []store.Credential{{UserUID: users[0].UID, Type: store.CredCard, Value: "100000"}})
	wantConflict(t, "bulk duplicate card", err, "value")
	if err == nil || !strings.Contains(err.Error(), "credential 0") {
		t.Errorf("error %v does not name the record", err)
	}
}

// A commit that finishes while OnChange is still busy with the previous
// one is delivered after it, never alongside or before it.
func TestOnChangeWaitsForEarlierCommits(t *testing.T) {
	var (
		mu    sync.Mutex
		order []uint64
		calls int
		s     *store.Store
	)
	second := make(chan error, 1)
	onChange := func(cs []store.Change) {
		mu.Lock()
		calls++
		isFirst := calls == 1
		mu.Unlock()
		if isFirst {
			go func() { _, err := s.CreateUser(&store.User{Name: "second"}, ""); second <- err }()
			for s.Seq() < 2 { // until the second commit is durable
				runtime.Gosched()
			}
		}
		mu.Lock()
		order = append(order, cs[0].Seq)
		mu.Unlock()
	}
	s = storetest.Open(t, store.Options{OnChange: onChange})
	mustUser(t, s, store.User{Name: "first"})
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(order, []uint64{1, 2}) {
		t.Errorf("OnChange saw seqs %v, want [1 2]", order)
	}
}

func TestSubscribeFollowsTheFeedFromNowOn(t *testing.T) {
	s := storetest.Open(t)
	mustUser(t, s, store.User{Name: "before"})
	var mu sync.Mutex
	var got []uint64
	cancel := s.Subscribe(func(cs []store.Change) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			got = append(got, c.Seq)
		}
	})
	u := mustUser(t, s, store.User{Name: "after"})
	mu.Lock()
	if len(got) != 1 || got[0] != s.Seq() {
		t.Fatalf("subscriber saw seqs %v, want [%d] (the write after Subscribe)", got, s.Seq())
	}
	mu.Unlock()
	cancel()
	if err := s.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("cancelled subscriber still called: %v", got)
	}
}
