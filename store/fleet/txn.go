package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go/jetstream"
)

// txnBuf groups the watch's entries for store.ApplyFleet so that a batch
// (batch.go) is handed over whole: its records are held until its commit
// arrives and are then ready together, marked with the batch's id (the
// store applies or leaves out a batch in one transaction). The records
// of a batch are contiguous in the stream, so a batch also ends when an
// entry of anything else arrives: in a bucket that keeps one revision a
// key, a later write to a key of the batch (or a later batch's marker)
// removed the batch's last messages, and what is left of it is whole.
type txnBuf struct {
	done []store.FleetOp // lone records and whole batches, in revision order
	open []store.FleetOp // the records of the batch whose commit has not come
	id   string          // that batch's id; "" when none is open
	seen uint64          // the revision of the last entry added
}

// add takes one watch entry (nil, the end of the initial values, is
// nothing here).
func (b *txnBuf) add(e jetstream.KeyValueEntry) error {
	if e == nil {
		return nil
	}
	if e.Key() == genKey {
		return fmt.Errorf("%w (to generation %s)", errGenMoved, e.Value())
	}
	b.seen = e.Revision()
	id, commit := batchOf(e)
	if b.id != "" && id != b.id {
		b.close()
	}
	if id == "" {
		b.done = appendEntry(b.done, e)
		return nil
	}
	b.id = id
	n := len(b.open)
	if b.open = appendEntry(b.open, e); len(b.open) > n {
		b.open[n].Batch = id
	}
	if commit {
		b.close()
	}
	return nil
}

func (b *txnBuf) close() {
	b.done = append(b.done, b.open...)
	b.open, b.id = b.open[:0], ""
}

// len is how many records the buffer holds.
func (b *txnBuf) len() int { return len(b.done) + len(b.open) }

// take hands over the ready records; they are valid until the next add.
func (b *txnBuf) take() []store.FleetOp {
	d := b.done
	b.done = b.done[:0]
	return d
}

// catchUpWhole is how many records a catch-up applies in one
// transaction (about importChunk's dirty pages). A variable for tests.
var catchUpWhole = 10000

// catchUpTxn applies what changed since the store's revision, up to the
// end of the watch's initial values, in ONE transaction when it is at
// most catchUpWhole records. The bucket keeps one revision a key, so a
// catch-up sees each changed key once, at its last value: the records of
// a batch that a later write superseded arrive apart from it (a user's
// new cards, then the user at the revision of a later rename), and only
// the whole backlog at once is a state the bucket had. A longer backlog
// (a controller far behind) is applied in transactions of catchUpWhole
// records that end on batch boundaries; between them a record may be
// ahead of another it goes with (a card before its user: denied). A
// batch still open at the end stays in buf for the live watch.
func (f *Fleet) catchUpTxn(ctx context.Context, w jetstream.KeyWatcher, buf *txnBuf) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			if err := buf.add(e); err != nil {
				return err
			}
			if e == nil || len(buf.done) >= catchUpWhole {
				if err := f.apply(buf.take()); err != nil {
					return err
				}
			}
			if e == nil {
				f.noteSeen(buf)
				return nil
			}
		}
	}
}

// testHooks let tests look at a controller between two steps (set at
// any time: the watch reads them on its goroutine).
type testHooks struct {
	afterApply   atomic.Pointer[func()] // on the watch's goroutine, after each store.ApplyFleet
	beforeCommit atomic.Pointer[func()] // in a batch write, after its compare-and-set checks, before it is sent
	beforeFlip   atomic.Pointer[func()] // in a replace, once the new list is written, before the flip
}

func call(hook *atomic.Pointer[func()]) {
	if fn := hook.Load(); fn != nil {
		(*fn)()
	}
}
