package httpapi

import (
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

// fakeGate stands in for store/fleet (httpapi never sees NATS): every
// record write is answered with err.
type fakeGate struct{ err error }

func (g fakeGate) Ready() error                                  { return nil }
func (g fakeGate) Replicate(ops []store.FleetOp, _ uint64) error { return g.err }

// In fleet mode a record write the fleet refuses is answered on both
// dialects: unreachable is a 503 problem saying nothing was written (with
// Retry-After), a concurrent change elsewhere a 409; reads still work.
func TestFleetRefusalsAnswer503And409(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/v1/users", e.admin, `{"name":"Before","locks":"both"}`).want(201)
	basip := e.basipLogin("admin", adminPW)

	e.st.SetFleetGate(fakeGate{store.ErrFleetOffline})
	r := e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"both"}`).want(503)
	if got := r.str("detail"); !strings.Contains(got, "unreachable") || !strings.Contains(got, "nothing was written") {
		t.Errorf("503 detail: %q", got)
	}
	if ct := r.hdr["Content-Type"]; ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.hdr["Retry-After"] == "" {
		t.Error("no Retry-After on the 503")
	}
	if r := e.do("POST", "/api/v1/access/identifier", basip, `{"identifier_type":"card","identifier_number":"458829"}`); r.status != 503 {
		t.Errorf("BAS-IP write while the fleet is away: %d, want 503: %s", r.status, r.body)
	}
	e.do("GET", "/api/v1/users", e.admin, "").want(200)

	e.st.SetFleetGate(fakeGate{&store.FleetConflictError{Kind: store.KindUser, ID: 1, Reason: "changed on another controller since this one read it; read it again and retry"}})
	r = e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"both"}`).want(409)
	if got := r.str("detail"); !strings.Contains(got, "another controller") {
		t.Errorf("409 detail: %q", got)
	}
	if r := e.do("POST", "/api/v1/access/identifier", basip, `{"identifier_type":"card","identifier_number":"458829"}`); r.status != 409 {
		t.Errorf("BAS-IP write on a conflict: %d, want 409: %s", r.status, r.body)
	}
}
