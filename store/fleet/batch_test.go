package fleet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// userOp is a bucket record of a user named name.
func userOp(uid uint64, name string) store.FleetOp {
	return store.FleetOp{Kind: store.KindUser, ID: uid, Value: []byte(fmt.Sprintf(
		`{"id":"00000000-0000-4000-8000-%012d","ext_id":"x%d","name":%q,"state":"active","locks":"both"}`, uid%1e12, uid, name))}
}

// bucketRev is key's revision in the bucket (0: none), read on a
// connection of its own.
func (m *member) bucketRev(key string) uint64 {
	m.t.Helper()
	nc, err := nats.Connect(m.nc.ConnectedUrl())
	if err != nil {
		m.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		m.t.Fatal(err)
	}
	kv, err := js.KeyValue(m.t.Context(), m.cfg.Bucket())
	if err != nil {
		m.t.Fatal(err)
	}
	e, err := kv.Get(m.t.Context(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0
	}
	if err != nil {
		m.t.Fatal(err)
	}
	return e.Revision()
}

func (m *member) userName(uid uint64) string {
	m.t.Helper()
	u, err := m.st.GetUserByUID(uid)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		m.t.Fatal(err)
	}
	return u.Name
}

// A write of three records whose middle one changes on another
// controller after the writer checked it (so the server's own
// compare-and-set refuses it, inside the batch) is a conflict naming
// that record, and nothing of it is anywhere: not in the bucket, not in
// either controller's store.
func TestBatchConflictInTheMiddleWritesNothing(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	base := uint64(1) << 32
	uids := []uint64{base + 1, base + 2, base + 3}
	for _, uid := range uids {
		if err := a.f.Replicate([]store.FleetOp{userOp(uid, "old")}, a.f.rev()); err != nil {
			t.Fatal(err)
		}
	}
	b.waitRev(a.f.rev())
	revs := map[uint64]uint64{}
	for _, uid := range uids {
		revs[uid] = a.bucketRev(recordKey(store.KindUser, uid))
	}
	// b changes the middle user once a's batch passed its own checks.
	a.f.hooks.beforeCommit.Store(new(func() {
		if err := b.f.Replicate([]store.FleetOp{userOp(uids[1], "b's")}, b.f.rev()); err != nil {
			t.Errorf("b's write: %v", err)
		}
	}))
	ops := []store.FleetOp{userOp(uids[0], "new"), userOp(uids[1], "new"), userOp(uids[2], "new")}
	err := a.f.Replicate(ops, a.f.rev())
	a.f.hooks.beforeCommit.Store(nil)
	var ce *store.FleetConflictError
	if !errors.As(err, &ce) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("batch with a record changed meanwhile: %v, want a FleetConflictError", err)
	}
	if ce.ID != uids[1] {
		t.Errorf("the conflict names %s %d, want user %d", ce.Kind, ce.ID, uids[1])
	}
	a.waitRev(b.f.rev())
	for _, uid := range []uint64{uids[0], uids[2]} {
		if got := a.bucketRev(recordKey(store.KindUser, uid)); got != revs[uid] {
			t.Errorf("user %d: bucket revision %d, want %d (unchanged)", uid, got, revs[uid])
		}
		for _, m := range []*member{a, b} {
			if got := m.userName(uid); got != "old" {
				t.Errorf("%s: user %d is %q, want old", m.cfg.Controller, uid, got)
			}
		}
	}
	for _, m := range []*member{a, b} {
		if got := m.userName(uids[1]); got != "b's" {
			t.Errorf("%s: the middle user is %q, want b's", m.cfg.Controller, got)
		}
	}
}

// wholeUser fails unless the store holds the user with every one of
// cards, or none of them: never part of what one write did.
func wholeUser(t *testing.T, m *member, uid uint64, cards []string, when string) (present bool) {
	t.Helper()
	_, err := m.st.GetUserByUID(uid)
	hasUser := err == nil
	held := 0
	for _, c := range cards {
		if _, err := m.st.LookupCredential(store.CredCard, c); err == nil {
			held++
		}
	}
	if (hasUser && held != len(cards)) || (!hasUser && held != 0) {
		t.Errorf("%s, %s holds the user: %v, and %d of her %d cards: half a write", when, m.cfg.Controller, hasUser, held, len(cards))
	}
	return hasUser
}

// importOne is an import source of one user with cards.
func importOne(ext, name string, cards []string) store.ImportSource {
	return func(yield func(*store.ImportRow) bool) error {
		row := &store.ImportRow{Line: 2, ExtID: ext, SetCards: true, SetPINs: true,
			Apply: func(u *store.User, isNew bool) []store.ImportError {
				u.Name, u.Locks = name, store.LocksBoth
				return nil
			}}
		for _, c := range cards {
			row.Cards = append(row.Cards, store.Credential{Value: c})
		}
		yield(row)
		return nil
	}
}

// A user written with her cards (an import row) and then deleted with
// them (DeleteUser) reaches the other controller whole each time: after
// every transaction its watch applied, the store holds the user with all
// her cards or none of them.
func TestWatcherAppliesAWriteWhole(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	cards := []string{"1001", "1002", "1003", "1004"}
	var uid uint64
	applies := 0
	b.f.hooks.afterApply.Store(new(func() {
		applies++
		if uid != 0 {
			wholeUser(t, b, uid, cards, "after an apply")
		}
	}))
	defer b.f.hooks.afterApply.Store(nil)
	// The uid is known once written: look it up from a's store, where
	// the write is applied before it returns; b cannot have applied it
	// before a did (the check above runs from the next apply on).
	if sum, err := a.st.Import(importOne("ada", "Ada", cards), store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil {
		t.Fatal(err, sum.Errors)
	}
	us, _, err := a.st.ListUsers(store.UserFilter{Q: "ada"})
	if err != nil || len(us) != 1 {
		t.Fatalf("the imported user: %v, %v", us, err)
	}
	u := us[0]
	b.waitRev(a.f.rev())
	uid = u.UID
	if !wholeUser(t, b, uid, cards, "after the create") {
		t.Fatal("b does not have the user")
	}
	if err := a.st.DeleteUser(u.ID); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	if wholeUser(t, b, uid, cards, "after the delete") {
		t.Error("b still has the deleted user")
	}
	if applies == 0 {
		t.Error("no apply was observed")
	}
}

// A batch whose writer died after sending part of it (no commit) leaves
// nothing in the bucket or on any controller, even across a restart of
// the NATS server in the middle.
func TestUncommittedBatchLeavesNothing(t *testing.T) {
	t.Parallel() // waits out a server restart (OpTimeout, reconnects)
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	nc, err := nats.Connect(n.url())
	if err != nil {
		t.Fatal(err)
	}
	uid := uint64(1)<<32 + 77
	cred := store.FleetOp{Kind: store.KindCredential, ID: uint64(1)<<32 + 78,
		Value: []byte(`{"type":"card","value":"4242","user_uid":` + strconv.FormatUint(uid, 10) + `,"owner":"owner","locks":"both"}`)}
	user := userOp(uid, "Ghost")
	for i, op := range []store.FleetOp{user, cred} {
		m := opMsg("$KV."+a.cfg.Bucket()+"."+recordKey(op.Kind, op.ID), &op)
		m.Header.Set(hdrBatchID, "dead-writer")
		m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
		if i == 0 {
			if _, err := nc.RequestMsg(m, waitLimit); err != nil {
				t.Fatal(err)
			}
		} else if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	nc.Close() // the writer dies: no commit
	n.stop()
	n.start()
	a.waitLive()
	b.waitLive()
	// A later write goes through, and once b applied it, nothing of the
	// dead batch is anywhere.
	if err := a.f.Replicate([]store.FleetOp{userOp(uid+10, "Later")}, a.f.rev()); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	for _, m := range []*member{a, b} {
		if got := m.bucketRev(recordKey(store.KindUser, uid)); got != 0 {
			t.Errorf("the dead batch's user is in the bucket at %d", got)
		}
		if got := m.bucketRev(recordKey(store.KindCredential, cred.ID)); got != 0 {
			t.Errorf("the dead batch's card is in the bucket at %d", got)
		}
		if m.userName(uid) != "" {
			t.Errorf("%s applied the dead batch's user", m.cfg.Controller)
		}
		if _, err := m.st.LookupCredential(store.CredCard, "4242"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s applied the dead batch's card: %v", m.cfg.Controller, err)
		}
		if m.userName(uid+10) != "Later" {
			t.Errorf("%s lacks the later write", m.cfg.Controller)
		}
	}
}

// A batch one of whose records every controller must leave out (its card
// number was taken by another controller's write first) is left out
// whole everywhere, its writer gets the conflict, and the bucket is put
// back to what the controllers hold.
func TestBatchLeftOutWholeEverywhere(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	if err := a.f.Replicate([]store.FleetOp{userOp(uint64(1)<<32+1, "Kept")}, a.f.rev()); err != nil {
		t.Fatal(err)
	}
	c := store.Credential{Type: store.CredCard, Value: "888"}
	if err := a.st.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev())
	// b's write as if it had not seen a's card: an update of the kept
	// user and a new card with a's number.
	uid := uint64(1)<<32 + 1
	dup := store.FleetOp{Kind: store.KindCredential, ID: 2<<32 + 99,
		Value: []byte(`{"type":"card","value":"888","owner":"owner","locks":"both"}`)}
	err := b.f.Replicate([]store.FleetOp{userOp(uid, "Changed"), dup}, b.f.rev())
	var ce *store.FleetConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("batch with a taken card number: %v, want a FleetConflictError", err)
	}
	a.waitRev(b.f.rev())
	for _, m := range []*member{a, b} {
		if got := m.userName(uid); got != "Kept" {
			t.Errorf("%s: the user is %q, want Kept (the batch left out whole)", m.cfg.Controller, got)
		}
		if _, err := m.st.GetCredential(dup.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s applied the duplicate: %v", m.cfg.Controller, err)
		}
	}
	// The bucket holds the user as the controllers do (put back), not
	// deleted and not the left-out value.
	e, err := b.f.live().kv.Get(t.Context(), recordKey(store.KindUser, uid))
	if err != nil {
		t.Fatalf("the user's key after the put back: %v", err)
	}
	if want := `"name":"Kept"`; !strings.Contains(string(e.Value()), want) {
		t.Errorf("bucket holds %s, want the kept user", e.Value())
	}
	if _, err := b.f.live().kv.Get(t.Context(), recordKey(store.KindCredential, dup.ID)); err == nil {
		t.Error("the left-out card is still in the bucket")
	}
}

func TestVersionAtLeast(t *testing.T) {
	for v, want := range map[string]bool{"2.12.0": true, "2.15.3": true, "2.12.0-beta.1": true, "3.0.0": true,
		"2.11.9": false, "2.9.10": false, "2.10.22": false, "": false} {
		if got := versionAtLeast(v, minServer); got != want {
			t.Errorf("versionAtLeast(%q) = %v, want %v", v, got, want)
		}
	}
}

// A controller that was away while a user was imported with her cards
// and then renamed (which supersedes the batch's user message: the
// bucket keeps one revision a key, so the catch-up sees her cards first
// and the user only at the rename) catches up whole: after every
// transaction it applied, the user is there with all her cards or none.
func TestCatchUpAppliesWhole(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	st := storetest.Open(t)
	b := joinStore(t, n, "b", st)
	if err := a.f.Replicate([]store.FleetOp{userOp(uint64(1)<<32+1, "First")}, a.f.rev()); err != nil {
		t.Fatal(err)
	}
	b.waitRev(a.f.rev()) // b has a revision: it will catch up, not load cold
	b.leave()
	cards := []string{"2001", "2002", "2003"}
	if sum, err := a.st.Import(importOne("bea", "Bea", cards), store.ImportOptions{Mode: store.ImportMerge, By: "test"}); err != nil {
		t.Fatal(err, sum.Errors)
	}
	us, _, err := a.st.ListUsers(store.UserFilter{Q: "bea"})
	if err != nil || len(us) != 1 {
		t.Fatalf("the imported user: %v, %v", us, err)
	}
	if _, err := a.st.UpdateUser(us[0].ID, "test", func(u *store.User) error { u.Name = "Bea R."; return nil }); err != nil {
		t.Fatal(err)
	}
	b = joinHooked(t, n, "b", st, func(m *member) {
		m.f.hooks.afterApply.Store(new(func() { wholeUser(t, m, us[0].UID, cards, "after a catch-up apply") }))
	})
	b.waitRev(a.f.rev())
	if !wholeUser(t, b, us[0].UID, cards, "caught up") || b.userName(us[0].UID) != "Bea R." {
		t.Errorf("b after the catch-up: %q", b.userName(us[0].UID))
	}
}

// txnBuf holds a batch's records until its commit, and ends a batch
// whose commit was superseded when anything else arrives.
func TestTxnBufHoldsBatches(t *testing.T) {
	put := func(key string, rev uint64, batch string, commit bool) *entry {
		return &entry{key: key, rev: rev, value: []byte("{}"), batch: batch, commit: commit}
	}
	var b txnBuf
	b.add(put("user.1", 1, "", false))
	b.add(put("user.2", 2, "x", false))
	b.add(put("cred.3", 3, "x", false))
	if got := b.take(); len(got) != 1 || got[0].ID != 1 {
		t.Fatalf("before the commit: %+v, want the lone record only", got)
	}
	b.add(put(txnKey, 4, "x", true))
	got := b.take()
	if len(got) != 2 || got[0].Batch != "x" || got[1].Batch != "x" || got[1].Rev != 3 {
		t.Fatalf("at the commit: %+v, want the batch's two records", got)
	}
	// A batch whose commit marker was superseded ends at the next
	// entry of anything else (here another batch).
	b.add(put("user.5", 5, "y", false))
	b.add(put("user.7", 7, "z", false))
	if got := b.take(); len(got) != 1 || got[0].ID != 5 || got[0].Batch != "y" {
		t.Fatalf("superseded commit: %+v, want batch y's record", got)
	}
	if b.len() != 1 {
		t.Errorf("batch z should still be open, len %d", b.len())
	}
}
