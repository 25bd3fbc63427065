package httpapi

import (
	"slices"
	"sort"
	"strings"

	"github.com/valyala/fasthttp"
)

// handlerFunc serves one route. params holds the path's {name} segments,
// already copied out of fasthttp's buffers. A returned error becomes a
// problem+json answer.
type handlerFunc func(r *request) error

// route is one path pattern with a handler per method. The router is a
// plain segment matcher: doord has a few dozen routes, and a tree router
// would be a dependency without a measurable gain.
type route struct {
	segs    []string // literal segments, or "{name}" for a parameter
	methods map[string]routeEntry
}

type routeEntry struct {
	h      handlerFunc
	action need
	audit  bool // a successful call is an operator_change event
	// basip marks a BAS-IP compatible route (basip.go): errors are
	// {"error": "..."} bodies, content negotiation is lenient, and tokens
	// from the BAS-IP login work here.
	basip bool
}

type router struct {
	routes []*route
}

func (rt *router) handle(method, pattern string, act need, h handlerFunc) {
	rt.add(method, pattern, routeEntry{h: h, action: act, audit: audited(method, pattern)})
}

// handleBasip registers a BAS-IP compatible route (see routeEntry.basip).
func (rt *router) handleBasip(method, pattern string, act need, h handlerFunc) {
	rt.add(method, pattern, routeEntry{h: h, action: act, audit: audited(method, pattern), basip: true})
}

func (rt *router) add(method, pattern string, e routeEntry) {
	segs := splitPath(pattern)
	for _, r := range rt.routes {
		if equalSegs(r.segs, segs) {
			r.methods[method] = e
			return
		}
	}
	rt.routes = append(rt.routes, &route{segs: segs, methods: map[string]routeEntry{method: e}})
}

// audited says which routes change what doord manages: every write but
// logging in and out (their own events) and the simulator.
func audited(method, pattern string) bool {
	if method == "GET" || method == "HEAD" {
		return false
	}
	return !strings.HasPrefix(pattern, "/api/v1/session") && !strings.HasPrefix(pattern, "/api/v1/sim/") &&
		!strings.HasPrefix(pattern, "/api/v1/login")
}

func equalSegs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func splitPath(p string) []string {
	return splitPathInto(nil, p)
}

// splitPathInto appends p's segments to dst; with a stack array as dst a
// request's path is split without allocating.
func splitPathInto(dst []string, p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return dst
	}
	for {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return append(dst, p)
		}
		dst = append(dst, p[:i])
		p = p[i+1:]
	}
}

// match finds the route for method and path. Literal segments win over
// parameters (/operators/me before /operators/{id}), but only among routes
// that have the method, so PATCH /operators/me still reaches
// /operators/{id}. ok is false when a path matched but no method did; allow
// then lists the methods that would.
func (rt *router) match(method, path string) (e routeEntry, params pathParams, allow string, found bool) {
	var buf [8]string
	segs := splitPathInto(buf[:0], path)
	var best *route
	bestLiterals := -1
	var methods []string
	for _, r := range rt.routes {
		literals, ok := r.fits(segs)
		if !ok {
			continue
		}
		if _, has := r.methods[method]; !has {
			for m := range r.methods {
				methods = append(methods, m)
			}
			continue
		}
		if literals > bestLiterals {
			best, bestLiterals = r, literals
		}
	}
	if best == nil {
		if len(methods) == 0 {
			return routeEntry{}, params, "", false
		}
		sort.Strings(methods)
		return routeEntry{}, params, strings.Join(slices.Compact(methods), ", "), true
	}
	for i, s := range best.segs {
		if strings.HasPrefix(s, "{") && params.n < len(params.kv) {
			params.kv[params.n] = [2]string{s[1 : len(s)-1], segs[i]}
			params.n++
		}
	}
	return best.methods[method], params, "", true
}

// pathParams holds a route's {name} values without a map: a route has at
// most a few, and this is on every request's path.
type pathParams struct {
	n  int
	kv [4][2]string
}

func (p *pathParams) get(name string) (string, bool) {
	for i := 0; i < p.n; i++ {
		if p.kv[i][0] == name {
			return p.kv[i][1], true
		}
	}
	return "", false
}

// fits reports whether segs match the route and how many literal segments
// matched.
func (r *route) fits(segs []string) (literals int, ok bool) {
	if len(r.segs) != len(segs) {
		return 0, false
	}
	for i, s := range r.segs {
		if strings.HasPrefix(s, "{") {
			if segs[i] == "" {
				return 0, false
			}
			continue
		}
		if s != segs[i] {
			return 0, false
		}
		literals++
	}
	return literals, true
}

// methodOf copies the request method into a string the handler may keep.
func methodOf(ctx *fasthttp.RequestCtx) string { return string(ctx.Method()) }
