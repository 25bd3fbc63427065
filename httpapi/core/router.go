package core

import (
	"slices"
	"sort"
	"strings"
)

// Router is a plain segment matcher over entries of type E (each dialect
// keeps its own per-route data in E). doord has a few dozen routes, and a
// tree router would be a dependency without a measurable gain.
type Router[E any] struct {
	Routes []*Route[E]
}

// Route is one path pattern with an entry per method.
type Route[E any] struct {
	Segs    []string // literal segments, or "{name}" for a parameter
	Methods map[string]E
}

// Add registers e for method and pattern; a second Add of the same pair
// replaces the first.
func (rt *Router[E]) Add(method, pattern string, e E) {
	segs := SplitPath(pattern)
	for _, r := range rt.Routes {
		if slices.Equal(r.Segs, segs) {
			r.Methods[method] = e
			return
		}
	}
	rt.Routes = append(rt.Routes, &Route[E]{Segs: segs, Methods: map[string]E{method: e}})
}

// Audited says which routes change what doord manages: every write but
// logging in and out (their own events), the simulator and a card learn.
func Audited(method, pattern string) bool {
	if method == "GET" || method == "HEAD" {
		return false
	}
	// A card learn is a POST only because it waits: it reads the next
	// card a reader sees and changes nothing, so it is not a change.
	return !strings.HasPrefix(pattern, "/api/v1/session") && !strings.HasPrefix(pattern, "/api/v1/sim/") &&
		!strings.HasPrefix(pattern, "/api/v1/login") && !strings.HasSuffix(pattern, "/learn")
}

// SplitPath returns p's segments.
func SplitPath(p string) []string {
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

// Match finds the entry for method and path. Literal segments win over
// parameters (/operators/me before /operators/{id}), but only among routes
// that have the method, so PATCH /operators/me still reaches
// /operators/{id}. found is false when no route has the path; when one
// has it but not the method, ok is false and allow lists the methods
// that would do.
func (rt *Router[E]) Match(method, path string) (e E, params PathParams, allow string, ok, found bool) {
	var buf [8]string
	segs := splitPathInto(buf[:0], path)
	var best *Route[E]
	bestLiterals := -1
	var methods []string
	for _, r := range rt.Routes {
		literals, fit := r.fits(segs)
		if !fit {
			continue
		}
		if _, has := r.Methods[method]; !has {
			for m := range r.Methods {
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
			return e, params, "", false, false
		}
		sort.Strings(methods)
		return e, params, strings.Join(slices.Compact(methods), ", "), false, true
	}
	for i, s := range best.Segs {
		if strings.HasPrefix(s, "{") && params.n < len(params.kv) {
			params.kv[params.n] = [2]string{s[1 : len(s)-1], segs[i]}
			params.n++
		}
	}
	return best.Methods[method], params, "", true, true
}

// PathParams holds a route's {name} values without a map: a route has at
// most a few, and this is on every request's path. The values are copies
// a handler may keep.
type PathParams struct {
	n  int
	kv [4][2]string
}

// Get returns the value of {name}.
func (p *PathParams) Get(name string) (string, bool) {
	for i := 0; i < p.n; i++ {
		if p.kv[i][0] == name {
			return p.kv[i][1], true
		}
	}
	return "", false
}

// fits reports whether segs match the route and how many literal segments
// matched.
func (r *Route[E]) fits(segs []string) (literals int, ok bool) {
	if len(r.Segs) != len(segs) {
		return 0, false
	}
	for i, s := range r.Segs {
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
