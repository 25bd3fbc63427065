package eventpub

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/fleet/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	site = "campus"
	ctl  = "bldg1-east"
)

// natsServer runs a JetStream server (natstest) keeping its streams in
// dir; port 0 picks a free port (pass the old one to restart on it).
func natsServer(t *testing.T, dir string, port int) *natstest.Server {
	t.Helper()
	return natstest.Run(t, &natstest.Options{Port: port, JetStream: true, StoreDir: dir})
}

func serverPort(s *natstest.Server) int { return s.Addr().(*net.TCPAddr).Port }

// dial connects as the daemon does: reconnecting forever.
func dial(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond),
		nats.ReconnectJitter(0, 0), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// openLog opens the store file at path and its event log.
func openLog(t *testing.T, path string, opt store.EventOptions) (*store.Store, *store.EventLog) {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := store.OpenEventLog(st, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); st.Close() })
	return st, l
}

func storePath(t *testing.T) string { return filepath.Join(t.TempDir(), "doord.db") }

func appendN(l *store.EventLog, n int, door string) {
	for i := range n {
		l.Append(store.Event{Type: store.EventAccessGranted, Door: door, CredentialType: "card",
			Credential: "12345678", UserUID: uint64(i + 1)})
	}
	l.Flush()
}

func startPub(t *testing.T, nc *nats.Conn, st *store.Store, l *store.EventLog, opt Options) *Publisher {
	t.Helper()
	opt.Site, opt.Controller, opt.Log, opt.Store = site, ctl, l, st
	p, err := Start(nc, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// waitCursor waits (without polling) until p acknowledged seq.
func waitCursor(t *testing.T, p *Publisher, seq uint64) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		ch := p.Acked()
		if p.Stats().Cursor >= seq {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("cursor %d, want %d", p.Stats().Cursor, seq)
		}
	}
}

// streamMsg is one message of the stream as a consumer sees it.
type streamMsg struct {
	subject, id string
	ev          store.Event
	raw         []byte
}

// readStream reads every message of the site's stream in stream order
// (an ordered consumer), and checks the stream holds no more than that.
func readStream(t *testing.T, nc *nats.Conn) []streamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, StreamName(site))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := int(info.State.Msgs)
	if n == 0 {
		return nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []streamMsg
	for len(out) < n {
		batch, err := c.Fetch(n-len(out), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			var ev store.Event
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatalf("message %q: %v", m.Data(), err)
			}
			out = append(out, streamMsg{m.Subject(), m.Headers().Get(jetstream.MsgIDHeader), ev, m.Data()})
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
		if got == 0 {
			t.Fatalf("stream says %d messages, read %d", n, len(out))
		}
	}
	return out
}

// seqs lists the events' seqs.
func seqs(ms []streamMsg) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.ev.Seq
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}
