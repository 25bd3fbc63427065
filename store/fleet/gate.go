package fleet

import (
	"context"
	"errors"
	"fmt"

	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var _ store.FleetGate = (*Fleet)(nil)

// Ready is store.FleetGate's: a record write may go to the fleet only
// while the watch is live (connected and caught up).
func (f *Fleet) Ready() error {
	if f.live() == nil {
		f.stats.offlineRefusals.Add(1)
		return store.ErrFleetOffline
	}
	return nil
}

func (f *Fleet) live() *session {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sess
}

// Replicate is store.FleetGate's: the ops are written to the bucket
// all or none, as one JetStream atomic batch (batch.go). Each op expects its key's last revision to be one
// this store has applied (at most base): a record changed on another
// controller since this one read it is a conflict, never overwritten,
// and then nothing of the write is in the bucket. It returns once the
// watch applied the write here (read-your-writes); a write that every
// controller left out (a unique value taken meanwhile) is put back out
// of the bucket and returned as a conflict.
func (f *Fleet) Replicate(ops []store.FleetOp, base uint64) error {
	s := f.live()
	if s == nil {
		f.stats.offlineRefusals.Add(1)
		return store.ErrFleetOffline
	}
	if len(ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	ops, err := f.withDroppedRights(ctx, s, ops) // rights.go: a deleted user's rights in other groups
	cancel()
	if err != nil {
		return err
	}
	revs, err := f.publishBatch(s, ops, base)
	if err != nil {
		return err
	}
	last := lastWatched(f.cfg, ops, revs) // rights.go: another group's right never comes back here
	if last == 0 {
		return nil
	}
	if !f.waitApplied(last) {
		return unsure("the write is in the fleet's bucket, but this controller has not applied it yet; read it back shortly")
	}
	f.mu.Lock()
	var refused error
	for _, r := range revs {
		if e := f.refused[r]; e != nil && refused == nil {
			refused = e
		}
		delete(f.refused, r)
	}
	f.mu.Unlock()
	if refused != nil {
		// Every controller left it out (the same revisions in the same
		// order): put back what they hold, so that it does not wait in
		// the bucket for the other record to go.
		f.stats.conflicts.Add(1)
		for i := range ops {
			f.retract(s, &ops[i], revs[i])
		}
		return refused
	}
	return nil
}

// subject is op's subject in the session's bucket.
func (s *session) subject(op *store.FleetOp) string {
	return "$KV." + s.bucket + "." + opKey(op)
}

// lastRev is the revision of op's key in the bucket (0: none), which
// must be at most base: a later one is a conflict.
func (f *Fleet) lastRev(ctx context.Context, s *session, op *store.FleetOp, base uint64) (uint64, error) {
	var last uint64
	m, err := s.stream.GetLastMsgForSubject(ctx, s.subject(op))
	switch {
	case err == nil:
		last = m.Sequence
	case errors.Is(err, jetstream.ErrMsgNotFound):
	default:
		return 0, fmt.Errorf("%w (reading %s: %w)", store.ErrFleetOffline, opKey(op), err)
	}
	if last > base && f.cfg.watches(op) { // rights.go: another group's right is a blind write
		f.stats.conflicts.Add(1)
		return 0, &store.FleetConflictError{Kind: op.Kind, ID: op.ID,
			Reason: "changed on another controller since this one read it; read it again and retry"}
	}
	return last, nil
}

// opMsg is op as a KV message on subj.
func opMsg(subj string, op *store.FleetOp) *nats.Msg {
	msg := nats.NewMsg(subj)
	if op.Deleted {
		msg.Header.Set("KV-Operation", "DEL")
	} else {
		msg.Data = op.Value
	}
	return msg
}

// isWrongLast: a compare-and-set failed (another write to the key, or
// a write in flight to it on a clustered stream).
func isWrongLast(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && (ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// retract puts back into the bucket, at op's key written at rev, the
// record this store holds (which every controller holds: they all left
// the write out), or deletes the key when it holds none; unless the key
// changed since.
func (f *Fleet) retract(s *session, op *store.FleetOp, rev uint64) {
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	defer cancel()
	var value []byte
	var ok bool
	var err error
	switch {
	case op.Kind == store.KindRight && !f.cfg.watches(op):
		// rights.go: this controller does not hold that group's rights.
		f.log.Warn("fleet: a left-out right of a group this controller does not watch stays in the bucket", "key", opKey(op))
		return
	case op.Kind == store.KindRight:
		value, ok, err = f.st.FleetRightValue(op.ID, op.Group)
	default:
		value, ok, err = f.st.FleetValue(op.Kind, op.ID)
	}
	if err != nil {
		f.log.Warn("fleet: could not read a left-out record back", "key", opKey(op), "err", err)
		return
	}
	if !ok && op.Deleted {
		return // the bucket already says what the controllers hold
	}
	back := store.FleetOp{Kind: op.Kind, ID: op.ID, Deleted: !ok, Value: value}
	if _, err := s.js.PublishMsg(ctx, opMsg(s.subject(op), &back), jetstream.WithExpectLastSequencePerSubject(rev)); err != nil {
		f.log.Warn("fleet: could not take a left-out record back out of the bucket", "key", opKey(op), "err", err)
	}
}

// waitApplied waits until the watch applied rev (false: OpTimeout).
func (f *Fleet) waitApplied(rev uint64) bool {
	return f.waitFor(func() bool { return f.applied >= rev })
}

// unsureError is a 503 (Is ErrFleetOffline) for a write whose outcome is
// not known here: its message must not say that nothing was written.
type unsureError struct{ msg string }

func unsure(msg string) error               { return &unsureError{msg} }
func (e *unsureError) Error() string        { return e.msg }
func (e *unsureError) Is(target error) bool { return target == store.ErrFleetOffline }
