package access

import (
	"fmt"
	"sync"

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
	Subscribe(func([]store.Change)) (cancel func())
}

// Load builds a fresh index from src and swaps it in; decisions meanwhile
// use the previous one. It returns the snapshot's sequence number: the
// caller applies only changes after it (Follow does all of that).
func (e *Engine) Load(src Source) (seq uint64, err error) {
	x := newIndex()
	x.wmu.Lock()
	defer x.wmu.Unlock()
	x.loading = true
	seq, err = src.ScanAccess(store.AccessVisitor{
		Sizes: func(users, creds int) {
			x.users = make([]userW, 0, users)
			x.uidSlot.d = make([]uint32, 0, users+1)
			x.loc.d = make([]credLoc, 0, creds+1)
		},
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
	for i := range profiles {
		s, _ := CompileProfile(&profiles[i])
		(*x.profiles.Load())[profiles[i].ID] = s
	}
	for i := range users {
		a := store.UserAccess(&users[i])
		x.putUser(&a)
	}
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
	x.finishLoad()
	x.loading = false
	e.sp.mu.Lock()
	defer e.sp.mu.Unlock()
	e.sp.reapply(x)
	x.sp = &e.sp
	e.idx.Store(x)
	e.seq.Store(seq)
}

// Follow loads the index from f and keeps it current: it subscribes to
// the change feed first, loads a snapshot, applies the changes committed
// after the snapshot that arrived meanwhile, and then applies each commit
// as it is delivered. cancel unsubscribes.
func (e *Engine) Follow(f Feed) (cancel func(), err error) {
	var (
		mu   sync.Mutex
		buf  []store.Change
		live bool
		from uint64
	)
	cancel = f.Subscribe(func(cs []store.Change) {
		mu.Lock()
		defer mu.Unlock()
		if !live {
			buf = append(buf, cs...)
			return
		}
		e.Apply(cs)
	})
	from, err = e.Load(f)
	if err != nil {
		cancel()
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range buf {
		if buf[i].Seq > from {
			e.Apply(buf[i : i+1])
		} else {
			e.confirmOld(&buf[i]) // the snapshot holds its count already
		}
	}
	buf, live = nil, true
	return cancel, nil
}
