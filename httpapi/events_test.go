package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/valyala/fasthttp"
)

// newEventsEnv is an env whose server has the event routes and a real
// event log over its store. Until routes.go calls eventRoutes, the test
// registers them itself (registering twice is harmless).
func newEventsEnv(t *testing.T, opt store.EventOptions) (*env, *store.EventLog) {
	t.Helper()
	e := newEnv(t)
	return e, e.withEventLog(opt)
}

// newDoorsEventsEnv is an env with two fake doors (door 1 on lock 1, door
// 2 on lock 2, both normal and locked) and a real event log.
func newDoorsEventsEnv(t *testing.T) (*env, *fakeDoors, *store.EventLog) {
	t.Helper()
	fd := &fakeDoors{doors: map[string]*DoorView{
		"1": {ID: "1", Lock: 1, Readers: []string{"1"}, Mode: "normal", SetMode: "normal", Locked: true},
		"2": {ID: "2", Lock: 2, Readers: []string{"2"}, Mode: "normal", SetMode: "normal", Locked: true},
	}}
	e := newEnvStore(t, storetest.Open(t), Parts{Doors: fd})
	return e, fd, e.withEventLog(store.EventOptions{})
}

// withEventLog opens an event log over e's store and gives it to e's server.
func (e *env) withEventLog(opt store.EventOptions) *store.EventLog {
	e.t.Helper()
	l, err := store.OpenEventLog(e.st, opt)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { l.Close() }) // before the server's shutdown: streams end
	e.srv.SetEvents(l)
	e.t.Cleanup(func() { e.srv.SetEvents(nil) })
	return l
}

const (
	uuidA = "6f1c2a7e-1b2c-4d3e-8f40-5a6b7c8d9e01"
	uuidB = "0a0b0c0d-1111-4222-8333-444455556666"
)

var evT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func appendSample(l *store.EventLog) {
	evs := []store.Event{
		{Type: "access_granted", Door: "front", UserID: uuidA, UserUID: 1, CredentialType: "card", Credential: "12345678",
			CredentialFormat: "h10301", CredentialBits: 26},
		{Type: "access_denied", Door: "front", Reason: "unknown_credential", CredentialType: "card", Credential: "99999999"},
		{Type: "door_forced", Door: "back"},
		{Type: "access_granted", Door: "back", UserID: uuidB, UserUID: 2},
		{Type: "rex", Door: "front"},
		{Type: "operator_login", Operator: "admin"},
	}
	for i, ev := range evs {
		ev.At = evT0.Add(time.Duration(i) * time.Minute)
		l.Append(ev)
	}
	l.Flush()
}

type eventsPage struct {
	Items      []store.Event `json:"items"`
	NextCursor string        `json:"next_cursor"`
	More       bool          `json:"more"`
}

func getEvents(t *testing.T, e *env, query string) eventsPage {
	t.Helper()
	r := e.do("GET", "/api/v1/events"+query, e.admin, "").want(200)
	var p eventsPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	return p
}

func pageSeqs(p eventsPage) []uint64 {
	var out []uint64
	for _, ev := range p.Items {
		out = append(out, ev.Seq)
	}
	return out
}

func TestEventsList(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	appendSample(l)
	for _, c := range []struct {
		q    string
		want []uint64
		next string
		more bool
	}{
		{"", []uint64{1, 2, 3, 4, 5, 6}, "6", false},
		{"?limit=2", []uint64{5, 6}, "6", false}, // the newest page
		{"?after=0&limit=2", []uint64{1, 2}, "2", true},
		{"?after=2&limit=2", []uint64{3, 4}, "4", true},
		{"?cursor=4&limit=2", []uint64{5, 6}, "6", false},
		{"?after=6", nil, "6", false},
		{"?type=access_granted", []uint64{1, 4}, "6", false},
		{"?type=access_granted,rex&type=door_forced", []uint64{1, 3, 4, 5}, "6", false},
		{"?door=front", []uint64{1, 2, 5}, "6", false},
		{"?door=front&type=access_denied", []uint64{2}, "6", false},
		{"?user=" + uuidB, []uint64{4}, "6", false},
		{"?user=" + strings.ToUpper(uuidA), []uint64{1}, "6", false},
		{"?user=1", []uint64{1}, "6", false},
		{"?from=2026-03-02T09:02:00Z&to=2026-03-02T09:04:00Z", []uint64{3, 4}, "6", false},
		{"?from=2026-03-02T10:02:00%2B01:00", []uint64{3, 4, 5, 6}, "6", false},
		{"?type=tamper", nil, "6", false},
	} {
		p := getEvents(t, e, c.q)
		if !slices.Equal(pageSeqs(p), c.want) || p.NextCursor != c.next || p.More != c.more {
			t.Errorf("%q: %v next %q more %v, want %v next %q more %v", c.q, pageSeqs(p), p.NextCursor, p.More, c.want, c.next, c.more)
		}
		if p.Items == nil {
			t.Errorf("%q: items is null, want []", c.q)
		}
	}
	// The credential is masked on the wire (a card keeps its last three
	// digits, with its format and length), at has nine fraction digits.
	r := e.do("GET", "/api/v1/events?after=0&limit=1", e.admin, "").want(200)
	if !strings.Contains(string(r.body), `"credential":"••••678","credential_format":"h10301","credential_bits":26`) || !strings.Contains(string(r.body), `"at":"2026-03-02T09:00:00.000000000Z"`) ||
		strings.Contains(string(r.body), "12345678") {
		t.Errorf("body %s", r.body)
	}
	if ct := r.hdr["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestEventsList422(t *testing.T) {
	e, _ := newEventsEnv(t, store.EventOptions{})
	r := e.do("GET", "/api/v1/events?after=x&limit=0&type=Door+Forced&user=nobody&from=yesterday&to=2026-13-01T00:00:00Z&door=", e.admin, "").want(422)
	want := []string{"after", "limit", "type", "door", "user", "from", "to"}
	if got := r.fields(); !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	r = e.do("GET", "/api/v1/events?from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z&limit=1001", e.admin, "").want(422)
	if got := r.fields(); !slices.Equal(got, []string{"limit", "to"}) {
		t.Errorf("fields %v", got)
	}
	e.do("GET", "/api/v1/events/stream?user=0", e.admin, "").want(422)
	r = e.do("GET", "/api/v1/events/stream", e.admin, "", "Last-Event-ID: abc").want(422)
	if got := r.fields(); !slices.Equal(got, []string{"Last-Event-ID"}) {
		t.Errorf("fields %v", got)
	}
}

func TestEventsAccess(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	appendSample(l)
	e.do("GET", "/api/v1/events", "", "").want(401)
	e.do("GET", "/api/v1/events/stream", "", "").want(401)
	e.mkOperator("viewer", adminPW, store.RoleViewer)
	tok := e.login("viewer", adminPW)
	e.do("GET", "/api/v1/events", tok, "").want(200)
}

func TestEventsUnavailable(t *testing.T) {
	e := newEnv(t)
	e.srv.eventRoutes(e.srv.rt.handle)
	e.do("GET", "/api/v1/events", e.admin, "").want(503)
	e.do("GET", "/api/v1/events/stream", e.admin, "").want(503)
}

// sse reads one event stream.
type sse struct {
	t    *testing.T
	body io.ReadCloser
	r    *bufio.Reader
	hdr  http.Header
}

type sseFrame struct {
	id, event, data string
	comment         string
}

// openStream connects over the env's in-memory listener with net/http (a
// client independent of fasthttp's).
func openStream(t *testing.T, e *env, query string, headers ...string) *sse {
	t.Helper()
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return e.c.Dial("doord") }}
	t.Cleanup(tr.CloseIdleConnections)
	req, _ := http.NewRequest("GET", "http://doord/api/v1/events/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Fatalf("stream: status %d: %s", res.StatusCode, b)
	}
	t.Cleanup(func() { res.Body.Close() })
	return &sse{t: t, body: res.Body, r: bufio.NewReader(res.Body), hdr: res.Header}
}

// next reads one frame (an event or a comment block). A stream that
// stays silent fails the test after a generous bound instead of hanging.
func (s *sse) next() (sseFrame, error) {
	type result struct {
		f   sseFrame
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var f sseFrame
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				ch <- result{f, err}
				return
			}
			line = strings.TrimSuffix(line, "\n")
			if line == "" {
				ch <- result{f, nil}
				return
			}
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				f.id = v
			case "event":
				f.event = v
			case "data":
				f.data = v
			case "":
				f.comment = v
			}
		}
	}()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-time.After(20 * time.Second):
		s.t.Fatal("no frame from the stream within 20s")
		return sseFrame{}, nil
	}
}

// nextEvent skips comments and checks that the frame's id and event agree
// with its data.
func (s *sse) nextEvent() store.Event {
	s.t.Helper()
	for {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("stream ended: %v", err)
		}
		if f.id == "" {
			continue
		}
		var ev store.Event
		if err := json.Unmarshal([]byte(f.data), &ev); err != nil {
			s.t.Fatalf("data %q: %v", f.data, err)
		}
		if f.id != strconv.FormatUint(ev.Seq, 10) || f.event != ev.Type {
			s.t.Fatalf("frame id %q event %q, data %s", f.id, f.event, f.data)
		}
		return ev
	}
}

func TestEventsStreamLive(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	appendSample(l) // before the stream: not sent without Last-Event-ID
	s := openStream(t, e, "")
	if ct := s.hdr.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if f, err := s.next(); err != nil || f.comment == "" {
		t.Fatalf("first frame %+v %v, want the opening comment", f, err)
	}
	l.Append(store.Event{Type: "door_held", Door: "front"})
	l.Append(store.Event{Type: "tamper", Door: "back"})
	for _, want := range []store.Event{{Seq: 7, Type: "door_held", Door: "front"}, {Seq: 8, Type: "tamper", Door: "back"}} {
		ev := s.nextEvent()
		if ev.Seq != want.Seq || ev.Type != want.Type || ev.Door != want.Door {
			t.Errorf("got %+v, want %+v", ev, want)
		}
	}
}

// Resume with Last-Event-ID while events keep coming: the replay from the
// log and the live feed meet without a gap or a duplicate. In the second
// run the feed drops the stream every 5 events (as the log drops a slow
// subscriber), so the re-subscribe and catch-up path runs many times too.
func TestEventsStreamResume(t *testing.T) {
	for _, dropEvery := range []int{0, 5} {
		t.Run(fmt.Sprint("drop every ", dropEvery), func(t *testing.T) {
			e, l := newEventsEnv(t, store.EventOptions{MaxBatch: 3})
			src := &droppingSource{EventLog: l, n: dropEvery}
			if dropEvery > 0 {
				e.srv.SetEvents(src)
			}
			appendSample(l) // 1..6
			s := openStream(t, e, "", "Last-Event-ID: 2")
			const last = 600
			go func() {
				for i := 7; i <= last; i++ {
					l.Append(store.Event{Type: "rex", Detail: strconv.Itoa(i)})
				}
			}()
			for want := uint64(3); want <= last; want++ {
				ev := s.nextEvent()
				if ev.Seq != want {
					t.Fatalf("got seq %d, want %d", ev.Seq, want)
				}
			}
			if dropEvery > 0 && src.drops.Load() == 0 {
				t.Error("the feed was never dropped")
			}
		})
	}
}

// droppingSource closes each subscription's channel after n events.
type droppingSource struct {
	*store.EventLog
	n     int
	drops atomic.Int32
}

func (d *droppingSource) Subscribe() (<-chan store.Event, func()) {
	in, cancel := d.EventLog.Subscribe()
	out := make(chan store.Event, d.n)
	stop := make(chan struct{})
	go func() {
		defer close(out)
		for range d.n {
			select {
			case ev, ok := <-in:
				if !ok {
					return
				}
				out <- ev
			case <-stop:
				return
			}
		}
		d.drops.Add(1)
	}()
	var once sync.Once
	return out, func() { once.Do(func() { close(stop); cancel() }) }
}

func TestEventsStreamAfterAndFilter(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	appendSample(l)
	s := openStream(t, e, "?after=0&door=front&type=access_granted,access_denied,door_held")
	for _, want := range []uint64{1, 2} {
		if ev := s.nextEvent(); ev.Seq != want {
			t.Fatalf("got %d, want %d", ev.Seq, want)
		}
	}
	l.Append(store.Event{Type: "door_held", Door: "back"})
	l.Append(store.Event{Type: "door_held", Door: "front"})
	if ev := s.nextEvent(); ev.Seq != 8 {
		t.Fatalf("got %+v, want seq 8 (7 is another door)", ev)
	}
}

func TestEventsStreamEndsOnShutdown(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	s := openStream(t, e, "")
	l.Append(store.Event{Type: "rex"})
	s.nextEvent()
	if err := e.srv.Shutdown(); err != nil { // returns only when the stream ended
		t.Fatal(err)
	}
	for {
		if _, err := s.next(); err != nil {
			break // io.EOF: the chunked body ended
		}
	}
}

func TestEventsStreamEndsWithTheLog(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	s := openStream(t, e, "")
	s.next()
	l.Close()
	for {
		if _, err := s.next(); err != nil {
			break
		}
	}
}

// A client that goes away: the next write fails and the stream lets go of
// its subscription.
func TestEventsStreamClientGone(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	s := openStream(t, e, "")
	s.next()
	if l.Subscribers() != 1 {
		t.Fatalf("subscribers %d", l.Subscribers())
	}
	s.body.Close()
	for i := 0; l.Subscribers() > 0; i++ {
		if i > 10000 {
			t.Fatal("the stream still follows the log after its client left")
		}
		l.Append(store.Event{Type: "rex"})
		l.Flush()
	}
}

func TestEventsStreamHead(t *testing.T) {
	e, _ := newEventsEnv(t, store.EventOptions{})
	r := e.do("HEAD", "/api/v1/events/stream", e.admin, "").want(200)
	if r.hdr["Content-Type"] != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type %q", r.hdr["Content-Type"])
	}
}

// Browsers' EventSource sends Accept: text/event-stream; only the stream
// route takes it.
func TestEventsStreamAcceptHeader(t *testing.T) {
	e, _ := newEventsEnv(t, store.EventOptions{})
	e.do("HEAD", "/api/v1/events/stream", e.admin, "", "Accept: text/event-stream").want(200)
	e.do("GET", "/api/v1/events", e.admin, "", "Accept: text/event-stream").want(406)
}

func TestAcceptsEventStream(t *testing.T) {
	for _, c := range []struct {
		path, accept string
		want         bool
	}{
		{eventStreamPath, "text/event-stream", true},
		{eventStreamPath, "Text/Event-Stream; q=0.5, application/xml", true},
		{eventStreamPath, "text/event-stream;q=0", false},
		{eventStreamPath, "text/html", false},
		{"/api/v1/events", "text/event-stream", false},
	} {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI(c.path)
		ctx.Request.Header.Set("Accept", c.accept)
		if got := acceptsEventStream(&ctx); got != c.want {
			t.Errorf("%s Accept %q: %v, want %v", c.path, c.accept, got, c.want)
		}
	}
}

// The keep-alive and the write deadline, in a bubble: 15 s of silence
// cost no real time. The stream writes the keep-alive comment on each
// tick and pushes the deadline before every write.
func TestEventsStreamKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := storetest.Open(t)
		l, err := store.OpenEventLog(st, store.EventOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		pr, pw := io.Pipe()
		done := make(chan struct{})
		extends := 0
		s := &sseStream{src: l, done: done, keepAlive: sseKeepAlive, extend: func() { extends++ }}
		ended := make(chan struct{})
		go func() {
			s.run(bufio.NewWriter(pw))
			pw.Close()
			close(ended)
		}()
		r := bufio.NewReader(pr)
		readFrame := func() string {
			var b strings.Builder
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if line == "\n" {
					return b.String()
				}
				b.WriteString(line)
			}
		}
		if f := readFrame(); !strings.HasPrefix(f, ": doord events") {
			t.Fatalf("opening %q", f)
		}
		start := time.Now()
		for i := 1; i <= 3; i++ {
			if f := readFrame(); f != ": keep-alive\n" {
				t.Fatalf("frame %q, want the keep-alive", f)
			}
			if got := time.Since(start); got != time.Duration(i)*sseKeepAlive {
				t.Errorf("keep-alive %d after %v, want %v", i, got, time.Duration(i)*sseKeepAlive)
			}
		}
		synctest.Wait()
		if extends < 4*2 { // a write and a flush per frame
			t.Errorf("deadline pushed %d times for 4 frames", extends)
		}
		l.Append(store.Event{Type: "rex"})
		if f := readFrame(); !strings.HasPrefix(f, "id: 1\nevent: rex\ndata: {") {
			t.Errorf("event frame %q", f)
		}
		close(done) // server shutdown
		<-ended
	})
}

func TestOperatorActionsAreAudited(t *testing.T) {
	e, l := newEventsEnv(t, store.EventOptions{})
	e.login("admin", adminPW)
	e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"wrong"}`).want(401)
	id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":"A"}`).want(201).str("id")
	e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":5}`).want(422) // a failed write changes nothing
	e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200)                         // reads are not changes
	l.Flush()
	evs, _, err := l.Query(store.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Type+"|"+ev.Operator+"|"+ev.Detail)
	}
	want := []string{"operator_login|admin|", "operator_login_failed|admin|wrong password", "operator_change|admin|POST /api/v1/users"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
