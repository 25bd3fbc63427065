package httpapi

import (
	"bytes"
	"strings"
	"testing"

	"github.com/doord/doord/httpapi/console"
)

// The server serves the embedded console at / and /console/* with its
// types and strict headers, beside the API; unknown console paths are
// plain 404s (not the API's problem+json), and a path outside the
// console and the API is still the API's 404.
func TestConsoleServedBesideTheAPI(t *testing.T) {
	e := newEnv(t)
	for path, ctype := range map[string]string{
		"/":                  "text/html; charset=utf-8",
		"/console/app.js":    "text/javascript; charset=utf-8",
		"/console/app.css":   "text/css; charset=utf-8",
		"/console/person.js": "text/javascript; charset=utf-8",
	} {
		r := e.do("GET", path, "", "")
		if r.status != 200 || r.hdr["Content-Type"] != ctype || len(r.body) == 0 {
			t.Errorf("GET %s: %d %q (%d bytes), want 200 %q", path, r.status, r.hdr["Content-Type"], len(r.body), ctype)
		}
		if got := r.hdr["Content-Security-Policy"]; got != console.CSP {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		if r.hdr["X-Content-Type-Options"] != "nosniff" || r.hdr["Referrer-Policy"] != "no-referrer" {
			t.Errorf("GET %s: nosniff/no-referrer missing", path)
		}
	}
	for _, path := range []string{"/console/missing.js", "/console/", "/console/index.html"} {
		if r := e.do("GET", path, "", ""); r.status != 404 || !strings.HasPrefix(r.hdr["Content-Type"], "text/plain") {
			t.Errorf("GET %s: %d %q, want a plain 404", path, r.status, r.hdr["Content-Type"])
		}
	}
	if r := e.do("GET", "/consoles", "", ""); r.status != 404 || r.hdr["Content-Type"] != "application/problem+json" {
		t.Errorf("GET /consoles: %d %q, want the API's 404", r.status, r.hdr["Content-Type"])
	}
	if r := e.do("DELETE", "/", e.admin, ""); r.status != 405 || r.hdr["Allow"] != "GET, HEAD" {
		t.Errorf("DELETE /: %d Allow %q", r.status, r.hdr["Allow"])
	}
}

// The console's files carry no data: without a token they are served,
// byte for byte the same as with an admin's, and nothing in them comes
// from the store; the data stays behind the API's token.
func TestConsoleServesNoDataWithoutAToken(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/v1/users", e.admin, `{"name":"Zebedee Quartermaine","email":"zq@example.org","locks":"both"}`).want(201)
	for _, path := range []string{"/", "/console/app.js", "/console/api.js", "/console/people.js", "/console/app.css"} {
		r := e.do("GET", path, "", "")
		anon, authed := r.body, e.do("GET", path, e.admin, "").body
		if r.status != 200 || !bytes.Equal(anon, authed) {
			t.Errorf("GET %s: %d; the same bytes with and without a token: %v", path, r.status, bytes.Equal(anon, authed))
		}
		for _, secret := range []string{"Zebedee", "zq@example.org", e.admin, adminPW} {
			if bytes.Contains(anon, []byte(secret)) {
				t.Errorf("GET %s serves %q", path, secret)
			}
		}
	}
	for _, path := range []string{"/api/v1/users", "/api/v1/operators", "/api/v1/events", "/api/v1/status", "/metrics"} {
		if r := e.do("GET", path, "", ""); r.status != 401 || bytes.Contains(r.body, []byte("Zebedee")) {
			t.Errorf("GET %s without a token: %d, want 401", path, r.status)
		}
	}
}

// With plain HTTP limited to health (HTTPS configured), the console is
// not served over plain HTTP either: its token would cross in clear.
func TestConsoleRefusedOnPlainHTTPWhenTLSIsOn(t *testing.T) {
	e := newEnv(t)
	e.cfg.PlainHealthOnly = true
	e.serve()
	if r := e.do("GET", "/", "", ""); r.status != 403 {
		t.Errorf("GET / over plain HTTP with PlainHealthOnly: %d, want 403", r.status)
	}
}
