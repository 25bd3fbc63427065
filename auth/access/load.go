package access

import (
	"fmt"

	"github.com/doord/doord/store"
)

// Source is what Load reads: a consistent snapshot of the decision fields
// of every time profile, user and credential, and its store sequence
// number. *store.Store is one (ScanAccess); auth never imports more of
// the store than its types.
type Source interface {
	ScanAccess(store.AccessVisitor) (seq uint64, err error)
}

// Feed is a Source with a change feed: what Follow needs.
type Feed interface {
	Source
	Follow(name string, f store.Follower) (cancel func(), err error)
}

// maxUserReserve bounds the user slots Load reserves from the highest
// uid (4 times the million users doord is measured at; 192 MB of address
// space, which a 32-bit board must not spend on a store whose ids ran far
// ahead of its users).
const maxUserReserve = 1 << 22

// Load builds a fresh index from src and swaps it in; decisions meanwhile
// use the previous one. It returns the snapshot's sequence number: the
// caller applies only changes after it (Follow does all of that).
func (e *Engine) Load(src Source) (seq uint64, err error) {
	x := newIndex()
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.loading = true
	x.pending = make([]pendingCred, 0, pendingBatch)
	seq, err = src.ScanAccess(store.AccessVisitor{
		IDBounds: func(maxUID, maxCredID uint64) {
			// The arrays by id grow to the highest id anyway. The users
			// by slot are as many as there are users, at most maxUID:
			// reserved once too, up to maxUserReserve. Growing them by
			// append instead copied ~5× their final 48 MB into fresh
			// pages at 1M users (1.2 s of CPU a start, mostly page
			// faults); what a churned store reserves beyond its users is
			// address space that is never touched.
			if maxUID < 1<<31 && maxCredID < 1<<31 { // dense's own limit
				x.uidSlot.d = bigSlice[uint32](0, int(maxUID)+1)
				x.loc.d = bigSlice[credLoc](0, int(maxCredID)+1)
				x.users = bigSlice[userW](0, int(min(maxUID+1, maxUserReserve)))
			}
		},
		Counts: x.presize,
		Profile: func(p *store.TimeProfile) error {
			s, _ := CompileProfile(p)
			(*x.profiles.Load())[p.ID] = s // not yet shared: no copy needed
			return nil
		},
		User:       func(u *store.AccessUser) error { x.putUser(u); return nil },
		Credential: func(c *store.AccessCredential) error { x.putCred(c, false); return nil },
	})
	if err != nil {
		return 0, fmt.Errorf("load credential index: %w", err)
	}
	e.swap(x, seq)
	return seq, nil
}

// LoadRecords builds the index from full records, as a store without
// ScanAccess (or a test) has them, and swaps it in.
func (e *Engine) LoadRecords(profiles []store.TimeProfile, users []store.User, creds []store.Credential) {
	x := newIndex()
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.loading = true
	x.pending = make([]pendingCred, 0, pendingBatch)
	for i := range profiles {
		s, _ := CompileProfile(&profiles[i])
		(*x.profiles.Load())[profiles[i].ID] = s
	}
	for i := range users {
		a := store.UserAccess(&users[i])
		x.putUser(&a)
	}
	var n [2]uint64
	for i := range creds {
		if creds[i].Type == store.CredPIN {
			n[1]++
		} else if creds[i].Type == store.CredCard {
			n[0]++
		}
	}
	x.presize(n[0], n[1])
	for i := range creds {
		a := store.CredentialAccess(&creds[i])
		x.putCred(&a, false)
	}
	e.swap(x, 0)
}

// swap publishes a loaded index, with the spends not yet on disk laid
// over its snapshot counts (under the spends lock, so that no reservation
// lands on the old index meanwhile).
func (e *Engine) swap(x *index, seq uint64) {
	x.flushPending()
	x.pending = nil
	x.loading = false
	e.sp.mu.Lock()
	defer e.sp.mu.Unlock()
	e.sp.reapply(x)
	x.sp = &e.sp
	e.idx.Store(x)
	e.seq.Store(seq)
}

// Follow loads the index from f and keeps it current: the store Syncs
// the engine (Load) before Follow returns, then applies each later commit
// on a feed goroutine of its own. If applying a commit panics, or the
// engine falls too far behind the feed, the store recovers and Syncs it
// again, a fresh Load from a snapshot, while decisions go on with the
// index they have (see store.Follower). cancel unsubscribes.
func (e *Engine) Follow(f Feed) (cancel func(), err error) {
	return f.Follow("access engine", follower{e, f})
}

// follower is the engine as a store.Follower.
type follower struct {
	e   *Engine
	src Source
}

func (f follower) Sync() (uint64, error)   { return f.e.Load(f.src) }
func (f follower) Apply(cs []store.Change) { f.e.Apply(cs) }

// Skip takes the records a Sync's snapshot already held: their counts are
// in the index, but a pass spend among them is still unsaved in the
// engine's books until its record confirms it (otherwise the reload would
// subtract it twice, for good).
func (f follower) Skip(cs []store.Change) {
	for i := range cs {
		f.e.confirmOld(&cs[i])
	}
}
