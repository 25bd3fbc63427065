package httpapi

import (
	"fmt"
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

// replacerGate stands in for store/fleet's replace of the whole list:
// it takes the staged list, and its wait gives up (the load here still
// under way).
type replacerGate struct{ records *int }

func (g replacerGate) Ready() error                            { return nil }
func (g replacerGate) Replicate([]store.FleetOp, uint64) error { return nil }
func (g replacerGate) BeginReplace() (any, error)              { return nil, nil }
func (g replacerGate) CommitReplace(_ any, each func(yield func(store.FleetOp) error) error) (func() bool, error) {
	err := each(func(store.FleetOp) error { *g.records++; return nil })
	return func() bool { return false }, err
}

// A fleet import that replaced the list, answered before the controller
// has loaded it, is a 200 that says so ("loading": true), not an error
// (an installer would retry a replace that happened).
func TestFleetImportAnsweredBeforeLoadedIs200(t *testing.T) {
	e := newEnv(t)
	var records int
	e.st.SetFleetGate(replacerGate{&records})
	var b strings.Builder
	b.WriteString("ext_id,name,locks,cards\n")
	for i := range 201 { // more than one fleet write's 200 rows
		fmt.Fprintf(&b, "p%d,Person %d,both,%d\n", i, i, 50000+i)
	}
	r := e.doBody("POST", "/api/v1/import?mode=replace", e.admin, "text/csv", b.String()).want(200)
	if m := r.json(); m["written"] != true || m["loading"] != true || m["added"] != float64(201) {
		t.Errorf("summary %s", r.body)
	}
	if records < 402 {
		t.Errorf("the gate took %d records, want the 201 users and their cards", records)
	}
}
