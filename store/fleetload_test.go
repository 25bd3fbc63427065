package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// loadOps makes n users (uids from 1<<32) with one card each, as a
// fleet bucket holds them.
func loadOps(t *testing.T, n int) (users, creds []FleetOp) {
	t.Helper()
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		uid := uint64(1)<<32 + uint64(i) + 1
		u := User{UID: uid, ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), ExtID: fmt.Sprint("e", i),
			Name: fmt.Sprint("Person ", i), State: StateActive, Locks: "both", CreatedAt: stamp, UpdatedAt: stamp}
		c := Credential{ID: uid, UserUID: uid, Type: CredCard, Value: fmt.Sprint(1_000_000 + i), Owner: "owner", Locks: "both", CreatedAt: stamp, UpdatedAt: stamp}
		uv, err := EncodeFleet(&Change{User: &u})
		if err != nil {
			t.Fatal(err)
		}
		cv, err := EncodeFleet(&Change{Credential: &c})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, FleetOp{Kind: KindUser, ID: uid, Value: uv, Rev: uint64(2*i + 1)})
		creds = append(creds, FleetOp{Kind: KindCredential, ID: uid, Value: cv, Rev: uint64(2*i + 2)})
	}
	return users, creds
}

// A fleet load written chunk by chunk is invisible until Commit, which
// makes all of it visible with the revision at once; a load that ends
// without Commit (aborted, or the process died: the store reopened)
// leaves no record and no revision, and the next load starts clean.
func TestFleetLoadIsAllOrNothing(t *testing.T) {
	defer func(old int) { bulkChunk = old }(bulkChunk)
	bulkChunk = 16 // several bulk transactions per chunk
	path := filepath.Join(t.TempDir(), "doord.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	users, creds := loadOps(t, 100)

	// A load cut short: half the users staged, then the process "dies".
	l, err := s.BeginFleetLoad()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(users[:50]); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(); st.Users != 0 {
		t.Fatalf("%d users visible before Commit", st.Users)
	}
	if err := s.Close(); err != nil { // no Abort: as after a crash
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, _ := s.Stats(); st.Users != 0 || st.Credentials != 0 {
		t.Fatalf("after a load cut short the store holds %d users, %d credentials; want none", st.Users, st.Credentials)
	}
	if has, _ := s.FleetRecords(); has {
		t.Fatal("FleetRecords after a load cut short: the next start would not load again")
	}
	if rev, _ := s.FleetRev(); rev != 0 {
		t.Fatalf("revision %d after a load cut short", rev)
	}

	// Aborted: nothing either.
	l, err = s.BeginFleetLoad()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(users[:30]); err != nil {
		t.Fatal(err)
	}
	l.Abort()
	if st, _ := s.Stats(); st.Users != 0 {
		t.Fatalf("%d users after Abort", st.Users)
	}

	// Whole: users in chunks, then credentials in chunks, then Commit.
	l, err = s.BeginFleetLoad()
	if err != nil {
		t.Fatal(err)
	}
	for _, ops := range [][]FleetOp{users[:40], users[40:], creds[:70], creds[70:]} {
		if err := l.Add(ops); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Stats(); st.Users != 0 {
			t.Fatalf("%d users visible before Commit", st.Users)
		}
	}
	if err := l.Commit(0, 200); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats()
	if st.Users != 100 || st.Credentials != 100 {
		t.Fatalf("after Commit: %d users, %d credentials; want 100 each", st.Users, st.Credentials)
	}
	if rev, _ := s.FleetRev(); rev != 200 {
		t.Fatalf("revision %d after Commit, want 200", rev)
	}
	if c, err := s.LookupCredential(CredCard, "1000099"); err != nil || c.UserUID != uint64(1)<<32+100 {
		t.Fatalf("card of the last user: %+v, %v", c, err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// A chunk the bulk loader refuses (a card whose user is not loaded yet,
// a card value twice) goes in record by record by the watch's rules: the
// card without a user is kept (its user comes later through the watch),
// the second holder of a value is left out and counted.
func TestFleetLoadFallsBackRecordByRecord(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "doord.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, creds := loadOps(t, 10)
	dup := creds[3]
	dup.ID, dup.Rev = uint64(1)<<32+500, 99
	dup.Value = []byte(string(creds[4].Value)) // same value as card 4, another id
	l, err := s.BeginFleetLoad()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(users[:9]); err != nil { // user 10 comes later
		t.Fatal(err)
	}
	if err := l.Add(append(creds, dup)); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(0, 100); err != nil {
		t.Fatal(err)
	}
	if l.Refused != 1 {
		t.Errorf("Refused = %d, want 1 (the duplicate value)", l.Refused)
	}
	if _, err := s.GetCredential(dup.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the duplicate value was loaded: %v", err)
	}
	if st, _ := s.Stats(); st.Users != 9 || st.Credentials != 10 {
		t.Errorf("loaded %d users, %d credentials; want 9 and 10", st.Users, st.Credentials)
	}
}

// A record the load cannot decode is left out and counted, as ApplyFleet
// leaves it out on every controller, and the rest is loaded: one bad
// record in the bucket does not stop a controller from loading (it
// would retry the whole load for ever).
func TestFleetLoadLeavesOutAnUndecodableRecord(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "doord.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, creds := loadOps(t, 10)
	users[2].Value = []byte(`{"name":`)
	l, err := s.BeginFleetLoad()
	if err != nil {
		t.Fatal(err)
	}
	// One chunk: card 3's user is missing, so the bulk loader refuses it
	// and the record by record path sees the bad user again.
	if err := l.Add(append(users, creds...)); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(0, 100); err != nil {
		t.Fatal(err)
	}
	if l.Refused != 1 {
		t.Errorf("Refused = %d, want 1 (the undecodable user)", l.Refused)
	}
	if st, _ := s.Stats(); st.Users != 9 || st.Credentials != 10 {
		t.Errorf("loaded %d users, %d credentials; want 9 and 10", st.Users, st.Credentials)
	}
}
