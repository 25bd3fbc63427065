package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/board/qemu"
	"github.com/doord/doord/store/fleet/eventpub"
	"github.com/doord/doord/store/fleet/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A fleet of three doord processes (the binary built by the test, the
// simulated board) on one embedded nats-server, over loopback:
//
//   - a person added through one controller's API opens the doors of the
//     other two (a card swiped on their simulated readers);
//   - with the server stopped the doors go on deciding, and a record
//     write is refused with 503; with the server back the controllers
//     converge by themselves;
//   - a controller killed with SIGKILL in the middle of a burst of writes
//     resumes from the revision it had stored (it does not load again).
func TestFleetOfThreeProcesses(t *testing.T) {
	qemu.SkipExec(t, "go build and the daemons")
	if testing.Short() {
		t.Skip("builds doord and runs three processes")
	}
	bin := filepath.Join(t.TempDir(), "doord")
	build := append(append([]string{"build"}, raceFlags...), "-o", bin, ".")
	if out, err := exec.Command("go", build...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	example, err := os.ReadFile("../../doord.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	ns := startFleetNATS(t)
	ctl := map[string]*fleetProc{}
	for _, name := range []string{"a", "b", "c"} {
		ctl[name] = newFleetProc(t, bin, example, name, ns.url)
		ctl[name].start()
	}
	a, b, c := ctl["a"], ctl["b"], ctl["c"]
	for _, p := range ctl {
		p.waitLive(0)
	}

	// Added on a: opens on b and c.
	u := a.must("POST", "/api/v1/users", `{"name":"Ada","locks":"both"}`, 201)
	a.must("POST", "/api/v1/users/"+u["id"].(string)+"/credentials", `{"type":"card","value":{"facility":123,"card":4567}}`, 201)
	for _, p := range []*fleetProc{b, c} {
		p.waitRev(a.rev())
		p.swipeGranted(u["id"].(string))
	}

	// The server goes: doors go on, writes are refused.
	mark := b.mark()
	seqB := b.lastEventSeq()
	ns.stop()
	b.waitLog("the watch to go offline", mark, func(l logLine) bool { return l.Msg == msgFleetOffline })
	if got := b.metric("doord_fleet_live"); got != "0" {
		t.Errorf("doord_fleet_live %q once offline, want 0", got)
	}
	b.swipeGranted(u["id"].(string))
	r := b.must("POST", "/api/v1/users", `{"name":"While away","locks":"both"}`, 503)
	if d, _ := r["detail"].(string); !strings.Contains(d, "unreachable") {
		t.Errorf("503 detail %q", d)
	}
	// Past max_offline: the event, the metric, and the policy (keep:
	// the card still opens).
	b.waitEvent("fleet_offline_policy", seqB)
	if got := b.metric("doord_fleet_stale"); got != "1" {
		t.Errorf("doord_fleet_stale %q past max_offline, want 1", got)
	}
	b.swipeGranted(u["id"].(string))

	// It comes back: the policy lifts, b writes again, and a and c get it.
	mark = b.mark()
	ns.start()
	b.waitLive(mark)
	b.waitEvent("fleet_offline_policy_cleared", seqB)
	if got := b.metric("doord_fleet_stale"); got != "0" {
		t.Errorf("doord_fleet_stale %q once back, want 0", got)
	}
	v := b.must("POST", "/api/v1/users", `{"name":"After","locks":"both"}`, 201)
	for _, p := range []*fleetProc{a, c} {
		p.waitRev(b.rev())
		p.must("GET", "/api/v1/users/"+v["id"].(string), "", 200)
	}

	// c is killed with SIGKILL while a writes; it resumes from its revision.
	var ids []string
	for i := range 40 {
		if i == 15 {
			c.kill()
		}
		w := a.must("POST", "/api/v1/users", fmt.Sprintf(`{"name":"Burst %d","locks":"both"}`, i), 201)
		ids = append(ids, w["id"].(string))
	}
	c.start()
	c.waitLive(0)
	c.waitRev(a.rev())
	for _, id := range ids {
		c.must("GET", "/api/v1/users/"+id, "", 200)
	}
	if c.logged(msgFleetColdLoad) { // this process's log only: its first start was a cold one
		t.Error("c loaded the whole bucket again instead of resuming from its revision")
	}
	if !strings.Contains(c.log(), `"msg":"fleet: in sync"`) {
		t.Error("c did not log its resync")
	}
	if got := c.metric("doord_fleet_revision"); got != a.metric("doord_fleet_revision") {
		t.Errorf("c at revision %s, a at %s", got, a.metric("doord_fleet_revision"))
	}

	// Events converge too: the site's stream holds every event of each
	// controller's log once, b's queued while the server was away and
	// c's around its SIGKILL included, none twice.
	nc, err := nats.Connect(ns.url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, p := range []*fleetProc{a, b, c} {
		p.eventsInStream(nc)
	}
}

// eventsInStream checks that the site's event stream holds every event
// of p's log exactly once (waiting for the publisher to deliver them:
// the stream's messages come to an ordered consumer as they arrive).
func (p *fleetProc) eventsInStream(nc *nats.Conn) {
	p.t.Helper()
	var want []uint64
	for after := "0"; ; {
		var page struct {
			Items []struct {
				Seq uint64 `json:"seq"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
			More       bool   `json:"more"`
		}
		if st := p.call("GET", "/api/v1/events?limit=500&after="+after, "", &page); st != 200 {
			p.t.Fatalf("%s: events: %d", p.name, st)
		}
		for _, it := range page.Items {
			want = append(want, it.Seq)
		}
		if !page.More {
			break
		}
		after = page.NextCursor
	}
	if len(want) == 0 {
		p.t.Fatalf("%s: no events in its log", p.name)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.t.Context(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, eventpub.StreamName("e2e"), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{eventpub.Subject("e2e", p.name)},
	})
	if err != nil {
		p.t.Fatalf("%s: the event stream: %v", p.name, err)
	}
	seen := map[uint64]int{}
	missing := len(want)
	inLog := map[uint64]bool{}
	for _, q := range want {
		inLog[q] = true
	}
	for missing > 0 {
		m, err := cons.Next(jetstream.FetchContext(ctx))
		if err != nil {
			p.t.Fatalf("%s: %d of its %d logged events not in the stream: %v", p.name, missing, len(want), err)
		}
		var ev struct {
			Seq uint64 `json:"seq"`
		}
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			p.t.Fatalf("%s: a stream message that is not an event: %v", p.name, err)
		}
		if seen[ev.Seq]++; seen[ev.Seq] == 1 && inLog[ev.Seq] {
			missing--
		}
	}
	// The rest of the subject too, so that a duplicate stored after the
	// last logged event's first copy is counted.
	info, err := cons.Info(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	for range info.NumPending {
		m, err := cons.Next(jetstream.FetchContext(ctx))
		if err != nil {
			p.t.Fatalf("%s: the stream's last messages: %v", p.name, err)
		}
		var ev struct {
			Seq uint64 `json:"seq"`
		}
		if err := json.Unmarshal(m.Data(), &ev); err == nil {
			seen[ev.Seq]++
		}
	}
	for q, n := range seen {
		if n > 1 {
			p.t.Errorf("%s: event %d is in the stream %d times", p.name, q, n)
		}
	}
	p.t.Logf("%s: %d logged events, each in the stream", p.name, len(want))
}

// fleetNATS is a nats-server (natstest, in natsd) that can stop and come
// back on the same port with the same JetStream directory.
type fleetNATS struct {
	t    *testing.T
	dir  string
	port int
	srv  *natstest.Server
	url  string
}

func startFleetNATS(t *testing.T) *fleetNATS {
	n := &fleetNATS{t: t, dir: t.TempDir()}
	n.start()
	n.port = n.srv.Addr().(*net.TCPAddr).Port
	n.url = "nats://" + n.srv.Addr().String()
	return n
}

func (n *fleetNATS) start() {
	n.srv = natstest.Run(n.t, &natstest.Options{JetStream: true, StoreDir: n.dir, Port: n.port})
}

func (n *fleetNATS) stop() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// fleetProc is one doord process of the fleet.
type fleetProc struct {
	t         *testing.T
	bin, name string
	dir, conf string
	cmd       *exec.Cmd
	logf      string
	base      string
	token     string
	logs      *logTail // the running process's log lines
}

const fleetPW = "fleet test password"

func newFleetProc(t *testing.T, bin string, example []byte, name, url string) *fleetProc {
	dir := t.TempDir()
	conf := string(example)
	conf = strings.Replace(conf, `listen = "127.0.0.1:8080"`, `listen = "127.0.0.1:0"`, 1)
	conf = strings.Replace(conf, `data = "data"`, fmt.Sprintf("data = %q", filepath.Join(dir, "data")), 1)
	conf = strings.Replace(conf, `log_format = "text"`, `log_format = "json"`, 1)
	conf = strings.Replace(conf, `log_level = "info"`, `log_level = "debug"`, 1) // "fleet: applied" lines
	// max_offline of a second: the offline policy (keep) applies while the test has the server stopped.
	conf += fmt.Sprintf("\n[fleet]\nurl = %q\nsite = \"e2e\"\ncontroller = %q\ngroups = [\"all\"]\nmax_offline = \"1s\"\n", url, name)
	p := &fleetProc{t: t, bin: bin, name: name, dir: dir, conf: filepath.Join(dir, "doord.toml"), logf: filepath.Join(dir, "log")}
	if err := os.WriteFile(p.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	return p
}

// start runs doord and waits for its API address in its log.
func (p *fleetProc) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.logf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	pr, pw := io.Pipe()
	p.cmd = exec.Command(p.bin, "serve", "--config", p.conf)
	p.cmd.Env = append(os.Environ(), "DOORD_ADMIN_PASSWORD="+fleetPW)
	p.cmd.Stderr = io.MultiWriter(logf, pw)
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.logs = newLogTail()
	go func() { p.cmd.Wait(); logf.Close(); pw.Close() }()
	go p.logs.follow(pr)
	l := p.waitLog("doord started", 0, func(l logLine) bool { return l.Msg == "doord started" })
	p.base = "http://" + l.Listen
	var m map[string]any
	if st := p.call("POST", "/api/v1/session", `{"username":"admin","password":"`+fleetPW+`"}`, &m); st != 201 {
		p.t.Fatalf("%s login: %d %v", p.name, st, m)
	}
	p.token = m["token"].(string)
}

// kill ends the process with SIGKILL (no shutdown at all).
func (p *fleetProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Process.Wait()
		p.cmd = nil
	}
}

func (p *fleetProc) log() string {
	b, _ := os.ReadFile(p.logf)
	return string(b)
}

func (p *fleetProc) call(method, path, body string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s %s: %v", p.name, method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if s, ok := out.(*string); ok {
		*s = string(b)
	} else if out != nil {
		json.Unmarshal(b, out)
	}
	return res.StatusCode
}

func (p *fleetProc) must(method, path, body string, want int) map[string]any {
	p.t.Helper()
	var m map[string]any
	if st := p.call(method, path, body, &m); st != want {
		p.t.Fatalf("%s %s %s: %d, want %d: %v", p.name, method, path, st, want, m)
	}
	return m
}

// The processes share no channel with the test: it waits on their log,
// which says when the watch goes live ("fleet: in sync") or offline and,
// at debug level, each revision applied ("fleet: applied"). Each wait
// wakes on a new line, never on a timer; the deadline only bounds it.
const (
	msgFleetLive     = "fleet: in sync"
	msgFleetOffline  = "fleet: offline; the doors decide from the local store"
	msgFleetApplied  = "fleet: applied"
	msgFleetColdLoad = "fleet: cold start loaded"
	fleetWaitLimit   = 60 * time.Second
)

// logLine is the part of a JSON log line the test reads.
type logLine struct {
	Msg      string
	Listen   string
	Revision uint64
}

// logTail keeps a process's log lines as they come.
type logTail struct {
	mu    sync.Mutex
	lines []logLine
	more  chan struct{} // closed and replaced on each line, and at the end
	ended bool
}

func newLogTail() *logTail { return &logTail{more: make(chan struct{})} }

func (lt *logTail) follow(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		lt.mu.Lock()
		lt.lines = append(lt.lines, l)
		close(lt.more)
		lt.more = make(chan struct{})
		lt.mu.Unlock()
	}
	io.Copy(io.Discard, r)
	lt.mu.Lock()
	lt.ended = true
	close(lt.more)
	lt.mu.Unlock()
}

// mark is where the log is now: a wait from it sees only later lines.
func (p *fleetProc) mark() int {
	p.logs.mu.Lock()
	defer p.logs.mu.Unlock()
	return len(p.logs.lines)
}

// waitLog waits for a log line from line from on that matches.
func (p *fleetProc) waitLog(what string, from int, match func(logLine) bool) logLine {
	p.t.Helper()
	deadline := time.NewTimer(fleetWaitLimit)
	defer deadline.Stop()
	for {
		p.logs.mu.Lock()
		lines, more, ended := p.logs.lines, p.logs.more, p.logs.ended
		p.logs.mu.Unlock()
		for ; from < len(lines); from++ {
			if match(lines[from]) {
				return lines[from]
			}
		}
		if ended {
			p.t.Fatalf("%s: exited while waiting for %s\n%s", p.name, what, tail(p.log(), 3000))
		}
		select {
		case <-more:
		case <-deadline.C:
			p.t.Fatalf("%s: timed out waiting for %s\n%s", p.name, what, tail(p.log(), 3000))
		}
	}
}

// logged reports whether the running process logged msg.
func (p *fleetProc) logged(msg string) bool {
	p.logs.mu.Lock()
	defer p.logs.mu.Unlock()
	for _, l := range p.logs.lines {
		if l.Msg == msg {
			return true
		}
	}
	return false
}

// waitLive waits for the watch to be live (after line from), and checks
// that the metric says so too.
func (p *fleetProc) waitLive(from int) {
	p.t.Helper()
	p.waitLog("the watch to be live", from, func(l logLine) bool { return l.Msg == msgFleetLive })
	if got := p.metric("doord_fleet_live"); got != "1" {
		p.t.Errorf("%s: doord_fleet_live %q once in sync, want 1", p.name, got)
	}
}

// waitRev waits for the process to have applied revision rev.
func (p *fleetProc) waitRev(rev uint64) {
	p.t.Helper()
	p.waitLog(fmt.Sprintf("revision %d", rev), 0, func(l logLine) bool {
		return (l.Msg == msgFleetApplied || l.Msg == msgFleetLive) && l.Revision >= rev
	})
}

// rev is the revision the process has applied (its metric): a write it
// answered is in it.
func (p *fleetProc) rev() uint64 {
	p.t.Helper()
	n, err := strconv.ParseUint(p.metric("doord_fleet_revision"), 10, 64)
	if err != nil {
		p.t.Fatalf("%s: doord_fleet_revision: %v", p.name, err)
	}
	return n
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (p *fleetProc) metric(name string) string {
	var body string
	p.call("GET", "/metrics", "", &body)
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// lastEventSeq is the seq of p's newest event ("0" when there is none).
func (p *fleetProc) lastEventSeq() string {
	p.t.Helper()
	var page struct {
		Items []struct {
			Seq uint64 `json:"seq"`
		} `json:"items"`
	}
	if st := p.call("GET", "/api/v1/events?limit=1", "", &page); st != 200 {
		p.t.Fatalf("%s: events: %d", p.name, st)
	}
	if len(page.Items) == 0 {
		return "0"
	}
	return strconv.FormatUint(page.Items[len(page.Items)-1].Seq, 10)
}

// eventStream opens p's event stream with query's filters, from
// Last-Event-ID after when it is not empty; done closes it.
func (p *fleetProc) eventStream(ctx context.Context, query, after string) (sc *bufio.Scanner, done func() error) {
	p.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.base+"/api/v1/events/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Accept", "text/event-stream")
	if after != "" {
		req.Header.Set("Last-Event-ID", after)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s: event stream: %v", p.name, err)
	}
	return bufio.NewScanner(res.Body), res.Body.Close
}

// streamEvent is what the fleet test reads of an event on the stream.
type streamEvent struct {
	Type   string `json:"type"`
	UserID string `json:"user_id"`
}

// streamEvents yields the events of an event stream's data lines, until
// it ends.
func streamEvents(sc *bufio.Scanner) iter.Seq[streamEvent] {
	return func(yield func(streamEvent) bool) {
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev streamEvent
			if json.Unmarshal([]byte(data), &ev) == nil && !yield(ev) {
				return
			}
		}
	}
}

// waitEvent waits for an event of type typ after seq after, reading the
// event stream from there (Last-Event-ID: what came before the
// subscription is replayed).
func (p *fleetProc) waitEvent(typ, after string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), fleetWaitLimit)
	defer cancel()
	sc, done := p.eventStream(ctx, "?type="+typ, after)
	defer done()
	for ev := range streamEvents(sc) {
		if ev.Type == typ {
			return
		}
	}
	p.t.Fatalf("%s: no %s event after %s on the event stream: %v", p.name, typ, after, sc.Err())
}

// swipeGranted swipes the card on reader 1 once and reads the decision
// from the live event stream: it must be a grant to the user.
func (p *fleetProc) swipeGranted(userID string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), fleetWaitLimit)
	defer cancel()
	sc, done := p.eventStream(ctx, "", "")
	defer done()
	if !sc.Scan() { // the stream's opening comment: subscribed from here
		p.t.Fatalf("%s: event stream closed: %v", p.name, sc.Err())
	}
	p.must("POST", "/api/v1/sim/readers/1/card", `{"facility":123,"card":4567}`, 200)
	for ev := range streamEvents(sc) {
		if !strings.HasPrefix(ev.Type, "access_") {
			continue
		}
		if ev.Type != "access_granted" || ev.UserID != userID {
			p.t.Fatalf("%s: the swipe was %s (user %q), want access_granted to %s", p.name, ev.Type, ev.UserID, userID)
		}
		return
	}
	p.t.Fatalf("%s: no decision on the event stream: %v", p.name, sc.Err())
}
