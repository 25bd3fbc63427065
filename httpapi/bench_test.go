package httpapi

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// BenchmarkCreateUser measures durable creates per second over HTTP on a
// real TCP socket on 127.0.0.1 (every 201 is after an fsync'd bbolt
// commit) with 1 and 64 concurrent clients. A lone client's create commits
// at once; with 64 the store's group commit coalesces them.
//
// The clients are plain fasthttp clients that check each answer's status
// and Location: the test harness's e.do also validates every exchange
// against the OpenAPI document, which cost the client ~150 µs of CPU a
// create, a third of the process's CPU at 64 clients on two cores. The
// first create goes through e.do, so the contract is still checked once.
func BenchmarkCreateUser(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			e := newEnv(b)
			e.overTCP()
			body := func(i int64) []byte {
				return fmt.Appendf(nil, `{"name":"User %d","locks":"both","tags":["bench"],"email":"u%d@example.com"}`, i, i)
			}
			e.do("POST", "/api/v1/users", e.admin, string(body(0))).want(201)
			var n atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
					defer fasthttp.ReleaseRequest(req)
					defer fasthttp.ReleaseResponse(res)
					req.SetRequestURI("http://doord/api/v1/users")
					req.Header.SetMethod("POST")
					req.Header.Set("Authorization", "Bearer "+e.admin)
					req.Header.SetContentType("application/json")
					for {
						i := n.Add(1)
						if i > int64(b.N) {
							return
						}
						req.SetBodyRaw(body(i))
						if err := e.c.DoTimeout(req, res, 30*time.Second); err != nil {
							b.Error(err)
							return
						}
						if res.StatusCode() != 201 || len(res.Header.Peek("Location")) == 0 {
							b.Errorf("status %d: %s", res.StatusCode(), res.Body())
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
		})
	}
}

// BenchmarkGet compares GET /api/v1/users/{id} (token check, routing, a
// bbolt read, JSON) with a fasthttp handler that returns a fixed body, over
// the same in-memory transport in the same run: the ratio is what the API
// costs over fasthttp itself.
func BenchmarkGet(b *testing.B) {
	b.Run("fixed", func(b *testing.B) {
		body := []byte(`{"status":"ok"}`)
		srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetContentType("application/json")
			ctx.SetBody(body)
		}}
		ln := fasthttputil.NewInmemoryListener()
		go srv.Serve(ln)
		defer srv.Shutdown()
		c := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }, MaxConnsPerHost: 1024}
		benchGets(b, c, "/fixed", "")
	})
	b.Run("user", func(b *testing.B) {
		e := newEnv(b, func(c *Config) { c.Now = time.Now }) // the daemon's clock, not the tests' settable one
		id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":"Ada Lovelace","email":"ada@example.com","tags":["staff"],"locks":"1"}`).want(201).str("id")
		benchGets(b, e.c, "/api/v1/users/"+id, e.admin)
	})
}

// The same without the user cache: every request reads bbolt and encodes
// JSON. Quoted beside the cached figure so neither hides the other.
func BenchmarkGetUncached(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.Now = time.Now; c.UserCacheSize = -1 })
	id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name":"Ada Lovelace","email":"ada@example.com","tags":["staff"],"locks":"1"}`).want(201).str("id")
	benchGets(b, e.c, "/api/v1/users/"+id, e.admin)
}

func benchGets(b *testing.B, c *fasthttp.Client, path, token string) {
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		req := fasthttp.AcquireRequest()
		res := fasthttp.AcquireResponse()
		req.SetRequestURI("http://doord" + path)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for pb.Next() {
			if err := c.Do(req, res); err != nil || res.StatusCode() != 200 {
				b.Errorf("GET %s: %v %d", path, err, res.StatusCode())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// overTCP serves e's server on a TCP socket on 127.0.0.1 (port 0) as well
// and points e's client at it: the kernel's loopback instead of in-memory
// pipes, as a benchmark of the daemon's API should measure.
func (e *env) overTCP() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go e.srv.Serve(ln)
	e.t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().String()
	e.c = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return fasthttp.Dial(addr) }, MaxConnsPerHost: 1024}
}
