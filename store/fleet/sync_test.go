package fleet

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/doord/doord/store"
)

// A user and a card created through one controller's store are in the
// other's as soon as the bucket's revision reached it, with the same ids
// and stamps; the writer's own store has them when the write returns.
func TestWriteReachesOtherController(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	u := store.User{Name: "Ada"}
	if _, err := a.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.st.GetUser(u.ID); err != nil || got.UID != u.UID {
		t.Fatalf("writer's store right after the write: %+v, %v", got, err)
	}
	if u.UID>>32 == 0 {
		t.Errorf("uid %d is not in a controller's range", u.UID)
	}
	c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "12345"}
	if err := a.st.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	got, err := b.st.GetUser(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UID != u.UID || !got.CreatedAt.Equal(u.CreatedAt) || got.Name != "Ada" {
		t.Errorf("b has %+v, a wrote %+v", got, u)
	}
	gc, err := b.st.LookupCredential(store.CredCard, "12345")
	if err != nil || gc.ID != c.ID || gc.UserUID != u.UID {
		t.Errorf("b's card: %+v, %v", gc, err)
	}
	// Deleting on b reaches a.
	if err := b.st.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	a.waitRev(b.f.rev())
	if a.hasUser(u.ID) {
		t.Error("a still has the user b deleted")
	}
	if _, err := a.st.LookupCredential(store.CredCard, "12345"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a's card after the delete: %v", err)
	}
}

// Concurrent read-modify-write updates of one record from two controllers
// never lose one: each write that succeeded incremented the counter, and
// the others were conflicts.
func TestConcurrentUpdatesNeverOverwrite(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	u := store.User{Name: "Counter", Info: "0"}
	if _, err := a.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	var ok, conflicts sync.Map
	var wg sync.WaitGroup
	for i, m := range []*member{a, b, a, b} {
		wg.Go(func() {
			for j := range 10 {
				_, err := m.st.UpdateUser(u.ID, "test", func(x *store.User) error {
					v, _ := strconv.Atoi(x.Info)
					x.Info = strconv.Itoa(v + 1)
					return nil
				})
				switch {
				case err == nil:
					ok.Store([2]int{i, j}, true)
				case errors.Is(err, store.ErrConflict):
					conflicts.Store([2]int{i, j}, true)
				default:
					t.Errorf("update: %v", err)
				}
			}
		})
	}
	wg.Wait()
	count := func(m *sync.Map) (n int) {
		m.Range(func(any, any) bool { n++; return true })
		return n
	}
	a.waitRev(b.f.rev())
	b.waitRev(a.f.rev())
	ga, _ := a.st.GetUser(u.ID)
	gb, _ := b.st.GetUser(u.ID)
	if ga.Info != gb.Info {
		t.Fatalf("a has %s, b has %s", ga.Info, gb.Info)
	}
	if got, want := ga.Info, strconv.Itoa(count(&ok)); got != want {
		t.Errorf("counter = %s after %s successful increments (%d conflicts): an update was lost", got, want, count(&conflicts))
	}
	if count(&conflicts) == 0 {
		t.Log("no conflict happened (the writes did not overlap)")
	}
}

// A write based on a revision older than the record's is a conflict.
func TestStaleBaseIsConflict(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	u := store.User{Name: "X"}
	if _, err := a.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	base := a.f.rev()
	if _, err := a.st.UpdateUser(u.ID, "test", func(x *store.User) error { x.Name = "Y"; return nil }); err != nil {
		t.Fatal(err)
	}
	op := store.FleetOp{Kind: store.KindUser, ID: u.UID, Value: []byte(`{"id":"` + u.ID + `","ext_id":"` + u.ExtID + `","name":"Z","state":"active","locks":"both"}`)}
	err := a.f.Replicate([]store.FleetOp{op}, base)
	var ce *store.FleetConflictError
	if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("write on an old base: %v, want a FleetConflictError", err)
	}
	if got, _ := a.st.GetUser(u.ID); got.Name != "Y" {
		t.Errorf("name = %q, want Y", got.Name)
	}
}

// Concurrent creates on one controller all succeed with distinct ids:
// an id a write allocated is not handed out again before the record
// comes back from the bucket.
func TestConcurrentCreatesOnOneController(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uint64]bool{}
	for range 8 {
		wg.Go(func() {
			for range 5 {
				u := store.User{Name: "P"}
				if _, err := a.st.CreateUser(&u, "test"); err != nil {
					t.Errorf("create: %v", err)
					return
				}
				mu.Lock()
				if seen[u.UID] {
					t.Errorf("uid %d given twice", u.UID)
				}
				seen[u.UID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Errorf("%d users created, want 40", len(seen))
	}
}

// Two controllers that create the same card number at once both get
// their record into the bucket; every controller applies the first and
// leaves out the second, whose writer gets a conflict and takes it back
// out of the bucket.
func TestDuplicateValueLeftOutEverywhere(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	c := store.Credential{Type: store.CredCard, Value: "777"}
	if err := a.st.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	// b's write as if it had not seen a's yet: a new id, the same value.
	dup := store.FleetOp{Kind: store.KindCredential, ID: 2<<32 + 99,
		Value: []byte(`{"type":"card","value":"777","owner":"owner","locks":"both"}`)}
	err := b.f.Replicate([]store.FleetOp{dup}, b.f.rev())
	var ce *store.FleetConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("duplicate value: %v, want a FleetConflictError", err)
	}
	a.waitRev(b.f.rev())
	for _, m := range []*member{a, b} {
		if _, err := m.st.GetCredential(dup.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s applied the duplicate: %v", m.cfg.Controller, err)
		}
		if got, err := m.st.LookupCredential(store.CredCard, "777"); err != nil || got.ID != c.ID {
			t.Errorf("%s: card 777 is %+v, %v; want the first", m.cfg.Controller, got, err)
		}
	}
	if _, err := b.f.live().kv.Get(t.Context(), recordKey(store.KindCredential, dup.ID)); err == nil {
		t.Error("the left-out record is still in the bucket")
	}
}
