package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options tune a Fleet; the zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Restrict is told true when the offline policy deny_non_security
	// takes effect (max_offline passed without the fleet) and false when
	// it ends (the watch is live again). The door engine's SetRestricted.
	Restrict func(bool)
	// OnStale is told when max_offline passed (true) and when the fleet
	// came back after that (false), for the event log.
	OnStale func(stale bool, offline time.Duration)
	// OpTimeout bounds each bucket operation of a write and the wait for
	// the watch to apply it; 0 means 10s.
	OpTimeout time.Duration
}

// Fleet is one controller's membership of its site's fleet: the watch
// that keeps the store a copy of the bucket, the gate that sends the
// store's record writes to the bucket (store.FleetGate), and the offline
// rules. New makes it; Start runs it; Close stops it.
type Fleet struct {
	cfg        Config
	nc         *nats.Conn
	st         *store.Store
	log        *slog.Logger
	opt        Options
	maxOffline time.Duration
	statusCh   chan nats.Status

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sess     *session         // nil unless the watch is live (caught up once)
	applied  uint64           // last revision applied
	progress chan struct{}    // closed and replaced when applied moves
	refused  map[uint64]error // recent revisions the store left out
	seen     uint64           // the watch's position: every record up to it applied (gen.go)

	staleMu      sync.Mutex    // orders going online against checkStale
	offlineSince atomic.Int64  // unix ns since the watch is not live; 0: live
	savedLive    atomic.Int64  // unix ns of the last saveLive
	stale        atomic.Bool   // max_offline passed
	lives        atomic.Uint64 // sessions that went live
	loadSteps    atomic.Uint64 // chunks loads staged (gen.go waitLoaded)
	stats        counters
	hooks        testHooks // tests only (txn.go)

	coldChunk   int               // records a cold load holds at once: the const coldChunk (tests set fewer)
	onColdChunk func(records int) // tests: after each chunk a cold load stages
}

type session struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue // the current generation's bucket
	stream jetstream.Stream   // its stream
	bucket string             // its name
	gen    uint64             // its generation
	prev   string             // the bucket of the generation before
}

type counters struct {
	applied, refused, conflicts, offlineRefusals, staleEpisodes, sessions atomic.Uint64
	coldLoadMillis                                                        atomic.Int64
}

// Stats are the fleet's figures for /metrics.
type Stats struct {
	Live             bool    `json:"live"`
	Revision         uint64  `json:"revision"`
	OfflineSeconds   float64 `json:"offline_seconds"`
	Stale            bool    `json:"stale"`
	Applied          uint64  `json:"applied"`
	Refused          uint64  `json:"refused"`
	Conflicts        uint64  `json:"conflicts"`
	OfflineRefusals  uint64  `json:"offline_refusals"`
	StaleEpisodes    uint64  `json:"stale_episodes"`
	Sessions         uint64  `json:"sessions"`
	ColdLoadSeconds  float64 `json:"cold_load_seconds"`
	ControllerNumber uint32  `json:"controller_number"`
}

// New prepares cfg's fleet membership on nc (from Dial) for st.
func New(cfg Config, nc *nats.Conn, st *store.Store, opt Options) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.OpTimeout <= 0 {
		opt.OpTimeout = 10 * time.Second
	}
	maxOff, _ := cfg.Offline()
	if err := st.SetFleetRights(cfg.rights()); err != nil { // rights.go: before the revision is read
		return nil, err
	}
	rev, err := st.FleetRev()
	if err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, nc: nc, st: st, log: opt.Logger, opt: opt, maxOffline: maxOff,
		applied: rev, progress: make(chan struct{}), refused: map[uint64]error{}, coldChunk: coldChunk}
	f.statusCh = nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.RECONNECTING, nats.CLOSED)
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.offlineSince.Store(f.offlineStart(time.Now()).UnixNano())
	return f, nil
}

// Start puts the store in fleet mode and starts the watch and the
// offline clock. It returns at once: the doors decide from the local
// store while the watch connects.
func (f *Fleet) Start() {
	f.st.SetFleetGate(f)
	f.wg.Add(2)
	fault.Go("fleet.sync", func() { defer f.wg.Done(); f.run() })
	fault.Go("fleet.offline", func() { defer f.wg.Done(); f.clock() })
}

// Close stops the watch; the store goes back to refusing nothing and
// writing locally only once the caller drops it (it is closing too).
func (f *Fleet) Close() {
	f.cancel()
	f.wg.Wait()
	f.st.SetFleetGate(nil)
}

// Stats reads the fleet's figures.
func (f *Fleet) Stats() Stats {
	f.mu.Lock()
	live, rev := f.sess != nil, f.applied
	f.mu.Unlock()
	s := Stats{Live: live, Revision: rev, Stale: f.stale.Load(),
		Applied: f.stats.applied.Load(), Refused: f.stats.refused.Load(), Conflicts: f.stats.conflicts.Load(),
		OfflineRefusals: f.stats.offlineRefusals.Load(), StaleEpisodes: f.stats.staleEpisodes.Load(),
		Sessions: f.stats.sessions.Load(), ColdLoadSeconds: float64(f.stats.coldLoadMillis.Load()) / 1000}
	if since := f.offlineSince.Load(); since != 0 {
		s.OfflineSeconds = time.Since(time.Unix(0, since)).Seconds()
	}
	return s
}

// run keeps a watch session going while NATS is reachable. A session
// that fails while connected (JetStream not ready yet after the server's
// restart, a timeout) is retried after reconnectDelay, growing to a
// second while it keeps failing: about a second to recover, and no tight
// loop against a server that answers but cannot serve the bucket.
func (f *Fleet) run() {
	defer f.nc.RemoveStatusListener(f.statusCh)
	var last string // the last error logged: a server without JetStream fails every second
	fails := 0      // sessions in a row that failed before going live
	for {
		if f.nc.IsConnected() {
			lives := f.lives.Load()
			err := f.session()
			f.goOffline()
			if f.ctx.Err() != nil {
				return
			}
			if errors.Is(err, errGenMoved) {
				f.log.Info("fleet: the list was replaced; loading the new one", "err", err)
				continue
			}
			if errors.Is(err, errOldServer) && err.Error() != last {
				f.log.Error("fleet: cannot sync: the doors decide from the local store and records cannot be changed until the NATS server is upgraded", "err", err)
			} else if err != nil && err.Error() != last {
				f.log.Warn("fleet: sync interrupted; the doors decide from the local store", "err", err)
			}
			last = ""
			if err != nil {
				last = err.Error()
			}
			if f.lives.Load() != lives {
				fails = 0
			}
			fails++
		}
		// Not connected: the client reconnects by itself (reconnectDelay)
		// and the status change wakes this; the timer is a fallback.
		t := time.NewTimer(reconnectDelay(max(fails, 1)))
		select {
		case <-f.ctx.Done():
			t.Stop()
			return
		case <-f.statusCh:
		case <-t.C:
		}
		t.Stop()
	}
}

func (f *Fleet) goOffline() {
	now := time.Now()
	went := f.offlineSince.CompareAndSwap(0, now.UnixNano())
	if went {
		f.saveLive(now) // it was live until now
	}
	f.mu.Lock()
	f.sess = nil
	f.mu.Unlock()
	f.advance(0, nil) // wakes whoever waits on the state
	// Logged once the state says so: a reader of the log checks the metric.
	if went {
		f.log.Info("fleet: offline; the doors decide from the local store", "revision", f.rev())
	}
}

// session binds the bucket, catches up from the store's revision (or
// loads an empty store in bulk) and applies changes until NATS goes away.
func (f *Fleet) session() error {
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	js, err := jetstream.New(f.nc)
	if err != nil {
		return err
	}
	bctx, bcancel := context.WithTimeout(ctx, f.opt.OpTimeout)
	defer bcancel()
	kv, err := bindBucket(bctx, js, f.cfg)
	if err != nil {
		return err
	}
	stream, err := js.Stream(bctx, "KV_"+f.cfg.Bucket())
	if err != nil {
		return fmt.Errorf("bucket %s: %w", f.cfg.Bucket(), err)
	}
	if err := f.allowAtomic(bctx, js, stream); err != nil {
		return err
	}
	n, err := controllerNumber(bctx, kv, f.cfg.Controller)
	if err != nil {
		return fmt.Errorf("controller number: %w", err)
	}
	if err := f.st.SetFleetIDBase(n); err != nil {
		return err
	}
	// The records live in the current generation's bucket (gen.go).
	s, err := f.resolveGen(bctx, js, kv)
	if err != nil {
		return err
	}
	f.stats.sessions.Add(1)
	localGen, err := f.st.FleetGen()
	if err != nil {
		return err
	}

	rev, err := f.st.FleetRev()
	if err != nil {
		return err
	}
	has, err := f.st.FleetRecords()
	if err != nil {
		return err
	}
	switch {
	case rev == 0 && !has:
		// An empty store loads the bucket in bounded chunks and resumes
		// from the revision the load covers, like a restart.
		if rev, err = f.load(ctx, s, n, false); err != nil {
			return err
		}
		localGen = s.gen // saved with the load's revision
	case localGen != s.gen:
		// A new generation (gen.go) is loaded the same way into an
		// empty stage swapped in place of the old list.
		if rev, err = f.load(ctx, s, n, true); err != nil {
			return err
		}
		localGen = s.gen
	}
	if localGen == s.gen && rev > 0 {
		// A flip of this bucket that a load's revision covers comes
		// before the watch's start (a load reads records only).
		gctx, gcancel := context.WithTimeout(ctx, f.opt.OpTimeout)
		next, moved, err := genOf(gctx, s.kv)
		gcancel()
		if err != nil {
			return err
		}
		if moved && next.gen > s.gen {
			return fmt.Errorf("%w (to generation %d)", errGenMoved, next.gen)
		}
	}
	var resume uint64
	if rev > 0 && localGen == s.gen {
		resume = rev + 1
	}
	// Every key (the controller numbers and batch markers are skipped as
	// they come), with the atomic batch headers (watch.go).
	w, err := watchBucket(ctx, f.nc, s.bucket, f.cfg.watchKeys(), resume) // keys.go: with groups, only their rights
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Stop()
	buf := &txnBuf{} // whole batches only (txn.go)
	switch {
	case rev == 0 && has:
		err = f.rejoin(ctx, w)
	default:
		err = f.catchUpTxn(ctx, w, buf)
	}
	if err != nil {
		return err
	}
	if buf.id == "" {
		f.noteSeenRev(max(f.rev(), initialRev(w)))
	}
	f.goOnline()
	f.lives.Add(1)
	f.saveLive(time.Now())
	f.mu.Lock()
	f.sess = s
	f.mu.Unlock()
	f.advance(0, nil)
	f.log.Info("fleet: in sync", "bucket", s.bucket, "controller", f.cfg.Controller, "number", n, "revision", f.rev())
	for {
		select {
		case <-ctx.Done():
			return nil
		case st := <-f.statusCh:
			if st != nats.CONNECTED {
				return fmt.Errorf("nats: %s", st)
			}
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			if err := buf.add(e); err != nil {
				return err
			}
		drain:
			for buf.len() < 256 {
				select {
				case e, ok := <-w.Updates():
					if !ok {
						break drain
					}
					if err := buf.add(e); err != nil {
						return err
					}
				default:
					break drain
				}
			}
			if err := f.apply(buf.take()); err != nil {
				return err
			}
			f.noteSeen(buf)
		}
	}
}

// bindBucket binds the site's bucket, making it on first use.
func bindBucket(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket())
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: cfg.Bucket(), History: 1,
			Description: "doord fleet records of site " + cfg.Site})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket(), err)
	}
	return kv, nil
}

// appendEntry adds a watch entry as a store op (nil: the end of the
// initial values, which needs nothing here).
func appendEntry(ops []store.FleetOp, e jetstream.KeyValueEntry) []store.FleetOp {
	if e == nil {
		return ops
	}
	op, ok := keyOp(e.Key()) // keys.go: a right's group too
	if !ok {
		return ops
	}
	op.Rev = e.Revision()
	if e.Operation() == jetstream.KeyValuePut {
		op.Value = e.Value()
	} else {
		op.Deleted = true
	}
	return append(ops, op)
}

// apply applies one batch and tells the writers waiting for it.
func (f *Fleet) apply(ops []store.FleetOp) error {
	if len(ops) == 0 {
		return nil
	}
	last := ops[len(ops)-1].Rev
	refused, err := f.st.ApplyFleet(last, ops)
	if err != nil {
		return fmt.Errorf("applying revisions up to %d: %w", last, err)
	}
	call(&f.hooks.afterApply)
	f.stats.applied.Add(uint64(len(ops)))
	for r, why := range refused {
		f.stats.refused.Add(1)
		f.log.Error("fleet: a record was left out: it conflicts with the local store", "revision", r, "why", why)
	}
	f.advance(last, refused)
	// At debug level every batch says how far the store is: what a
	// tail of the log (the fleet's end-to-end test) waits on.
	f.log.Debug("fleet: applied", "records", len(ops), "revision", last)
	return nil
}

func (f *Fleet) rev() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

// advance records rev as applied, keeps refusals for their writers, and
// wakes the writers waiting.
func (f *Fleet) advance(rev uint64, refused map[uint64]error) {
	f.mu.Lock()
	if len(f.refused) > 4096 {
		clear(f.refused) // a writer that waited this long has gone
	}
	for r, e := range refused {
		f.refused[r] = e
	}
	if rev > f.applied {
		f.applied = rev
	}
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
}

// initial reads the watch up to the end of its initial values, handing
// every record to each.
func initial(ctx context.Context, w jetstream.KeyWatcher, each func(store.FleetOp) error) error {
	var one []store.FleetOp
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("watch ended")
			}
			if e == nil {
				return nil
			}
			if one = appendEntry(one[:0], e); len(one) == 1 {
				if err := each(one[0]); err != nil {
					return err
				}
			}
		}
	}
}

// coldChunk is how many records a cold load holds at once (about 300
// bytes each as the bucket has them, a few times that decoded and
// indexed by the bulk loader): memory does not grow with the bucket.
const coldChunk = 50000

// load fills the store from the session's bucket and returns the
// revision it covers: everything up to the stream's last sequence when
// it started (records written meanwhile may be in too; the watch then
// resumes after that revision and applies them again, which changes
// nothing). Each key prefix is read by a pull consumer of its own
// (readPrefix: the client holds coldFetch records at a time) and written
// in chunks of coldChunk into a stage that one transaction swaps in with
// the generation and revision (store.FleetLoad): a crash part way leaves
// no half list, and the next start loads again. Memory does not grow
// with the bucket.
//
// A cold load (replace false) fills a store without users or
// credentials: time profiles and apartments (users refer to them; a
// few) and this controller's groups' rights (the users' locks here are
// derived from them) are applied first, then users, then credentials
// (which refer to users). A credential whose user came after the users'
// pass is applied record by record, and the watch brings the user.
//
// A replace (a new generation, gen.go) loads the same records in the
// same order into an empty stage that takes the place of the list the
// store holds: rights, users and credentials staged, time profiles and
// apartments applied in the swap (store.BeginFleetReplace). The doors go
// from the old list to the new one in that one transaction.
func (f *Fleet) load(ctx context.Context, s *session, n uint32, replace bool) (uint64, error) {
	t0 := time.Now()
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bucket %s: %w", s.bucket, err)
	}
	last := info.State.LastSeq
	if last == 0 && !replace {
		return 0, nil // an empty bucket
	}
	var load *store.FleetLoad // a cold load's is opened by the first user or credential
	defer func() {
		if load != nil {
			load.Abort() // nothing after Commit
		}
	}()
	open := func() error {
		var err error
		switch {
		case load != nil:
		case replace:
			load, err = f.st.BeginFleetReplace()
		default:
			load, err = f.st.BeginFleetLoad()
		}
		return err
	}
	if replace {
		if err := open(); err != nil {
			return 0, err
		}
	}
	var small []store.FleetOp
	// The rights of this controller's groups too (keys.go): the users'
	// locks here are derived from them as the users are staged.
	for _, keys := range append([]string{"tp.>", "apt.>"}, f.cfg.rightKeys()...) {
		err := f.readPrefix(ctx, s, keys, func(op store.FleetOp) error {
			if !op.Deleted {
				op.Rev = 0 // the revision is saved by the swap
				if small = append(small, op); len(small)%f.coldChunk == 0 {
					f.loadStep() // a million people's rights take a while to read
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	if replace {
		if err := load.Add(small); err != nil {
			return 0, err
		}
		f.loadStep()
	} else {
		// A store without users may still hold profiles or apartments
		// (a load cut short, or its own from before it joined): the
		// bucket's.
		if err := f.prune(small); err != nil {
			return 0, err
		}
		if _, err := f.st.ApplyFleet(0, small); err != nil {
			return 0, err
		}
	}
	records := len(small)
	// The chunk grows as records come, up to coldChunk, so that the load
	// of a small list (at every start and resync) holds what it read, not
	// a large list's 4 MB.
	var chunk []store.FleetOp
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if err := open(); err != nil {
			return err
		}
		err := load.Add(chunk)
		records += len(chunk)
		f.loadStep()
		if f.onColdChunk != nil {
			f.onColdChunk(len(chunk))
		}
		chunk = chunk[:0]
		return err
	}
	for _, keys := range []string{"user.>", "cred.>"} {
		err := f.readPrefix(ctx, s, keys, func(op store.FleetOp) error {
			if op.Deleted {
				return nil
			}
			chunk = append(chunk, op)
			if len(chunk) == f.coldChunk {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return 0, err
		}
	}
	got := time.Since(t0)
	if load == nil && s.gen > 0 { // the generation is saved with the revision
		if err := open(); err != nil {
			return 0, err
		}
	}
	if load == nil { // no users, no credentials: only the revision
		if _, err := f.st.ApplyFleet(last, nil); err != nil {
			return 0, err
		}
	} else if err := load.Commit(s.gen, last); err != nil {
		return 0, err
	}
	if err := f.st.SetFleetIDBase(n); err != nil { // the bulk loader moved the sequences
		return 0, err
	}
	if load != nil && load.Refused > 0 {
		f.stats.refused.Add(uint64(load.Refused))
		f.log.Error("fleet: records were left out of the load: they conflict with others in the bucket", "records", load.Refused)
	}
	if replace {
		call(&f.hooks.afterApply)
		f.mu.Lock()
		f.applied, f.seen = last, 0 // the new bucket's revisions start again
		f.mu.Unlock()
		f.loadStep() // swapped in: the watch is next
		f.log.Info("fleet: loaded a new list", "generation", s.gen, "bucket", s.bucket, "records", records, "revision", last,
			"read_and_staged", got.Round(time.Millisecond), "total", time.Since(t0).Round(time.Millisecond))
		return last, nil
	}
	f.advance(last, nil)
	f.stats.coldLoadMillis.Store(time.Since(t0).Milliseconds())
	f.log.Info("fleet: cold start loaded", "records", records, "revision", last,
		"read_and_staged", got.Round(time.Millisecond), "total", time.Since(t0).Round(time.Millisecond))
	return last, nil
}

// coldFetch is how many records one fetch of a cold load asks for: all
// the client buffers at a time. (A KV watch's push delivery let the
// client queue up to half a million messages while the store wrote.)
var coldFetch = 1000

// readPrefix hands each record the bucket holds under keys (a key
// pattern like "user.>", the last value of each key) to each, read by an
// ephemeral pull consumer of its own, coldFetch at a time.
func (f *Fleet) readPrefix(ctx context.Context, s *session, keys string, each func(store.FleetOp) error) error {
	pre := "$KV." + s.bucket + "."
	cons, err := s.stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject: pre + keys, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy,
		AckPolicy: jetstream.AckNonePolicy, MemoryStorage: true, InactiveThreshold: time.Minute})
	if err != nil {
		return fmt.Errorf("reading %s: %w", keys, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.opt.OpTimeout)
		defer cancel()
		s.stream.DeleteConsumer(dctx, cons.CachedInfo().Name) // else it goes after InactiveThreshold
	}()
	pending := cons.CachedInfo().NumPending
	for empty := 0; pending > 0; {
		batch, err := cons.FetchNoWait(coldFetch)
		if err != nil {
			return fmt.Errorf("reading %s: %w", keys, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("reading %s: %w", keys, err)
			}
			pending = meta.NumPending
			op, ok := keyOp(strings.TrimPrefix(m.Subject(), pre)) // keys.go: a right's group too
			if !ok {
				continue
			}
			op.Rev, op.Value = meta.Sequence.Stream, m.Data()
			if o := m.Headers().Get("KV-Operation"); o == "DEL" || o == "PURGE" {
				op.Deleted, op.Value = true, nil
			}
			if err := each(op); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("reading %s: %w", keys, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty == 3 {
			return fmt.Errorf("reading %s: the server sends nothing with %d records pending", keys, pending)
		}
	}
	return nil
}

// applyAll applies ops (in revision order) in batches: each batch's
// revision is saved with it, so a crash part way resumes after it.
func (f *Fleet) applyAll(ops []store.FleetOp) error {
	for start := 0; start < len(ops); start += 1000 {
		if err := f.apply(ops[start:min(start+1000, len(ops))]); err != nil {
			return err
		}
	}
	return nil
}

// rejoin brings a store that has records but no fleet revision (a cold
// load cut short, or a store that had records before it joined) to the
// bucket: every record applied, and the local records the bucket does
// not have deleted (a revoked card must not survive in a copy).
func (f *Fleet) rejoin(ctx context.Context, w jetstream.KeyWatcher) error {
	var ops []store.FleetOp
	var last uint64
	err := initial(ctx, w, func(op store.FleetOp) error {
		last = max(last, op.Rev)
		ops = append(ops, op)
		return nil
	})
	if err != nil {
		return err
	}
	// Pruned first: once a batch's revision is saved, a restart resumes
	// after it and would never prune.
	if err := f.prune(ops); err != nil {
		return err
	}
	return f.applyAll(ops)
}

// prune deletes the local records that ops (the bucket's) do not hold.
func (f *Fleet) prune(ops []store.FleetOp) error {
	type key struct {
		k  store.ChangeKind
		id uint64
	}
	in := make(map[key]bool, len(ops))
	for _, op := range ops {
		if !op.Deleted {
			in[key{op.Kind, op.ID}] = true
		}
	}
	var gone []store.FleetOp
	err := f.st.ForEachFleetID(func(k store.ChangeKind, id uint64) {
		if !in[key{k, id}] {
			gone = append(gone, store.FleetOp{Kind: k, ID: id, Deleted: true})
		}
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(gone); start += 1000 {
		if _, err := f.st.ApplyFleet(0, gone[start:min(start+1000, len(gone))]); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		f.log.Warn("fleet: deleted local records the fleet does not have", "records", len(gone))
	}
	return nil
}

// controllerNumber is name's number in the bucket, allocated on first
// use from the ctlseq counter (compare-and-set: two new controllers never
// get the same).
func controllerNumber(ctx context.Context, kv jetstream.KeyValue, name string) (uint32, error) {
	key := "ctl." + name
	for range 100 {
		if e, err := kv.Get(ctx, key); err == nil {
			n, err := strconv.ParseUint(string(e.Value()), 10, 32)
			if err != nil || n == 0 {
				return 0, fmt.Errorf("%s holds %q, not a controller number", key, e.Value())
			}
			return uint32(n), nil
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, err
		}
		var n, rev uint64
		if e, err := kv.Get(ctx, ctlSeqKey); err == nil {
			n, _ = strconv.ParseUint(string(e.Value()), 10, 32)
			rev = e.Revision()
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return 0, err
		}
		n++
		if _, err := kv.Update(ctx, ctlSeqKey, []byte(strconv.FormatUint(n, 10)), rev); err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				continue
			}
			return 0, err
		}
		if _, err := kv.Create(ctx, key, []byte(strconv.FormatUint(n, 10))); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, err
		}
	}
	return 0, errors.New("could not allocate a controller number")
}
