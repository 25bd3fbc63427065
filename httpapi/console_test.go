package httpapi

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/httpapi/console"
	"github.com/valyala/fasthttp"
)

// consoleGet fetches a console path through the whole server (its
// listener, Handler and dispatch), with a token when one is given.
func (e *env) consoleGet(method, path, token string) (int, *fasthttp.ResponseHeader, []byte) {
	e.t.Helper()
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://doord" + path)
	req.Header.SetMethod(method)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if err := e.c.DoTimeout(req, res, 10*time.Second); err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	var hdr fasthttp.ResponseHeader
	res.Header.CopyTo(&hdr)
	return res.StatusCode(), &hdr, append([]byte(nil), res.Body()...)
}

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
		st, hdr, body := e.consoleGet("GET", path, "")
		if st != 200 || string(hdr.ContentType()) != ctype || len(body) == 0 {
			t.Errorf("GET %s: %d %q (%d bytes), want 200 %q", path, st, hdr.ContentType(), len(body), ctype)
		}
		if got := string(hdr.Peek("Content-Security-Policy")); got != console.CSP {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		if string(hdr.Peek("X-Content-Type-Options")) != "nosniff" || string(hdr.Peek("Referrer-Policy")) != "no-referrer" {
			t.Errorf("GET %s: nosniff/no-referrer missing", path)
		}
	}
	for _, path := range []string{"/console/missing.js", "/console/", "/console/index.html"} {
		st, hdr, _ := e.consoleGet("GET", path, "")
		if st != 404 || !strings.HasPrefix(string(hdr.ContentType()), "text/plain") {
			t.Errorf("GET %s: %d %q, want a plain 404", path, st, hdr.ContentType())
		}
	}
	if st, hdr, _ := e.consoleGet("GET", "/consoles", ""); st != 404 || string(hdr.ContentType()) != "application/problem+json" {
		t.Errorf("GET /consoles: %d %q, want the API's 404", st, hdr.ContentType())
	}
	if st, hdr, _ := e.consoleGet("DELETE", "/", e.admin); st != 405 || string(hdr.Peek("Allow")) != "GET, HEAD" {
		t.Errorf("DELETE /: %d Allow %q", st, hdr.Peek("Allow"))
	}
}

// The console's files carry no data: without a token they are served,
// byte for byte the same as with an admin's, and nothing in them comes
// from the store; the data stays behind the API's token.
func TestConsoleServesNoDataWithoutAToken(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/v1/users", e.admin, `{"name":"Zebedee Quartermaine","email":"zq@example.org","locks":"both"}`).want(201)
	for _, path := range []string{"/", "/console/app.js", "/console/api.js", "/console/people.js", "/console/app.css"} {
		st, _, anon := e.consoleGet("GET", path, "")
		_, _, authed := e.consoleGet("GET", path, e.admin)
		if st != 200 || !bytes.Equal(anon, authed) {
			t.Errorf("GET %s: %d; the same bytes with and without a token: %v", path, st, bytes.Equal(anon, authed))
		}
		for _, secret := range []string{"Zebedee", "zq@example.org", e.admin, adminPW} {
			if bytes.Contains(anon, []byte(secret)) {
				t.Errorf("GET %s serves %q", path, secret)
			}
		}
	}
	for _, path := range []string{"/api/v1/users", "/api/v1/operators", "/api/v1/events", "/api/v1/status", "/metrics"} {
		if st, _, body := e.consoleGet("GET", path, ""); st != 401 || bytes.Contains(body, []byte("Zebedee")) {
			t.Errorf("GET %s without a token: %d, want 401", path, st)
		}
	}
}

// With plain HTTP limited to health (HTTPS configured), the console is
// not served over plain HTTP either: its token would cross in clear.
func TestConsoleRefusedOnPlainHTTPWhenTLSIsOn(t *testing.T) {
	e := newEnv(t)
	e.cfg.PlainHealthOnly = true
	e.serve()
	if st, _, _ := e.consoleGet("GET", "/", ""); st != 403 {
		t.Errorf("GET / over plain HTTP with PlainHealthOnly: %d, want 403", st)
	}
}
