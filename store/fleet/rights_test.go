package fleet

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

var (
	wed10 = time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)
	door1 = access.Presentation{Kind: access.PresentCard, Card: 4242}
)

// doors is a controller's door engine following its store, as the
// daemon's: the test waits until it applied the store's last commit.
type doors struct {
	m  *member
	e  *access.Engine
	mu sync.Mutex
	at uint64
	ch chan struct{}
}

func (d *doors) Sync() (uint64, error) {
	seq, err := d.e.Load(d.m.st)
	d.seen(seq)
	return seq, err
}

func (d *doors) Apply(cs []store.Change) {
	d.e.Apply(cs)
	if len(cs) > 0 {
		d.seen(cs[len(cs)-1].Seq)
	}
}

func (d *doors) seen(seq uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if seq > d.at {
		d.at = seq
		close(d.ch)
		d.ch = make(chan struct{})
	}
}

func withDoors(t *testing.T, m *member) *doors {
	t.Helper()
	d := &doors{m: m, ch: make(chan struct{}),
		e: access.NewEngine(access.EngineConfig{Readers: []access.ReaderConfig{{ID: "r1", Lock: 1}, {ID: "r2", Lock: 2}}})}
	cancel, err := m.st.Follow("test doors", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); d.e.Close() })
	return d
}

// decide presents card 4242 at reader (lock 1 or 2) once the engine has
// every commit of the store, which has every revision up to rev (0: as
// it stands). Controllers of other groups watch other keys, so rev is a
// writer's, after its write: the revision of a user or credential
// record, which every controller watches.
func (d *doors) decide(t *testing.T, reader string, rev uint64) access.Outcome {
	t.Helper()
	return d.decideCard(t, reader, rev, door1)
}

// decideCard is decide for presentation p.
func (d *doors) decideCard(t *testing.T, reader string, rev uint64, p access.Presentation) access.Outcome {
	t.Helper()
	d.m.waitRev(rev)
	want := d.m.st.Seq()
	deadline := time.After(waitLimit)
	for {
		d.mu.Lock()
		at, ch := d.at, d.ch
		d.mu.Unlock()
		if at >= want {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: the door engine did not apply seq %d", d.m.cfg.Controller, want)
		}
	}
	return d.e.Present(reader, p, wed10)
}

func (d *doors) want(t *testing.T, what, reader string, rev uint64, kind access.OutcomeKind, reason access.Reason) {
	t.Helper()
	if o := d.decide(t, reader, rev); o.Kind != kind || o.Reason != reason {
		t.Errorf("%s on %s at %s: %v/%s, want %v/%s", what, d.m.cfg.Controller, reader, o.Kind, o.Reason, kind, reason)
	}
}

func groupConfig(n *natsServer, name string, groups ...string) Config {
	cfg := testConfig(n.url(), name)
	cfg.Groups = groups
	return cfg
}

func joinGroups(t *testing.T, n *natsServer, name string, groups ...string) *member {
	return joinConfig(t, groupConfig(n, name, groups...), storetest.Open(t), nil)
}

// newPerson creates a user through m's store (locks: m's home group's
// right; rights: other groups') with card 4242, and returns its uuid.
func newPerson(t *testing.T, m *member, locks store.Locks, rights map[string]store.Locks) store.User {
	t.Helper()
	u := store.User{Name: "Ada", Locks: locks, DoorRights: rights}
	if _, err := m.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "4242"}
	if err := m.st.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	return u
}

func setRights(t *testing.T, m *member, id string, rights map[string]store.Locks) store.User {
	t.Helper()
	u, err := m.st.UpdateUser(id, "test", func(u *store.User) error { u.DoorRights = rights; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func maxRev(ms ...*member) uint64 {
	var r uint64
	for _, m := range ms {
		r = max(r, m.f.rev())
	}
	return r
}

// A person with a right in group A opens on a controller of A, is denied
// no_door_right on a controller of B only, and opens on a controller of
// A and B; a right in B granted later opens on B at once, and revoked
// stops at once; a controller of A and B holds the union of the rights.
func TestRightsPerGroup(t *testing.T) {
	n := startNATS(t)
	a, b, ab := joinGroups(t, n, "a", "A"), joinGroups(t, n, "b", "B"), joinGroups(t, n, "ab", "A", "B")
	da, db, dab := withDoors(t, a), withDoors(t, b), withDoors(t, ab)

	u := newPerson(t, a, store.LocksFirst, nil) // a's home group A: lock 1
	rev := a.f.rev()
	da.want(t, "right A:1", "r1", rev, access.OutcomeGranted, access.ReasonNone)
	da.want(t, "right A:1", "r2", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	db.want(t, "no right in B", "r1", rev, access.OutcomeDenied, access.ReasonNoDoorRight)
	dab.want(t, "right A:1", "r1", rev, access.OutcomeGranted, access.ReasonNone)
	dab.want(t, "right A:1", "r2", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	if got, _ := b.st.GetUser(u.ID); got.Locks != store.LocksNone || got.DoorRights != nil {
		t.Errorf("b reads locks %q, rights %v; want none and no rights of its groups", got.Locks, got.DoorRights)
	}

	// Granted in B, written on a (not a controller of B: a blind write).
	got := setRights(t, a, u.ID, map[string]store.Locks{"B": store.LocksSecond})
	if got.DoorRights["B"] != store.LocksSecond || got.DoorRights["A"] != store.LocksFirst {
		t.Errorf("a's answer shows rights %v, want A:1 and B:2", got.DoorRights)
	}
	rev = maxRev(a)
	db.want(t, "granted B:2", "r2", rev, access.OutcomeGranted, access.ReasonNone)
	db.want(t, "granted B:2", "r1", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	dab.want(t, "union A:1 ∪ B:2", "r1", rev, access.OutcomeGranted, access.ReasonNone)
	dab.want(t, "union A:1 ∪ B:2", "r2", rev, access.OutcomeGranted, access.ReasonNone)
	if g, _ := ab.st.GetUser(u.ID); g.Locks != store.LocksBoth || len(g.DoorRights) != 2 {
		t.Errorf("ab reads locks %q, rights %v; want both from A:1 and B:2", g.Locks, g.DoorRights)
	}

	// Revoked in B through b (a controller of B: a read-modify-write).
	setRights(t, b, u.ID, map[string]store.Locks{"B": store.LocksNone})
	rev = maxRev(b)
	db.want(t, "revoked B", "r2", rev, access.OutcomeDenied, access.ReasonNoDoorRight)
	dab.want(t, "revoked B", "r2", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	dab.want(t, "A still", "r1", rev, access.OutcomeGranted, access.ReasonNone)
	da.want(t, "A still", "r1", rev, access.OutcomeGranted, access.ReasonNone)

	// The home group's right through locks on ab (home A): lock 2 only.
	if _, err := ab.st.UpdateUser(u.ID, "test", func(u *store.User) error { u.Locks = store.LocksSecond; return nil }); err != nil {
		t.Fatal(err)
	}
	rev = maxRev(ab)
	da.want(t, "A:2", "r1", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	da.want(t, "A:2", "r2", rev, access.OutcomeGranted, access.ReasonNone)

	// Deleting the user takes its rights with it everywhere.
	if err := a.st.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	rev = maxRev(a)
	da.want(t, "deleted", "r2", rev, access.OutcomeDenied, access.ReasonUnknownCredential)
	if _, err := a.f.live().kv.Get(t.Context(), opKey(&store.FleetOp{Kind: store.KindRight, ID: u.UID, Group: "A"})); err == nil {
		t.Error("the deleted user's right in A is still in the bucket")
	}
}

// group_locks: a controller whose lock 2 alone is in group LAB opens
// only lock 2 for a right of LAB, whatever locks the right names.
func TestGroupLocksLimitARight(t *testing.T) {
	n := startNATS(t)
	cfg := groupConfig(n, "hall", "HALL", "LAB")
	cfg.GroupLocks = map[string]string{"HALL": "1", "LAB": "2"}
	hall := joinConfig(t, cfg, storetest.Open(t), nil)
	d := withDoors(t, hall)
	u := newPerson(t, hall, store.LocksNone, map[string]store.Locks{"LAB": store.LocksBoth})
	rev := hall.f.rev()
	d.want(t, "LAB:both on lock 1 (HALL's)", "r1", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	d.want(t, "LAB:both on lock 2 (LAB's)", "r2", rev, access.OutcomeGranted, access.ReasonNone)
	if got, _ := hall.st.GetUser(u.ID); got.Locks != store.LocksSecond {
		t.Errorf("locks here %q, want 2", got.Locks)
	}
}

// A fleet that ran before door rights: users whose records carry locks
// and no right.* keys. Their locks are a site-wide grant: every
// controller, whatever its groups, goes on opening what they opened; the
// first write of such a user's rights converts the grant to a right in
// the writer's home group, and from then on only rights count.
func TestFirstHalfUsersKeepTheirLocks(t *testing.T) {
	n := startNATS(t)
	u, a := upgraded(t, n, store.LocksBoth)
	b := joinGroups(t, n, "b", "B") // a new controller of another group
	da, db := withDoors(t, a), withDoors(t, b)
	for _, d := range []*doors{da, db} { // both are live: caught up
		d.want(t, "site-wide grant", "r1", 0, access.OutcomeGranted, access.ReasonNone)
		d.want(t, "site-wide grant", "r2", 0, access.OutcomeGranted, access.ReasonNone)
	}
	var rev uint64
	// An edit that does not touch rights keeps the grant.
	if _, err := b.st.UpdateUser(u.ID, "test", func(u *store.User) error { u.Info = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	rev = maxRev(b)
	da.want(t, "grant kept", "r2", rev, access.OutcomeGranted, access.ReasonNone)

	// Rights written on b (home B): B:1; the grant becomes... B's right
	// is given, so the grant is dropped: A's controller no longer opens.
	setRights(t, b, u.ID, map[string]store.Locks{"B": store.LocksFirst})
	rev = maxRev(b)
	db.want(t, "converted B:1", "r1", rev, access.OutcomeGranted, access.ReasonNone)
	db.want(t, "converted B:1", "r2", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	da.want(t, "grant gone, no right in A", "r1", rev, access.OutcomeDenied, access.ReasonNoDoorRight)
	e, err := b.f.live().kv.Get(t.Context(), recordKey(store.KindUser, u.UID))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(e.Value()); !strings.Contains(got, `"locks":"none"`) {
		t.Errorf("the bucket's user record after the conversion: %s; want locks none", got)
	}
}

// upgraded is a controller of the first half (no groups) with a user of
// locks, then upgraded in place to group A (its store's revision was
// saved before rights existed).
func upgraded(t *testing.T, n *natsServer, locks store.Locks) (store.User, *member) {
	t.Helper()
	old := join(t, n, "old")
	u := newPerson(t, old, locks, nil)
	old.leave()
	return u, joinConfig(t, groupConfig(n, "old", "A"), old.st, nil)
}

// A legacy user's rights written without its home group: the grant
// becomes the home group's right (the writer's own doors keep opening).
func TestGrantConvertsToHomeRight(t *testing.T) {
	n := startNATS(t)
	u, a := upgraded(t, n, store.LocksSecond)
	da := withDoors(t, a)
	setRights(t, a, u.ID, map[string]store.Locks{"C": store.LocksBoth})
	rev := maxRev(a)
	da.want(t, "grant → A:2", "r2", rev, access.OutcomeGranted, access.ReasonNone)
	da.want(t, "grant → A:2", "r1", rev, access.OutcomeDenied, access.ReasonDoorNotPermitted)
	if g, _ := a.st.GetUser(u.ID); g.DoorRights["A"] != store.LocksSecond {
		t.Errorf("rights %v, want A:2", g.DoorRights)
	}
}

// A controller that joins a group later re-reads the bucket and gets the
// group's rights that were written before; one that leaves a group drops
// them at once.
func TestGroupChangeRereads(t *testing.T) {
	n := startNATS(t)
	a := joinGroups(t, n, "a", "A")
	u := newPerson(t, a, store.LocksBoth, nil)
	b := joinGroups(t, n, "b", "B")
	b.waitRev(a.f.rev())
	st := b.st
	b.leave()
	b = joinConfig(t, groupConfig(n, "b", "B", "A"), st, nil)
	db := withDoors(t, b)
	db.want(t, "joined A", "r1", a.f.rev(), access.OutcomeGranted, access.ReasonNone)
	b.leave()
	if err := st.SetFleetRights(groupConfig(n, "b", "B").rights()); err != nil {
		t.Fatal(err)
	}
	if g, _ := st.GetUser(u.ID); g.Locks != store.LocksNone {
		t.Errorf("after leaving A: locks %q, want none", g.Locks)
	}
}

// A right in a group no controller of which is this one is written
// blind: a concurrent change is not lost silently, and a right this
// controller watches is a conflict when changed since it read it.
func TestRightWriteOnStaleBaseIsConflict(t *testing.T) {
	n := startNATS(t)
	a, b := joinGroups(t, n, "a", "A"), joinGroups(t, n, "b", "A")
	u := newPerson(t, a, store.LocksBoth, nil)
	base := a.f.rev()
	b.waitRev(base)
	setRights(t, b, u.ID, map[string]store.Locks{"A": store.LocksFirst})
	op := store.FleetOp{Kind: store.KindRight, ID: u.UID, Group: "A", Value: []byte(`{"locks":"2"}`)}
	err := a.f.Replicate([]store.FleetOp{op}, base)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("right written on an old base: %v, want a conflict", err)
	}
}

// Door rights need groups: without them the native field is refused.
func TestDoorRightsNeedGroups(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	u := store.User{Name: "X", DoorRights: map[string]store.Locks{"A": store.LocksBoth}}
	_, err := a.st.CreateUser(&u, "test")
	var ie *store.InvalidError
	if !errors.As(err, &ie) || ie.Field != "door_rights" {
		t.Fatalf("door_rights without groups: %v", err)
	}
}

// A controller that starts empty loads the bucket in bulk: the rights of
// its groups and the users' site-wide grants give its doors the same
// locks as the controllers that applied them one by one.
func TestColdLoadDerivesLocks(t *testing.T) {
	n := startNATS(t)
	a := joinGroups(t, n, "a", "A")
	inA := newPerson(t, a, store.LocksFirst, nil)
	onlyB := store.User{Name: "Bo", Locks: store.LocksNone, DoorRights: map[string]store.Locks{"B": store.LocksBoth}}
	if _, err := a.st.CreateUser(&onlyB, "test"); err != nil {
		t.Fatal(err)
	}
	c := joinGroups(t, n, "c", "A")
	d := withDoors(t, c)
	d.want(t, "A:1 after a cold load", "r1", a.f.rev(), access.OutcomeGranted, access.ReasonNone)
	d.want(t, "A:1 after a cold load", "r2", a.f.rev(), access.OutcomeDenied, access.ReasonDoorNotPermitted)
	for _, u := range []store.User{inA, onlyB} {
		want, _ := a.st.GetUser(u.ID)
		if got, _ := c.st.GetUser(u.ID); got.Locks != want.Locks {
			t.Errorf("%s: locks %q after a cold load, %q applied one by one", u.Name, got.Locks, want.Locks)
		}
	}
}

// A replace import on a controller with door rights keeps every right
// (the new generation carries them), so the people it keeps open the
// doors they opened, and the ones it adds get the home group's right.
func TestReplaceImportKeepsRights(t *testing.T) {
	n := startNATS(t)
	a, b := joinGroups(t, n, "a", "A"), joinGroups(t, n, "b", "B")
	if _, err := a.st.Import(people(0, 20), store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil {
		t.Fatal(err)
	}
	kept, err := byExtID(a.st, "p15")
	if err != nil {
		t.Fatal(err)
	}
	setRights(t, a, kept.ID, map[string]store.Locks{"B": store.LocksFirst})
	if _, err := a.st.Import(people(10, 30), store.ImportOptions{Mode: store.ImportReplace, By: "test"}); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	if g, err := b.st.GetUser(kept.ID); err != nil || g.Locks != store.LocksFirst || g.DoorRights["B"] != store.LocksFirst {
		t.Errorf("b after the replace: %+v, %v; want the right B:1 kept", g.DoorRights, err)
	}
	added, err := byExtID(a.st, "p25")
	if err != nil || added.DoorRights["A"] != store.LocksBoth {
		t.Errorf("a user the replace added: %+v, %v; want the home right A:both", added.DoorRights, err)
	}
	if _, err := byExtID(a.st, "p5"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a user the replace removed: %v", err)
	}
}

// byExtID reads the user with ext_id ext (its rights filled in).
func byExtID(st *store.Store, ext string) (store.User, error) {
	var id string
	if err := st.ForEachUser(func(u *store.User) error {
		if u.ExtID == ext {
			id = u.ID
		}
		return nil
	}); err != nil {
		return store.User{}, err
	}
	if id == "" {
		return store.User{}, store.ErrNotFound
	}
	return st.GetUser(id)
}
