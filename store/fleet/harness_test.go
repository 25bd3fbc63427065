package fleet

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/fleet/natstest"
	"github.com/doord/doord/store/storetest"
	"github.com/nats-io/nats.go"
)

// The tests that mostly wait on timers (an outage is seen at OpTimeout,
// reconnect delays, a load slowed on purpose) call t.Parallel: go test
// runs them together once the serial ones ended, as many at once as
// -parallel allows (GOMAXPROCS by default).

// natsServer is a nats-server with JetStream (natstest, in natsd) on a
// free port, restartable on the same port and store directory; while it
// is stopped its port is held (holdPort).
type natsServer struct {
	t       testing.TB
	dir     string
	port    int
	srv     *natstest.Server
	ext     string // the URL of a server outside the test (measurements); srv is nil
	release func() // while stopped: frees the held port
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	n := &natsServer{t: t, dir: t.TempDir()}
	n.start()
	n.port = n.srv.Addr().(*net.TCPAddr).Port // a restart comes back on the same port
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	if n.release != nil {
		n.release()
		n.release = nil
	}
	n.srv = natstest.Run(n.t, &natstest.Options{JetStream: true, StoreDir: n.dir, Port: n.port})
}

// stop stops the server and holds its port until start.
func (n *natsServer) stop() {
	n.t.Helper()
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.release = holdPort(n.t, n.srv.Addr().(*net.TCPAddr))
}

// holdPort binds addr, a stopped server's, without listening on it,
// until the returned function (or the test's end) frees it. A client's
// connection is refused as with no server at all, but no listener that
// asks for a free port (another test's server, as tests run in
// parallel, or another process's) is given this one meanwhile: the
// restart gets it back.
func holdPort(t testing.TB, addr *net.TCPAddr) (release func()) {
	t.Helper()
	ip := addr.IP.To4()
	if ip == nil {
		t.Fatalf("holding %v: not an IPv4 address", addr)
	}
	syscall.ForkLock.RLock() // no program started meanwhile inherits it
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatalf("holding %v: %v", addr, err)
	}
	// As the server's listener had: its closed connections' TIME_WAIT
	// does not keep the port from being bound again.
	err = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	if err == nil {
		err = syscall.Bind(fd, &syscall.SockaddrInet4{Port: addr.Port, Addr: [4]byte(ip)})
	}
	if err != nil {
		syscall.Close(fd)
		t.Fatalf("holding the stopped server's %v: %v (taken meanwhile: the restart could not get it back)", addr, err)
	}
	release = sync.OnceFunc(func() { syscall.Close(fd) })
	t.Cleanup(release)
	return release
}

func (n *natsServer) url() string {
	if n.ext != "" {
		return n.ext
	}
	return "nats://" + n.srv.Addr().String()
}

// member is one controller: a store and its fleet membership.
type member struct {
	t   testing.TB
	st  *store.Store
	f   *Fleet
	nc  *nats.Conn
	cfg Config

	restricted chan bool
}

func testConfig(url, name string) Config {
	return Config{URL: url, Site: "test", Controller: name, MaxOffline: "1h", OfflinePolicy: PolicyDenyNonSecurity}
}

// join starts a controller on a fresh store.
func join(t testing.TB, n *natsServer, name string) *member {
	return joinStore(t, n, name, storetest.Open(t))
}

func joinStore(t testing.TB, n *natsServer, name string, st *store.Store) *member {
	t.Helper()
	return joinWith(t, n, name, st)
}

// joinWith starts a controller on st with extra connection options
// (they override Dial's).
func joinWith(t testing.TB, n *natsServer, name string, st *store.Store, extra ...nats.Option) *member {
	t.Helper()
	return joinFull(t, n, name, st, nil, extra...)
}

// joinHooked is joinStore with hook run on the member before its fleet
// starts (to watch its first catch-up or its cold load).
func joinHooked(t testing.TB, n *natsServer, name string, st *store.Store, hook func(*member)) *member {
	t.Helper()
	return joinFull(t, n, name, st, hook)
}

func joinFull(t testing.TB, n *natsServer, name string, st *store.Store, hook func(*member), extra ...nats.Option) *member {
	t.Helper()
	return joinConfig(t, testConfig(n.url(), name), st, hook, extra...)
}

// joinConfig starts a controller of cfg on st (hook: see joinHooked).
func joinConfig(t testing.TB, cfg Config, st *store.Store, hook func(*member), extra ...nats.Option) *member {
	t.Helper()
	nc, err := dial(cfg, extra...)
	if err != nil {
		t.Fatal(err)
	}
	m := &member{t: t, st: st, nc: nc, cfg: cfg, restricted: make(chan bool, 8)}
	m.f, err = New(cfg, nc, st, Options{OpTimeout: 5 * time.Second, Restrict: func(b bool) { m.restricted <- b }})
	if err != nil {
		t.Fatal(err)
	}
	if hook != nil {
		hook(m)
	}
	m.f.Start()
	t.Cleanup(m.leave)
	m.waitLive()
	return m
}

// leave stops the membership (the store stays open).
func (m *member) leave() {
	if m.f != nil {
		m.f.Close()
		m.nc.Close()
		m.f = nil
	}
}

// waitLimit bounds waitFor (a cold sync of a million users sets more).
// A test that changes it stays serial (no t.Parallel): the parallel
// tests read it, and go test starts them once every serial test ended.
var waitLimit = 15 * time.Second

// waitFor waits for cond, re-checking whenever the fleet applied more or
// its state changed: every change of the watch's state (live, offline)
// and of its applied revision closes f.progress, so nothing is polled.
func (m *member) waitFor(what string, cond func() bool) {
	m.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		m.f.mu.Lock()
		ch := m.f.progress // taken before cond: a change after it closes ch
		m.f.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			m.t.Fatalf("%s: timed out waiting for %s", m.cfg.Controller, what)
		}
	}
}

func (m *member) waitLive() {
	m.waitFor("the watch to be live", func() bool { return m.f.live() != nil })
}

func (m *member) waitRev(rev uint64) {
	m.waitFor("revision", func() bool { return m.f.rev() >= rev })
}

func (m *member) hasUser(id string) bool {
	_, err := m.st.GetUser(id)
	return err == nil
}

func isOffline(err error) bool { return errors.Is(err, store.ErrFleetOffline) }
