package eventpub

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/store"
	"github.com/nats-io/nats.go"
)

// EventUnpublished is the type of the event the publisher appends to the
// log when the ring evicted events it had not published; Detail says how
// many and which seqs.
const EventUnpublished = "events_unpublished"

// Log is the event log the publisher reads; *store.EventLog is one.
type Log interface {
	Query(store.EventFilter) ([]store.Event, uint64, error)
	Committed() <-chan struct{}
	Append(store.Event)
	LastSeq() uint64
}

// Settings keep the cursor; *store.Store is one.
type Settings interface {
	GetSetting(key string) ([]byte, error)
	PutSetting(key string, val []byte) error
}

// Options configure Start. Site, Controller, Log and Store are required.
type Options struct {
	Site, Controller string
	Log              Log
	Store            Settings
	Logger           *slog.Logger
	// Window is how many messages may wait for their acknowledgement at
	// once; 256.
	Window int
	// PersistEvery is the least time between two writes of the cursor;
	// 1 s. Close writes the last one.
	PersistEvery time.Duration
	// DuplicateWindow is the stream's duplicate window when the
	// publisher creates the stream (or finds it shorter); 10 minutes.
	DuplicateWindow time.Duration
	// MaxAge bounds the age of the messages of a stream the publisher
	// creates; 90 days. 0 takes the default; a stream made by an
	// administrator keeps its own limits.
	MaxAge time.Duration
	// AckTimeout bounds the wait for one acknowledgement; 10 s.
	AckTimeout time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Window <= 0 {
		o.Window = 256
	}
	if o.PersistEvery <= 0 {
		o.PersistEvery = time.Second
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = 10 * time.Minute
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 90 * 24 * time.Hour
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 10 * time.Second
	}
}

// token is what a site or controller id may be: one NATS subject token
// that needs no quoting anywhere.
var token = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (o *Options) validate() error {
	switch {
	case !token.MatchString(o.Site):
		return fmt.Errorf("eventpub: site %q must be letters, digits, _ or -", o.Site)
	case !token.MatchString(o.Controller):
		return fmt.Errorf("eventpub: controller %q must be letters, digits, _ or -", o.Controller)
	case o.Log == nil || o.Store == nil:
		return errors.New("eventpub: Log and Store are required")
	}
	return nil
}

// StreamName is the site's event stream.
func StreamName(site string) string { return "DOORD_EVENTS_" + site }

// Subject is the subject of controller's events.
func Subject(site, controller string) string { return "doord." + site + ".events." + controller }

// MsgID is the Nats-Msg-Id of the event seq of controller.
func MsgID(controller string, seq uint64) string { return fmt.Sprintf("%s:%d", controller, seq) }

// Stats are the publisher's counters since Start.
type Stats struct {
	// Published counts events the stream acknowledged (a duplicate
	// acknowledged as such included).
	Published uint64
	// Pending is the log's last seq minus the cursor: events written and
	// not yet acknowledged (some may be evicted before they are reached,
	// and are then counted in Dropped).
	Pending uint64
	// Dropped counts events the ring evicted before they were published.
	Dropped uint64
	// Cursor is the seq of the last acknowledged event.
	Cursor uint64
	// LastAck is when the stream last acknowledged an event; zero if not
	// since Start.
	LastAck time.Time
	// Connected: the connection is up.
	Connected bool
}

// sink is where events go: the JetStream stream, a fake in tests.
type sink interface {
	// up reports whether the connection is up now.
	up() bool
	// changed delivers the connection's status changes.
	changed() <-chan nats.Status
	// ensure makes the stream ready after a (re)connect; an error is
	// logged and publishing goes on (the stream may be an
	// administrator's, this controller not allowed to change it).
	ensure(ctx context.Context) error
	// publish sends evs in order and returns how many, from the first,
	// were acknowledged before the first failure.
	publish(ctx context.Context, evs []store.Event) (int, error)
	close()
}

// Publisher publishes the event log. Start one with Start; Close it
// before closing the log and the store.
type Publisher struct {
	opt  Options
	sink sink
	log  *slog.Logger

	persist chan struct{} // capacity 1: the cursor moved
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once

	cursor    atomic.Uint64 // last acknowledged seq
	persisted atomic.Uint64 // last written to the store
	published atomic.Uint64
	dropped   atomic.Uint64
	lastAck   atomic.Int64 // unix nanoseconds; 0: none

	ackMu sync.Mutex
	ackCh chan struct{} // closed and replaced at each acknowledgement
}

// CursorKey is the store setting holding the cursor (8 bytes, big-endian).
const CursorKey = "fleet/events/cursor"

// Start starts publishing opt.Log to the site's stream over nc. It never
// waits for the connection: with NATS away it starts and waits.
func Start(nc *nats.Conn, opt Options) (*Publisher, error) {
	opt.defaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if nc == nil {
		return nil, errors.New("eventpub: no NATS connection")
	}
	s, err := newJetStreamSink(nc, &opt)
	if err != nil {
		return nil, err
	}
	return start(s, opt)
}

func start(s sink, opt Options) (*Publisher, error) {
	opt.defaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	p := &Publisher{
		opt: opt, sink: s, log: opt.Logger.With("component", "fleet events"),
		persist: make(chan struct{}, 1),
		ackCh:   make(chan struct{}),
	}
	cur, fresh, err := loadCursor(opt.Store)
	if err != nil {
		return nil, err
	}
	if fresh {
		// The first start in fleet mode publishes the whole ring; what
		// it evicted before is no loss of the fleet's. Store where that
		// is at once, so that events the ring evicts from now on count
		// as dropped even if none is published before the next start.
		if cur, err = firstCursor(opt.Log); err == nil {
			err = opt.Store.PutSetting(CursorKey, binary.BigEndian.AppendUint64(nil, cur))
		}
		if err != nil {
			return nil, fmt.Errorf("eventpub: first cursor: %w", err)
		}
	}
	if last := opt.Log.LastSeq(); cur > last {
		// The log is behind the cursor: the store was replaced under it
		// (a restore of an older backup). Going on from the cursor would
		// hold back every new event until the log caught up with it.
		p.log.Warn("event log is behind the fleet cursor; publishing from the log's end", "cursor", cur, "log", last)
		cur = last
	}
	p.cursor.Store(cur)
	p.persisted.Store(cur)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(2)
	fault.Go("fleet.events.persist", func() { defer p.wg.Done(); p.persistLoop() })
	fault.Go("fleet.events.publish", func() { defer p.wg.Done(); p.run() })
	return p, nil
}

// Close stops publishing and writes the cursor. Safe to call twice.
func (p *Publisher) Close() error {
	p.once.Do(func() {
		p.cancel()
		p.wg.Wait()
		p.sink.close()
	})
	return p.saveCursor()
}

// Stats returns the counters.
func (p *Publisher) Stats() Stats {
	cur := p.cursor.Load()
	st := Stats{
		Published: p.published.Load(),
		Dropped:   p.dropped.Load(),
		Cursor:    cur,
		Connected: p.sink.up(),
	}
	if last := p.opt.Log.LastSeq(); last > cur {
		st.Pending = last - cur
	}
	if ns := p.lastAck.Load(); ns != 0 {
		st.LastAck = time.Unix(0, ns)
	}
	return st
}

func (p *Publisher) signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 30 * time.Second
	// pollDown is how often a publisher waiting for the connection looks
	// at its status besides the status feed (whose buffer drops changes
	// when full).
	pollDown = 5 * time.Second
	pageSize = store.MaxEventLimit
)

// run is the publishing loop.
func (p *Publisher) run() {
	backoff := minBackoff
	ensured := false
	changes := p.sink.changed()
	// wait pauses for d or a wake-up (ch), false when closing.
	wait := func(d time.Duration, ch <-chan struct{}) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-p.ctx.Done():
			return false
		case <-t.C:
		case <-ch:
		case _, ok := <-changes:
			if !ok {
				changes = nil // never spin on a closed feed; pollDown still looks
			}
		}
		return true
	}
	fail := func(what string, err error) bool {
		p.log.Warn("fleet events: "+what+"; retrying", "err", err, "in", backoff)
		ok := wait(backoff, nil)
		backoff = min(2*backoff, maxBackoff)
		return ok
	}
	for p.ctx.Err() == nil {
		if !p.sink.up() {
			ensured = false
			if !wait(pollDown, nil) {
				return
			}
			continue
		}
		if !ensured {
			if err := p.sink.ensure(p.ctx); err != nil {
				p.log.Warn("fleet events: cannot create or update the event stream; publishing to it as it is", "stream", StreamName(p.opt.Site), "err", err)
			}
			ensured = true
		}
		cur := p.cursor.Load()
		// Taken before the Query: a commit after it wakes the wait below.
		committed := p.opt.Log.Committed()
		evs, _, err := p.opt.Log.Query(store.EventFilter{After: cur, Limit: pageSize})
		if err != nil {
			if !fail("reading the event log", err) {
				return
			}
			continue
		}
		if len(evs) == 0 {
			if !wait(time.Hour, committed) {
				return
			}
			continue
		}
		if first := evs[0].Seq; first > cur+1 {
			p.gap(cur, first)
		}
		for len(evs) > 0 && p.ctx.Err() == nil {
			chunk := evs[:min(len(evs), p.opt.Window)]
			n, err := p.sink.publish(p.ctx, chunk)
			if n > 0 {
				p.acked(chunk[n-1].Seq, n)
				backoff = minBackoff
			}
			if err != nil {
				if p.ctx.Err() != nil {
					return
				}
				ensured = false // the stream may have been deleted or changed
				if !fail("publishing", err) {
					return
				}
				break
			}
			evs = evs[n:]
		}
	}
}

// gap accounts for the events between cur and first that the ring
// evicted before they were published.
func (p *Publisher) gap(cur, first uint64) {
	p.cursor.Store(first - 1)
	n := first - 1 - cur
	p.dropped.Add(n)
	detail := fmt.Sprintf("%d events (seq %d-%d) left the event log's ring before they were published to the fleet", n, cur+1, first-1)
	p.log.Warn("fleet events: "+detail, "dropped", n)
	p.opt.Log.Append(store.Event{Type: EventUnpublished, Detail: detail})
}

// firstCursor is the cursor of a first start: just before the oldest
// event in the ring.
func firstCursor(l Log) (uint64, error) {
	evs, _, err := l.Query(store.EventFilter{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(evs) == 0 {
		return l.LastSeq(), nil
	}
	return evs[0].Seq - 1, nil
}

func (p *Publisher) acked(seq uint64, n int) {
	p.cursor.Store(seq)
	p.published.Add(uint64(n))
	p.lastAck.Store(time.Now().UnixNano())
	p.signal(p.persist)
	p.ackMu.Lock()
	close(p.ackCh)
	p.ackCh = make(chan struct{})
	p.ackMu.Unlock()
}

// Acked returns a channel closed at the next acknowledgement, so that a
// caller waits for the cursor to move without polling.
func (p *Publisher) Acked() <-chan struct{} {
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	return p.ackCh
}

// persistLoop writes the cursor when it moved, at most once per
// PersistEvery, off the publishing goroutine.
func (p *Publisher) persistLoop() {
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.persist:
		}
		if err := p.saveCursor(); err != nil {
			p.log.Warn("fleet events: cannot store the cursor; events after the stored one will be published again (the stream drops them as duplicates)", "err", err)
		}
		t := time.NewTimer(p.opt.PersistEvery)
		select {
		case <-p.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
