package httpapi

import (
	"testing"
	"time"

	"github.com/doord/doord/store/storetest"
	"github.com/valyala/fasthttp/fasthttputil"
)

// TestShutdownBeforeServeDoesNotHang: a daemon stopped right after it
// started may call Shutdown before Serve got going; Serve must then
// return instead of accepting forever (fasthttp's Shutdown only closes
// listeners Serve has already registered).
func TestShutdownBeforeServeDoesNotHang(t *testing.T) {
	srv := New(storetest.Open(t), Config{}, nil, Parts{})
	ln := fasthttputil.NewInmemoryListener()
	defer ln.Close()
	srv.Shutdown()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve after Shutdown is still serving after 10 s")
	}
}
