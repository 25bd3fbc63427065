// Package httpapi is doord's management API: a fasthttp server speaking the
// native JSON API under /api/v1 (and, later, the BAS-IP dialect).
//
// It owns the wire: routing, content negotiation, request validation,
// problem+json errors (RFC 9457), operator sessions and roles, and the
// translation between JSON and the store's types. It owns no access policy
// and no persistence: writes go to the store, which is durable before any 2xx
// is sent, and decisions stay in auth and device. Nothing here may block the
// door path: the door runtime never waits on an HTTP handler.
//
// fasthttp reuses request buffers after a handler returns, so every slice
// taken from a request (body, path, headers, args) is copied before it is
// kept; see DESIGN.md.
package httpapi
