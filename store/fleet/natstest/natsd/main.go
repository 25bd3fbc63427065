package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// request is natstest.Options on the wire, and the client's environment
// (a config file may name environment variables).
type request struct {
	Host       string   `json:"host"`
	Port       int      `json:"port"`
	JetStream  bool     `json:"jetstream"`
	StoreDir   string   `json:"store_dir"`
	ConfigFile string   `json:"config_file"`
	Env        []string `json:"env"`
}

type reply struct {
	Addr  string `json:"addr,omitempty"`
	Error string `json:"error,omitempty"`
}

func main() {
	quietRace()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(2)
	}
	go serve(ln)
	if len(os.Args) > 2 && os.Args[1] == "run" {
		os.Exit(run(ln.Addr().String(), os.Args[2:]))
	}
	fmt.Printf("natsd %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin) // until the test process is gone
}

// run runs args with the control address in its environment, passing
// the standard streams through, and is its exit status.
func run(addr string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DOORD_NATSD_ADDR="+addr)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "natsd run:", err)
		return 1
	}
}

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go handle(c)
	}
}

// handle serves one server's life on one connection.
func handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	enc := json.NewEncoder(c)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		enc.Encode(reply{Error: "bad request: " + err.Error()})
		return
	}
	s, err := start(&req)
	if err != nil {
		enc.Encode(reply{Error: err.Error()})
		return
	}
	enc.Encode(reply{Addr: s.Addr().String()})
	_, err = r.ReadBytes('\n') // the stop, or the client gone
	s.Shutdown()
	s.WaitForShutdown()
	if err == nil {
		enc.Encode(reply{})
	}
}

// envMu serialises config files' reads, which see the client's
// environment for their duration.
var envMu sync.Mutex

func start(req *request) (*server.Server, error) {
	o := &server.Options{}
	if req.ConfigFile != "" {
		var err error
		if o, err = configFile(req.ConfigFile, req.Env); err != nil {
			return nil, err
		}
	}
	if req.Host != "" {
		o.Host = req.Host
	}
	if req.Port != 0 {
		o.Port = req.Port
	}
	if req.JetStream {
		o.JetStream = true
	}
	if req.StoreDir != "" {
		o.StoreDir = req.StoreDir
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	o.NoLog, o.NoSigs = true, true
	s, err := server.NewServer(o)
	if err != nil {
		return nil, err
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("nats-server not ready in 10 s")
	}
	return s, nil
}

func configFile(file string, env []string) (*server.Options, error) {
	envMu.Lock()
	defer envMu.Unlock()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		defer func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		}()
	}
	return server.ProcessConfigFile(file)
}
