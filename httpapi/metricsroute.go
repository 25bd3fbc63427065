package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/valyala/fasthttp"
)

// MetricsPath is where Prometheus scrapes. It is served beside the router
// (serve), not through it: it answers the Prometheus text format whatever
// the Accept header says, and it is no part of the native API's contract.
const MetricsPath = "/metrics"

// serveMetrics answers GET /metrics: a viewer's (or higher) token, or the
// configured scrape token. Nothing here touches the door path: the
// registry reads counters and snapshots the doors publish.
func (s *Server) serveMetrics(ctx *fasthttp.RequestCtx) {
	if m := methodOf(ctx); m != "GET" && m != "HEAD" {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		writeProblem(ctx, 405, "method "+m+" is not allowed here")
		return
	}
	if !s.isScrapeToken(ctx) {
		op, err := s.authenticate(ctx)
		if err == nil && op.scope != "" {
			err = errScope
		}
		if err == nil {
			err = authorize(op, accRead)
		}
		if err != nil {
			s.writeError(ctx, err)
			return
		}
	}
	ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	s.metrics.WriteTo(ctx)
}

// isScrapeToken says whether the request carries the configured scrape
// token. Both sides are hashed first so that the comparison takes the same
// time whatever the token's length.
func (s *Server) isScrapeToken(ctx *fasthttp.RequestCtx) bool {
	if s.cfg.ScrapeToken == "" {
		return false
	}
	tok, ok := bearer(ctx)
	if !ok {
		return false
	}
	got, want := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(s.cfg.ScrapeToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// observe counts a request that serve answered (route: the matched
// pattern, "" for none).
func (s *Server) observe(ctx *fasthttp.RequestCtx, route string, start time.Time) {
	s.metrics.ObserveRequest(route, methodOf(ctx), ctx.Response.StatusCode(), time.Since(start))
}
