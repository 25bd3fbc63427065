package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// Replicate is store.FleetGate's: each op is published to its key
// expecting the key's last revision, which must be one this store has
// applied (at most base): a record changed on another controller since
// this one read it is a conflict, never overwritten. It returns once the
// watch applied every op here (read-your-writes).
func (f *Fleet) Replicate(ops []store.FleetOp, base uint64) error {
	s := f.live()
	if s == nil {
		f.stats.offlineRefusals.Add(1)
		return store.ErrFleetOffline
	}
	var revs []uint64
	for i, op := range ops {
		rev, err := f.publish(s, &op, base)
		if err != nil {
			if i > 0 {
				// The earlier records are in the bucket: let them reach
				// this store before answering, so that a retry reads them.
				f.waitApplied(revs[len(revs)-1])
				var ce *store.FleetConflictError
				if errors.As(err, &ce) {
					ce.Reason += fmt.Sprintf(" (the write's %d records before it were written)", i)
				}
			}
			return err
		}
		revs = append(revs, rev)
	}
	if len(revs) == 0 {
		return nil
	}
	if !f.waitApplied(revs[len(revs)-1]) {
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
		// order): take it back out of the bucket so that it does not
		// wait there for the other record to go.
		f.stats.conflicts.Add(1)
		for i, op := range ops {
			f.retract(s, &op, revs[i])
		}
		return refused
	}
	return nil
}

func (f *Fleet) subject(op *store.FleetOp) string {
	return "$KV." + f.cfg.Bucket() + "." + recordKey(op.Kind, op.ID)
}

// publish writes one op expecting its key unchanged since base.
func (f *Fleet) publish(s *session, op *store.FleetOp, base uint64) (uint64, error) {
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	defer cancel()
	subj := f.subject(op)
	var last uint64
	m, err := s.stream.GetLastMsgForSubject(ctx, subj)
	switch {
	case err == nil:
		last = m.Sequence
	case errors.Is(err, jetstream.ErrMsgNotFound):
	default:
		return 0, fmt.Errorf("%w (reading %s: %w)", store.ErrFleetOffline, recordKey(op.Kind, op.ID), err)
	}
	if last > base {
		f.stats.conflicts.Add(1)
		return 0, &store.FleetConflictError{Kind: op.Kind, ID: op.ID,
			Reason: "changed on another controller since this one read it; read it again and retry"}
	}
	msg := nats.NewMsg(subj)
	if op.Deleted {
		msg.Header.Set("KV-Operation", "DEL")
	} else {
		msg.Data = op.Value
	}
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(last))
	if err != nil {
		var ae *jetstream.APIError
		if errors.As(err, &ae) && ae.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			f.stats.conflicts.Add(1)
			return 0, &store.FleetConflictError{Kind: op.Kind, ID: op.ID,
				Reason: "changed on another controller at the same time; read it again and retry"}
		}
		return 0, unsure(fmt.Sprintf("the fleet's NATS server did not confirm the write of %s (%v); it may or may not have been written: read it back before retrying", recordKey(op.Kind, op.ID), err))
	}
	return ack.Sequence, nil
}

// retract deletes a record this controller wrote at rev and every
// controller left out, unless it changed since.
func (f *Fleet) retract(s *session, op *store.FleetOp, rev uint64) {
	if op.Deleted {
		return
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	defer cancel()
	msg := nats.NewMsg(f.subject(op))
	msg.Header.Set("KV-Operation", "DEL")
	if _, err := s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(rev)); err != nil {
		f.log.Warn("fleet: could not take a left-out record back out of the bucket", "key", recordKey(op.Kind, op.ID), "err", err)
	}
}

// waitApplied waits until the watch applied rev (false: OpTimeout).
func (f *Fleet) waitApplied(rev uint64) bool {
	t := time.NewTimer(f.opt.OpTimeout)
	defer t.Stop()
	for {
		f.mu.Lock()
		done, ch := f.applied >= rev, f.progress
		f.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ch:
		case <-t.C:
			return false
		case <-f.ctx.Done():
			return false
		}
	}
}

// unsureError is a 503 (Is ErrFleetOffline) for a write whose outcome is
// not known here: its message must not say that nothing was written.
type unsureError struct{ msg string }

func unsure(msg string) error               { return &unsureError{msg} }
func (e *unsureError) Error() string        { return e.msg }
func (e *unsureError) Is(target error) bool { return target == store.ErrFleetOffline }
