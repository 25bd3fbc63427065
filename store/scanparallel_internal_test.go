package store

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// scanStore is a store whose users bucket holds raw records at ids, with
// the bucket's sequence set to seq.
func scanStore(t *testing.T, seq uint64, ids ...uint64) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "doord.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	data, err := encodeUser(&User{Name: "n", State: StateActive})
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		for _, id := range ids {
			if err := b.Put(keys.U64(id), data); err != nil {
				return err
			}
		}
		return b.SetSequence(seq)
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every worker walks its own spans of ids: each record must be met once,
// at a span's edges too, and one with an id beyond the bucket's sequence
// (which no store writes, but a damaged or hand-edited one could hold)
// must not be missed by a span that stops early.
func TestScanParallelMeetsEveryRecordOnce(t *testing.T) {
	ids := []uint64{1, 2, scanSpan - 1, scanSpan, scanSpan + 1, 2*scanSpan - 1, 3 * scanSpan, 5*scanSpan + 7, 1 << 40}
	s := scanStore(t, 3*scanSpan, ids...)
	var got []uint64
	if _, err := s.ScanAccess(AccessVisitor{User: func(u *AccessUser) error {
		got = append(got, u.UID)
		if u.State != StateActive {
			t.Errorf("user %d: state %q", u.UID, u.State)
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("met %v, want %v", got, ids)
	}
}

// A key that is not 8 bytes fails the scan with an error naming it,
// wherever it sorts (here before every id, so only the first span's walk
// from the bucket's first key meets it).
func TestScanParallelRefusesABadKey(t *testing.T) {
	s := scanStore(t, 10, 1, 2, 3)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bUsers).Put([]byte{0}, []byte("{}")) }); err != nil {
		t.Fatal(err)
	}
	_, err := s.ScanAccess(AccessVisitor{User: func(*AccessUser) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "key 00 is not 8 bytes") {
		t.Errorf("err = %v, want the bad key named", err)
	}
}

// A panic in emit (the caller's code) fails the scan with its
// description; it is not damage, so the store is not marked degraded.
func TestScanParallelEmitPanicIsNotDamage(t *testing.T) {
	s := scanStore(t, 3*scanSpan, 1, scanSpan+1, 2*scanSpan+1)
	_, err := s.ScanAccess(AccessVisitor{User: func(*AccessUser) error { panic("index bug") }})
	if err == nil || !strings.Contains(err.Error(), "scan panicked") {
		t.Errorf("err = %v, want scan panicked", err)
	}
	if reason, bad := s.Degraded(); bad {
		t.Errorf("store degraded by a panic in emit: %s", reason)
	}
}
