package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
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

// logSink is a slog handler that keeps every record's text and signals
// each one, so a test can wait for a log line instead of sleeping.
type logSink struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	recs chan string
}

func newLogSink() *logSink { return &logSink{recs: make(chan string, 1024)} }

func (l *logSink) logger() *slog.Logger { return slog.New(l) }

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	})
	line := b.String()
	l.mu.Lock()
	l.buf.WriteString(line + "\n")
	l.mu.Unlock()
	select {
	case l.recs <- line:
	default:
	}
	return nil
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits for a record containing all of want.
func (l *logSink) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line := <-l.recs:
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				return
			}
		case <-deadline:
			t.Fatalf("no log record with %q; log:\n%s", want, l.String())
		}
	}
}

// TestMalformedRequestsLeakNoSecret sends requests fasthttp cannot parse,
// each carrying a bearer token, the admin's password, its MD5, a card
// number and a PIN, and checks that neither the log nor the answer holds
// any of them: fasthttp's own error text quotes the raw request bytes.
func TestMalformedRequestsLeakNoSecret(t *testing.T) {
	const (
		password = "correct horse battery"
		card     = "90817263"
		pin      = "582914"
	)
	md5 := auth.MD5Hex(password)
	token, _, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"token": token, "password": password, "md5": md5, "card": card, "pin": pin,
		"token body": strings.TrimPrefix(token, auth.TokenPrefix)}

	st := storetest.Open(t)
	h, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateOperator(&store.Operator{Username: "admin", PasswordHash: h, Role: store.RoleAdmin, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	sink := newLogSink()
	srv := New(st, Config{ReadTimeout: 300 * time.Millisecond}, sink.logger(), Parts{})
	ln := fasthttputil.NewInmemoryListener()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(); ln.Close() })

	auth := "Authorization: Bearer " + token + "\r\n"
	login := "/api/v1/login?username=admin&password=" + md5
	body := `{"type":"card","value":"` + card + `","pin":"` + pin + `"}`
	cases := []struct {
		name, raw string
		status    int
		kind      string
	}{
		{"header line without a colon", "GET " + login + " HTTP/1.1\r\nHost: d\r\n" + auth + "X-Card " + card + " " + pin + "\r\n\r\n", 400, "malformed request"},
		{"bad request line", "GET " + login + " HTTP/1.1 " + password + "\x00\r\nHost: d\r\n" + auth + "\r\n", 400, "malformed request"},
		{"no method", " " + login + "\r\n" + auth + "\r\n", 400, "malformed request"},
		{"bad content length", "POST /api/v1/credentials HTTP/1.1\r\nHost: d\r\n" + auth + "Content-Length: " + pin + card + "x\r\n\r\n" + body, 400, "malformed request"},
		{"bad chunk", "POST /api/v1/credentials HTTP/1.1\r\nHost: d\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nzz" + card + "\r\n" + body + "\r\n", 400, "malformed request"},
		{"headers too large", "GET " + login + " HTTP/1.1\r\nHost: d\r\n" + auth + "X-Pad: " + strings.Repeat(card+pin, 600) + "\r\n\r\n", 431, "headers too large"},
		{"truncated headers", "GET " + login + " HTTP/1.1\r\nHost: d\r\n" + auth + "X-Card: " + card, 408, "timeout"},
		{"truncated body", "POST /api/v1/credentials HTTP/1.1\r\nHost: d\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n" + body, 408, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := ln.Dial()
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			go io.WriteString(conn, c.raw)
			answer, _ := io.ReadAll(conn) // the server closes after an error answer
			if !bytes.HasPrefix(answer, []byte(fmt.Sprintf("HTTP/1.1 %d ", c.status))) {
				t.Fatalf("answer %.80q, want status %d", answer, c.status)
			}
			sink.waitFor(t, "request refused before routing", c.kind)
			if c.kind == "malformed request" {
				// fasthttp's worker logs the connection's error too,
				// after the answer: wait for it, so the check below
				// covers it.
				sink.waitFor(t, "error when serving connection", c.kind)
			}
			for what, v := range secrets {
				if bytes.Contains(answer, []byte(v)) {
					t.Errorf("the answer holds the %s: %q", what, answer)
				}
			}
			if bytes.Contains(answer, []byte("/api/v1/")) {
				t.Errorf("the answer quotes the request's path: %q", answer)
			}
		})
	}
	// A user who types the password into the username field: an unknown
	// name is not logged (known names are).
	c := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}
	if status, _, err := c.Get(nil, "http://d/api/v1/login?username="+md5+"&password="+md5); err != nil || status != 401 {
		t.Fatalf("BAS-IP login with the MD5 as username: %v %d", err, status)
	}
	req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	req.SetRequestURI("http://d/api/v1/session")
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.SetBodyString(`{"username":"` + password + `","password":"` + password + `"}`)
	if err := c.Do(req, res); err != nil || res.StatusCode() != 401 {
		t.Fatalf("login with the password as username: %v %d", err, res.StatusCode())
	}
	srv.Shutdown()
	log := sink.String()
	for what, v := range secrets {
		if strings.Contains(log, v) {
			t.Errorf("the log holds the %s:\n%s", what, log)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("log:\n%s", log)
	}
}

// A handler that panics answers 500 and logs where, with the panic's type
// and an argument-free stack, never the panic's text: a panic value built
// from a request can hold a card number or a PIN.
func TestHandlerPanicLogsNoSecret(t *testing.T) {
	sink := newLogSink()
	st := storetest.Open(t)
	srv := New(st, Config{MaxBodyBytes: 64 << 10}, sink.logger(), Parts{})
	defer srv.Shutdown()
	srv.rt.handle("GET", "/api/v1/test-panic", accPublic, func(*request) error {
		panic(fmt.Errorf("card 8065495 and PIN 918273 in a bug"))
	})
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/api/v1/test-panic")
	ctx.Request.Header.SetMethod("GET")
	srv.Handler(&ctx)
	if got := ctx.Response.StatusCode(); got != 500 {
		t.Fatalf("status %d, want 500", got)
	}
	log := sink.String()
	if !strings.Contains(log, "handler panic") {
		t.Fatalf("no panic logged: %s", log)
	}
	for _, secret := range []string{"8065495", "918273"} {
		if strings.Contains(log, secret) || strings.Contains(string(ctx.Response.Body()), secret) {
			t.Errorf("a handler panic leaked %s: %s", secret, log)
		}
	}
}
