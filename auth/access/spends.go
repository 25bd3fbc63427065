package access

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/doord/doord/store"
)

// The spend-and-persist protocol for limited credentials (max_passes). The
// engine is its one owner: it decides from memory and never waits for the
// disk, yet never grants a pass the store would not record.
//
//   - Reserve: a grant of a limited credential takes one pass from the
//     index and counts it unsaved for that credential (Outcome.UsedPass).
//     It also takes a slot of the spend queue; with the queue full it
//     denies (pass_queue_full) rather than grant a pass it cannot record.
//   - Commit or Refund: the door runtime commits the pass when it acted
//     on the grant (the spend goes to the queue, and the writer goroutine
//     calls PassStore.UsePass), or refunds it when it did not (the pass is
//     back at once; nothing is written).
//   - Confirm: the store marks the change record of every UsePass
//     (Change.PassSpent). Applying that record ends the spend's unsaved
//     life, in the same step that brings the store's decremented count.
//
// The index's count of a limited credential is always the store's last
// passes_left minus its unsaved spends. So a record arriving from the
// feed before the queued spends reached the disk (an operator's PATCH,
// any write) cannot give spent passes back, and a deliberate change of the
// budget (max_passes raised, passes reset) is honoured: the spends still
// queued land on the new budget in the store, and count against it here.
// A reload of the index (Load) reapplies the unsaved spends to the new
// snapshot.
//
// What this cannot cover: a spend is on disk a commit (an fsync) after the
// grant, so a crash or power cut in that window loses the spends still
// queued (the store then allows them again after the restart). Close (a
// clean stop) writes every queued spend first. A spend the disk fails to
// write (an I/O error) stays counted in memory until the process restarts.

// PassStore persists spent passes: *store.Store is one. UsePass must
// commit a change record marked PassSpent for every existing credential
// (written or refused) and deliver it to the engine's feed before it
// returns.
type PassStore interface {
	UsePass(id uint64) (left uint32, err error)
}

// DefaultPassQueue bounds the spends waiting for the disk.
const DefaultPassQueue = 4096

// spendState is one credential's spends that no store record reflects.
type spendState struct {
	stored  uint32 // passes_left of the store's last record
	unsaved uint32 // reserved or queued spends not yet confirmed
	key     uint64 // where the credential is indexed
	pin     bool
}

// effective is what the index holds for a credential with unsaved spends.
func (s *spendState) effective() uint32 {
	if s.unsaved >= s.stored {
		return 0
	}
	return s.stored - s.unsaved
}

// spends is the engine's side of the protocol. mu orders reservations,
// refunds, confirmations and index swaps for limited credentials; the lock
// order is index.wmu, then spends.mu, then a shard lock.
type spends struct {
	mu       sync.Mutex
	m        map[uint64]*spendState
	n        atomic.Int32 // len(m): Apply skips the lock when 0
	limit    int32
	inflight atomic.Int32 // reserved + queued, not yet through UsePass
	q        chan uint64
	closed   bool
	done     chan struct{}
	log      *slog.Logger
}

func (e *Engine) startSpends(cfg EngineConfig) {
	sp := &e.sp
	sp.m = map[uint64]*spendState{}
	sp.limit = int32(cfg.PassQueue)
	if sp.limit <= 0 {
		sp.limit = DefaultPassQueue
	}
	sp.log = cfg.Log
	if sp.log == nil {
		sp.log = slog.Default()
	}
	sp.done = make(chan struct{})
	if cfg.Passes == nil {
		close(sp.done)
		return
	}
	// Capacity limit: a commit never blocks, its slot was reserved.
	sp.q = make(chan uint64, sp.limit)
	if cfg.Go != nil {
		cfg.Go("access.passes", func() { sp.write(cfg.Passes) })
	} else {
		go sp.write(cfg.Passes)
	}
}

// write is the pass writer: it persists queued spends in order, off the
// door path.
func (sp *spends) write(ps PassStore) {
	defer close(sp.done)
	for id := range sp.q {
		_, err := ps.UsePass(id)
		sp.inflight.Add(-1)
		switch {
		case err == nil, errors.Is(err, store.ErrNotFound):
			// Confirmed through the feed; or the credential is gone, and
			// its spends with it.
		case errors.Is(err, store.ErrNoPassesLeft):
			sp.log.Error("the store refused a granted pass (passes_left lowered while it was queued)", "credential", id)
		default:
			sp.log.Error("recording a used pass failed; it stays counted in memory", "credential", id, "err", err)
		}
	}
}

// reserve takes one pass of credential id (indexed at pin, key) for a
// grant.
func (e *Engine) reserve(pin bool, key, id uint64) Reason {
	sp := &e.sp
	sp.mu.Lock()
	defer sp.mu.Unlock()
	// The current index, under mu: a reload swaps it only under mu too,
	// so the pass is taken where the unsaved count will be applied.
	x := e.idx.Load()
	if sp.inflight.Load() >= sp.limit {
		if c, ok := x.lookup(pin, key); ok && c.id == id && c.left == 0 {
			return ReasonPassesUsedUp
		}
		return ReasonPassQueueFull
	}
	left, ok := x.spend(pin, key, id)
	if !ok {
		return ReasonPassesUsedUp
	}
	s := sp.m[id]
	if s == nil {
		s = &spendState{stored: left + 1} // nothing unsaved: the index held the store's count
		sp.m[id] = s
		sp.n.Add(1)
	}
	s.key, s.pin = key, pin
	s.unsaved++
	sp.inflight.Add(1)
	return ReasonNone
}

// Commit queues the pass a grant reserved (o.UsedPass) to be persisted:
// the door runtime calls it when it acted on the grant. It never blocks.
func (e *Engine) Commit(o Outcome) {
	if !o.UsedPass || o.CredentialID == 0 {
		return
	}
	sp := &e.sp
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.q == nil || sp.closed {
		// Memory only (no PassStore), or stopping: nothing will confirm
		// it; the pass stays spent in memory.
		sp.inflight.Add(-1)
		return
	}
	sp.q <- o.CredentialID
}

// Refund gives back the pass a grant reserved (o.UsedPass) when the door
// did not act on it: nothing is written, the pass is available at once.
func (e *Engine) Refund(o Outcome) {
	if !o.UsedPass || o.CredentialID == 0 {
		return
	}
	e.sp.mu.Lock()
	defer e.sp.mu.Unlock()
	if e.settle(o.CredentialID) {
		e.sp.inflight.Add(-1)
	}
}

// settle ends one unsaved spend of id (refunded, or confirmed by a record
// older than the index's snapshot) and puts the credential's count back
// to the store's minus what remains unsaved. Under sp.mu.
func (e *Engine) settle(id uint64) bool {
	sp := &e.sp
	s := sp.m[id]
	if s == nil || s.unsaved == 0 {
		return false
	}
	s.unsaved--
	e.idx.Load().setLeft(s.pin, s.key, id, s.effective())
	if s.unsaved == 0 {
		delete(sp.m, id)
		sp.n.Add(-1)
	}
	return true
}

// confirmOld settles the spends that records at or before a snapshot's
// seq confirm (Follow: the snapshot already holds their counts).
func (e *Engine) confirmOld(c *store.Change) {
	if !c.PassSpent || c.Kind != store.KindCredential {
		return
	}
	e.sp.mu.Lock()
	e.settle(c.ID)
	e.sp.mu.Unlock()
}

// stored is the writer's hook: a credential record from the store. It
// returns the count the index holds for it (the store's, less its unsaved
// spends) and, with spent, confirms one of them. locked reports that the
// caller holds sp.mu and must release it once the record is in the index.
func (sp *spends) stored(id uint64, left uint32, key uint64, pin, spent, limited bool) (eff uint32, locked bool) {
	if sp == nil || (!limited && sp.n.Load() == 0) {
		return left, false
	}
	sp.mu.Lock()
	s := sp.m[id]
	if s == nil {
		return left, true
	}
	s.stored, s.key, s.pin = left, key, pin
	if spent && s.unsaved > 0 {
		s.unsaved--
	}
	eff = s.effective()
	if s.unsaved == 0 {
		delete(sp.m, id)
		sp.n.Add(-1)
	}
	return eff, true
}

// forget drops a deleted credential's unsaved spends: the store refuses
// them (not found), and a credential created later is another id.
func (sp *spends) forget(id uint64) {
	if sp == nil || sp.n.Load() == 0 {
		return
	}
	sp.mu.Lock()
	if _, ok := sp.m[id]; ok {
		delete(sp.m, id)
		sp.n.Add(-1)
	}
	sp.mu.Unlock()
}

// reapply lays the unsaved spends over a freshly loaded index before it
// is published. Under sp.mu.
func (sp *spends) reapply(x *index) {
	for id, s := range sp.m {
		l, ok := x.loc.get(id)
		if !ok {
			delete(sp.m, id)
			sp.n.Add(-1)
			continue
		}
		t := &x.shard(l.pin(), l.key()).t // not yet published: no lock
		c, _ := t.get(l.key())
		s.stored, s.key, s.pin = c.left, l.key(), l.pin()
		c.left = s.effective()
		if c.max == 0 {
			c.left = 0
		}
		t.set(l.key(), c)
	}
}

// Close writes every queued spend to the store and stops the pass writer;
// later commits are kept in memory only. Call it after the door runtime
// stopped and before the store closes.
func (e *Engine) Close() {
	sp := &e.sp
	sp.mu.Lock()
	if !sp.closed && sp.q != nil {
		close(sp.q)
	}
	sp.closed = true
	sp.mu.Unlock()
	<-sp.done
}
