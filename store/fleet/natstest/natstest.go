// Package natstest runs an embedded nats-server for the fleet's tests.
// Only tests import it: the doord binary never links nats-server.
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Run starts a nats-server with opts (nil for none) on loopback and shuts
// it down when the test ends. Port 0 takes a free port (pass a stopped
// server's port to restart it there); Host defaults to 127.0.0.1; it
// never logs nor handles signals. Set JetStream and StoreDir for streams.
func Run(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	o := server.Options{}
	if opts != nil {
		o = *opts
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	o.NoLog, o.NoSigs = true, true
	s, err := server.NewServer(&o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return s
}
