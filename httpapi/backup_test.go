package httpapi

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// GET /api/v1/backup: admins get the whole store as a file that opens as
// a sound store holding what was written; every other role gets 403,
// no token 401; the backup is an operator event.
func TestBackupRoute(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	id := e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"both"}`).want(201).str("id")
	e.mkOperator("olga", "operator password", store.RoleOperator)
	e.mkOperator("vic", "viewer password", store.RoleViewer)
	for _, c := range []struct{ name, tok string }{
		{"operator", e.login("olga", "operator password")},
		{"viewer", e.login("vic", "viewer password")},
	} {
		if r := e.do("GET", "/api/v1/backup", c.tok, "").want(403); len(r.body) > 1000 {
			t.Errorf("%s: 403 answer carries %d bytes", c.name, len(r.body))
		}
	}
	e.do("GET", "/api/v1/backup", "", "").want(401)

	r := e.do("GET", "/api/v1/backup", e.admin, "").want(200)
	if ct := r.hdr["Content-Type"]; ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	path := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(path, r.body, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer b.Close()
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	if u, err := b.GetUser(id); err != nil || u.Name != "Ada" {
		t.Fatalf("user in backup = %+v, %v", u, err)
	}
	if _, err := b.GetOperatorByUsername("olga"); err != nil {
		t.Errorf("operators are in the backup: %v", err)
	}

	l.Flush()
	evs, _, err := l.Query(store.EventFilter{Types: []string{store.EventOperatorChange}})
	if err != nil {
		t.Fatal(err)
	}
	var audited bool
	for _, ev := range evs {
		if ev.Operator == "admin" && ev.Detail == "backup taken ("+strconv.Itoa(len(r.body))+" bytes)" {
			audited = true
		}
		if strings.HasPrefix(ev.Detail, "backup") && ev.Operator != "admin" {
			t.Errorf("refused backup audited as taken: %+v", ev)
		}
	}
	if !audited {
		t.Errorf("no operator event for the backup in %+v", evs)
	}
}

// The answer names a dated file, is not cached and says its length.
func TestBackupRouteHeaders(t *testing.T) {
	e := newEnv(t)
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://doord/api/v1/backup")
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Accept", "application/octet-stream, application/problem+json")
	if err := e.c.Do(req, res); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode() != 200 {
		t.Fatalf("status %d: %s", res.StatusCode(), res.Body())
	}
	if got, want := string(res.Header.Peek("Content-Disposition")), `attachment; filename="doord-20260302T090000Z.db"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if got := string(res.Header.Peek("Cache-Control")); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if n := res.Header.ContentLength(); n <= 0 || n != len(res.Body()) {
		t.Errorf("Content-Length %d, body %d bytes", n, len(res.Body()))
	}
	st, _ := e.st.Stats()
	if int64(len(res.Body())) != st.FileSize {
		t.Errorf("body %d bytes, the store's pages %d", len(res.Body()), st.FileSize)
	}

	// HEAD says the length without sending the file.
	req.Header.SetMethod("HEAD")
	res.Reset()
	res.SkipBody = true
	if err := e.c.Do(req, res); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode() != 200 || res.Header.ContentLength() != int(st.FileSize) || len(res.Body()) != 0 {
		t.Errorf("HEAD: status %d, Content-Length %d (want %d), body %d bytes",
			res.StatusCode(), res.Header.ContentLength(), st.FileSize, len(res.Body()))
	}
}

// A client that stops reading a backup holds up no writer: the answer is
// sent from a local copy, not from the read transaction, so commits that
// must grow the file (bbolt remaps only without readers) go on.
func TestBackupSlowClientDoesNotStallWrites(t *testing.T) {
	e := newEnv(t)
	conn, err := e.ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/backup HTTP/1.1\r\nHost: doord\r\nAuthorization: Bearer %s\r\n\r\n", e.admin)
	head := make([]byte, 64)
	if _, err := io.ReadFull(conn, head); err != nil || !strings.HasPrefix(string(head), "HTTP/1.1 200") {
		t.Fatalf("backup answer starts %q, %v", head, err)
	}
	// The client reads no more. Grow the store well past its first map.
	size0, _ := e.st.Stats()
	done := make(chan error, 1)
	go func() {
		for i := range 300 {
			r := e.do("POST", "/api/v1/users", e.admin, fmt.Sprintf(`{"name":"u%d %s","locks":"both"}`, i, strings.Repeat("x", 90)))
			if r.status != 201 {
				done <- fmt.Errorf("create %d: %d %s", i, r.status, r.body)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("writes stalled behind an unread backup")
	}
	size1, _ := e.st.Stats()
	if size1.FileSize < 4*size0.FileSize {
		t.Fatalf("the store grew from %d to %d bytes only: the test did not make bbolt remap", size0.FileSize, size1.FileSize)
	}
}
