package httpapi

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

// TestDamagedPageAnswers503AndHealthSaysDegraded: the store file loses
// its pages while doord runs (truncated behind its back: reads of the map
// past the end fault with SIGBUS). A request that reads them is a 503 on
// either dialect, the process lives on, and /health says degraded with
// the reason.
func TestDamagedPageAnswers503AndHealthSaysDegraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	users := make([]store.User, 300)
	for i := range users {
		users[i] = store.User{Name: fmt.Sprintf("user %d", i), State: store.StateActive}
	}
	if err := st.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	e := newEnvStore(t, st, Parts{})
	if got := e.do("GET", "/api/v1/health", "", "").want(200).str("status"); got != "ok" {
		t.Fatalf("health before the damage: %q", got)
	}
	basip := e.basipLogin("admin", adminPW)
	if err := os.Truncate(path, int64(2*os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/api/v1/users?limit=1000", e.admin, "").want(503)
	if !strings.Contains(string(r.body), "damaged") {
		t.Errorf("503 body does not say the store is damaged: %s", r.body)
	}
	if r := e.do("GET", "/api/v1/access/users/list?limit=1000", basip, ""); r.status != 503 {
		t.Errorf("BAS-IP list on a damaged store: %d, want 503: %s", r.status, r.body)
	}
	h := e.do("GET", "/api/v1/health", "", "").want(200).json()
	if h["status"] != "degraded" || h["reason"] == "" || h["reason"] == nil {
		t.Errorf("health after the damage: %v, want status degraded and a reason", h)
	}
}
