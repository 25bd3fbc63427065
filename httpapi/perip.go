package httpapi

import (
	"net"
	"sync"
	"time"
)

// perIPListener caps open connections per client address. fasthttp has
// MaxConnsPerIP, but its wrapper clears its embedded conn in Close while
// the serving goroutine may still read it, a data race on Shutdown (see
// valyala/fasthttp#1504, #1987); this wrapper only counts, so the conn the
// server uses is never touched from two goroutines.
type perIPListener struct {
	net.Listener
	max int

	mu sync.Mutex
	n  map[string]int
}

func newPerIPListener(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &perIPListener{Listener: ln, max: max, n: map[string]int{}}
}

// tooMany is written to a connection over the limit: a client sees why it
// was refused instead of a bare reset.
var tooMany = []byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/problem+json\r\nConnection: close\r\nContent-Length: 124\r\n\r\n" +
	`{"type":"https://doord.dev/problems/too-many-requests","title":"Too Many Requests","status":429,"detail":"too many connections"}`)

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		l.mu.Lock()
		if l.n[ip] >= l.max {
			l.mu.Unlock()
			// Best effort, bounded: a refused client must not hold the
			// accept loop.
			c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			c.Write(tooMany)
			c.Close()
			continue
		}
		l.n[ip]++
		l.mu.Unlock()
		return &countedConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *perIPListener) release(ip string) {
	l.mu.Lock()
	if l.n[ip]--; l.n[ip] <= 0 {
		delete(l.n, ip)
	}
	l.mu.Unlock()
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

type countedConn struct {
	net.Conn
	l    *perIPListener
	ip   string
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// NetConn is the connection counted (clientgone.go looks through it).
func (c *countedConn) NetConn() net.Conn { return c.Conn }
