package store

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group commit. Every commit is an fsync, and bbolt has one writer at a
// time, so concurrent writers must share commits to scale; bbolt's own
// db.Batch does that by waiting a window (MaxBatchDelay) for company, which
// a lone writer pays on every write. Here a writer that finds no commit in
// flight commits at once; writers that arrive while a commit is in flight
// queue, and when it ends the first of them leads the next commit with
// everyone queued by then. The fsync in flight is the window, so a busy
// store gathers as much as bbolt's window did and an idle one waits for
// nobody.
//
// The rest is db.Batch's contract, which the write functions rely on
// (see wtx): a group is one read-write transaction running its writers'
// functions in turn; when one fails, the transaction is rolled back, that
// writer re-runs its function alone on its own goroutine (so a panic or a
// fault is contained there, and its error is its own), and the others are
// re-run together. So a function may run more than once, and an
// acknowledged write is on disk: the group's commit returned after its
// fsync.

// maxGroup bounds one commit's writers (bbolt's MaxBatchSize default), so
// a long queue does not make one huge transaction.
const maxGroup = 1000

// committer is the queue of writers waiting for the next group commit.
type committer struct {
	mu    sync.Mutex
	busy  bool         // a leader is committing; newcomers queue
	queue []*groupCall // writers for the next group, in arrival order
}

type groupCall struct {
	fn  func(*bolt.Tx) error
	err error
	// wake gets true when this writer is to lead the next group, false
	// when its result is in err.
	wake chan bool
}

// errTrySolo tells a writer to re-run its function in a transaction of
// its own (its function failed inside a group).
var errTrySolo = errors.New("store: run the write alone")

// groupCommit runs fn in a read-write transaction that it may share with
// concurrent writers (see above) and returns fn's error or the commit's.
func (s *Store) groupCommit(fn func(*bolt.Tx) error) error {
	c := &s.commits
	me := &groupCall{fn: fn, wake: make(chan bool, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, me)
	if c.busy {
		c.mu.Unlock()
		if lead := <-me.wake; !lead {
			return s.solo(me)
		}
		c.mu.Lock()
	}
	// Leader: me is at the head of the queue (an idle committer's queue is
	// empty, and a handed-over leader is the head).
	c.busy = true
	n := min(len(c.queue), maxGroup)
	group := make([]*groupCall, n)
	copy(group, c.queue)
	c.queue = append(c.queue[:0], c.queue[n:]...)
	c.mu.Unlock()

	s.commitGroup(group, me)

	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0].wake <- true // buffered: never blocks
	} else {
		c.busy = false
	}
	c.mu.Unlock()
	return s.solo(me)
}

// solo returns a writer's result, re-running its function alone when it
// failed inside a group.
func (s *Store) solo(me *groupCall) error {
	if me.err != errTrySolo {
		return me.err
	}
	return s.containedWrite(func() error { return s.db.Update(me.fn) })
}

// commitGroup commits group's functions in one transaction and leaves each
// writer's result in its err; it wakes every writer but the leader.
func (s *Store) commitGroup(group []*groupCall, leader *groupCall) {
	done := func(g *groupCall, err error) {
		g.err = err
		if g != leader {
			g.wake <- false
		}
	}
	for len(group) > 0 {
		failed := -1
		err := s.containedWrite(func() error {
			return s.db.Update(func(tx *bolt.Tx) error {
				for i, g := range group {
					if err := callSafely(g.fn, tx); err != nil {
						failed = i
						return err
					}
				}
				return nil
			})
		})
		if failed < 0 || errors.Is(err, ErrDamaged) {
			for _, g := range group {
				done(g, err)
			}
			return
		}
		// Rolled back: the failing writer goes alone, the rest again.
		done(group[failed], errTrySolo)
		group = append(group[:failed], group[failed+1:]...)
	}
}

// callSafely turns a panic in fn into an error, so that the leader's
// goroutine survives it; the writer then re-runs fn alone on its own
// goroutine, where the panic is contained as a damaged store (damage.go).
func callSafely(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write function panicked: %v", p)
		}
	}()
	return fn(tx)
}
