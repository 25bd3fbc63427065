package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/httpapi/console"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
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

// rawGet writes the request line byte for byte on a connection of its
// own (fasthttp's client would resolve ".." and %2F itself, and the
// contract check would refuse these paths) and returns status and body.
func rawGet(t *testing.T, e *env, method, path, token string) (int, []byte) {
	t.Helper()
	conn, err := e.ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: doord\r\nAccept: application/json\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", method, path, token)
	res := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(res)
	if method == "HEAD" {
		res.SkipBody = true
	}
	if err := res.Read(bufio.NewReader(conn)); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode(), append([]byte(nil), res.Body()...)
}

// A console link can carry any text as a person's id (#/people/<id>);
// the page asks /api/v1/users/<encodeURIComponent(id)>. fasthttp decodes
// %2F and resolves "..", so an id "../operators/2" reached
// /api/v1/operators/2 and the admin's "Delete person" deleted an
// operator. A path whose segments would change under that normalizing
// is refused, and the operator is still there.
func TestPathsThatNormalizeToAnotherRouteAreRefused(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("victim", "victim-password-1", store.RoleViewer)
	var id float64
	for _, o := range e.do("GET", "/api/v1/operators", e.admin, "").want(200).json()["items"].([]any) {
		if o.(map[string]any)["username"] == "victim" {
			id = o.(map[string]any)["id"].(float64)
		}
	}
	victim := strconv.Itoa(int(id))
	for _, p := range []string{
		"/api/v1/users/..%2Foperators%2F" + victim,
		"/api/v1/users/..%2foperators%2f" + victim,
		"/api/v1/users/%2e%2e/operators/" + victim,
		"/api/v1/users/%2E./operators/" + victim,
		"/api/v1/users/../operators/" + victim,
		"/api/v1/users/x/..%5C..%5Coperators%5C" + victim,
		"/api/v1/./operators/" + victim,
		"/console/..%2F..%2Fapi/v1/operators/" + victim,
	} {
		status, body := rawGet(t, e, "DELETE", p, e.admin)
		if status != 400 || !bytes.Contains(body, []byte("encoded slash")) {
			t.Errorf("DELETE %s: %d %s, want 400", p, status, body)
		}
	}
	if status, _ := rawGet(t, e, "GET", "/api/v1/operators/"+victim, e.admin); status != 200 {
		t.Fatalf("the operator is gone: GET /api/v1/operators/%s = %d", victim, status)
	}
	// Plain paths, a trailing slash, an empty segment (a base URL ending
	// in "/" joined with "/api/...") and a query with slashes are not
	// ambiguous.
	for _, p := range []string{"/", "/console/app.js", "/api/v1/operators/" + victim, "//api/v1/operators/" + victim, "/api/v1//operators/" + victim, "/api/v1/events?user=a%2Fb"} {
		if status, body := rawGet(t, e, "GET", p, e.admin); status == 400 {
			t.Errorf("GET %s: 400 %s", p, body)
		}
	}
	if status, _ := rawGet(t, e, "GET", "/console/", e.admin); status != 404 {
		t.Errorf("GET /console/: %d, want the console's 404", status)
	}
}
