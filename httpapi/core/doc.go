// Package core is what both of doord's HTTP dialects stand on: the route
// table and its matcher (router.go), what a route needs from the caller
// and which role may do it (need.go), the request a handler sees and the
// authenticated caller (request.go), JSON answers and RFC 9457
// problem+json errors with the handler error type that picks them
// (problem.go, json.go), and the rules and limits both dialects apply to
// the same records (values.go: field limits, which role reads which
// credential value, wall-clock and event-type syntax; doors.go: the door
// view the runtime hands either dialect).
//
// It owns no routes and no policy of its own: the native API (package
// httpapi) and the BAS-IP dialect (package httpapi/basip) register their
// routes in a Router and dispatch them their own way. core imports
// neither; both import core.
package core
