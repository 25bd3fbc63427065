package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A write (of one record or several) is one JetStream atomic batch (nats-server
// 2.12 and later, the stream's AllowAtomicPublish): the server stages
// the batch's messages and stores them all, contiguous in the stream,
// when the last one (Nats-Batch-Commit) arrives and every message's
// compare-and-set holds — or stores none of them. A batch that is never
// committed (the writer died part way, its connection dropped) is
// dropped by the server after its timeout: nothing of it is ever in the
// bucket.
//
// Every batch ends with a put of the marker key txnKey: its commit. A
// controller watching only some of the bucket's keys (door groups) still
// sees every batch end, so it never waits for a commit that went to a
// key it does not watch. The server keeps the batch headers with every
// stored message; the watch (watch.go) reads them and the apply side
// (txn.go) hands a batch to the store whole, which applies it in one
// transaction or leaves it out whole (store.ApplyFleet).

// txnKey is the batch commit marker's key (not a record: the watch skips
// it after closing the batch).
const txnKey = "txn"

// maxBatch is how many messages nats-server takes in one atomic batch by
// default (its streamDefaultMaxAtomicBatchSize; a server's operator can
// lower it with the jetstream limit max_batch_size).
const maxBatch = 1000

// MaxWriteRecords is the most records one write can change in a fleet:
// one atomic batch, less its commit marker.
const MaxWriteRecords = maxBatch - 1

// publishBatch writes ops as one atomic batch, each expecting its key
// unchanged since base, and returns their revisions (consecutive).
func (f *Fleet) publishBatch(s *session, ops []store.FleetOp, base uint64) ([]uint64, error) {
	if len(ops) == 0 {
		return nil, nil
	}
	if len(ops) > MaxWriteRecords {
		return nil, &store.FleetTooLargeError{InvalidError: store.InvalidError{Field: "records", Reason: fmt.Sprintf(
			"the write changes %d records; a fleet writes at most %d at once (one atomic batch of its NATS server); nothing was written", len(ops), MaxWriteRecords)}}
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	defer cancel()
	lasts := make([]uint64, len(ops))
	for i := range ops {
		var err error
		if lasts[i], err = f.lastRev(ctx, s, &ops[i], base); err != nil {
			return nil, err
		}
	}
	call(&f.hooks.beforeCommit)
	id := uuid.NewString()
	msgs := make([]*nats.Msg, 0, len(ops)+1)
	for i := range ops {
		m := opMsg(s.subject(&ops[i]), &ops[i])
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lasts[i], 10))
		msgs = append(msgs, m)
	}
	mark := nats.NewMsg("$KV." + s.bucket + "." + txnKey)
	mark.Data, _ = json.Marshal(map[string]any{"controller": f.cfg.Controller, "records": len(ops)})
	// The write lands only in the current list: once a replace flipped
	// to a new generation (gen.go), the bucket has a `gen` key.
	mark.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	mark.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, "$KV."+s.bucket+"."+genKey)
	msgs = append(msgs, mark)
	last, err := sendBatch(ctx, f.nc, id, msgs)
	if err != nil {
		if isWrongLast(err) {
			f.stats.conflicts.Add(1)
			return nil, f.whichConflict(s, ops, lasts)
		}
		var ae *jetstream.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode {
			case jsErrAtomicDisabled:
				return nil, fmt.Errorf("%w (the bucket's stream does not allow atomic batches: %s)", store.ErrFleetOffline, ae.Description)
			case jsErrTooManyInflight:
				return nil, fmt.Errorf("%w (the fleet's NATS server has too many writes in flight; retry)", store.ErrFleetOffline)
			case jsErrTooLarge:
				return nil, &store.FleetTooLargeError{InvalidError: store.InvalidError{Field: "records", Reason: fmt.Sprintf(
					"the write changes %d records, more than the fleet's NATS server takes at once (%s); nothing was written", len(ops), ae.Description)}}
			}
			if ae.Code >= 400 && ae.Code < 500 {
				// Rejected: the batch was dropped whole.
				return nil, fmt.Errorf("%w (the fleet's NATS server refused the write: %s)", store.ErrFleetOffline, ae.Description)
			}
		}
		return nil, unsure(fmt.Sprintf("the fleet's NATS server did not confirm a write of %d records (%v); it may or may not have been written, all of it or none: read it back before retrying", len(ops), err))
	}
	// The batch's messages are the len(msgs) sequences ending at last;
	// the records are all but the marker.
	first := last - uint64(len(msgs)) + 1
	revs := make([]uint64, len(ops))
	for i := range revs {
		revs[i] = first + uint64(i)
	}
	return revs, nil
}

// nats-server's atomic batch error codes (errors.json).
const (
	jsErrAtomicDisabled  = 10174
	jsErrTooLarge        = 10199
	jsErrTooManyInflight = 10210
)

// sendBatch publishes msgs as the atomic batch id and returns the stream
// sequence of the last. The first message asks for an acknowledgement
// (a stream that refuses batches says so before the rest is sent), the
// middle ones do not (one connection keeps them in order; a lost one
// makes the commit fail as incomplete), the last commits.
func sendBatch(ctx context.Context, nc *nats.Conn, id string, msgs []*nats.Msg) (uint64, error) {
	for i, m := range msgs {
		m.Header.Set(hdrBatchID, id)
		m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
		switch {
		case i == len(msgs)-1:
			m.Header.Set(hdrBatchCommit, "1")
			resp, err := nc.RequestMsgWithContext(ctx, m)
			if err != nil {
				return 0, err
			}
			var ack struct {
				Seq   uint64              `json:"seq"`
				Count int                 `json:"count"`
				Error *jetstream.APIError `json:"error"`
			}
			if err := json.Unmarshal(resp.Data, &ack); err != nil {
				return 0, fmt.Errorf("batch commit: unreadable answer: %w", err)
			}
			if ack.Error != nil {
				return 0, ack.Error
			}
			if ack.Count != len(msgs) || ack.Seq < uint64(len(msgs)) {
				return 0, fmt.Errorf("batch commit: the server stored %d messages ending at %d, %d were sent", ack.Count, ack.Seq, len(msgs))
			}
			return ack.Seq, nil
		case i == 0:
			resp, err := nc.RequestMsgWithContext(ctx, m)
			if err != nil {
				return 0, err
			}
			if len(resp.Data) > 0 {
				var ack struct {
					Error *jetstream.APIError `json:"error"`
				}
				if json.Unmarshal(resp.Data, &ack) == nil && ack.Error != nil {
					return 0, ack.Error
				}
			}
		default:
			if err := nc.PublishMsg(m); err != nil {
				return 0, err
			}
		}
	}
	return 0, errors.New("empty batch")
}

// whichConflict finds the record of a refused batch whose key moved.
func (f *Fleet) whichConflict(s *session, ops []store.FleetOp, lasts []uint64) error {
	ctx, cancel := context.WithTimeout(f.ctx, f.opt.OpTimeout)
	defer cancel()
	if p, ok, err := genOf(ctx, s.kv); err == nil && ok && p.gen > s.gen {
		return &store.FleetConflictError{Kind: ops[0].Kind, ID: ops[0].ID,
			Reason: "the whole list was replaced (an import) meanwhile; nothing of the write was written: read it again and retry"}
	}
	for i := range ops {
		m, err := s.stream.GetLastMsgForSubject(ctx, s.subject(&ops[i]))
		if (err == nil && m.Sequence != lasts[i]) || (errors.Is(err, jetstream.ErrMsgNotFound) && lasts[i] != 0) {
			return &store.FleetConflictError{Kind: ops[i].Kind, ID: ops[i].ID,
				Reason: "changed on another controller at the same time; read it again and retry (nothing of the write was written)"}
		}
	}
	return &store.FleetConflictError{Kind: ops[0].Kind, ID: ops[0].ID,
		Reason: "a record of the write changed on another controller at the same time; read it again and retry (nothing of the write was written)"}
}

// minServer is the first nats-server with atomic batch publish.
const minServer = "2.12.0"

// errOldServer: the fleet's NATS server cannot write a batch atomically.
var errOldServer = errors.New("the fleet needs nats-server " + minServer + " or later (JetStream atomic batch publish, so that a write of several records lands whole or not at all)")

// allowAtomic makes sure the bucket's stream takes atomic batches: a
// server older than 2.12 is refused with a clear error (records are not
// written through it), and a bucket created without the option (by an
// older doord, or `nats kv add`) gets it.
func (f *Fleet) allowAtomic(ctx context.Context, js jetstream.JetStream, stream jetstream.Stream) error {
	if v := f.nc.ConnectedServerVersion(); !versionAtLeast(v, minServer) {
		return fmt.Errorf("%w; %s runs %s", errOldServer, f.nc.ConnectedUrlRedacted(), v)
	}
	cfg := stream.CachedInfo().Config
	if cfg.AllowAtomicPublish {
		return nil
	}
	cfg.AllowAtomicPublish = true
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("bucket %s: allowing atomic batches on its stream: %w", f.cfg.Bucket(), err)
	}
	return nil
}

// versionAtLeast compares dotted versions ("2.12.0-beta" is 2.12.0).
func versionAtLeast(v, min string) bool {
	parse := func(s string) (n [3]int) {
		for i, p := range strings.SplitN(s, ".", 3) {
			if j := strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
				p = p[:j]
			}
			n[i], _ = strconv.Atoi(p)
		}
		return n
	}
	a, b := parse(v), parse(min)
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}
