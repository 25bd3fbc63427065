package metrics

import (
	"strconv"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// httpMetrics are the API's requests. Their series are made on first use
// and kept: the labels are bounded (route patterns, not paths; the
// methods the router knows; the statuses the API answers with).
type httpMetrics struct {
	reqs, secs *vm.Set

	mu     sync.RWMutex
	counts map[reqKey]*vm.Counter
	hists  map[routeKey]*vm.PrometheusHistogram
}

type routeKey struct{ route, method string }

type reqKey struct {
	routeKey
	status int
}

// HTTPBuckets are the request-time histogram's bounds, in seconds.
var HTTPBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func (h *httpMetrics) init(reqs, secs *vm.Set) {
	h.reqs, h.secs = reqs, secs
	h.counts = map[reqKey]*vm.Counter{}
	h.hists = map[routeKey]*vm.PrometheusHistogram{}
}

// Unmatched is the route label of a request no route matched (404).
const Unmatched = "unmatched"

// ObserveRequest counts one API request: route is the matched pattern
// (Unmatched for none), status the answer's.
func (r *Registry) ObserveRequest(route, method string, status int, d time.Duration) {
	h := &r.http
	if route == "" {
		route = Unmatched
	}
	method = knownMethod(method)
	if status < 100 || status > 599 {
		status = 0
	}
	rk := routeKey{route, method}
	k := reqKey{rk, status}
	h.mu.RLock()
	c, hist := h.counts[k], h.hists[rk]
	h.mu.RUnlock()
	if c == nil || hist == nil {
		h.mu.Lock()
		if c = h.counts[k]; c == nil {
			c = h.reqs.GetOrCreateCounter(series(famHTTPRequests, "route", route, "method", method, "status", strconv.Itoa(status)))
			h.counts[k] = c
		}
		if hist = h.hists[rk]; hist == nil {
			hist = h.secs.GetOrCreatePrometheusHistogramExt(series(famHTTPSeconds, "route", route, "method", method), HTTPBuckets)
			h.hists[rk] = hist
		}
		h.mu.Unlock()
	}
	c.Inc()
	hist.Update(d.Seconds())
}

// knownMethod bounds the method label: a client may send any token.
func knownMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}
