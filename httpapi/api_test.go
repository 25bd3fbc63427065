package httpapi

import (
	"bufio"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

func TestHealthNeedsNoToken(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/health", "", "").want(200)
	if got := r.str("status"); got != "ok" {
		t.Fatalf("status = %q, want ok", got)
	}
}

func TestEveryOtherRouteNeedsAToken(t *testing.T) {
	e := newEnv(t)
	for _, rt := range e.srv.rt.Routes {
		for m, ent := range rt.Methods {
			if ent.action == accPublic || ent.basip { // BAS-IP routes answer in their own shape: httpapi/basip
				continue
			}
			path := "/" + strings.NewReplacer("{id}", "1", "{ref}", "1", "{reader}", "1", "{input}", "x").Replace(strings.Join(rt.Segs, "/"))
			r := e.do(m, path, "", `{}`).want(401)
			if r.hdr["WWW-Authenticate"] == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", m, path)
			}
		}
	}
	e.do("GET", "/api/v1/users", "doord_notarealtoken", "").want(401)
	e.do("GET", "/api/v1/users", "garbage", "").want(401)
}

func TestStatusCodes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		want         int
	}{
		{"unknown route", "GET", "/api/v1/nope", "", nil, 404},
		{"unknown user", "GET", "/api/v1/users/3f2c1a9e-5b7d-4c1e-9a0b-2d4e6f8a1c3e", "", nil, 404},
		{"unknown user uid", "GET", "/api/v1/users/999", "", nil, 404},
		{"bad user id", "GET", "/api/v1/users/not-an-id", "", nil, 404},
		{"method not allowed", "POST", "/api/v1/health", "{}", nil, 405},
		{"not acceptable", "GET", "/api/v1/users", "", []string{"Accept: text/html"}, 406},
		{"accept json q=0", "GET", "/api/v1/users", "", []string{"Accept: application/json;q=0, text/html"}, 406},
		{"accept wildcard", "GET", "/api/v1/users", "", []string{"Accept: text/html, */*;q=0.1"}, 200},
		{"malformed json", "POST", "/api/v1/users", `{"name": `, nil, 400},
		{"not an object", "POST", "/api/v1/users", `["x"]`, nil, 400},
		{"trailing data", "POST", "/api/v1/users", `{"name":"a"} {}`, nil, 400},
		{"not json", "POST", "/api/v1/users", `name=x`, []string{"Content-Type: text/plain"}, 415},
		{"merge patch on post", "POST", "/api/v1/users", `{"name":"x"}`, []string{"Content-Type: application/merge-patch+json"}, 415},
		{"invalid", "POST", "/api/v1/users", `{"name": 5}`, nil, 422},
		{"bad limit", "GET", "/api/v1/users?limit=0", "", nil, 422},
		{"bad cursor", "GET", "/api/v1/users?cursor=!!!", "", nil, 422},
		{"bad state filter", "GET", "/api/v1/users?state=gone", "", nil, 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, e.admin, tc.body, tc.headers...)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want >= 400 {
				r.want(tc.want)
				p := r.json()
				if p["status"] != float64(tc.want) || p["title"] == "" || p["type"] == "" || p["instance"] == "" {
					t.Fatalf("problem body incomplete: %s", r.body)
				}
			}
		})
	}
	r := e.do("POST", "/api/v1/health", "", "{}").want(405)
	if r.hdr["Allow"] != "GET" {
		t.Fatalf("Allow = %q, want GET", r.hdr["Allow"])
	}
}

func TestBodyTooLargeIs413(t *testing.T) {
	e := newEnv(t)
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	// A raw connection: the server answers 413 as soon as it has read the
	// headers and closes, possibly while the body is still being sent, so
	// a client that insists on finishing its write reports only the close.
	c, err := e.ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		fmt.Fprintf(c, "POST /api/v1/users HTTP/1.1\r\nHost: doord\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", e.admin, len(big), big)
	}()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 413 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d (%s), want 413 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// The server is still fine afterwards.
	e.do("GET", "/api/v1/health", "", "").want(200)
}

func TestValidationListsEveryBadField(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/users", e.admin, `{
		"name": 5, "email": "not-mail", "state": "gone", "tags": "x", "locks": "3",
		"valid_from": "yesterday", "time_profiles": [0], "auth_factors": ["iris"],
		"properties": {"bad key": "v"}, "id": "123", "phone": "call me"}`).want(422)
	got := r.fields()
	for _, want := range []string{"name", "email", "state", "tags", "locks", "valid_from", "time_profiles",
		"auth_factors[0]", "properties.bad key", "id", "phone"} {
		if !slices.Contains(got, want) {
			t.Errorf("errors[] lacks %q; got %v", want, got)
		}
	}
}

func TestStoreUnavailableIs503(t *testing.T) {
	st, err := store.Open(t.TempDir()+"/doord.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvStore(t, st, Parts{})
	e.do("GET", "/api/v1/health", "", "").want(200)
	st.Close()
	e.do("GET", "/api/v1/health", "", "").want(503)
	e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":"A"}`).want(503)
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("olga", "operator password 1", store.RoleOperator)
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	op := e.login("olga", "operator password 1")
	view := e.login("vic", "viewer password 1")

	e.do("GET", "/api/v1/users", view, "").want(200)
	e.do("POST", "/api/v1/users", view, `{"locks": "both", "name":"A"}`).want(403)
	e.do("POST", "/api/v1/users", op, `{"locks": "both", "name":"A"}`).want(201)
	e.do("GET", "/api/v1/operators", op, "").want(403)
	e.do("POST", "/api/v1/operators", op, `{"username":"x","password":"long enough password"}`).want(403)
	e.do("GET", "/api/v1/operators", e.admin, "").want(200)
	e.do("GET", "/api/v1/operators/me", view, "").want(200)
}

func TestLoginAndLockout(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/v1/session", "", `{"username":"admin"}`).want(422)
	e.do("POST", "/api/v1/session", "", `{"username":"ghost","password":"whatever pw"}`).want(401)
	for i := 0; i < 4; i++ {
		e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"wrong"}`).want(401)
	}
	// A success before the threshold clears the counter.
	e.login("admin", adminPW)
	for i := 0; i < 5; i++ {
		e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"wrong"}`).want(401)
	}
	r := e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`"}`).want(429)
	if r.hdr["Retry-After"] == "" {
		t.Fatal("429 without Retry-After")
	}
	op, _ := e.st.GetOperatorByUsername("admin")
	if op.FailedLogins != 5 || op.LockStart == nil || op.LastFailure == nil {
		t.Fatalf("operator after lockout: failed=%d lock_start=%v", op.FailedLogins, op.LockStart)
	}
	v := e.do("GET", "/api/v1/operators/"+itoa(op.ID), e.admin, "").want(200).json()
	if v["locked"] != true || v["password_hash"] != nil {
		t.Fatalf("operator view: %v", v)
	}
	e.advance(61 * time.Second)
	e.login("admin", adminPW)
	op, _ = e.st.GetOperatorByUsername("admin")
	if op.FailedLogins != 0 || op.LockStart != nil || op.LastSuccess == nil {
		t.Fatalf("after success: failed=%d lock_start=%v", op.FailedLogins, op.LockStart)
	}
}

func TestAdminUnlocksOperator(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("olga", "operator password 1", store.RoleOperator)
	for i := 0; i < 5; i++ {
		e.do("POST", "/api/v1/session", "", `{"username":"olga","password":"nope"}`).want(401)
	}
	e.do("POST", "/api/v1/session", "", `{"username":"olga","password":"operator password 1"}`).want(429)
	o, _ := e.st.GetOperatorByUsername("olga")
	e.do("PATCH", "/api/v1/operators/"+itoa(o.ID), e.admin, `{"locked": true}`).want(422)
	e.do("PATCH", "/api/v1/operators/"+itoa(o.ID), e.admin, `{"locked": false}`).want(200)
	e.login("olga", "operator password 1")
}

func TestSessionExpiryAndLogout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TokenTTL = time.Hour })
	tok := e.login("admin", adminPW)
	e.do("GET", "/api/v1/session", tok, "").want(200)
	e.do("DELETE", "/api/v1/session", tok, "").want(204)
	e.do("GET", "/api/v1/users", tok, "").want(401)

	tok = e.login("admin", adminPW)
	e.advance(59 * time.Minute)
	e.do("GET", "/api/v1/users", tok, "").want(200)
	e.advance(2 * time.Minute)
	e.do("GET", "/api/v1/users", tok, "").want(401)
}

func TestSessionsSurviveARestart(t *testing.T) {
	e := newEnv(t)
	e.restart()
	e.do("GET", "/api/v1/users", e.admin, "").want(200)
}

func TestLoginThrottlePerAddress(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginFailuresPerIP = 3 })
	for i := 0; i < 3; i++ {
		e.do("POST", "/api/v1/session", "", `{"username":"ghost`+itoa(uint64(i))+`","password":"whatever pw"}`).want(401)
	}
	r := e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`"}`).want(429)
	if r.hdr["Retry-After"] == "" {
		t.Fatal("429 without Retry-After")
	}
	e.advance(time.Minute)
	e.login("admin", adminPW)
}
