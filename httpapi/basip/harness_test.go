package basip_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/httpapi/basip"
	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// The BAS-IP contract tests' harness: a real httpapi server (both
// dialects) over a real bbolt file, reached through fasthttp's in-memory
// listener, so every byte goes through fasthttp's parser and writer as on
// a socket. It mirrors httpapi's own test harness (harness_test.go
// there), which an external test package cannot import.

type env struct {
	t     testing.TB
	st    *store.Store
	srv   *httpapi.Server
	c     *fasthttp.Client
	admin string // admin token (a native session)
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

// utc runs the server's access engine (and the dialect's times) in UTC.
func utc(c *httpapi.Config) { c.Location = time.UTC }

func newEnv(t testing.TB, opts ...func(*httpapi.Config)) *env {
	t.Helper()
	return newEnvParts(t, httpapi.Parts{}, opts...)
}

func newEnvParts(t testing.TB, parts httpapi.Parts, opts ...func(*httpapi.Config)) *env {
	t.Helper()
	if name, _, _ := strings.Cut(t.Name(), "/"); testing.Short() && name != "TestBasipLogin" && name != "TestBasipIdentifiers" {
		t.Skip("-short: the full HTTP suite runs on amd64 (make test-unit)")
	}
	e := &env{t: t, st: storetest.Open(t), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	cfg := httpapi.Config{Now: e.clock, MaxBodyBytes: 64 << 10}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httpapi.New(e.st, cfg, nil, parts)
	ln := fasthttputil.NewInmemoryListener()
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Shutdown()
		ln.Close()
	})
	e.srv, e.ln = srv, ln
	e.c = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }, MaxConnsPerHost: 1024}
	e.mkOperator("admin", adminPW, store.RoleAdmin)
	ttl := cfg.TokenTTL
	if ttl <= 0 {
		ttl = 8 * time.Hour // httpapi.Config's default
	}
	e.admin = e.session("admin", ttl)
	return e
}

// session is a token for the operator name stored as a native login
// stores it, without the login's argon2id check: seconds under qemu, and
// every test starts with one. The tests of logging in log in (e.login,
// e.basipLogin).
func (e *env) session(name string, ttl time.Duration) string {
	e.t.Helper()
	op, err := e.st.GetOperatorByUsername(name)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, h, err := auth.NewToken()
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock()
	sess := store.Session{TokenHash: h, OperatorID: op.ID, CreatedAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC()}
	if _, err := e.st.AddSession(sess, 0, &op); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// hashes caches one argon2id hash per password for the whole test binary.
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
	now := e.clock()
	if err := e.st.CreateOperator(&store.Operator{Username: name, PasswordHash: hashOnce(e.t, pw), Role: role, Enabled: true,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		e.t.Fatal(err)
	}
}

// login logs in through the native POST /api/v1/session.
func (e *env) login(name, pw string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/session", "", `{"username":"`+name+`","password":"`+pw+`"}`)
	if r.status != 201 {
		e.t.Fatalf("native login: %d %s", r.status, r.body)
	}
	return r.str("token")
}

// basipLogin logs in through GET /api/v1/login with the password's MD5.
func (e *env) basipLogin(name, pw string) string {
	e.t.Helper()
	r := e.do("GET", "/api/v1/login?username="+name+"&password="+auth.MD5Hex(pw), "", "").bwant(200, "")
	return r.str("token")
}

// basicAuth is an Authorization header with HTTP Basic credentials.
func basicAuth(user, pw string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// basipRoutes lists every BAS-IP route as registered.
func basipRoutes() []struct {
	method, pattern string
	need            core.Need
} {
	var out []struct {
		method, pattern string
		need            core.Need
	}
	basip.New(basip.Deps{}).Routes(func(m, p string, n core.Need, _ core.Handler) {
		out = append(out, struct {
			method, pattern string
			need            core.Need
		}{m, p, n})
	})
	return out
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
	for _, k := range []string{"Content-Type", "Location", "Allow", "Retry-After", "WWW-Authenticate"} {
		r.hdr[k] = string(res.Header.Peek(k))
	}
	return r
}

// want checks a native answer's status (errors are problem+json).
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

func (r resp) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("%s: body is not a JSON object: %v: %s", r.req, err, r.body)
	}
	return m
}

func (r resp) str(key string) string {
	r.t.Helper()
	v, _ := r.json()[key].(string)
	return v
}

func (r resp) num(key string) uint64 {
	r.t.Helper()
	v, ok := r.json()[key].(float64)
	if !ok {
		r.t.Fatalf("%s: no number %q in %s", r.req, key, r.body)
	}
	return uint64(v)
}

// fakeDoors records the remote opens the dialect asked of the runtime.
type fakeDoors struct {
	mu    sync.Mutex
	doors map[string]*httpapi.DoorView
	opens []string
}

func (f *fakeDoors) List() []httpapi.DoorView {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []httpapi.DoorView
	for _, id := range []string{"1", "2"} {
		out = append(out, *f.doors[id])
	}
	return out
}

func (f *fakeDoors) Get(id string) (httpapi.DoorView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.doors[id]
	if !ok {
		return httpapi.DoorView{}, false
	}
	return *d, true
}

func (f *fakeDoors) Open(id, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.doors[id]; !ok {
		return httpapi.ErrNoDoor
	}
	f.opens = append(f.opens, id+" by "+by)
	return nil
}

func (f *fakeDoors) SetMode(id, mode, by string) error { return nil }

func (f *fakeDoors) SetSchedule(id string, profile uint64, firstCard bool, by string) error {
	return nil
}

// Emergency opens are recorded by emergencyDoors (emergency_test.go).
func (f *fakeDoors) EmergencyOpen(string, time.Duration, string) error { return nil }
func (f *fakeDoors) EmergencyClose(string, string) error               { return nil }

// newDoorsEventsEnv is a server with two doors (lock 1 and 2) and an
// event log.
func newDoorsEventsEnv(t *testing.T) (*env, *fakeDoors, *store.EventLog) {
	t.Helper()
	fd := &fakeDoors{doors: map[string]*httpapi.DoorView{
		"1": {ID: "1", Lock: 1, Mode: "normal", Locked: true},
		"2": {ID: "2", Lock: 2, Mode: "normal", Locked: true},
	}}
	e := newEnvParts(t, httpapi.Parts{Doors: fd})
	l, err := store.OpenEventLog(e.st, store.EventOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e.srv.SetEvents(l)
	t.Cleanup(func() { e.srv.SetEvents(nil) })
	return e, fd, l
}

// fields returns the field names of a 422's errors[].
func (r resp) fields() []string {
	r.t.Helper()
	var p httpapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// raw sends one request on a connection of its own and reads the answer
// as it comes: for answers the server sends before it read the body (413),
// where a client that insists on finishing its write reports only the
// close. header is one "Name: value" line or "".
func (e *env) raw(method, path, header, body string) (status int, contentType, answer string) {
	e.t.Helper()
	c, err := e.ln.Dial()
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if header != "" {
		header += "\r\n"
	}
	go fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: doord\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		method, path, header, len(body), body)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}
