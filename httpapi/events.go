package httpapi

import (
	"bufio"
	"bytes"
	"net"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp"
)

// The event log over HTTP: GET /api/v1/events pages through it, and
// GET /api/v1/events/stream follows it as Server-Sent Events.
//
// Streaming and fasthttp. A handler that calls SetBodyStreamWriter returns
// at once; fasthttp then runs the writer in a goroutine of its own, which
// writes into a pipe that the connection's goroutine copies to the socket
// as chunks. Three consequences:
//
//   - WriteTimeout: fasthttp sets the connection's write deadline once,
//     before it writes the response, so a stream would die WriteTimeout
//     after it started. The stream writer pushes the deadline to
//     now+WriteTimeout before every write (deadlines on a net.Conn may be
//     set from any goroutine), which keeps the protection against a client
//     that stops reading and lets a healthy stream live for ever.
//   - The keep-alive comment every sseKeepAlive is both for proxies that
//     close idle streams and for us: a client that went away is noticed at
//     the next write (an event or the keep-alive) and its stream ends.
//   - Shutdown waits for open connections, so every stream also ends when
//     the server shuts down (RequestCtx.Done, closed by Shutdown) or the
//     event log closes.

// EventSource is what the API needs of the event log; *store.EventLog is
// one.
type EventSource interface {
	Query(store.EventFilter) ([]store.Event, uint64, error)
	Subscribe() (<-chan store.Event, func())
	LastSeq() uint64
	Append(store.Event)
}

// SetEvents connects the server to the event log; until then the event
// routes answer 503. Call it before Serve (or pass Parts.Events to New).
func (s *Server) SetEvents(src EventSource) { s.events = src }

func (s *Server) eventSource() (EventSource, error) {
	if s.events != nil {
		return s.events, nil
	}
	return nil, errStatus(503, "the event log is not running")
}

// eventRoutes registers the event routes with routes' h.
func (s *Server) eventRoutes(h func(method, pattern string, act need, fn handlerFunc)) {
	h("GET", "/api/v1/events", accRead, s.listEvents)
	h("GET", "/api/v1/events/stream", accRead, s.streamEvents)
}

// sseKeepAlive is the interval of the stream's keep-alive comment.
const sseKeepAlive = 15 * time.Second

const eventStreamPath = "/api/v1/events/stream"

// acceptsEventStream lets an SSE client's "Accept: text/event-stream"
// through content negotiation on the stream route (acceptsJSON alone
// would answer 406).
func acceptsEventStream(ctx *fasthttp.RequestCtx) bool {
	if string(ctx.Path()) != eventStreamPath {
		return false
	}
	for _, part := range bytes.Split(ctx.Request.Header.Peek("Accept"), []byte(",")) {
		fields := bytes.Split(part, []byte(";"))
		if string(bytes.ToLower(bytes.TrimSpace(fields[0]))) != "text/event-stream" {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			if v, ok := bytes.CutPrefix(bytes.TrimSpace(f), []byte("q=")); ok {
				if n, err := strconv.ParseFloat(string(v), 64); err == nil {
					q = n
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// parseEventFilter reads the query parameters common to both routes and
// reports every bad one. pos is the after/cursor parameter (hasPos when
// given).
func parseEventFilter(args *fasthttp.Args, list bool) (f store.EventFilter, pos uint64, hasPos bool, errs []FieldError) {
	bad := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	for _, name := range []string{"after", "cursor"} {
		if v := args.Peek(name); args.Has(name) && !hasPos {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				bad(name, "must be an event seq (a non-negative integer), e.g. the next_cursor of the last page")
				continue
			}
			pos, hasPos = n, true
		}
	}
	if list {
		f.Limit = store.DefaultEventLimit
		if v := args.Peek("limit"); args.Has("limit") {
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 1 || n > store.MaxEventLimit {
				bad("limit", "must be an integer from 1 to "+strconv.Itoa(store.MaxEventLimit))
			} else {
				f.Limit = n
			}
		}
	}
	for _, v := range args.PeekMulti("type") {
		for t := range strings.SplitSeq(string(v), ",") {
			t = strings.TrimSpace(t)
			if !validEventType(t) {
				bad("type", "must be event types such as access_granted or door_forced (lower case, digits, _), one per parameter or comma-separated")
				continue
			}
			f.Types = append(f.Types, t)
		}
	}
	if len(f.Types) > 32 {
		bad("type", "at most 32 types")
	}
	if v := args.Peek("door"); args.Has("door") {
		if len(v) == 0 || len(v) > 128 {
			bad("door", "must be a door name of 1 to 128 bytes")
		}
		f.Door = string(v)
	}
	if v := args.Peek("user"); args.Has("user") {
		if id, err := uuid.Parse(string(v)); err == nil {
			f.UserID = id.String()
		} else if n, err := strconv.ParseUint(string(v), 10, 64); err == nil && n > 0 {
			f.UserUID = n
		} else {
			bad("user", "must be a user's id (uuid) or uid (positive integer)")
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := args.Peek(p.name); args.Has(p.name) {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				bad(p.name, "must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z (write + as %2B)")
				continue
			}
			*p.dst = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		bad("to", "must be after from")
	}
	return f, pos, hasPos, errs
}

// listEvents is GET /api/v1/events: without after (or cursor) the newest
// page, else the page after that seq; always oldest first. next_cursor is
// the seq to pass as after for the following page (also for polling: it is
// never empty); more says whether the log holds events beyond it (a page
// of a filtered query may be short, even empty, while more is true: the
// scan of one request is bounded).
func (s *Server) listEvents(r *request) error {
	src, err := s.eventSource()
	if err != nil {
		return err
	}
	f, pos, hasPos, errs := parseEventFilter(r.ctx.QueryArgs(), true)
	if len(errs) > 0 {
		return errValidation(errs)
	}
	f.After, f.Latest = pos, !hasPos
	items, next, err := src.Query(f)
	if err != nil {
		return err
	}
	b := make([]byte, 0, 64+len(items)*300)
	b = append(b, `{"items":[`...)
	for i, ev := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = ev.AppendJSON(b)
	}
	b = append(b, `],"next_cursor":"`...)
	b = strconv.AppendUint(b, next, 10)
	b = append(b, `","more":`...)
	b = strconv.AppendBool(b, next < src.LastSeq())
	b = append(b, '}')
	r.ctx.SetStatusCode(200)
	r.ctx.SetContentType("application/json")
	r.ctx.SetBody(b)
	return nil
}

// streamEvents is GET /api/v1/events/stream. With Last-Event-ID (or
// after) it first replays the log after that seq, then follows it live;
// without, it starts live. type, door, user, from and to filter as for
// the list.
func (s *Server) streamEvents(r *request) error {
	src, err := s.eventSource()
	if err != nil {
		return err
	}
	f, pos, hasPos, errs := parseEventFilter(r.ctx.QueryArgs(), false)
	if v := r.ctx.Request.Header.Peek("Last-Event-ID"); len(v) > 0 {
		n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil {
			errs = append(errs, FieldError{Field: "Last-Event-ID", Message: "must be the id of an event this stream sent"})
		}
		pos, hasPos = n, true
	}
	if len(errs) > 0 {
		return errValidation(errs)
	}
	ctx := r.ctx
	ctx.SetStatusCode(200)
	ctx.SetContentType("text/event-stream; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-cache")
	ctx.Response.Header.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	if ctx.IsHead() {
		return nil
	}
	st := &sseStream{
		src: src, f: f, pos: pos, replay: hasPos,
		done:      ctx.Done(),
		keepAlive: sseKeepAlive,
	}
	// Taken now: the stream writer must not touch ctx.
	if conn, wt := ctx.Conn(), s.cfg.WriteTimeout; conn != nil && wt > 0 && deadlinesConcurrent(conn) {
		st.extend = func() { conn.SetWriteDeadline(time.Now().Add(wt)) }
	}
	ctx.SetBodyStreamWriter(st.run)
	return nil
}

// deadlinesConcurrent reports whether conn keeps net.Conn's promise that
// its methods may be called from several goroutines at once, which the
// stream writer needs to push the write deadline while fasthttp's
// connection goroutine writes. TCP and Unix connections do; fasthttputil's
// in-memory pipe (tests) races on SetWriteDeadline, so there the stream
// leaves the deadline as fasthttp set it.
func deadlinesConcurrent(conn net.Conn) bool {
	if c, ok := conn.(*countedConn); ok {
		conn = c.Conn
	}
	t := reflect.TypeOf(conn)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() != "github.com/valyala/fasthttp/fasthttputil"
}

// sseStream is one client's stream: replay from the log, then the live
// feed, without gaps or duplicates across the switch.
//
// The order is what makes it exact: subscribe first, then query the log
// from pos until the query stops moving, then read the feed skipping every
// seq <= pos. An event committed before the subscription is in the log; one
// committed after it is in the feed; one in both is skipped by seq. If the
// feed drops us for falling behind (a long replay, a slow client), we
// subscribe again and catch up from the log the same way.
type sseStream struct {
	src       EventSource
	f         store.EventFilter
	pos       uint64 // every seq <= pos was sent or filtered out
	replay    bool   // catch up from the log from pos (else start live)
	done      <-chan struct{}
	extend    func() // pushes the write deadline; nil in tests
	keepAlive time.Duration

	w   *bufio.Writer
	buf []byte
	err error
}

func (st *sseStream) run(w *bufio.Writer) {
	st.w = w
	tick := time.NewTicker(st.keepAlive)
	defer tick.Stop()
	feed, cancel := st.src.Subscribe()
	// Open the stream at once, so the client sees the 200 and headers
	// before the first event (and, once it reads this, is subscribed);
	// retry is the reconnect delay (ms).
	st.write([]byte(": doord events\nretry: 2000\n\n"))
	for st.flush() == nil && st.follow(feed, tick.C) {
		cancel()
		feed, cancel = st.src.Subscribe()
	}
	cancel()
}

// follow catches up and then reads feed until it closes (true: subscribe
// again) or the stream must end (false).
func (st *sseStream) follow(feed <-chan store.Event, tick <-chan time.Time) bool {
	if !st.replay {
		st.pos, st.replay = st.src.LastSeq(), true
	}
	f := st.f
	f.Latest, f.Limit = false, store.MaxEventLimit
	for {
		select {
		case <-st.done:
			return false
		default:
		}
		f.After = st.pos
		items, next, err := st.src.Query(f)
		if err != nil {
			return false // the log closed
		}
		for i := range items {
			st.event(&items[i])
		}
		if len(items) > 0 && st.flush() != nil {
			return false
		}
		if next == st.pos {
			break
		}
		st.pos = next
	}
	for {
		select {
		case ev, ok := <-feed:
			if !ok {
				return true
			}
			st.take(ev)
			// Send what else is already waiting in one flush.
			for more := true; more; {
				select {
				case ev, ok := <-feed:
					if !ok {
						return st.flush() == nil
					}
					st.take(ev)
				default:
					more = false
				}
			}
			if st.flush() != nil {
				return false
			}
		case <-tick:
			st.write([]byte(": keep-alive\n\n"))
			if st.flush() != nil {
				return false
			}
		case <-st.done:
			return false
		}
	}
}

func (st *sseStream) take(ev store.Event) {
	if ev.Seq <= st.pos {
		return
	}
	st.pos = ev.Seq
	if st.f.Match(&ev) {
		st.event(&ev)
	}
}

// event writes one event frame: id, event (the type) and data (JSON, one
// line: it escapes every newline).
func (st *sseStream) event(ev *store.Event) {
	b := append(st.buf[:0], "id: "...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, "\nevent: "...)
	for i := 0; i < len(ev.Type); i++ { // a field must not break the frame
		if c := ev.Type[i]; c == '\n' || c == '\r' {
			b = append(b, '_')
		} else {
			b = append(b, c)
		}
	}
	b = append(b, "\ndata: "...)
	b = ev.AppendJSON(b)
	b = append(b, '\n', '\n')
	st.buf = b
	st.write(b)
}

func (st *sseStream) write(b []byte) {
	if st.err != nil {
		return
	}
	if st.extend != nil {
		st.extend() // before any byte of this write can reach the socket
	}
	_, st.err = st.w.Write(b)
}

func (st *sseStream) flush() error {
	if st.err == nil {
		if st.extend != nil {
			st.extend()
		}
		st.err = st.w.Flush()
	}
	return st.err
}
