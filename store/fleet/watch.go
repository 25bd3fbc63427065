package fleet

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The watch is jetstream's KV watch (kv.WatchFiltered: an ordered push
// consumer of the bucket's stream, the last value of every key and then
// every change, a nil entry at the end of the initial values) with one
// thing more: its entries carry the atomic batch headers the server
// stores with every message of a batch (Nats-Batch-Id, -Sequence, and
// Nats-Batch-Commit on the last), which the KV API drops. The apply
// side (txn.go) needs them to apply a batch whole.

// entry is a watch entry: a jetstream.KeyValueEntry with its batch.
type entry struct {
	bucket, key string
	value       []byte
	rev, delta  uint64
	created     time.Time
	op          jetstream.KeyValueOp

	batch  string // Nats-Batch-Id; "" for a lone record
	commit bool   // the batch's last message
}

func (e *entry) Bucket() string                  { return e.bucket }
func (e *entry) Key() string                     { return e.key }
func (e *entry) Value() []byte                   { return e.value }
func (e *entry) Revision() uint64                { return e.rev }
func (e *entry) Created() time.Time              { return e.created }
func (e *entry) Delta() uint64                   { return e.delta }
func (e *entry) Operation() jetstream.KeyValueOp { return e.op }

// batchOf is a watch entry's batch id and whether it commits the batch
// ("" for an entry of another watch, or a record written alone).
func batchOf(e jetstream.KeyValueEntry) (id string, commit bool) {
	if x, ok := e.(*entry); ok {
		return x.batch, x.commit
	}
	return "", false
}

type watcher struct {
	mu          sync.Mutex
	updates     chan jetstream.KeyValueEntry
	sub         *nats.Subscription
	initDone    bool
	initPending uint64
	received    uint64
	initRev     uint64 // the revision of the last initial value
}

// initialRev is the revision of w's last initial value (0: none or not a
// watch of watchBucket's).
func initialRev(w jetstream.KeyWatcher) uint64 {
	if x, ok := w.(*watcher); ok {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.initRev
	}
	return 0
}

func (w *watcher) Updates() <-chan jetstream.KeyValueEntry { return w.updates }
func (w *watcher) Stop() error                             { return w.sub.Unsubscribe() }

// watchBucket watches bucket's keys matching filters (none: every key)
// from revision resume (0: the last value of every key).
func watchBucket(ctx context.Context, nc *nats.Conn, bucket string, filters []string, resume uint64) (jetstream.KeyWatcher, error) {
	js, err := nc.JetStream()
	if err != nil {
		return nil, err
	}
	pre := "$KV." + bucket + "."
	subjects := []string{pre + ">"}
	if len(filters) > 0 {
		subjects = subjects[:0]
		for _, f := range filters {
			subjects = append(subjects, pre+f)
		}
	}
	w := &watcher{updates: make(chan jetstream.KeyValueEntry, 256)}
	update := func(m *nats.Msg) {
		md, err := m.Metadata()
		if err != nil || len(m.Subject) <= len(pre) {
			return
		}
		e := &entry{bucket: bucket, key: m.Subject[len(pre):], value: m.Data,
			rev: md.Sequence.Stream, delta: md.NumPending, created: md.Timestamp}
		if len(m.Header) > 0 {
			switch m.Header.Get("KV-Operation") {
			case "DEL":
				e.op = jetstream.KeyValueDelete
			case "PURGE":
				e.op = jetstream.KeyValuePurge
			}
			switch m.Header.Get(jetstream.MarkerReasonHeader) {
			case "MaxAge", "Purge":
				e.op = jetstream.KeyValuePurge
			case "Remove":
				e.op = jetstream.KeyValueDelete
			}
			e.batch = m.Header.Get(hdrBatchID)
			e.commit = e.batch != "" && m.Header.Get(hdrBatchCommit) != ""
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.updates <- e
		if !w.initDone {
			w.received++
			if w.received >= w.initPending || md.NumPending == 0 {
				w.initDone, w.initRev = true, e.rev
				w.updates <- nil
			}
		}
	}
	opts := []nats.SubOpt{nats.BindStream("KV_" + bucket), nats.OrderedConsumer(), nats.DeliverLastPerSubject(), nats.Context(ctx)}
	if resume > 0 {
		opts = append(opts, nats.StartSequence(resume))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var sub *nats.Subscription
	if len(subjects) == 1 {
		sub, err = js.Subscribe(subjects[0], update, opts...)
	} else {
		sub, err = js.Subscribe("", update, append(opts, nats.ConsumerFilterSubjects(subjects...))...)
	}
	if err != nil {
		return nil, err
	}
	sub.SetClosedHandler(func(string) {
		w.mu.Lock()
		defer w.mu.Unlock()
		close(w.updates)
	})
	if pending, err := sub.InitialConsumerPending(); err == nil {
		if pending == 0 {
			w.initDone = true
			w.updates <- nil
		} else {
			w.initPending = pending
		}
	}
	w.sub = sub
	return w, nil
}

// The atomic batch headers (nats-server's JSBatchId, JSBatchSeq,
// JSBatchCommit).
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
)
