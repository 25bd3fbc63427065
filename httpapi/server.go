package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/board/fault"
	"github.com/doord/doord/httpapi/basip"
	"github.com/doord/doord/httpapi/console"
	"github.com/doord/doord/httpapi/metrics"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// Config holds the HTTP server's limits and login policy. Zero values take
// the defaults documented on each field.
type Config struct {
	MaxBodyBytes  int           // request body cap; 1 MiB
	ReadTimeout   time.Duration // 10s
	WriteTimeout  time.Duration // 10s
	IdleTimeout   time.Duration // 60s
	MaxConnsPerIP int           // 256
	Concurrency   int           // 1024 concurrent handlers
	TokenTTL      time.Duration // session lifetime; 8h

	// MaxImportBytes caps POST /api/v1/import's body (import.go); 128 MiB.
	MaxImportBytes int
	// MaxSessionsPerOperator is how many live sessions (native and BAS-IP
	// together) one operator may hold; a new login ends its oldest beyond
	// that. 16.
	MaxSessionsPerOperator int
	// SessionPurgeInterval is how often expired sessions are deleted from
	// the store and the cache; 10m.
	SessionPurgeInterval time.Duration
	// UserCacheSize is how many users' JSON GET /users/{id} keeps in
	// memory, kept current by the store's change feed; 4096. Negative
	// turns it off.
	UserCacheSize int
	// LoginFailuresPerIP failed logins from one address within a minute
	// make further logins from it answer 429 until the minute is over; 20.
	// Negative turns it off.
	LoginFailuresPerIP int
	Lockout            auth.LockoutPolicy
	Version            string
	// ScrapeToken, when set, is a bearer token that opens GET /metrics
	// and nothing else (metricsroute.go); compared in constant time.
	ScrapeToken string
	// BASIPInfo is what the BAS-IP GET /api/info says about this device
	// (its Version is Config.Version); BASIPLocks maps BAS-IP lock
	// numbers to door ids, nil for the default (basip.Deps.Locks).
	BASIPInfo  basip.Info
	BASIPLocks map[int][]string
	// PlainHealthOnly limits plain-HTTP listeners to GET /api/v1/health
	// when the API is also served over TLS (tls.go).
	PlainHealthOnly bool
	// Location is the zone of the access engine (access.timezone): the
	// BAS-IP API turns its unix-second times into the native profiles'
	// local wall-clock times in it; time.Local when nil.
	Location *time.Location
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxImportBytes <= 0 {
		c.MaxImportBytes = DefaultMaxImportBytes
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.MaxConnsPerIP <= 0 {
		c.MaxConnsPerIP = 256
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1024
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 8 * time.Hour
	}
	if c.MaxSessionsPerOperator <= 0 {
		c.MaxSessionsPerOperator = 16
	}
	if c.SessionPurgeInterval <= 0 {
		c.SessionPurgeInterval = 10 * time.Minute
	}
	if c.UserCacheSize == 0 {
		c.UserCacheSize = 4096
	}
	if c.LoginFailuresPerIP == 0 {
		c.LoginFailuresPerIP = 20
	}
	if c.Lockout == (auth.LockoutPolicy{}) {
		c.Lockout = auth.DefaultLockout
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.Local
	}
}

// Server is the management API over one store.
type Server struct {
	cfg      Config
	st       *store.Store
	log      *slog.Logger
	rt       router
	started  time.Time
	sim      Simulator
	doors    Doors
	learner  Learner      // the learn route's reads (learn.go)
	learning atomic.Int32 // learn requests waiting
	events   EventSource
	throttle *loginThrottle
	users    *userCache
	metrics  *metrics.Registry
	debug    bool // request logging, decided once: it is on every request's path
	unsub    func()

	mu       sync.RWMutex
	sessions map[[32]byte]*sessionInfo

	basip *basip.Dialect // the BAS-IP dialect, over basipDeps (basip.go)
	basic *basicCache    // verified HTTP Basic credentials (basicauth.go)

	// console serves the embedded web console at / and /console/*: static
	// files only, the same for every caller; its data comes from /api/v1.
	console *console.Handler

	// Operator security (logincheck.go, sessionpurge.go).
	unknown   *auth.UnknownNames // failed logins of names that are not operators
	nameLocks nameLocks          // one password check per username at a time

	stop                  chan struct{} // closed by Shutdown: ends the session janitor
	janitorOnce, stopOnce sync.Once
	lnMu                  sync.Mutex
	lns                   []net.Listener // every listener Serve was given, for Shutdown
	shut                  bool           // Shutdown was called: Serve refuses

	fs *fasthttp.Server
}

// Parts are the optional runtime parts the API fronts. A nil part's routes
// do not exist (404): no simulator on hardware, no doors without a board.
type Parts struct {
	Sim    Simulator
	Doors  Doors
	Events EventSource
	// Learner waits for card reads (POST /api/v1/readers/{reader}/learn);
	// nil: no board, the route answers 503.
	Learner Learner
	// Metrics is served at /metrics and counts the requests; nil: one
	// with the store's and the requests' metrics only.
	Metrics *metrics.Registry
}

// New builds the API over a store and the runtime parts.
func New(st *store.Store, cfg Config, log *slog.Logger, parts Parts) *Server {
	sim := parts.Sim
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, st: st, log: log, sim: sim, doors: parts.Doors, learner: parts.Learner, events: parts.Events, started: cfg.Now(), sessions: map[[32]byte]*sessionInfo{}}
	s.throttle = newLoginThrottle(cfg.LoginFailuresPerIP, time.Minute)
	s.unknown = auth.NewUnknownNames(0)
	s.stop = make(chan struct{})
	s.users = newUserCache(cfg.UserCacheSize)
	if s.metrics = parts.Metrics; s.metrics == nil {
		s.metrics = metrics.New(metrics.Sources{Store: st, Version: cfg.Version})
	}
	s.debug = log.Enabled(context.Background(), slog.LevelDebug)
	// The cache follows the feed as a Follower: a feed fault empties it
	// rather than leaving a stale user behind. Its Sync cannot fail.
	if s.unsub, _ = st.Follow("user cache", cacheFollower{s.users, st.Seq}); s.unsub == nil {
		s.unsub = func() {}
	}
	s.basic = newBasicCache()
	s.basip = basip.New(s.basipDeps())
	s.console = console.New()
	s.routes()
	s.fs = &fasthttp.Server{
		Handler:            s.Handler,
		ErrorHandler:       s.errorHandler,
		Name:               "doord",
		ReadTimeout:        cfg.ReadTimeout,
		WriteTimeout:       cfg.WriteTimeout,
		IdleTimeout:        cfg.IdleTimeout,
		Concurrency:        cfg.Concurrency,
		MaxRequestBodySize: cfg.MaxBodyBytes,
		HeaderReceived:     s.importLimits, // the import's larger body (import.go)
		CloseOnShutdown:    true,
		Logger:             fasthttpLogger{log},
	}
	return s
}

// Serve answers on ln until Shutdown; expired sessions are purged while
// it runs (sessionpurge.go).
func (s *Server) Serve(ln net.Listener) error {
	s.lnMu.Lock()
	if s.shut {
		s.lnMu.Unlock()
		return net.ErrClosed
	}
	s.lns = append(s.lns, ln)
	s.lnMu.Unlock()
	s.janitorOnce.Do(func() { go s.sessionJanitor(s.cfg.SessionPurgeInterval, s.stop) })
	return s.fs.Serve(newPerIPListener(ln, s.cfg.MaxConnsPerIP))
}

// Shutdown stops accepting, lets in-flight requests finish, closes idle
// connections and leaves the store's change feed.
func (s *Server) Shutdown() error {
	s.lnMu.Lock()
	s.shut = true
	lns := s.lns
	s.lnMu.Unlock()
	err := s.fs.Shutdown()
	// fasthttp's Shutdown closes only the listeners its Serve has
	// registered; one whose Serve has not got that far (a daemon stopped
	// just after it started) would accept forever. Closing it ends that
	// Serve.
	for _, ln := range lns {
		ln.Close()
	}
	s.stopOnce.Do(func() { close(s.stop) })
	s.unsub()
	s.basip.Close() // its list index leaves the feed
	return err
}

// request is what a handler sees: the fasthttp context plus copied path
// parameters and the authenticated operator.
type request struct {
	ctx    *fasthttp.RequestCtx
	params pathParams
	op     *sessionInfo
	srv    *Server
}

func (r *request) param(name string) string {
	v, _ := r.params.Get(name)
	return v
}

// Handler is the fasthttp handler: recover, route, negotiate, authenticate,
// dispatch, and turn errors into problem+json.
func (s *Server) Handler(ctx *fasthttp.RequestCtx) {
	defer func() {
		if p := recover(); p != nil {
			// The panic's text and the stack's argument words may hold a
			// request's card number or PIN: type and a bare stack only.
			s.log.Error("handler panic", "panic", fault.Describe(p), "path", string(ctx.Path()), "stack", fault.Stack())
			writeProblem(ctx, 500, "internal error")
		}
	}()
	start := time.Now()
	route := s.serve(ctx)
	s.observe(ctx, route, start)
	if !s.debug {
		return
	}
	s.log.Debug("http", "method", string(ctx.Method()), "path", string(ctx.Path()),
		"status", ctx.Response.StatusCode(), "dur", time.Since(start), "remote", ctx.RemoteIP().String())
}

// ambiguousPath reports a raw request path that fasthttp's normalizing
// (percent-decoding, %2F and %5C as separators, "." and ".." resolved,
// "//" collapsed) would turn into a different route than its segments
// name: /api/v1/users/..%2Foperators%2F3 would reach /operators/3, so a
// console link whose id is "../operators/3" could make an admin's
// "Delete person" delete an operator. No route has such a path, so
// refusing them costs nothing. An empty segment ("//") is not refused:
// collapsing it only drops it, which reaches no other route than the
// segments name, and integrations that join a base URL ending in "/"
// with a path starting with one send it (http://panel//api/v1/login).
// A trailing "/" is not ambiguous either.
func ambiguousPath(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') >= 0 {
		return true
	}
	segs := bytes.Split(raw, []byte("/"))
	for _, seg := range segs {
		if len(seg) == 0 {
			continue
		}
		if bytes.IndexByte(seg, '%') >= 0 {
			l := bytes.ToLower(seg)
			if bytes.Contains(l, []byte("%2f")) || bytes.Contains(l, []byte("%5c")) {
				return true
			}
			seg = bytes.ReplaceAll(l, []byte("%2e"), []byte("."))
		}
		if string(seg) == "." || string(seg) == ".." {
			return true
		}
	}
	return false
}

// serve answers one request and returns the matched route's pattern
// ("" for none), for the request metrics.
func (s *Server) serve(ctx *fasthttp.RequestCtx) (route string) {
	if s.refusePlain(ctx) {
		return
	}
	if ambiguousPath(ctx.URI().PathOriginal()) {
		writeProblem(ctx, 400, "the path has an encoded slash or backslash, or a dot segment; ask for the resource by its plain path")
		return
	}
	if string(ctx.Path()) == MetricsPath {
		s.serveMetrics(ctx)
		return MetricsPath
	}
	if console.Owns(string(ctx.Path())) {
		s.console.Serve(ctx)
		return "/console/*"
	}
	method := methodOf(ctx)
	if method == "HEAD" {
		method = "GET"
	}
	e, params, allow, ok, found := s.rt.Match(method, string(ctx.Path()))
	if !ok {
		// An unknown route or method on a BAS-IP path, or asked with
		// BAS-IP credentials, is answered in BAS-IP's shape (basip.go).
		bas := s.basipAsks(ctx)
		switch {
		case !found && bas:
			basip.WriteError(ctx, 404, basip.MsgNotFound)
		case !found:
			writeProblem(ctx, 404, "no such route")
		case bas:
			ctx.Response.Header.Set("Allow", allow)
			basip.WriteError(ctx, 405, basip.MsgMethodNotAllowed)
		default:
			ctx.Response.Header.Set("Allow", allow)
			writeProblem(ctx, 405, "method "+string(ctx.Method())+" is not allowed here")
		}
		return
	}
	route = e.pattern
	if e.basip {
		s.basip.Serve(ctx, e.action, e.audit, e.bh, params)
		return
	}
	if !acceptsJSON(ctx.Request.Header.Peek("Accept")) && !acceptsEventStream(ctx) {
		// The problem body is JSON anyway: it is the only form we have, and a
		// client that asked for something else still deserves a reason.
		writeProblem(ctx, 406, "this API answers only application/json")
		return
	}
	if hasBody(method) && !e.file && len(ctx.PostBody()) > 0 && !isJSONType(ctx.Request.Header.ContentType(), method) {
		writeProblem(ctx, 415, "send the body as application/json")
		return
	}
	r := &request{ctx: ctx, params: params, srv: s}
	if e.action != accPublic {
		op, err := s.authenticate(ctx)
		if err == nil && op.scope != "" {
			err = errScope
		}
		if err == nil {
			err = authorize(op, e.action)
		}
		if err != nil {
			s.writeError(ctx, err)
			return
		}
		r.op = op
	}
	if err := e.h(r); err != nil {
		s.writeError(ctx, err)
		return
	}
	if e.audit && r.op != nil {
		s.audit(store.EventOperatorChange, r.op.username, method+" "+string(ctx.Path()))
	}
	return
}

// audit records an operator's action in the event log (never blocks).
func (s *Server) audit(typ, operator, detail string) {
	if s.events != nil {
		s.events.Append(store.Event{Type: typ, Operator: operator, Detail: detail})
	}
}

func hasBody(method string) bool { return method == "POST" || method == "PUT" || method == "PATCH" }

// acceptsJSON is a small Accept parser: any media range covering
// application/json with q > 0 passes; an absent header accepts anything.
func acceptsJSON(h []byte) bool {
	if len(bytes.TrimSpace(h)) == 0 {
		return true
	}
	for _, part := range bytes.Split(h, []byte(",")) {
		fields := bytes.Split(part, []byte(";"))
		mt := string(bytes.ToLower(bytes.TrimSpace(fields[0])))
		q := 1.0
		for _, f := range fields[1:] {
			f = bytes.TrimSpace(f)
			if bytes.HasPrefix(f, []byte("q=")) {
				if v, err := strconv.ParseFloat(string(f[2:]), 64); err == nil {
					q = v
				}
			}
		}
		if q <= 0 {
			continue
		}
		switch mt {
		case "*/*", "application/*", "application/json", "application/problem+json", "application/merge-patch+json":
			return true
		}
	}
	return false
}

func isJSONType(ct []byte, method string) bool {
	mt := bytes.ToLower(bytes.TrimSpace(bytes.SplitN(ct, []byte(";"), 2)[0]))
	switch string(mt) {
	case "application/json":
		return true
	case "application/merge-patch+json":
		return method == "PATCH"
	}
	return false
}

// writeError maps handler and store errors to statuses. Anything unknown is
// a 500 and is logged; client mistakes must never land here.
func (s *Server) writeError(ctx *fasthttp.RequestCtx, err error) {
	var ae *apiError
	var ce *store.ConflictError
	var re *store.RefError
	var ie *store.InvalidError
	var fe *store.FleetConflictError
	switch {
	case errors.As(err, &ae):
		writeProblem(ctx, ae.Status, ae.Detail, ae.Errs...)
		if ae.RetryAfter > 0 {
			ctx.Response.Header.Set("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
	case errors.As(err, &ce):
		msg := "already exists"
		if ce.Reason != "" {
			msg = ce.Reason // why a value that is not itself taken conflicts
		}
		writeProblem(ctx, 409, ce.Error(), FieldError{Field: ce.Field, Message: msg})
	case errors.As(err, &re):
		writeProblem(ctx, 422, "the request refers to something that does not exist",
			FieldError{Field: re.Field, Message: fmt.Sprintf("%d does not exist", re.ID)})
	case errors.As(err, &ie):
		writeProblem(ctx, 422, "the request has an invalid field", FieldError{Field: ie.Field, Message: ie.Reason})
	case errors.Is(err, store.ErrNotFound):
		writeProblem(ctx, 404, "not found")
	case errors.Is(err, store.ErrArchived):
		writeProblem(ctx, 409, "the user is archived; archived is final and allows only reading and deletion")
	case errors.Is(err, store.ErrBadCursor):
		writeProblem(ctx, 422, "the cursor is not valid", FieldError{Field: "cursor", Message: "not a cursor this server issued"})
	case errors.Is(err, store.ErrDiskFull):
		s.log.Error("store write failed: disk full", "err", err)
		writeProblem(ctx, 507, "the controller's disk is full; nothing was written")
	case errors.Is(err, store.ErrInUse):
		writeProblem(ctx, 409, err.Error())
	case errors.As(err, &fe):
		writeProblem(ctx, 409, "the record was changed on another controller of the fleet: "+fe.Error())
	case errors.Is(err, store.ErrFleetOffline):
		ctx.Response.Header.Set("Retry-After", "30")
		writeProblem(ctx, 503, err.Error()+". The doors go on deciding from this controller's copy")
	case errors.Is(err, store.ErrDamaged):
		s.log.Error("store page damaged", "path", string(ctx.Path()), "err", err)
		writeProblem(ctx, 503, "the store file is damaged where this request reads it; nothing was changed. "+
			"The doors go on deciding from memory; an administrator should run `doord check --store` and restore a backup")
	default:
		s.log.Error("request failed", "path", string(ctx.Path()), "err", err)
		writeProblem(ctx, 503, "the store could not complete the request; nothing was changed")
	}
}

func created(r *request, location string, v any) error {
	r.ctx.Response.Header.Set("Location", location)
	return writeJSON(r.ctx, 201, v)
}

func noContent(r *request) error {
	r.ctx.SetStatusCode(204)
	return nil
}

// uintParam parses a numeric id from the path; a non-number is a 404, the
// same as an id that does not exist.
func uintParam(r *request, name string) (uint64, error) {
	v, err := strconv.ParseUint(r.param(name), 10, 64)
	if err != nil || v == 0 {
		return 0, errStatus(404, name+" "+strconv.Quote(r.param(name))+" does not exist")
	}
	return v, nil
}
