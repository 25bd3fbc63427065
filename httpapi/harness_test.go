package httpapi

import (
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// env is a real API server over a real bbolt file, reached through
// fasthttp's in-memory listener: every byte goes through fasthttp's parser
// and writer, as on a socket.
type env struct {
	t     testing.TB
	st    *store.Store
	srv   *Server
	c     *fasthttp.Client
	admin string // admin token
	cfg   Config
	parts Parts
	ln    *fasthttputil.InmemoryListener

	mu  sync.Mutex
	now time.Time
}

const adminPW = "correct horse battery"

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func newEnv(t testing.TB, opts ...func(*Config)) *env {
	t.Helper()
	st := storetest.Open(t)
	return newEnvStore(t, st, Parts{}, opts...)
}

// shortSuite is what `go test -short` keeps of the HTTP suite: one test
// per part of the API, run under qemu for ARM (make test-arm), where the
// rest would add minutes and no architecture-dependent code (the whole
// suite runs on amd64 with -race).
var shortSuite = map[string]bool{
	"TestLoginAndLockout":                      true,
	"TestCredentialLifecycle":                  true,
	"TestCredentialValuesByRole":               true,
	"TestUnknownFieldIsA422OnEveryNativeWrite": true,
	"TestListUsersPagesAndFilters":             true,
	"TestBasipLogin":                           true,
	"TestBasipIdentifiers":                     true,
	"TestEventsStreamResume":                   true,
	"TestDoorRoutes":                           true,
	"TestOperatorChangesEndSessions":           true,
}

func newEnvStore(t testing.TB, st *store.Store, parts Parts, opts ...func(*Config)) *env {
	t.Helper()
	if name, _, _ := strings.Cut(t.Name(), "/"); testing.Short() && !shortSuite[name] {
		t.Skip("-short: the full HTTP suite runs on amd64 (make test-unit)")
	}
	e := &env{t: t, st: st, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	cfg := Config{Now: e.clock, MaxBodyBytes: 64 << 10}
	for _, o := range opts {
		o(&cfg)
	}
	e.cfg, e.parts = cfg, parts
	e.serve()
	e.mkOperator("admin", adminPW, store.RoleAdmin)
	e.admin = e.session("admin")
	return e
}

// session is a token for the operator name as a login issues it (the same
// newSession), without the login's argon2id check: seconds under qemu, and
// every test starts with one. The tests of logging in log in (e.login).
func (e *env) session(name string) string {
	e.t.Helper()
	op, err := e.st.GetOperatorByUsername(name)
	if err != nil {
		e.t.Fatal(err)
	}
	sess, err := e.srv.newSession(&op)
	if err != nil {
		e.t.Fatal(err)
	}
	return sess.token
}

// serve starts a fresh server (empty session cache) on a new in-memory
// listener over e's store.
func (e *env) serve() {
	srv := New(e.st, e.cfg, nil, e.parts)
	ln := fasthttputil.NewInmemoryListener()
	go srv.Serve(ln)
	e.t.Cleanup(func() {
		srv.Shutdown()
		ln.Close()
	})
	e.srv = srv
	e.ln = ln
	e.c = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }, MaxConnsPerHost: 1024}
}

// restart replaces the server, as a daemon restart would; the store stays.
func (e *env) restart() {
	e.srv.Shutdown()
	e.serve()
}

// hashes caches one argon2id hash per password for the whole test binary:
// hashing costs 19 MiB and tens of milliseconds (seconds under qemu), and a
// fresh salt per operator tests nothing the auth package does not.
var hashes sync.Map // password → PHC string

func hashOnce(t testing.TB, pw string) string {
	if h, ok := hashes.Load(pw); ok {
		return h.(string)
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	hashes.Store(pw, h)
	return h
}

func (e *env) mkOperator(name, pw string, role store.Role) {
	e.t.Helper()
	h := hashOnce(e.t, pw)
	now := e.clock()
	if err := e.st.CreateOperator(&store.Operator{Username: name, PasswordHash: h, Role: role, Enabled: true,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) login(name, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/session", "", `{"username":"`+name+`","password":"`+pw+`"}`)
	r.want(201)
	return r.json()["token"].(string)
}

type resp struct {
	t      testing.TB
	status int
	body   []byte
	hdr    map[string]string
	req    string
}

// do sends one request. body "" sends none; headers are "Name: value".
func (e *env) do(method, path, token, body string, headers ...string) resp {
	e.t.Helper()
	req := fasthttp.AcquireRequest()
	res := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://doord" + path)
	req.Header.SetMethod(method)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.SetContentType("application/json")
		req.SetBodyString(body)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	if err := e.c.DoTimeout(req, res, 30*time.Second); err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	r := resp{t: e.t, status: res.StatusCode(), body: append([]byte(nil), res.Body()...), hdr: map[string]string{}, req: method + " " + path}
	for _, k := range []string{"Content-Type", "Location", "Allow", "Retry-After", "WWW-Authenticate",
		"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		r.hdr[k] = string(res.Header.Peek(k))
	}
	e.checkContract(method, path, httpHeader(&req.Header), req.Body(), r.status, httpHeader(&res.Header), r.body)
	return r
}

func (r resp) want(status int) resp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s: status %d, want %d; body %s", r.req, r.status, status, r.body)
	}
	if status >= 400 && r.hdr["Content-Type"] != "application/problem+json" {
		r.t.Fatalf("%s: error Content-Type %q, want application/problem+json", r.req, r.hdr["Content-Type"])
	}
	return r
}

func (r resp) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("%s: body is not a JSON object: %v: %s", r.req, err, r.body)
	}
	return m
}

// fields returns the field names of a 422's errors[].
func (r resp) fields() []string {
	r.t.Helper()
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func (r resp) str(key string) string {
	r.t.Helper()
	v, _ := r.json()[key].(string)
	return v
}
