package natstest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/board/qemu"
)

// Options are the nats-server options the fleet's tests use.
type Options struct {
	Host      string // default 127.0.0.1
	Port      int    // 0: a free port (pass a stopped server's port to restart it there)
	JetStream bool
	StoreDir  string // JetStream's directory
	// ConfigFile is a nats-server config file, read with this process's
	// environment; the fields above, where set, override it.
	ConfigFile string
}

// Server is a running nats-server of natsd.
type Server struct {
	conn net.Conn
	r    *bufio.Reader
	addr *net.TCPAddr
	once sync.Once
	done chan struct{}
	err  error
}

// Run starts a nats-server with opts (nil for none) on loopback and shuts
// it down when the test ends. It never logs nor handles signals.
func Run(t testing.TB, opts *Options) *Server {
	t.Helper()
	o := Options{}
	if opts != nil {
		o = *opts
	}
	ctl, err := natsd()
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	c, err := net.DialTimeout("tcp", ctl, 10*time.Second)
	if err != nil {
		t.Fatalf("natstest: natsd at %s: %v", ctl, err)
	}
	s := &Server{conn: c, r: bufio.NewReader(c), done: make(chan struct{})}
	req := map[string]any{"host": o.Host, "port": o.Port, "jetstream": o.JetStream,
		"store_dir": o.StoreDir, "config_file": o.ConfigFile}
	if o.ConfigFile != "" {
		req["env"] = os.Environ()
	}
	var rep struct{ Addr, Error string }
	if err := s.call(req, &rep); err != nil || rep.Error != "" {
		c.Close()
		t.Fatalf("natstest: starting nats-server: %v%s", err, rep.Error)
	}
	if s.addr, err = net.ResolveTCPAddr("tcp", rep.Addr); err != nil {
		c.Close()
		t.Fatalf("natstest: natsd's address %q: %v", rep.Addr, err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func (s *Server) call(req any, rep any) error {
	s.conn.SetDeadline(time.Now().Add(time.Minute))
	b, _ := json.Marshal(req)
	if _, err := s.conn.Write(append(b, '\n')); err != nil {
		return err
	}
	line, err := s.r.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, rep)
}

// Addr is the server's client address (a *net.TCPAddr).
func (s *Server) Addr() net.Addr { return s.addr }

// ClientURL is nats://host:port.
func (s *Server) ClientURL() string { return "nats://" + s.addr.String() }

// Shutdown stops the server and returns once it has stopped (its port
// free, its JetStream directory closed); again, it does nothing.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		var rep struct{ Error string }
		s.err = s.call(struct{}{}, &rep)
		s.conn.Close()
		close(s.done)
	})
}

// WaitForShutdown returns once Shutdown has stopped the server.
func (s *Server) WaitForShutdown() { <-s.done }

// AddrEnv and BinEnv name natsd's control address and its binary.
const (
	AddrEnv = "DOORD_NATSD_ADDR"
	BinEnv  = "DOORD_NATSD"
)

var (
	natsdOnce sync.Once
	natsdAddr string
	natsdErr  error
	natsdIn   io.WriteCloser // natsd's stdin: open while this process lives
)

// natsd is the control address of natsd, started by the first call.
func natsd() (string, error) {
	natsdOnce.Do(func() { natsdAddr, natsdErr = startNatsd() })
	return natsdAddr, natsdErr
}

func startNatsd() (string, error) {
	if a := os.Getenv(AddrEnv); a != "" {
		return a, nil
	}
	if qemu.Emulated() {
		return "", fmt.Errorf("under qemu-user natsd cannot be started from the test (fork can deadlock): run the test binary under `natsd run` (%s set), as make test-arm does", AddrEnv)
	}
	bin := os.Getenv(BinEnv)
	if bin == "" {
		dir, err := os.MkdirTemp("", "natsd")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir) // a started program keeps its file
		bin = filepath.Join(dir, "natsd")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/doord/doord/store/fleet/natstest/natsd").CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build natsd: %v\n%s", err, out)
		}
	}
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("natsd (%s=%s): %v", BinEnv, bin, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "natsd ")
	if err != nil || !ok {
		cmd.Process.Kill()
		return "", errors.Join(fmt.Errorf("natsd (%s) did not say its address: %q", bin, line), err)
	}
	natsdIn = in
	go cmd.Wait()
	return addr, nil
}
