package basip_test

import (
	"strings"
	"testing"
)

// The server's own errors on BAS-IP requests (issue 12, item 9): an
// unknown route, a wrong method or a too-large body on a BAS-IP path, or
// asked with BAS-IP credentials, answer {"error": "..."}; native paths
// keep problem+json.

const (
	bodyNotFound = `{"error":"Not found"}`
	bodyMethod   = `{"error":"Method not allowed"}`
	bodyTooLarge = `{"error":"Request body is too large"}`
)

func TestBasipUnknownRouteIsABasipError(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	for _, p := range []string{
		"/api/v1/access/nothing", "/api/v1/access/users/list/extra", "/api/v1/access/identifier/items/nope",
		"/api/v1/apartment/nope", "/api/v1/log/nope", "/api/v1/forward/nope",
		"/api/info/extra", "/api/v1/info/extra", "/api/v1/device/info", "/api/v1/login/extra",
		"/api/v0/access/identifiers/items/nope", "/api/v0/device/nope",
	} {
		e.do("GET", p, "", "").bwant(404, bodyNotFound)
		e.do("GET", p, tok, "").bwant(404, bodyNotFound)
	}
	// Native paths keep problem+json, also for their near namesakes (and a
	// path outside the API: "/" itself is the web console).
	for _, p := range []string{"/api/v1/nothing", "/api/v1/apartments/1/nope", "/api/v1/users/1/nope", "/api/v2/access/x", "/nothing"} {
		e.do("GET", p, "", "").want(404)
		e.do("GET", p, e.admin, "").want(404)
	}
	// With BAS-IP credentials anywhere, the answer is BAS-IP's.
	e.do("GET", "/api/v1/nothing", tok, "").bwant(404, bodyNotFound)
	e.do("GET", "/api/v1/nothing", "", "", basicAuth("admin", adminPW)).bwant(404, bodyNotFound)
}

func TestBasipWrongMethodIsABasipError(t *testing.T) {
	e := newEnv(t)
	r := e.do("DELETE", "/api/v1/login", "", "").bwant(405, bodyMethod)
	if r.hdr["Allow"] != "GET" {
		t.Fatalf("Allow %q, want GET", r.hdr["Allow"])
	}
	r = e.do("PUT", "/api/v1/access/users/item/1", "", "{}").bwant(405, bodyMethod)
	if r.hdr["Allow"] != "DELETE, GET, PATCH" {
		t.Fatalf("Allow %q", r.hdr["Allow"])
	}
	e.do("DELETE", "/api/v1/health", "", "").want(405)
	e.do("DELETE", "/api/v1/health", "", "", basicAuth("admin", adminPW)).bwant(405, bodyMethod)
}

func TestBasipTooLargeBodyIsABasipError(t *testing.T) {
	e := newEnv(t) // the harness limits bodies to 64 KiB
	big := `{"name":"` + strings.Repeat("a", 70<<10) + `"}`
	tok := e.basipLogin("admin", adminPW)
	basic := basicAuth("admin", adminPW)
	for _, c := range []struct {
		path, header string
		basip        bool
	}{
		{"/api/v1/access/user", "", true},
		{"/api/v1/access/user", "Authorization: Bearer " + tok, true},
		{"/api/v1/access/nothing", "", true},
		{"/api/v1/users", "Authorization: Bearer " + e.admin, false},
		{"/api/v1/users", "", false},
		{"/api/v1/users", basic, true},
		{"/api/v1/users", "Authorization: Bearer " + tok, true},
	} {
		status, ct, body := e.raw("POST", c.path, c.header, big)
		want, wantCT := `{"type":"https://doord.dev/problems/body-too-large"`, "application/problem+json"
		if c.basip {
			want, wantCT = bodyTooLarge, "application/json"
		}
		if status != 413 || ct != wantCT || !strings.HasPrefix(body, want) {
			t.Errorf("POST %s (%s): %d %s %s, want 413 %s %s", c.path, c.header, status, ct, body, wantCT, want)
		}
	}
	e.do("GET", "/api/v1/health", "", "").want(200)
}
