// Package httpapi is doord's management API: a fasthttp server speaking the
// native JSON API under /api/v1 and, through package httpapi/basip, the
// BAS-IP compatible dialect under BAS-IP's paths. Both stand on package
// httpapi/core (router, route needs and roles, the request and caller,
// JSON and problem+json answers, limits and secrecy rules shared by both);
// corenames.go gives the native handlers their short names for it.
//
// httpapi owns the server (limits, listeners, TLS, shutdown), dispatch
// (server.go: the native routes' negotiation, authentication and errors;
// the BAS-IP routes handed to basip.Dialect.Serve), operator sessions and
// logins, and what the dialect gets from the server (basip.go: the
// basip.Deps seam, HTTP Basic on the BAS-IP routes in basicauth.go, and
// which unknown routes, wrong methods and too-large bodies are answered
// in BAS-IP's shape).
//
// It owns the wire: routing, content negotiation, request validation,
// problem+json errors (RFC 9457), operator sessions and roles, and the
// translation between JSON and the store's types. It owns no access policy
// and no persistence: writes go to the store, which is durable before any 2xx
// is sent, and decisions stay in auth and device. Nothing here may block the
// door path: the door runtime never waits on an HTTP handler.
//
// Operator security lives in a few files: session.go (tokens, the session
// cache, who may do what), logincheck.go (password checks, the per-address
// throttle of throttle.go, the lockout, the same answers for unknown
// names), sessionpurge.go (expired sessions leave store and memory),
// serverlog.go (fasthttp's logger and error handler: malformed requests by
// kind and size, never their bytes), health.go (an O(1) health; record
// counts behind a token at /status).
//
// Its security rules live in files of their own: decode.go makes native
// bodies strict (an unknown field is a 422), core.ShownValue says which
// role reads which credential value in every view of both dialects, tls.go
// serves HTTPS (a self-signed certificate or the installer's) and keeps
// plain HTTP to health when asked. A store read that meets a damaged page
// answers 503 and /health says degraded.
//
// Metrics: metricsroute.go serves GET /metrics (Prometheus text format;
// a viewer's token or the configured scrape token) beside the router, and
// Handler reports every request's route pattern, status and time to the
// registry of the metrics sub-package, which owns the collection.
//
// Learning a card (learn.go): POST /api/v1/readers/{reader}/learn waits,
// bounded in time and in number, for the next card read through the
// Learner the daemon gives it, and ends early when its client hangs up
// (clientgone.go peeks at the socket; fasthttp itself cannot tell).
//
// The people search (search.go): GET /api/v1/users?q= answers from the
// list index that the BAS-IP lists build (store/listing, one copy).
//
// Import and export (import.go, importfile.go, export.go) read and write
// user lists as CSV or NDJSON: the files' rows are checked by the same
// applyUser as the API's bodies, the import's body limit is raised only
// for a session that may import, and an export leaves out what the
// caller's role may not read (secrets.go's rules), so that it re-imports
// as no change.
//
// The web console (package httpapi/console: embedded HTML, CSS and ES
// modules) is served beside the router at / and /console/*, before any
// route is matched: static files, the same for every caller, that read
// all their data from /api/v1 with the operator's bearer token.
//
// fasthttp reuses request buffers after a handler returns, so every slice
// taken from a request (body, path, headers, args) is copied before it is
// kept; see DESIGN.md.
package httpapi
