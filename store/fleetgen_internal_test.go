package store

import (
	"path/filepath"
	"strconv"
	"testing"
)

// A staged list read in many small read transactions yields every
// record once, and a FleetReplace of it into another store, added in
// several chunks, gives that store the same list with the generation and
// revision, in one swap.
func TestStagedFleetIntoFleetReplace(t *testing.T) {
	defer func(n int) { fleetStageChunk = n }(fleetStageChunk)
	fleetStageChunk = 7
	open := func() *Store {
		s, err := Open(filepath.Join(t.TempDir(), "doord.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	src, dst := open(), open()
	tp := TimeProfile{Name: "Day"}
	if err := src.CreateTimeProfile(&tp); err != nil {
		t.Fatal(err)
	}
	for i := range 23 {
		u := User{Name: "P" + strconv.Itoa(i), Locks: LocksBoth}
		if _, err := src.CreateUser(&u, "test"); err != nil {
			t.Fatal(err)
		}
		c := Credential{UserUID: u.UID, Type: CredCard, Value: strconv.Itoa(5000 + i)}
		if err := src.CreateCredential(&c); err != nil {
			t.Fatal(err)
		}
	}
	// dst holds a user the new list does not have.
	old := User{Name: "Old", Locks: LocksBoth}
	if _, err := dst.CreateUser(&old, "test"); err != nil {
		t.Fatal(err)
	}
	src.importMu.Lock()
	if _, err := src.openStage(0); err != nil {
		t.Fatal(err)
	}
	if err := src.copyToStage(func(int) {}); err != nil {
		t.Fatal(err)
	}
	var ops []FleetOp
	seen := map[[2]any]bool{}
	err := src.stagedFleet(func(op FleetOp) error {
		k := [2]any{op.Kind, op.ID}
		if seen[k] {
			t.Errorf("%s %d yielded twice", op.Kind, op.ID)
		}
		seen[k] = true
		ops = append(ops, op)
		return nil
	})
	src.dropStage()
	src.importMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1+23+23 {
		t.Fatalf("%d records yielded, want 47", len(ops))
	}
	r, err := dst.BeginFleetReplace()
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(ops); start += 10 {
		if err := r.Add(ops[start:min(start+10, len(ops))]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dst.GetUser(old.ID); err != nil {
		t.Errorf("the list changed before the swap: %v", err)
	}
	if err := r.Commit(3, 99); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.GetUser(old.ID); err == nil {
		t.Error("the old user survived the swap")
	}
	n := 0
	if err := dst.ForEachUser(func(*User) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 23 {
		t.Errorf("dst holds %d users, want 23", n)
	}
	if c, err := dst.LookupCredential(CredCard, "5022"); err != nil || c.UserUID == 0 {
		t.Errorf("card 5022 after the swap: %+v, %v", c, err)
	}
	if g, _ := dst.FleetGen(); g != 3 {
		t.Errorf("generation %d, want 3", g)
	}
	if rev, _ := dst.FleetRev(); rev != 99 {
		t.Errorf("revision %d, want 99", rev)
	}
	if _, err := dst.GetTimeProfile(tp.ID); err != nil {
		t.Errorf("the time profile: %v", err)
	}
}
