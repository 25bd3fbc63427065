package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/store/fleet/natstest"
	"github.com/nats-io/nats-server/v2/server"
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
	if testing.Short() {
		t.Skip("builds doord and runs three processes")
	}
	bin := filepath.Join(t.TempDir(), "doord")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
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
		p.waitMetric("doord_fleet_live", "1")
	}

	// Added on a: opens on b and c.
	u := a.must("POST", "/api/v1/users", `{"name":"Ada","locks":"both"}`, 201)
	a.must("POST", "/api/v1/users/"+u["id"].(string)+"/credentials", `{"type":"card","value":{"facility":123,"card":4567}}`, 201)
	for _, p := range []*fleetProc{b, c} {
		p.waitGranted(u["id"].(string))
	}

	// The server goes: doors go on, writes are refused.
	ns.stop()
	b.waitMetric("doord_fleet_live", "0")
	b.waitGranted(u["id"].(string))
	r := b.must("POST", "/api/v1/users", `{"name":"While away","locks":"both"}`, 503)
	if d, _ := r["detail"].(string); !strings.Contains(d, "unreachable") {
		t.Errorf("503 detail %q", d)
	}

	// It comes back: b writes again, and a and c get it.
	ns.start()
	b.waitMetric("doord_fleet_live", "1")
	v := b.must("POST", "/api/v1/users", `{"name":"After","locks":"both"}`, 201)
	for _, p := range []*fleetProc{a, c} {
		p.waitUser(v["id"].(string))
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
	c.waitMetric("doord_fleet_live", "1")
	for _, id := range ids {
		c.waitUser(id)
	}
	if strings.Contains(c.log(), "cold start loaded") {
		t.Error("c loaded the whole bucket again instead of resuming from its revision")
	}
	if !strings.Contains(c.log(), `"msg":"fleet: in sync"`) {
		t.Error("c did not log its resync")
	}
	if got := c.metric("doord_fleet_revision"); got != a.metric("doord_fleet_revision") {
		t.Errorf("c at revision %s, a at %s", got, a.metric("doord_fleet_revision"))
	}
}

// fleetNATS is an embedded nats-server (natstest) that can stop and come
// back on the same port with the same JetStream directory.
type fleetNATS struct {
	t    *testing.T
	dir  string
	port int
	srv  *server.Server
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
	n.srv = natstest.Run(n.t, &server.Options{JetStream: true, StoreDir: n.dir, Port: n.port})
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
}

const fleetPW = "fleet test password"

func newFleetProc(t *testing.T, bin string, example []byte, name, url string) *fleetProc {
	dir := t.TempDir()
	conf := string(example)
	conf = strings.Replace(conf, `listen = "127.0.0.1:8080"`, `listen = "127.0.0.1:0"`, 1)
	conf = strings.Replace(conf, `data = "data"`, fmt.Sprintf("data = %q", filepath.Join(dir, "data")), 1)
	conf = strings.Replace(conf, `log_format = "text"`, `log_format = "json"`, 1)
	conf += fmt.Sprintf("\n[fleet]\nurl = %q\nsite = \"e2e\"\ncontroller = %q\ngroups = [\"all\"]\n", url, name)
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
	go func() { p.cmd.Wait(); logf.Close(); pw.Close() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var l struct{ Msg, Listen string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "doord started" {
				addr <- l.Listen
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-time.After(60 * time.Second):
		p.t.Fatalf("%s did not start:\n%s", p.name, p.log())
	}
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

// eventually retries cond every 50 ms for 30 s: the processes share no
// channel with the test, so their state is polled.
func (p *fleetProc) eventually(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: timed out waiting for %s\n%s", p.name, what, tail(p.log(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
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

func (p *fleetProc) waitMetric(name, want string) {
	p.t.Helper()
	p.eventually(name+" "+want, func() bool { return p.metric(name) == want })
}

func (p *fleetProc) waitUser(id string) {
	p.t.Helper()
	p.eventually("user "+id, func() bool { return p.call("GET", "/api/v1/users/"+id, "", nil) == 200 })
}

// waitGranted swipes the card on reader 1 until the event log shows a
// grant to the user.
func (p *fleetProc) waitGranted(userID string) {
	p.t.Helper()
	p.eventually("a grant to "+userID, func() bool {
		var since map[string]any
		p.call("GET", "/api/v1/events?type=access_granted&limit=1000", "", &since)
		before := countUser(since, userID)
		p.must("POST", "/api/v1/sim/readers/1/card", `{"facility":123,"card":4567}`, 200)
		for range 40 {
			var m map[string]any
			p.call("GET", "/api/v1/events?type=access_granted&limit=1000", "", &m)
			if countUser(m, userID) > before {
				return true
			}
			time.Sleep(25 * time.Millisecond)
		}
		return false
	})
}

func countUser(m map[string]any, userID string) int {
	n := 0
	evs, _ := m["items"].([]any)
	for _, e := range evs {
		if e, ok := e.(map[string]any); ok && e["user_id"] == userID {
			n++
		}
	}
	return n
}
