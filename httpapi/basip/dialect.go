package basip

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// Doors is what the dialect needs of the door runtime.
type Doors interface {
	List() []core.DoorView
	// Open unlocks the door for its unlock time, as a remote momentary
	// open by the named operator (audited by the runtime).
	Open(id, by string) error
	// EmergencyOpen holds the door unlocked for d (1 s to a week), then
	// locks it by itself; persisted first (core.ErrDoorNotPersisted
	// when the store refused it: nothing is unlocked then) and audited
	// by the runtime. EmergencyClose ends it now.
	EmergencyOpen(id string, d time.Duration, by string) error
	EmergencyClose(id, by string) error
}

// EventLog is what the dialect needs of the event log.
type EventLog interface {
	Query(store.EventFilter) ([]store.Event, uint64, error)
}

// Deps is what the server gives the dialect (see the package doc).
type Deps struct {
	Store *store.Store
	Doors Doors // nil without a board
	// Locks maps BAS-IP lock numbers (0–8) to door ids ([basip] locks);
	// nil: lock n is the doors whose lock is n, 0 every door.
	Locks map[int][]string
	// Info is what GET /api/info says about this device (info.go).
	Info     Info
	Events   func() (EventLog, error)
	Log      *slog.Logger
	Location *time.Location // the access engine's zone; time.Local when nil

	// Authenticate returns the caller of a request that carries a bearer
	// token (of either login) or HTTP Basic credentials. A *core.Error
	// with status 403 is an account that proved its password but may not
	// work (disabled, expired); anything else answers "Log In".
	Authenticate func(ctx *fasthttp.RequestCtx) (*core.Caller, error)
	// CheckLogin checks a BAS-IP login from addr: the username, the hex
	// MD5 of the password and, for an operator with two-factor login, the
	// code. Its errors are *core.Error: 401, 403 (disabled or expired
	// after a correct password) or 429 (RetryAfter set).
	CheckLogin func(addr, username, md5hex, totp string) (*store.Operator, error)
	// NewSession issues a token for op that lasts ttl and works only on
	// the BAS-IP routes.
	NewSession func(op *store.Operator, ttl time.Duration) (token string, err error)
	// CredentialValue validates and normalizes a credential value of type
	// t as the native API does: value, the card format a facility/card
	// object named (formatGiven), or the reason it is refused.
	CredentialValue func(t store.CredentialType, raw json.RawMessage) (value, format string, formatGiven bool, problem string)
	// Audit records an operator's action in the event log (never blocks).
	Audit func(typ, operator, detail string)
}

// Dialect serves the BAS-IP routes over Deps.
type Dialect struct {
	st     *store.Store
	doors  Doors
	log    *slog.Logger
	loc    *time.Location
	deps   Deps
	bas    state
	listIx listIndex // lists.go

	info, name []byte // GET /api/info and /api/v0/device/name, encoded once
}

// New builds the dialect. Store, Authenticate, CheckLogin, NewSession and
// CredentialValue are required.
func New(d Deps) *Dialect {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Location == nil {
		d.Location = time.Local
	}
	if d.Audit == nil {
		d.Audit = func(string, string, string) {}
	}
	if d.Events == nil {
		d.Events = func() (EventLog, error) { return nil, errors.New("no event log") }
	}
	s := &Dialect{st: d.Store, doors: d.Doors, log: d.Log, loc: d.Location, deps: d}
	s.info, s.name = encodeInfo(d.Info)
	return s
}

// Serve runs a BAS-IP route after the router matched it: authenticate
// (unless n is core.Public), authorize, run h, answer its error in
// BAS-IP's shape, and audit a successful change (audit).
func (s *Dialect) Serve(ctx *fasthttp.RequestCtx, n core.Need, audit bool, h core.Handler, params core.PathParams) {
	r := &core.Request{Ctx: ctx, Params: params}
	if n != core.Public {
		op, err := s.deps.Authenticate(ctx)
		var ce *core.Error
		switch {
		case errors.As(err, &ce) && ce.Status == 403:
			WriteError(ctx, 403, "Account is disabled or expired")
			return
		case err != nil:
			WriteError(ctx, 401, basipLogIn)
			return
		case op.MustChange:
			WriteError(ctx, 403, "Password change required: log in at POST /api/v1/session and change it")
			return
		case !core.Allowed(op.Role, n):
			WriteError(ctx, 403, basipAdminReq)
			return
		}
		r.Op = op
	}
	if err := h(r); err != nil {
		s.writeError(ctx, err)
		return
	}
	if audit && r.Op != nil {
		s.deps.Audit(store.EventOperatorChange, r.Op.Username, string(ctx.Method())+" "+string(ctx.Path()))
	}
}

// WriteError answers {"error": msg} with status: the shape of every
// BAS-IP error, also for the server's own 404, 405 and 413 on BAS-IP
// paths.
func WriteError(ctx *fasthttp.RequestCtx, status int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	ctx.Response.ResetBody()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// Messages for the server's own errors on BAS-IP paths.
const (
	MsgNotFound         = "Not found"
	MsgMethodNotAllowed = "Method not allowed"
	MsgBodyTooLarge     = "Request body is too large"
)

// pathFamilies are the first segments after /api/v1 of BAS-IP's
// documented paths (routes doord serves and those it does not yet).
var pathFamilies = map[string]bool{
	"access": true, "apartment": true, "log": true, "logs": true, "forward": true,
	"info": true, "device": true, "login": true,
}

// IsPath reports whether path is one of BAS-IP's: under /api/v1/ in one
// of its families (access, apartment, log, forward, info, device, login),
// /api/info, or anything under /api/v0/ (the multi-apartment panels' base;
// the native API has no v0). Errors there are BAS-IP's, whether or not a
// route exists.
func IsPath(path string) bool {
	if path == "/api/info" || strings.HasPrefix(path, "/api/info/") || strings.HasPrefix(path, "/api/v0/") {
		return true
	}
	rest, ok := strings.CutPrefix(path, "/api/v1/")
	if !ok {
		return false
	}
	fam, _, _ := strings.Cut(rest, "/")
	return pathFamilies[fam]
}

// writeError maps handler and store errors to BAS-IP answers. The
// handlers turn the errors whose BAS-IP wording matters themselves; this
// is the fallback.
func (s *Dialect) writeError(ctx *fasthttp.RequestCtx, err error) {
	var be *basipError
	var ae *core.Error
	var ce *store.ConflictError
	var re *store.RefError
	var ie *store.InvalidError
	var fe *store.FleetConflictError
	switch {
	case errors.As(err, &be):
		if be.retryAfter > 0 {
			ctx.Response.Header.Set("Retry-After", strconv.Itoa(be.retryAfter))
		}
		WriteError(ctx, be.status, be.msg)
	case errors.As(err, &ae):
		if ae.RetryAfter > 0 {
			ctx.Response.Header.Set("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
		switch {
		case ae.Status == 401:
			WriteError(ctx, 401, basipLogIn)
		case ae.Status == 403:
			WriteError(ctx, 403, basipAdminReq)
		case ae.Status == 422 && len(ae.Errs) > 0:
			WriteError(ctx, 400, ae.Errs[0].Field+": "+ae.Errs[0].Message)
		case ae.Status == 422:
			WriteError(ctx, 400, ae.Detail)
		default:
			WriteError(ctx, ae.Status, ae.Detail)
		}
	case errors.As(err, &ce):
		WriteError(ctx, 400, ce.Error())
	case errors.As(err, &re):
		WriteError(ctx, 400, re.Field+" "+strconv.FormatUint(re.ID, 10)+" does not exist")
	case errors.As(err, &ie):
		WriteError(ctx, 400, ie.Field+": "+ie.Reason)
	case errors.Is(err, store.ErrNotFound):
		WriteError(ctx, 404, "Not found")
	case errors.Is(err, store.ErrArchived):
		WriteError(ctx, 400, "User is archived")
	case errors.Is(err, store.ErrInUse):
		WriteError(ctx, 400, err.Error())
	case errors.Is(err, store.ErrDiskFull):
		s.log.Error("store write failed: disk full", "err", err)
		WriteError(ctx, 507, "Disk full; nothing was written")
	case errors.As(err, &fe):
		WriteError(ctx, 409, "Changed on another controller; nothing was written: "+fe.Error())
	case errors.Is(err, store.ErrFleetOffline):
		WriteError(ctx, 503, "Fleet unreachable: "+err.Error())
	default:
		s.log.Error("BAS-IP request failed", "path", string(ctx.Path()), "err", err)
		WriteError(ctx, 503, "Storage unavailable; nothing was changed")
	}
}

// state is what the dialect remembers beyond the native model.
type state struct {
	linkMu sync.Mutex // serializes link_id create-or-update (identifier_links.go)
}
