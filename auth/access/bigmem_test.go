package access

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"

	"github.com/doord/doord/store"
)

// TestWhole checks the page arithmetic against a count of the pages that
// lie wholly inside random ranges: never a byte outside the range (that
// would release or advise a neighbour's memory), never a whole page left
// out.
func TestWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 64<<10)
	base := unsafe.Pointer(unsafe.SliceData(buf))
	for range 20000 {
		page := uintptr(1) << (4 + rng.IntN(8)) // 16 B … 2 KB
		start := uintptr(rng.IntN(len(buf) / 2))
		n := uintptr(rng.IntN(len(buf)/2 + 1))
		p := unsafe.Add(base, start)
		off, size := whole(p, n, page)
		// The reference: walk the page boundaries inside [p, p+n).
		lo, hi := uintptr(p), uintptr(p)+n
		var wantOff, wantSize uintptr
		for a := (lo + page - 1) / page * page; a+page <= hi; a += page {
			if wantSize == 0 {
				wantOff = a - lo
			}
			wantSize += page
		}
		if off != wantOff || size != wantSize {
			t.Fatalf("whole(%#x, %d, %d) = %d, %d; want %d, %d", lo, n, page, off, size, wantOff, wantSize)
		}
	}
}

// TestCarvedTablesMatchMaps drives tables cut from one slab, as a load
// makes them, with random sets and deletes until most have grown out of
// it (their old slots released to the kernel), and compares each with a
// map after every step: a table that moves must not take its neighbours'
// slots with it.
func TestCarvedTablesMatchMaps(t *testing.T) {
	const tables = 6
	var off [tables + 1]int
	for i := range tables {
		off[i+1] = off[i] + tableSize(100+50*i, loadLoad)
	}
	slab := bigSlice[slot](off[tables], off[tables])
	var tabs [tables]credTable
	refs := make([]map[uint64]credRec, tables)
	for i := range tabs {
		tabs[i] = credTable{slots: slab[off[i]:off[i+1]:off[i+1]], carved: true}
		refs[i] = map[uint64]credRec{}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	grown := 0
	for step := range 30000 {
		i := rng.IntN(tables)
		k := uint64(1 + rng.IntN(400+100*i))
		before := &tabs[i].slots[0]
		if rng.IntN(4) == 0 {
			tabs[i].del(k)
			delete(refs[i], k)
		} else {
			r := credRec{id: uint64(step), userUID: k}
			tabs[i].set(k, r)
			refs[i][k] = r
		}
		if &tabs[i].slots[0] != before && !tabs[i].carved {
			grown++
		}
		if step%50 != 0 {
			continue
		}
		for j := range tabs {
			if tabs[j].n != len(refs[j]) {
				t.Fatalf("step %d table %d: n = %d, want %d", step, j, tabs[j].n, len(refs[j]))
			}
			for k, want := range refs[j] {
				if got, ok := tabs[j].get(k); !ok || got != want {
					t.Fatalf("step %d table %d key %d: got %+v %v, want %+v", step, j, k, got, ok, want)
				}
			}
		}
	}
	if grown < tables/2 {
		t.Fatalf("only %d tables grew out of the slab: the test proves little", grown)
	}
}

// countsSource is a Source that yields records with the estimates it is
// given, right or wrong.
type countsSource struct {
	cards, pins uint64
	users       []store.User
	creds       []store.Credential
}

func (c countsSource) ScanAccess(v store.AccessVisitor) (uint64, error) {
	v.Counts(c.cards, c.pins)
	for i := range c.users {
		a := store.UserAccess(&c.users[i])
		if err := v.User(&a); err != nil {
			return 0, err
		}
	}
	for i := range c.creds {
		a := store.CredentialAccess(&c.creds[i])
		if err := v.Credential(&a); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

// TestLoadBuildsWhatApplyBuilds loads thousands of users with a card and
// a PIN each into tables sized from estimates that are right, far too
// low (tables grow, out of their slab) and far too high, cut from slabs
// and allocated one by one, and compares each index with one built by
// applying the same records one by one as changes.
func TestLoadBuildsWhatApplyBuilds(t *testing.T) {
	const n = 3000
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var users []store.User
	var creds []store.Credential
	for i := range n {
		uid := uint64(i + 1)
		u := store.User{UID: uid, State: store.StateActive, Locks: store.LocksBoth}
		if i%7 == 0 {
			u.ValidFrom = &from
		}
		users = append(users, u)
		creds = append(creds,
			store.Credential{ID: uint64(2*i + 1), UserUID: uid, Type: store.CredCard, Value: fmt.Sprint(1_000_000 + i*7919), Locks: store.LocksBoth},
			store.Credential{ID: uint64(2*i + 2), UserUID: uid, Type: store.CredPIN, Value: fmt.Sprintf("%06d", i*31), Locks: store.LocksFirst, MaxPasses: uint32(i % 3), PassesLeft: uint32(i % 2)})
	}
	want := dump(appliedEngine(users, creds, false))
	if len(want) < 3*n {
		t.Fatalf("applied index has %d entries, want %d", len(want), 3*n)
	}
	defer func(f func() bool) { useSlabs = f }(useSlabs)
	for _, slabs := range []bool{true, false} {
		for _, est := range []uint64{n, 1, 50 * n, 0} {
			t.Run(fmt.Sprintf("slabs=%v,estimate=%d", slabs, est), func(t *testing.T) {
				useSlabs = func() bool { return slabs }
				loaded := NewEngine(EngineConfig{})
				if _, err := loaded.Load(countsSource{est, est, users, creds}); err != nil {
					t.Fatal(err)
				}
				diff(t, "loaded vs applied", dump(loaded), want)
				x := loaded.idx.Load()
				grown := 0
				for s := range nShards {
					for _, tab := range []*credTable{&x.cards[s].t, &x.pins[s].t} {
						if float64(tab.n) > maxLoad*float64(len(tab.slots)) {
							t.Fatalf("shard %d: %d entries in %d slots, above the load factor", s, tab.n, len(tab.slots))
						}
						if slabs && est > 0 && !tab.carved {
							grown++
						}
					}
				}
				if est == n && grown > 0 {
					t.Errorf("%d tables grew at the right estimate", grown)
				}
				if slabs && est == 1 && grown == 0 {
					t.Errorf("no table grew at an estimate of 1: the case tests nothing")
				}
			})
		}
	}
}

// credsFirstSource yields its credentials before their users (the order
// store.ScanAccess never uses, but a Source may).
type credsFirstSource struct {
	users []store.User
	creds []store.Credential
}

func (c credsFirstSource) ScanAccess(v store.AccessVisitor) (uint64, error) {
	v.Counts(uint64(len(c.creds)), 0)
	for i := range c.creds {
		a := store.CredentialAccess(&c.creds[i])
		v.Credential(&a)
	}
	for i := range c.users {
		a := store.UserAccess(&c.users[i])
		v.User(&a)
	}
	return 1, nil
}

// TestLoadCredentialsBeforeTheirUsers: credentials a load holds back for
// their tables (flushPending) are in place before a user's fields are
// copied into them, so a user read after their cards still opens them.
func TestLoadCredentialsBeforeTheirUsers(t *testing.T) {
	var users []store.User
	var creds []store.Credential
	for i := range 100 {
		uid := uint64(i + 1)
		users = append(users, store.User{UID: uid, State: store.StateActive, Locks: store.LocksBoth})
		creds = append(creds, store.Credential{ID: uid, UserUID: uid, Type: store.CredCard, Value: fmt.Sprint(5000 + i), Locks: store.LocksBoth})
	}
	applied := appliedEngine(users, creds, true)
	loaded := NewEngine(EngineConfig{})
	if _, err := loaded.Load(credsFirstSource{users, creds}); err != nil {
		t.Fatal(err)
	}
	diff(t, "loaded vs applied", dump(loaded), dump(applied))
}

// appliedEngine is an engine built by applying users and creds one by one
// as changes (the credentials first if credsFirst).
func appliedEngine(users []store.User, creds []store.Credential, credsFirst bool) *Engine {
	var us, cs []store.Change
	for i := range users {
		us = append(us, store.Change{Kind: store.KindUser, ID: users[i].UID, User: &users[i]})
	}
	for i := range creds {
		cs = append(cs, store.Change{Kind: store.KindCredential, ID: creds[i].ID, Credential: &creds[i]})
	}
	e := NewEngine(EngineConfig{})
	if credsFirst {
		e.Apply(append(cs, us...))
	} else {
		e.Apply(append(us, cs...))
	}
	return e
}
