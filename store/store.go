package store

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/store/internal/index"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configure Open.
type Options struct {
	// Timeout bounds the wait for the file lock; 0 (or negative) means 1s.
	// bbolt's own default waits forever, which turns a second doord on the
	// same file into a silent hang.
	Timeout time.Duration
	// OnChange, when set, is subscribed at Open (see Subscribe): it
	// receives each commit's change records after the commit, in sequence
	// order, one call at a time, never while a transaction is open, on a
	// goroutine of its own. A write returns only after its own records
	// were delivered (or FeedWait passed), so a caller that gets nil may
	// rely on OnChange having seen the write. OnChange must not write to
	// the store and should be quick.
	OnChange func([]Change)
	// FeedWait bounds how long a writer waits for its records to reach
	// every change feed subscriber; 0 means DefaultFeedWait. See feed.go.
	FeedWait time.Duration
	// FeedQueue is how many commits a change feed subscriber may fall
	// behind before its queue is dropped and it is resynced; 0 means
	// DefaultFeedQueue.
	FeedQueue int
	// Logger receives the change feed's fault reports; nil: slog's default.
	Logger *slog.Logger
	// MaxBatchDelay is ignored: writes are group-committed (commit.go),
	// a lone write at once and concurrent ones while a commit is in flight,
	// with no window to tune.
	//
	// Deprecated: no effect since group commit.
	MaxBatchDelay time.Duration
	// DuressOffset is the access engine's (access.EngineConfig.DuressOffset):
	// with 1–9, a PIN's duress PIN is the PIN with its last digit plus the
	// offset (mod 10), and a PIN that is another PIN's duress PIN (or whose
	// duress PIN is another PIN) is refused (ConflictError Reason
	// ReasonDuress), in the same transaction as the uniqueness check.
	DuressOffset uint8
	// KeyFile is the key that seals operators' TOTP secrets (secrets.go);
	// "" means doord.key beside the database. Made when absent.
	KeyFile string
	// ObserveCommit, when set, receives how long each write that
	// committed took, from its call until it was durable and delivered
	// to the change feed (the metrics' commit latency). It must be quick.
	ObserveCommit func(time.Duration)
}

// Store is doord's database. All methods are safe for concurrent use.
type Store struct {
	db       *bolt.DB
	path     string
	dmg      damage      // see damage.go
	box      cipher.AEAD // seals TOTP secrets (secrets.go)
	keyFile  string      // where box's key lives
	version  int
	duress   uint8               // Options.DuressOffset mod 10
	observe  func(time.Duration) // Options.ObserveCommit, or nil
	log      *slog.Logger
	feedWait time.Duration
	feedQ    int
	feed     feedCounters
	feedWG   sync.WaitGroup // subscriber goroutines

	seq        atomic.Uint64                // last committed sequence number
	statsWalks atomic.Int64                 // Stats calls: see StatsWalks
	cur        *txChanges                   // see collect
	commits    committer                    // group commit (commit.go)
	gate       atomic.Pointer[fleetGate]    // fleet mode (fleet.go); nil: standalone
	fleetIDs   fleetIDs                     // ids gated writes allocated (fleet.go)
	rights     atomic.Pointer[RightsConfig] // door rights per group (rights.go); nil: off
	// A large import's stage (importstage.go): one at a time, and what
	// other writers changed meanwhile.
	importMu sync.Mutex
	stage    atomic.Pointer[stageWatch]

	// Keys held for bulk loads under way (bulkhold.go): replaced whole
	// under holdMu, read without a lock by whatever allocates a key.
	held   atomic.Pointer[holds]
	holdMu sync.Mutex

	// Delivery sequencer: commits finish in seq order, but the goroutines
	// that made them wake in any order; records wait in pending until
	// every lower seq was queued for the subscribers (feed.go).
	dmu     sync.Mutex
	pending map[uint64][]Change // first seq → records
	next    uint64              // next seq to queue
	subs    []*subscriber       // copy-on-write under dmu
	closed  bool
}

// Open opens the database at path and brings its schema up to date. Only
// an absent file makes a new store: a file that exists but is empty,
// truncated or has a bad page is refused with a DamagedError (see
// damage.go), never opened as an empty store and never a crash.
func Open(path string, opt Options) (*Store, error) {
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", diskFull(err))
	}
	existed, err := precheck(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, duress: opt.DuressOffset % 10, observe: opt.ObserveCommit, log: loggerOr(opt.Logger), feedWait: opt.FeedWait, pending: map[uint64][]Change{}}
	if s.feedWait <= 0 {
		s.feedWait = DefaultFeedWait
	}
	if s.feedQ = opt.FeedQueue; s.feedQ <= 0 {
		s.feedQ = DefaultFeedQueue
	}
	var db *bolt.DB
	var file *os.File
	err = s.contained(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout: timeout,
			// The map freelist keeps commits O(1) in the number of free pages
			// once a million-user file has churned.
			FreelistType: bolt.FreelistMapType,
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				file = f
				return f, err
			},
		})
		return err
	})
	if db == nil && file != nil && errors.Is(err, ErrDamaged) {
		// bbolt panicked inside Open and never returned its DB: close the
		// file so that its lock goes with it.
		file.Close()
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &lockedError{path: path, timeout: timeout}
	}
	if errors.Is(err, ErrDamaged) {
		return nil, err
	}
	if err != nil {
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
			return nil, &DamagedError{Path: path, Problem: err.Error()}
		}
		return nil, fmt.Errorf("open store %s: %w", path, diskFull(err))
	}
	s.db = db
	if existed {
		err = s.quickCheck()
	}
	if err == nil {
		err = s.contained(func() (err error) { s.version, err = migrate(db); return err })
	}
	if err == nil {
		err = s.view(func(tx *bolt.Tx) error {
			v, _ := keys.ParseU64(tx.Bucket(bMeta).Get(kSeq))
			s.seq.Store(v)
			return nil
		})
	}
	if err == nil {
		keyFile := opt.KeyFile
		if keyFile == "" {
			keyFile = filepath.Join(filepath.Dir(path), keyFileName)
		}
		s.keyFile = keyFile
		if s.box, err = loadKey(keyFile); err == nil {
			err = s.sealClearSecrets()
		}
	}
	if err != nil {
		db.Close()
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open store %s: %w", path, diskFull(err))
	}
	s.next = s.seq.Load() + 1
	if opt.OnChange != nil {
		s.Subscribe(opt.OnChange)
	}
	return s, nil
}

// Close stops the change feed and closes the file; it waits for open
// transactions.
func (s *Store) Close() error {
	s.closeFeed()
	if s.dmg.writeFault.Load() {
		// bbolt's writer lock may have been left held by the fault, and
		// Close would wait for it for ever; the process is ending anyway.
		return &DamagedError{Path: s.path, Problem: "a write faulted on a damaged page; the file was not closed cleanly"}
	}
	return s.db.Close()
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// Seq is the last committed store sequence number.
func (s *Store) Seq() uint64 { return s.seq.Load() }

// SchemaVersion is the file's schema version (after migrations).
func (s *Store) SchemaVersion() int { return s.version }

// Stats are record counts and the file size.
type Stats struct {
	Users        int    `json:"users"`
	Credentials  int    `json:"credentials"`
	TimeProfiles int    `json:"time_profiles"`
	Apartments   int    `json:"apartments"`
	Operators    int    `json:"operators"`
	Sessions     int    `json:"sessions"`
	FileSize     int64  `json:"file_size"`
	Seq          uint64 `json:"seq"`
}

// Stats counts records. It walks every page of each record bucket (not
// the records): ~23 ms of CPU at a million users, too much for a route
// without a token (see Ping).
func (s *Store) Stats() (Stats, error) {
	s.statsWalks.Add(1)
	var st Stats
	err := s.view(func(tx *bolt.Tx) error {
		st.Users = tx.Bucket(bUsers).Stats().KeyN
		st.Credentials = tx.Bucket(bCreds).Stats().KeyN
		st.TimeProfiles = tx.Bucket(bTimeProfiles).Stats().KeyN
		st.Apartments = tx.Bucket(bApartments).Stats().KeyN
		st.Operators = tx.Bucket(bOperators).Stats().KeyN
		st.Sessions = tx.Bucket(bSessions).Stats().KeyN
		st.FileSize = tx.Size()
		st.Seq, _ = keys.ParseU64(tx.Bucket(bMeta).Get(kSeq))
		return nil
	})
	return st, err
}

// StatsWalks is how many times Stats walked the buckets since Open: a cost
// that routes anyone may call must not pay (tests check it).
func (s *Store) StatsWalks() int64 { return s.statsWalks.Load() }

// Ping reports whether the store answers a read: one read transaction and
// one key, O(1) whatever the size of the file.
func (s *Store) Ping() error {
	return s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta).Get(kSeq) == nil && s.seq.Load() != 0 {
			return errors.New("store: the sequence number is missing")
		}
		return nil
	})
}

// wtx is one write function's view of a read-write transaction. Every
// mutation goes through it so that it knows whether anything was written:
// a function that fails before writing (validation, conflict, not found)
// returns nil to bbolt and its error to its caller, so a db.Batch it shares
// with other writers (commit.go) is not rolled back and re-run for their
// sake.
type wtx struct {
	s       *Store
	tx      *bolt.Tx
	now     time.Time
	dirty   bool
	changes []Change
	seq     uint64    // last seq assigned; 0 until emit reads meta
	duress  uint8     // Store.duress
	own     *heldKeys // a bulk load's own hold, which its keys need not skip
	// fleetLoad: a bulk load of fleet records keeps their stamps and
	// passes as the fleet has them (BulkOptions.fleet).
	fleetLoad bool
	// fleetApply: the write applies fleet bucket records (ApplyFleet),
	// which are stored as they come, not written to the bucket.
	fleetApply bool
	// stage, when set, holds the users' and credentials' buckets a
	// large import writes instead of the live ones (importstage.go);
	// such a write emits no change records.
	stage *bolt.Bucket
}

// taken reports whether a unique index already holds key.
func (w *wtx) taken(bucket, key []byte) bool {
	return w.b(bucket).Get(key) != nil
}

func (w *wtx) b(name []byte) *bolt.Bucket {
	if w.stage != nil && isStaged(name) {
		return w.stage.Bucket(name)
	}
	return w.tx.Bucket(name)
}

// Bucket is b, for the index package (index.Buckets).
func (w *wtx) Bucket(name []byte) *bolt.Bucket { return w.b(name) }

func (w *wtx) put(bucket, k []byte, v any) error {
	w.dirty = true
	data, err := encode(v)
	if err != nil {
		return err
	}
	return w.b(bucket).Put(k, data)
}

func (w *wtx) putRaw(bucket, k, v []byte) error {
	w.dirty = true
	return w.b(bucket).Put(k, v)
}

func (w *wtx) del(bucket, k []byte) error {
	w.dirty = true
	return w.b(bucket).Delete(k)
}

func (w *wtx) nextID(bucket []byte) (uint64, error) {
	w.dirty = true
	b := w.b(bucket)
	hs := w.holds()
	if hs == nil {
		return b.NextSequence()
	}
	id := hs.nextFree(w.own, bucket, b.Sequence())
	return id, b.SetSequence(id)
}

// holds are the bulk loads' holds in force (nil: none), which new keys
// skip (bulkhold.go).
func (w *wtx) holds() *holds {
	if w.s == nil {
		return nil
	}
	return w.s.held.Load()
}

// assignID gives *id the bucket's next sequence when it is 0; a preset
// id (BulkLoad) must be free and moves the sequence past it.
func (w *wtx) assignID(bucket []byte, id *uint64, field string) error {
	b := w.b(bucket)
	if *id == 0 {
		var err error
		*id, err = w.nextID(bucket)
		return err
	}
	if w.taken(bucket, keys.U64(*id)) {
		return &ConflictError{Field: field}
	}
	if b.Sequence() < *id {
		w.dirty = true
		return b.SetSequence(*id)
	}
	return nil
}

func (w *wtx) index(old, new []index.Entry) error {
	w.dirty = true
	switch {
	case old == nil:
		return index.Put(w, new)
	case new == nil:
		return index.Delete(w, old)
	}
	return index.Replace(w, old, new)
}

// emit assigns c the next sequence number (persisted in meta in this same
// transaction) and queues it for delivery after the commit. A batch that
// is rolled back and re-run re-reads meta, so numbers are never skipped.
func (w *wtx) emit(c Change) error {
	w.dirty = true
	if w.stage != nil {
		return nil // not live: the swap's one record stands for all
	}
	if w.seq == 0 {
		w.seq, _ = keys.ParseU64(w.tx.Bucket(bMeta).Get(kSeq))
	}
	w.seq++
	c.Seq = w.seq
	w.changes = append(w.changes, c)
	return nil
}

// saveSeq persists the last assigned seq once per write function (a
// cascade or bulk load emits thousands).
func (w *wtx) saveSeq() error {
	if len(w.changes) == 0 {
		return nil
	}
	return w.tx.Bucket(bMeta).Put(kSeq, keys.U64(w.seq))
}

// appendOnly are buckets whose new keys land at the right edge of their
// range: records under NextSequence ids, and postings prefix+uid where new
// uids only grow. bbolt splits a full page at FillPercent (default half),
// and the left half of an append-only range never receives another key;
// packing those pages 90% full keeps the file (and the 32-bit ARM map)
// small. Random-key indexes (uuids, names) keep bbolt's default.
var appendOnly = [][]byte{bUsers, bCreds, bUserByState, bUserByTag, bUserByApt, bUserByTP, bCredByTP, bCredByApt}

// FillPercent lives on the transaction's bucket handle, so this is set per
// write transaction.
func packAppendOnly(tx *bolt.Tx) {
	for _, name := range appendOnly {
		tx.Bucket(name).FillPercent = 0.9
	}
}

// errNoop rolls back a read-only write function's transaction.
var errNoop = errors.New("nothing written")

// write runs fn in a read-write transaction (shared with concurrent
// writers by group commit when batch is set: commit.go); its change records are
// published when that transaction commits (see collect). fn may run more
// than once: it must derive everything from the transaction and its
// inputs and only report results through variables it sets on every run.
func (s *Store) write(batch bool, fn func(w *wtx) error) error {
	if g := s.gateOf(); g != nil {
		if err := s.writable(); err != nil {
			return err
		}
		return s.gatedWrite(g, fn) // fleet.go
	}
	return s.writeLocal(batch, fn)
}

// writeLocal is write committing here whatever the mode (the fleet's
// own applies, a fleet cold load).
func (s *Store) writeLocal(batch bool, fn func(w *wtx) error) error {
	if err := s.writable(); err != nil {
		return err
	}
	start := time.Now()
	var appErr error
	run := func(tx *bolt.Tx) error {
		// In a group this runs on the leader's goroutine, where a fault
		// must become a panic too: the group turns a function's panic
		// into an error and re-runs the function alone on the caller's
		// goroutine, where update contains it (commit.go).
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		w := &wtx{s: s, tx: tx, now: time.Now().UTC(), duress: s.duress}
		appErr = nil
		packAppendOnly(tx)
		if err := fn(w); err != nil {
			appErr = err
			if w.dirty || !batch {
				return err // roll back (in a group, the others re-run)
			}
			return nil
		}
		if !w.dirty && !batch {
			return errNoop // nothing to commit: skip the fsync
		}
		if err := w.saveSeq(); err != nil {
			return err
		}
		s.collect(tx, w.changes)
		return nil
	}
	var err error
	if batch {
		err = s.groupCommit(run)
	} else {
		err = s.update(run)
	}
	if appErr != nil {
		return diskFull(appErr)
	}
	if err != nil && err != errNoop {
		return diskFull(err)
	}
	if s.observe != nil && err == nil {
		s.observe(time.Since(start))
	}
	return nil
}

// txChanges are the change records of the open write transaction.
type txChanges struct {
	tx   *bolt.Tx
	recs []Change
}

// collect adds a write function's records to its transaction's, and on
// the transaction's first records arranges for all of them to be
// published when (and only if) it commits. So OnChange gets one call per
// commit, however many batched writers shared it, and a rolled-back
// transaction publishes nothing. s.cur needs no lock of its own: only the
// single open write transaction touches it, under bbolt's writer lock.
func (s *Store) collect(tx *bolt.Tx, recs []Change) {
	if len(recs) == 0 {
		return
	}
	if sw := s.stage.Load(); sw != nil {
		sw.note(recs)
	}
	if s.cur == nil || s.cur.tx != tx {
		tc := &txChanges{tx: tx}
		s.cur = tc
		// bbolt runs commit handlers after the commit is durable and the
		// writer lock is released, and before Update or Batch returns to
		// the writers: they return after their records were delivered.
		tx.OnCommit(func() { s.publish(tc.recs) })
	}
	s.cur.recs = append(s.cur.recs, recs...)
}

// view runs fn in a read transaction; a damaged page it meets is a
// DamagedError, not a crash (damage.go).
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	return s.contained(func() error { return s.db.View(fn) })
}

// update runs fn in a read-write transaction of its own, contained as
// view is.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if err := s.writable(); err != nil {
		return err
	}
	return s.containedWrite(func() error { return s.db.Update(fn) })
}

// getJSON decodes the record at k; ErrNotFound when absent.
func getJSON[T any](b *bolt.Bucket, k []byte) (T, error) {
	data := b.Get(k)
	if data == nil {
		var zero T
		return zero, ErrNotFound
	}
	return decode[T](k, data)
}

// limit applies the list defaults: 50, at most 1000.
func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// listByID pages through a record bucket keyed by uint64 id.
func listByID[T any](s *Store, bucket []byte, cursor string, n int) ([]T, string, error) {
	after, hasAfter, err := keys.DecodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	n = limit(n)
	var out []T
	var next string
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		var k, v []byte
		if hasAfter {
			if after == ^uint64(0) {
				return nil
			}
			k, v = c.Seek(keys.U64(after + 1))
		} else {
			k, v = c.First()
		}
		var lastID uint64
		for ; k != nil; k, v = c.Next() {
			if len(out) == n {
				next = keys.EncodeCursor(lastID)
				return nil
			}
			r, err := decode[T](k, v)
			if err != nil {
				return fmt.Errorf("%s: %w", bucket, err)
			}
			out = append(out, r)
			lastID, _ = keys.ParseU64(k)
		}
		return nil
	})
	return out, next, err
}
