package httpapi

import (
	"github.com/doord/doord/httpapi/core"
	"github.com/valyala/fasthttp"
)

// handlerFunc serves one native route. A returned error becomes a
// problem+json answer.
type handlerFunc func(r *request) error

// routeEntry is what the route table keeps per method: a native handler,
// or (basip set) a BAS-IP one that the dialect dispatches (basip.go).
type routeEntry struct {
	pattern string // as registered, for the request metrics
	h       handlerFunc
	action  need
	audit   bool // a successful call is an operator_change event
	// basip marks a BAS-IP compatible route (package httpapi/basip): errors
	// are {"error": "..."} bodies, content negotiation is lenient, and
	// tokens from the BAS-IP login and HTTP Basic work here.
	basip bool
	bh    core.Handler
	// file marks a route whose body is a file, not JSON (import.go).
	file bool
}

// router is core's segment matcher over both dialects' routes.
type router struct {
	core.Router[routeEntry]
}

// pathParams are a route's {name} values (core.PathParams).
type pathParams = core.PathParams

func (rt *router) handle(method, pattern string, act need, h handlerFunc) {
	rt.Add(method, pattern, routeEntry{pattern: pattern, h: h, action: act, audit: core.Audited(method, pattern)})
}

// handleBasip registers a BAS-IP compatible route (see routeEntry.basip).
func (rt *router) handleBasip(method, pattern string, act need, h core.Handler) {
	rt.Add(method, pattern, routeEntry{pattern: pattern, bh: h, action: act, audit: core.Audited(method, pattern), basip: true})
}

// match finds the route for method and path (core.Router.Match); when the
// path matched but no method did, e has no handler and allow lists the
// methods that would.
func (rt *router) match(method, path string) (e routeEntry, params pathParams, allow string, found bool) {
	e, params, allow, _, found = rt.Match(method, path)
	return e, params, allow, found
}

// methodOf copies the request method into a string the handler may keep.
func methodOf(ctx *fasthttp.RequestCtx) string { return string(ctx.Method()) }
