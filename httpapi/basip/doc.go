// Package basip is doord's BAS-IP compatible API: software written for
// BAS-IP access panels (developers.bas-ip.com, android-panels API 2.x)
// manages doord unchanged. It is a dialect, not a second model: every
// route translates to the native store types and reuses the store, the
// door runtime and the event log, so a user written through either API is
// the same user in the other and at the doors. README.md ("The BAS-IP
// compatible API") lists what is supported and what differs.
//
// What makes it a dialect:
//   - errors are {"error":"..."} with BAS-IP's own strings (WriteError,
//     basipError), never problem+json; 401 is "Log In", 403
//     "Administrator rights required";
//   - content negotiation is lenient (no 406/415: BAS-IP clients do not
//     all send Content-Type), as BAS-IP asks clients to follow Postel's law;
//   - login is GET /api/v1/login with the password's MD5, answering a
//     bearer token that lasts 2 hours and works only on these routes;
//     HTTP Basic with the operator's plain password works on every route
//     (the server checks it, see Deps.Authenticate).
//
// It owns today: its routes (Dialect.Routes), their dispatch
// (Dialect.Serve: authenticate, authorize, run, answer errors in BAS-IP's
// shape, audit), which paths are BAS-IP's (IsPath), its body decoder
// (bbody), its list parameters and filter language (basip_filter.go),
// the translation of its lists into pages of the list index
// (store/listing, lists.go: the dialect builds the index on its first
// list, follows the store's feed with it, and drops it on Close), and the
// translation of users, identifiers, time profiles, apartments, remote
// and emergency open with BAS-IP's lock numbers (emergency.go), call
// forwarding rules (forward.go), the public device information
// (info.go: GET /api/info, and the api_version whose major clients
// read) and logs. Identifiers are served at every spelling the doc
// versions and the clients in the field use, under /api/v1 and the
// multi-apartment panels' /api/v0 (identifier_routes.go), with their
// numbers echoed as written (identifier_numbers.go), bulk and by-number
// deletes (identifier_bulk.go) and link_id create-or-update
// (identifier_links.go, kept in basip.link.* settings). The router, the request type, roles and the limits and
// secrecy rules shared with the native API are package core's.
//
// The seam. basip never imports httpapi; the server hands it what it
// needs as a Deps value when it builds the Dialect:
//   - Store: the store every route reads and writes;
//   - Doors: the door runtime's List, Open and EmergencyOpen/Close
//     (remote and emergency open; lock numbers in logs), nil without a
//     board; Locks: BAS-IP lock numbers → door ids ([basip] locks);
//   - Info: what GET /api/info says (version, commit, name, serial);
//   - Events: the event log (logs), an error while it is not running;
//   - Authenticate: the caller of a request, from a bearer token of any
//     scope or HTTP Basic (the server owns sessions, the Basic cache, the
//     lockout and the per-address throttle);
//   - CheckLogin and NewSession: the md5 login, through the same lockout
//     and throttle as the native login, and its BAS-IP-scoped token;
//   - CredentialValue: the native validation of a credential value, so
//     that both APIs store one canonical value;
//   - Audit, Log, Location (the access engine's zone).
//
// Adding a route: register it in Dialect.Routes (basip.go) as
// h(method, "/api/v1/…", core.Read|core.People|core.Doors|core.Public,
// s.handler) with a handler func(r *core.Request) error on *Dialect. It
// reads r.Ctx (fasthttp), r.Param("name"), r.Op.Username and r.Op.Role;
// the store is s.st, the doors s.doors (nil without a board), the event
// log s.deps.Events(). It answers with basipOK(r, v) and fails with
// bErr(status, "BAS-IP's words"), which Serve writes as {"error": …}
// (WriteError outside a handler). A path in a new family also goes in
// pathFamilies, so that its unknown routes answer in BAS-IP's shape.
// Contract tests are package basip_test over a real server
// (harness_test.go: newEnv, e.do, bwant, basipLogin, basicAuth);
// export_test.go exposes internals they need.
package basip
