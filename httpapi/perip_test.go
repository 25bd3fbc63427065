package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"testing"
)

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	st := newEnv(t).st
	srv := New(st, Config{MaxConnsPerIP: 2}, nil, Parts{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown()

	get := func(c net.Conn) int {
		t.Helper()
		if _, err := c.Write([]byte("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return 0
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := dial(), dial()
	defer a.Close()
	if got := get(a); got != 200 {
		t.Fatalf("first conn: %d", got)
	}
	if got := get(b); got != 200 {
		t.Fatalf("second conn: %d", got)
	}
	c := dial()
	if got := get(c); got != 429 {
		t.Fatalf("third conn from the same address: %d, want 429", got)
	}
	c.Close()
	b.Close()
	// The freed slot is usable again. The server notices b's close when
	// its read fails; retry the dial until it has (bounded, no sleeps).
	for i := 0; ; i++ {
		d := dial()
		if get(d) == 200 {
			d.Close()
			break
		}
		d.Close()
		if i > 1000 {
			t.Fatal("a closed connection's slot was never freed")
		}
	}
}
