package httpapi

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// watchClientGone calls gone when the client at the other end of conn
// closes it, until stop is called; stop returns once the watch has ended
// and the connection is as fasthttp left it for its next request.
//
// fasthttp reads nothing from a connection while its handler runs (an
// HTTP/1.1 client sends its next request only after the answer), so a
// long wait cannot learn from fasthttp that its client left. On a TCP
// socket the watch waits in the runtime's poller for the socket to
// become readable, then peeks without consuming: zero bytes is the
// client's close; any bytes (a pipelined request, a TLS alert) end the
// watch with the bytes left in place for fasthttp. Nothing polls. On a
// connection that is not a socket (in-memory listeners in tests) there
// is no watch: the wait ends at its timeout.
func watchClientGone(conn net.Conn, gone func()) (stop func()) {
	c := socketOf(conn)
	if c == nil {
		return func() {}
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return func() {}
	}
	// fasthttp's read deadline (ReadTimeout from the request's start)
	// would end the watch early; the wait has its own bound.
	if conn.SetReadDeadline(time.Time{}) != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [1]byte
		closed := false
		rc.Read(func(fd uintptr) bool {
			n, _, err := unix.Recvfrom(int(fd), buf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				return false // nothing yet: wait in the poller
			}
			closed = n == 0 || err != nil
			return true
		})
		if closed {
			gone()
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			conn.SetReadDeadline(time.Unix(1, 0)) // wakes the poller wait
			<-done
			conn.SetReadDeadline(time.Time{}) // fasthttp sets its own before the next read
		})
	}
}

// socketOf finds the socket under conn: through TLS and wrappers that
// say what they wrap (NetConn, as tls.Conn and countedConn do).
func socketOf(conn net.Conn) syscall.Conn {
	for range 4 {
		switch c := conn.(type) {
		case *net.TCPConn:
			return c
		case *tls.Conn:
			conn = c.NetConn()
		case interface{ NetConn() net.Conn }:
			conn = c.NetConn()
		default:
			return nil
		}
	}
	return nil
}
