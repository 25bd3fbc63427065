package httpapi

import (
	"net/url"

	"github.com/doord/doord/auth"
)

// Helpers for the native tests that also call the BAS-IP routes (the
// dialect's own tests live in package basip_test, httpapi/basip).

// bwant checks a BAS-IP answer's status and, when body is not "", its
// exact bytes.
func (r resp) bwant(status int, body string) resp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s: status %d, want %d; body %s", r.req, r.status, status, r.body)
	}
	if r.hdr["Content-Type"] != "application/json" {
		r.t.Fatalf("%s: Content-Type %q, want application/json", r.req, r.hdr["Content-Type"])
	}
	if body != "" && string(r.body) != body {
		r.t.Fatalf("%s: body\n  %s\nwant\n  %s", r.req, r.body, body)
	}
	return r
}

func (r resp) num(key string) uint64 {
	r.t.Helper()
	v, ok := r.json()[key].(float64)
	if !ok {
		r.t.Fatalf("%s: no number %q in %s", r.req, key, r.body)
	}
	return uint64(v)
}

// basipLogin logs in through GET /api/v1/login with the password's MD5.
func (e *env) basipLogin(name, pw string) string {
	e.t.Helper()
	r := e.do("GET", "/api/v1/login?username="+name+"&password="+auth.MD5Hex(pw), "", "").bwant(200, "")
	return r.str("token")
}

const (
	bodyLogIn    = `{"error":"Log In"}`
	bodyDupIdent = `{"error":"Identifier with that type and number already exist"}`
)

func filterQ(f string) string { return "filter=" + url.QueryEscape(f) }
