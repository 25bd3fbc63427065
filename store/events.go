package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store/internal/keys"
	bolt "go.etcd.io/bbolt"
)

// The event log is what happened at the doors and on the API: a bounded
// ring of events in the same bbolt file as the store, written by one
// goroutine of its own.
//
// Why it looks the way it does:
//
//   - The door path must never wait on disk. Append only puts the event in
//     a bounded in-memory queue and returns; a writer goroutine drains the
//     queue in batches, one transaction (one fsync) per batch, so the batch
//     grows by itself while a commit is in flight: a burst costs a few
//     fsyncs, not one per event. A full queue drops its oldest event that
//     is not an alarm (alarms have priority over access events), and
//     the next batch starts with an events_dropped event saying how many
//     were lost, so a reader of the log sees the hole.
//   - The seq is the bucket's own bbolt sequence, assigned in the writer's
//     transaction: committed seqs are dense (a failed transaction rolls its
//     numbers back), strictly increasing and persistent across restarts,
//     and eviction at the oldest end never reuses one.
//   - The ring is capacity events: the transaction that pushes the count
//     past it deletes the oldest (and their index entries) before it
//     commits.
//   - Events are not store changes: they carry no store seq and make no
//     Change record; they have their own seq and their own feed
//     (Subscribe), delivered after the commit.
//   - Filters walk postings (type, door, user) by leapfrog intersection, so
//     a query costs about the number of seeks into its most selective list,
//     not the size of the ring; see Query.

// Event types the device layer and the API emit. Type is an open string:
// the log stores what it is given.
const (
	EventAccessGranted    = "access_granted"
	EventAccessDenied     = "access_denied"
	EventDoorForced       = "door_forced"
	EventDoorHeld         = "door_held"
	EventDoorClosed       = "door_closed"
	EventREX              = "rex"
	EventRemoteOpen       = "remote_open"
	EventDuress           = "duress"
	EventTamper           = "tamper"
	EventLockout          = "lockout"
	EventUnknownCardBurst = "unknown_card_burst" // unknown cards at a reader: an alarm, not a lockout
	EventOperatorLogin    = "operator_login"
	EventOperatorChange   = "operator_change"
	// EventStoreDamaged: a read or write met a damaged page of the store
	// file (Store.OnDamaged); Detail is the reason.
	EventStoreDamaged = "store_damaged"
	// EventsDropped is written by the log itself: Detail says how many
	// events were lost to a full queue or a failed write before it.
	EventsDropped = "events_dropped"
)

// alarmTypes are the events a full queue never drops for another event:
// an alarm raised or cleared at a door (a lost door_forced_cleared would
// leave an alarm standing forever), duress, and the runtime's faults.
var alarmTypes = map[string]bool{
	EventDoorForced: true, "door_forced_cleared": true,
	"door_held_prealarm": true, EventDoorHeld: true, "door_held_cleared": true,
	EventTamper: true, "tamper_cleared": true,
	EventDuress:   true,
	"relay_fault": true, "relay_fault_cleared": true, "door_fault": true,
	EventUnknownCardBurst: true,
}

// IsAlarm reports whether events of type typ are alarms, which the
// queue keeps ahead of access and other events (see Append).
func IsAlarm(typ string) bool { return alarmTypes[typ] }

// Event is one entry of the event log. Credential is only ever a masked
// value (see MaskCredential); Append masks anything else.
type Event struct {
	Seq            uint64    `json:"seq"`
	At             time.Time `json:"at"`
	Type           string    `json:"type"`
	Door           string    `json:"door"`
	Reader         string    `json:"reader"`
	UserID         string    `json:"user_id"`
	UserUID        uint64    `json:"user_uid"`
	CredentialType string    `json:"credential_type"`
	Credential     string    `json:"credential"`
	// CredentialFormat and CredentialBits describe a card as the reader
	// delivered it ("h10301", 26), so that an unknown card can be told
	// apart and enrolled; empty and 0 for other credentials.
	CredentialFormat string `json:"credential_format"`
	CredentialBits   int    `json:"credential_bits"`
	Reason           string `json:"reason"`
	Operator         string `json:"operator"`
	Detail           string `json:"detail"`
}

// EventTimeFormat is RFC 3339 with all nine fraction digits, so that the
// strings of one zone sort as the instants do.
const EventTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// MarshalJSON writes At as EventTimeFormat in UTC, fields in declaration
// order. Hand-written: the SSE stream and 1,000-event pages encode every
// event, and this is several times faster than reflection.
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(make([]byte, 0, 320)), nil }

// AppendJSON appends e's JSON (as MarshalJSON) to b.
func (e Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"at":"`...)
	b = e.At.UTC().AppendFormat(b, EventTimeFormat)
	b = append(b, '"')
	str := func(b []byte, name, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return appendJSONString(b, v)
	}
	b = str(b, "type", e.Type)
	b = str(b, "door", e.Door)
	b = str(b, "reader", e.Reader)
	b = str(b, "user_id", e.UserID)
	b = append(b, `,"user_uid":`...)
	b = strconv.AppendUint(b, e.UserUID, 10)
	b = str(b, "credential_type", e.CredentialType)
	b = str(b, "credential", e.Credential)
	b = str(b, "credential_format", e.CredentialFormat)
	b = append(b, `,"credential_bits":`...)
	b = strconv.AppendInt(b, int64(e.CredentialBits), 10)
	b = str(b, "reason", e.Reason)
	b = str(b, "operator", e.Operator)
	b = str(b, "detail", e.Detail)
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json does (invalid UTF-8 becomes
// U+FFFD; <, > and & are escaped so the output is safe in HTML too).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// DefaultEventCapacity is the ring's default size: 1,000,000 events
// (≈ 240 MB of the file), and 200,000 (≈ 48 MB) where pointers are 32
// bits. bbolt maps the whole file in one range, which a 32-bit process
// can make at most 2 GB, and only at 1 GB steps above 1 GB: a store of a
// million users and two million credentials is ≈ 0.94 GB, and with a
// million events it would need the 2 GB map, out of a 3 GB address space
// that also holds the heap. 200,000 events (as much as the hardware
// controllers doord is compared with keep) leave that store in the 1 GB
// map. The oldest events go first, counted (EventStats.Evicted,
// doord_events_evicted_total), never silently.
var DefaultEventCapacity = eventCapacityFor(strconv.IntSize)

// eventCapacityFor is the default ring size for a build whose int (and
// pointer) has bits bits.
func eventCapacityFor(bits int) int {
	if bits < 64 {
		return 200_000
	}
	return 1_000_000
}

// EventOptions configure OpenEventLog. Zero values take the defaults.
type EventOptions struct {
	// Capacity is how many events the ring keeps; DefaultEventCapacity
	// (1,000,000, or 200,000 on 32-bit boards). An access event with a
	// user takes about 240 bytes of pages with its postings (BENCHMARKS.md,
	// "Event log"), and a full ring's pages are reused, so the ring adds at
	// most about Capacity × 240 bytes to the file.
	Capacity int
	// QueueSize bounds the events waiting for the writer; 4096. When it
	// is full, Append drops the oldest queued event.
	QueueSize int
	// MaxBatch is the most events one transaction writes; 1024.
	MaxBatch int
	// SubscriberBuffer is each subscriber's channel size; 1024. A
	// subscriber whose channel is full when an event is delivered is
	// dropped (its channel is closed).
	SubscriberBuffer int
	// ScanBudget bounds the cursor steps (index seeks and record reads)
	// one Query makes; 20,000. See Query.
	ScanBudget int
	// MaxEvict bounds the evictions one transaction makes beyond its own
	// batch, so that lowering Capacity by a million does not make one
	// huge transaction; the ring shrinks over the next batches; 4096.
	MaxEvict int
	Logger   *slog.Logger
	// UserID, when set, fills in the UserID (uuid) of an event that has
	// a UserUID and no UserID: the door runtime knows users by uid. It is
	// called from the writer goroutine only, before each batch is
	// written, so a slow lookup delays writing, never Append, and the
	// events keep the order they were appended in.
	UserID func(uid uint64) string
	// Now stamps events appended without At; time.Now.
	Now func() time.Time
}

func (o *EventOptions) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Capacity, DefaultEventCapacity)
	def(&o.QueueSize, 4096)
	def(&o.MaxBatch, 1024)
	def(&o.SubscriberBuffer, 1024)
	def(&o.ScanBudget, 20_000)
	def(&o.MaxEvict, 4096)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// ErrEventLogClosed is returned by Query after Close.
var ErrEventLogClosed = errors.New("event log closed")

// EventStats are the log's counters since OpenEventLog.
type EventStats struct {
	Written uint64 `json:"written"` // events committed
	Dropped uint64 `json:"dropped"` // lost to a full queue (or appended after Close)
	Evicted uint64 `json:"evicted"` // deleted from the ring to keep its capacity
	Failed  uint64 `json:"failed"`  // lost to failed transactions (disk errors)
	// SlowSubscribers counts subscribers dropped for a full channel.
	SlowSubscribers uint64 `json:"slow_subscribers"`
	Queued          int    `json:"queued"`
	LastSeq         uint64 `json:"last_seq"`
}

// EventLog is the event ring. Append, Query and Subscribe are safe for
// concurrent use.
type EventLog struct {
	st  *Store // transactions go through its contained view and update
	opt EventOptions

	mu     sync.Mutex
	q      []Event // ring buffer of queued events
	qHead  int
	qLen   int
	lost   uint64 // dropped or failed since the last events_dropped event
	closed bool
	exited bool // the writer has returned
	// appended counts Append calls; settled counts those written, failed
	// or dropped (all delivered to subscribers if written). Flush waits
	// on settledCond for settled to catch up.
	appended    uint64
	settled     uint64
	settledCond *sync.Cond

	wake chan struct{} // capacity 1: "the queue has something"
	quit chan struct{} // closed by Close
	done chan struct{} // closed when the writer has exited

	smu        sync.Mutex
	subs       map[*eventSub]struct{}
	subsClosed bool

	// committed is closed after the next committed batch (Committed);
	// nil until someone asks. Guarded by cmu.
	cmu       sync.Mutex
	committed chan struct{}

	isClosed atomic.Bool
	lastSeq  atomic.Uint64
	written  atomic.Uint64
	dropped  atomic.Uint64
	evicted  atomic.Uint64
	failed   atomic.Uint64
	slow     atomic.Uint64

	// beforeWrite, when set (tests), runs in the writer before each
	// transaction with the batch about to be written; an error fails the
	// batch as a disk error would.
	beforeWrite func([]Event) error
}

type eventSub struct{ ch chan Event }

// OpenEventLog starts the event log over the store's file and its writer
// goroutine. Close it before closing the store.
func OpenEventLog(s *Store, opt EventOptions) (*EventLog, error) {
	return openEventLog(s, opt, nil)
}

func openEventLog(s *Store, opt EventOptions, beforeWrite func([]Event) error) (*EventLog, error) {
	opt.defaults()
	l := &EventLog{
		st:          s,
		opt:         opt,
		q:           make([]Event, opt.QueueSize),
		wake:        make(chan struct{}, 1),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
		subs:        map[*eventSub]struct{}{},
		beforeWrite: beforeWrite,
	}
	l.settledCond = sync.NewCond(&l.mu)
	// Files made by a build before the event log have no event buckets;
	// create them (only then: a plain open writes nothing).
	var missing bool
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range eventBuckets {
			if tx.Bucket(name) == nil {
				missing = true
			}
		}
		if !missing {
			l.lastSeq.Store(tx.Bucket(bEvents).Sequence())
		}
		return nil
	})
	if err == nil && missing {
		err = s.update(func(tx *bolt.Tx) error {
			for _, name := range eventBuckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			l.lastSeq.Store(tx.Bucket(bEvents).Sequence())
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("open event log: %w", diskFull(err))
	}
	fault.Go("store.events", l.run)
	return l, nil
}

var eventBuckets = [][]byte{bEvents, bEventsByType, bEventsByDoor, bEventsByUser}

// Append queues ev for writing and returns at once: it never waits for
// the disk or the writer. It stamps At (UTC) when zero, ignores ev.Seq
// (the writer assigns it) and masks a credential value that is not
// masked yet. When the queue is full the oldest queued event that is not
// an alarm (IsAlarm) is dropped and counted: alarms have priority over
// access events and are dropped only when the queue holds nothing else.
func (l *EventLog) Append(ev Event) {
	if ev.At.IsZero() {
		ev.At = l.opt.Now()
	}
	ev.At = ev.At.UTC()
	ev.Seq = 0
	ev.Credential = maskOnce(ev.CredentialType, ev.Credential)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.appended++
	if l.qLen == len(l.q) {
		// Full: the oldest event that is not an alarm makes room. With
		// only alarms queued, an access event is dropped itself, and an
		// alarm pushes out the oldest alarm.
		i := l.oldestNonAlarm()
		if i < 0 && !IsAlarm(ev.Type) {
			l.lost++
			l.settled++
			l.dropped.Add(1)
			l.mu.Unlock()
			return
		}
		l.removeQueued(max(i, 0))
		l.lost++
		l.settled++
		l.dropped.Add(1)
	}
	l.q[(l.qHead+l.qLen)%len(l.q)] = ev
	l.qLen++
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// oldestNonAlarm is the queue position (0 = oldest) of the oldest
// queued event that is not an alarm, -1 if all are. l.mu is held.
func (l *EventLog) oldestNonAlarm() int {
	for k := range l.qLen {
		if !IsAlarm(l.q[(l.qHead+k)%len(l.q)].Type) {
			return k
		}
	}
	return -1
}

// removeQueued drops the queued event at position k, keeping the order of
// the others (the older ones move up one place). l.mu is held.
func (l *EventLog) removeQueued(k int) {
	n := len(l.q)
	for ; k > 0; k-- {
		l.q[(l.qHead+k)%n] = l.q[(l.qHead+k-1)%n]
	}
	l.q[l.qHead] = Event{}
	l.qHead = (l.qHead + 1) % n
	l.qLen--
}

// Close writes what is queued, stops the writer and closes every
// subscriber's channel. Appends after Close are dropped. It is safe to
// call more than once.
func (l *EventLog) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.quit)
	}
	l.mu.Unlock()
	<-l.done
	l.isClosed.Store(true)
	l.wakeCommitted()
	l.smu.Lock()
	defer l.smu.Unlock()
	if !l.subsClosed {
		l.subsClosed = true
		for sub := range l.subs {
			close(sub.ch)
		}
		clear(l.subs)
	}
	return nil
}

// Flush waits until every event appended before the call was written (and
// handed to subscribers), dropped or lost to a failed write. It is for
// tests and orderly shutdowns; the door path never calls it.
func (l *EventLog) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := l.appended
	for l.settled < target && !l.exited {
		l.settledCond.Wait()
	}
}

// Stats returns the counters.
func (l *EventLog) Stats() EventStats {
	l.mu.Lock()
	queued := l.qLen
	l.mu.Unlock()
	return EventStats{
		Written:         l.written.Load(),
		Dropped:         l.dropped.Load(),
		Evicted:         l.evicted.Load(),
		Failed:          l.failed.Load(),
		SlowSubscribers: l.slow.Load(),
		Queued:          queued,
		LastSeq:         l.lastSeq.Load(),
	}
}

// LastSeq is the seq of the newest committed event (0 for none yet).
func (l *EventLog) LastSeq() uint64 { return l.lastSeq.Load() }

// Subscribe returns a channel that receives every event committed from
// now on, in seq order, after its transaction committed (so a Query that
// follows finds it). A subscriber that falls SubscriberBuffer events
// behind is dropped: its channel is closed and the writer carries on. To
// follow the log without gaps, subscribe first, then Query from your
// position, then read the channel skipping seqs already seen; when the
// channel closes, do it again. cancel unsubscribes and closes the channel;
// after Close the channel is closed at once.
func (l *EventLog) Subscribe() (<-chan Event, func()) {
	sub := &eventSub{ch: make(chan Event, l.opt.SubscriberBuffer)}
	l.smu.Lock()
	defer l.smu.Unlock()
	if l.subsClosed {
		close(sub.ch)
		return sub.ch, func() {}
	}
	l.subs[sub] = struct{}{}
	return sub.ch, func() {
		l.smu.Lock()
		defer l.smu.Unlock()
		if _, ok := l.subs[sub]; ok {
			delete(l.subs, sub)
			close(sub.ch)
		}
	}
}

// Subscribers is the number of live subscribers.
func (l *EventLog) Subscribers() int {
	l.smu.Lock()
	defer l.smu.Unlock()
	return len(l.subs)
}

// run is the writer: it drains the queue in batches until Close, then
// writes what is left and exits.
func (l *EventLog) run() {
	defer func() {
		l.mu.Lock()
		l.exited = true
		l.settledCond.Broadcast()
		l.mu.Unlock()
		close(l.done)
	}()
	batch := make([]Event, 0, l.opt.MaxBatch+1)
	for {
		var lost uint64
		var closed bool
		batch, lost, closed = l.take(batch[:0])
		if len(batch) == 0 {
			// Only a failed write leaves lost events and no new ones: their
			// events_dropped goes with the next event, rather than retrying
			// a failing store (disk full, a damaged file) in a busy loop.
			if lost > 0 {
				l.mu.Lock()
				l.lost += lost
				l.mu.Unlock()
			}
			if closed {
				return
			}
			select {
			case <-l.wake:
			case <-l.quit:
			}
			continue
		}
		if l.opt.UserID != nil {
			for i := range batch {
				if e := &batch[i]; e.UserUID != 0 && e.UserID == "" {
					e.UserID = l.opt.UserID(e.UserUID)
				}
			}
		}
		l.write(batch, lost)
		l.mu.Lock()
		l.settled += uint64(len(batch))
		l.settledCond.Broadcast()
		l.mu.Unlock()
	}
}

// take moves up to MaxBatch queued events into dst and returns them with
// the count of events lost since the last report.
func (l *EventLog) take(dst []Event) ([]Event, uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := min(l.qLen, l.opt.MaxBatch)
	for range n {
		dst = append(dst, l.q[l.qHead])
		l.q[l.qHead] = Event{} // let the strings go
		l.qHead = (l.qHead + 1) % len(l.q)
		l.qLen--
	}
	lost := l.lost
	l.lost = 0
	return dst, lost, l.closed
}

// write commits one batch (preceded by an events_dropped event when
// events were lost) and then hands it to the subscribers. A failed
// transaction is logged and counted and its events are lost; they are
// reported by the next batch's events_dropped event.
func (l *EventLog) write(batch []Event, lost uint64) {
	nReal := len(batch)
	if lost > 0 {
		batch = append(batch, Event{})
		copy(batch[1:], batch)
		batch[0] = Event{At: l.opt.Now().UTC(), Type: EventsDropped,
			Detail: strconv.FormatUint(lost, 10) + " events lost (queue full or write failed)"}
	}
	var err error
	if l.beforeWrite != nil {
		err = l.beforeWrite(batch)
	}
	var evicted uint64
	if err == nil {
		err = l.st.update(func(tx *bolt.Tx) error {
			var e error
			evicted, e = l.commit(tx, batch)
			return e
		})
	}
	if err != nil {
		l.failed.Add(uint64(nReal))
		l.mu.Lock()
		l.lost += lost + uint64(nReal)
		l.mu.Unlock()
		l.opt.Logger.Error("event log: write failed; events lost", "events", nReal, "err", diskFull(err))
		return
	}
	l.lastSeq.Store(batch[len(batch)-1].Seq)
	l.written.Add(uint64(len(batch)))
	l.evicted.Add(evicted)
	l.notify(batch)
	l.wakeCommitted()
}

// commit writes batch (assigning seqs) and evicts the oldest events past
// capacity, all in tx. Keys and values must stay valid until the commit,
// so they are cut from one slab per batch rather than a reused buffer.
func (l *EventLog) commit(tx *bolt.Tx, batch []Event) (evicted uint64, err error) {
	b := tx.Bucket(bEvents)
	b.FillPercent = 1 // keys only ever arrive at the right edge
	idx := [3]*bolt.Bucket{tx.Bucket(bEventsByType), tx.Bucket(bEventsByDoor), tx.Bucket(bEventsByUser)}
	// Within one type's or door's postings seqs only grow, and there are
	// few of them: new keys land at the right edge of that value's range,
	// so a split page's left half is never filled again. Pack it (see
	// appendOnly in store.go). The users' postings are many short ranges
	// (a site's users), each batch adding a key here and there: a page
	// split 90 % full overflows again at its next key and leaves the
	// rest nearly empty (a million events of random users of a million:
	// 34 % full, 262 MB), so those split at bbolt's half.
	idx[pType].FillPercent = 0.9
	idx[pDoor].FillPercent = 0.9
	slab := make([]byte, 0, len(batch)*160)
	for i := range batch {
		seq, err := b.NextSequence()
		if err != nil {
			return 0, err
		}
		batch[i].Seq = seq
		start := len(slab)
		slab = binary.BigEndian.AppendUint64(slab, seq)
		k := slab[start:len(slab):len(slab)]
		start = len(slab)
		slab = appendEvent(slab, &batch[i])
		if err := b.Put(k, slab[start:len(slab):len(slab)]); err != nil {
			return 0, err
		}
		for _, p := range eventPostings(&batch[i]) {
			start = len(slab)
			slab = appendPosting(slab, p.prefix, p.str, seq)
			if err := idx[p.bucket].Put(slab[start:len(slab):len(slab)], nil); err != nil {
				return 0, err
			}
		}
	}
	// Evict past capacity. Seqs in the ring are dense (only the oldest are
	// ever deleted), so the count is last-first+1.
	last := b.Sequence()
	c := b.Cursor()
	maxEvict := uint64(len(batch) + l.opt.MaxEvict)
	for evicted < maxEvict {
		k, v := c.First()
		first, ok := keys.ParseU64(k)
		if !ok || last-first+1 <= uint64(l.opt.Capacity) {
			break
		}
		ev, err := decodeEvent(first, v)
		if err != nil {
			return 0, fmt.Errorf("event %d: %w", first, err)
		}
		ps := eventPostings(&ev)
		if p, ok := legacyUserPosting(&ev); ok {
			ps = append(ps, p) // absent from events written since: a no-op
		}
		for _, p := range ps {
			if err := idx[p.bucket].Delete(appendPosting(nil, p.prefix, p.str, first)); err != nil {
				return 0, err
			}
		}
		// Delete through the bucket, then First again: a bbolt cursor
		// that deletes while it iterates may skip a key.
		if err := b.Delete(k); err != nil {
			return 0, err
		}
		evicted++
	}
	return evicted, nil
}

// notify hands a committed batch to every subscriber without ever
// blocking: a full channel drops its subscriber.
func (l *EventLog) notify(batch []Event) {
	l.smu.Lock()
	defer l.smu.Unlock()
	for sub := range l.subs {
		for _, ev := range batch {
			select {
			case sub.ch <- ev:
				continue
			default:
			}
			delete(l.subs, sub)
			close(sub.ch)
			l.slow.Add(1)
			break
		}
	}
}

// posting is one index entry of an event: bucket idx[bucket], key
// Str(prefix+str) seq.
type posting struct {
	bucket int
	prefix string
	str    string
}

const (
	pType = iota
	pDoor
	pUser
)

// eventPostings lists ev's index entries; writing and evicting both use
// it, so they always agree. A user's events are posted under the user's
// uid alone: a query by uuid finds the uid through the users' index
// (EventFilter.streams). The uuid's posting (61 bytes of an event's
// ~240 in the file) is written only for an event without a uid.
func eventPostings(ev *Event) []posting {
	out := make([]posting, 0, 3)
	if ev.Type != "" {
		out = append(out, posting{pType, "", ev.Type})
	}
	if ev.Door != "" {
		out = append(out, posting{pDoor, "", ev.Door})
	}
	if ev.UserUID != 0 {
		out = append(out, posting{pUser, "#", strconv.FormatUint(ev.UserUID, 10)})
	} else if ev.UserID != "" {
		out = append(out, posting{pUser, "", ev.UserID})
	}
	return out
}

// legacyUserPosting is the uuid posting that events with a uid had too
// before (up to the store-compact change): eviction deletes it when it
// is there, Check accepts it.
func legacyUserPosting(ev *Event) (posting, bool) {
	return posting{pUser, "", ev.UserID}, ev.UserID != "" && ev.UserUID != 0
}

// userUIDKey is the posting value of a user uid: "#" and the decimal uid,
// which no uuid can be.
func userUIDKey(uid uint64) string { return "#" + strconv.FormatUint(uid, 10) }

// Check verifies the event buckets in one read transaction: every record
// decodes, seqs are dense and not beyond the bucket's sequence, the ring
// is within capacity, and the postings are exactly the records' entries.
// It reads every event: for tests and the admin command.
func (l *EventLog) Check() error {
	var p problems
	err := l.st.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bEvents)
		idx := [3]*bolt.Bucket{tx.Bucket(bEventsByType), tx.Bucket(bEventsByDoor), tx.Bucket(bEventsByUser)}
		want := [3]int{}
		var prev uint64
		n := 0
		err := b.ForEach(func(k, v []byte) error {
			seq, ok := keys.ParseU64(k)
			if !ok {
				p.add("events: key %x is not 8 bytes", k)
				return nil
			}
			if prev != 0 && seq != prev+1 {
				p.add("events: seq %d follows %d", seq, prev)
			}
			prev = seq
			n++
			ev, err := decodeEvent(seq, v)
			if err != nil {
				p.add("events: %d: %v", seq, err)
				return nil
			}
			for _, ps := range eventPostings(&ev) {
				want[ps.bucket]++
				if idx[ps.bucket].Get(appendPosting(nil, ps.prefix, ps.str, seq)) == nil {
					p.add("events: %d: posting %q missing", seq, ps.prefix+ps.str)
				}
			}
			if ps, ok := legacyUserPosting(&ev); ok && idx[ps.bucket].Get(appendPosting(nil, ps.prefix, ps.str, seq)) != nil {
				want[ps.bucket]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if prev > b.Sequence() {
			p.add("events: seq %d beyond the bucket sequence %d", prev, b.Sequence())
		}
		if n > l.opt.Capacity {
			p.add("events: %d events, capacity %d", n, l.opt.Capacity)
		}
		for i, ib := range idx {
			if got := ib.Stats().KeyN; got != want[i] {
				p.add("events: index %d has %d entries, records account for %d", i, got, want[i])
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return p.err()
}
