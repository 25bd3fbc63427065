package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// fakeLearner answers NextCard: reader "r1" with card, "none" never
// (until ctx ends); others are unknown. It records each call's time left.
type fakeLearner struct {
	card  LearnedCard
	mu    sync.Mutex
	left  []time.Duration
	ended chan error // each call's end, when not nil
}

func (f *fakeLearner) NextCard(ctx context.Context, reader string) (LearnedCard, error) {
	dl, _ := ctx.Deadline()
	f.mu.Lock()
	f.left = append(f.left, time.Until(dl))
	f.mu.Unlock()
	switch reader {
	case "r1":
		return f.card, nil
	case "none":
		<-ctx.Done()
		if f.ended != nil {
			f.ended <- ctx.Err()
		}
		return LearnedCard{}, ctx.Err()
	}
	return LearnedCard{}, ErrNoReader
}

func TestLearnRouteAnswersAndValidates(t *testing.T) {
	fl := &fakeLearner{card: LearnedCard{Value: "8065495", Format: "h10301", Bits: 26}}
	e := newEnvStore(t, storetest.Open(t), Parts{Learner: fl})
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.login("vic", "viewer password 1")
	e.mkOperator("olga", "operator password 1", store.RoleOperator)
	op := e.login("olga", "operator password 1")

	e.do("POST", "/api/v1/readers/r1/learn", view, "").want(403)
	got := e.do("POST", "/api/v1/readers/r1/learn", op, "").want(200).json()
	if got["reader"] != "r1" || got["value"] != "8065495" || got["format"] != "h10301" || got["bits"] != float64(26) {
		t.Errorf("learned %v", got)
	}
	e.do("POST", "/api/v1/readers/r1/learn", e.admin, `{"timeout_ms":1000}`).want(200)
	fl.mu.Lock()
	left := fl.left
	fl.mu.Unlock()
	if len(left) != 2 || left[0] <= 19*time.Second || left[0] > 20*time.Second || left[1] <= 0 || left[1] > time.Second {
		t.Errorf("waits given %v, want ~20s (default) then ~1s", left)
	}
	for _, body := range []string{`{"timeout_ms":999}`, `{"timeout_ms":60001}`, `{"timeout_ms":"5000"}`, `{"timeout_ms":-1}`, `{"timeout":5000}`} {
		if f := e.do("POST", "/api/v1/readers/r1/learn", op, body).want(422).fields(); len(f) != 1 || !strings.HasPrefix(f[0], "timeout") {
			t.Errorf("%s: 422 fields %v, want the timeout field named", body, f)
		}
	}
	e.do("POST", "/api/v1/readers/r1/learn", op, `[1]`).want(400)
	e.do("POST", "/api/v1/readers/r9/learn", op, "").want(404)
}

func TestLearnRouteWithoutBoardIs503(t *testing.T) {
	e := newEnvStore(t, storetest.Open(t), Parts{})
	e.do("POST", "/api/v1/readers/1/learn", e.admin, "").want(503)
}

// Nothing read in time is a 204 with no body, and the wait is over.
// (The timing itself is device's TestNextCardEndsAtItsDeadline, in
// bubble time; here fasthttp's client keeps goroutines a bubble cannot
// end, so this waits the shortest timeout for real.)
func TestLearnRouteTimesOutWith204(t *testing.T) {
	fl := &fakeLearner{ended: make(chan error, 1)}
	e := newEnvStore(t, storetest.Open(t), Parts{Learner: fl})
	start := time.Now()
	r := e.do("POST", "/api/v1/readers/none/learn", e.admin, `{"timeout_ms":1000}`).want(204)
	if len(r.body) != 0 {
		t.Errorf("204 with a body: %q", r.body)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("answered after %v, before the 1s timeout", took)
	}
	if err := <-fl.ended; err != context.DeadlineExceeded {
		t.Errorf("wait ended by %v, want its deadline", err)
	}
	if n := e.srv.learning.Load(); n != 0 {
		t.Errorf("%d learners still counted", n)
	}
}

// tcpServer serves the API on a loopback socket (the client-gone watch
// needs a real one).
func tcpServer(t *testing.T, parts Parts) (*Server, string, string) {
	t.Helper()
	st := storetest.Open(t)
	srv := New(st, Config{}, nil, parts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown() })
	e := &env{t: t, st: st, srv: srv}
	e.mkOperator("admin", adminPW, store.RoleAdmin)
	res, err := http.Post("http://"+ln.Addr().String()+"/api/v1/session", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+adminPW+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("login: %v %+v", err, tok)
	}
	return srv, ln.Addr().String(), tok.Token
}

// waitLearners waits until n learn requests are in their handler.
func waitLearners(t *testing.T, srv *Server, n int32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); srv.learning.Load() != n; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("learners = %d, want %d", srv.learning.Load(), n)
		}
	}
}

// A client that goes away ends its wait at once, not at the timeout:
// the handler, its goroutine and its place among maxLearners are freed.
func TestLearnRouteEndsWhenTheClientDisconnects(t *testing.T) {
	fl := &fakeLearner{ended: make(chan error, 1)}
	srv, addr, tok := tcpServer(t, Parts{Learner: fl})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"timeout_ms":60000}`
	if _, err := c.Write([]byte("POST /api/v1/readers/none/learn HTTP/1.1\r\nHost: doord\r\nAuthorization: Bearer " + tok +
		"\r\nContent-Type: application/json\r\nContent-Length: " + itoa(uint64(len(body))) + "\r\n\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	waitLearners(t, srv, 1)
	start := time.Now()
	c.Close()
	select {
	case err := <-fl.ended:
		if err != context.Canceled {
			t.Fatalf("wait ended by %v, want the disconnect (Canceled)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the wait did not end when the client disconnected")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("noticed the disconnect after %v", took)
	}
	waitLearners(t, srv, 0)
}

// Bytes the client sends while it waits (a pipelined request) are not
// a disconnect and stay for fasthttp: both requests are answered in order.
func TestLearnRouteLeavesPipelinedRequestsInPlace(t *testing.T) {
	fl := &fakeLearner{}
	_, addr, tok := tcpServer(t, Parts{Learner: fl})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"timeout_ms":1000}`
	req := "POST /api/v1/readers/none/learn HTTP/1.1\r\nHost: doord\r\nAuthorization: Bearer " + tok +
		"\r\nContent-Type: application/json\r\nContent-Length: " + itoa(uint64(len(body))) + "\r\n\r\n" + body +
		"GET /api/v1/health HTTP/1.1\r\nHost: doord\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, want := range []int{204, 200} {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("status %d, want %d", res.StatusCode, want)
		}
	}
}

// Learners are bounded: each holds a connection and a handler.
func TestLearnRouteLimitsWaiters(t *testing.T) {
	fl := &fakeLearner{card: LearnedCard{Value: "5", Bits: 26}}
	e := newEnvStore(t, storetest.Open(t), Parts{Learner: fl})
	var wg sync.WaitGroup
	for range maxLearners {
		wg.Go(func() { e.do("POST", "/api/v1/readers/none/learn", e.admin, `{"timeout_ms":1000}`).want(204) })
	}
	waitLearners(t, e.srv, maxLearners)
	e.do("POST", "/api/v1/readers/r1/learn", e.admin, "").want(429)
	wg.Wait()
	e.do("POST", "/api/v1/readers/r1/learn", e.admin, "").want(200)
}

// A learn reads the next card and changes nothing: it is not an
// operator_change in the log (the console's events view showed every
// Learn click as one).
func TestLearnIsNotAnOperatorChange(t *testing.T) {
	fl := &fakeLearner{card: LearnedCard{Value: "8065495", Format: "h10301", Bits: 26}}
	e := newEnvStore(t, storetest.Open(t), Parts{Learner: fl})
	l := e.withEventLog(store.EventOptions{})
	e.do("POST", "/api/v1/readers/r1/learn", e.admin, "").want(200)
	e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":"A"}`).want(201) // a change, for contrast
	l.Flush()
	evs, _, err := l.Query(store.EventFilter{Types: []string{store.EventOperatorChange}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Detail != "POST /api/v1/users" {
		var got []string
		for _, ev := range evs {
			got = append(got, ev.Detail)
		}
		t.Errorf("operator_change events %q, want only the user create", got)
	}
}
