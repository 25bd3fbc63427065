package httpapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// strictEnv is an API with one of every record and the ids to reach them.
type strictEnv struct {
	*env
	user, cred, tp, apt, op string
}

func newStrictEnv(t *testing.T) strictEnv {
	fd := &fakeDoors{doors: map[string]*DoorView{"1": {ID: "1", Lock: 1, Mode: "normal", Locked: true}}}
	e := strictEnv{env: newEnvStore(t, storetest.Open(t), Parts{Doors: fd})}
	e.user = e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"1"}`).want(201).str("id")
	e.cred = fmt.Sprint(e.do("POST", "/api/v1/users/"+e.user+"/credentials", e.admin, `{"type":"card","value":"8065495"}`).want(201).json()["id"])
	e.tp = fmt.Sprint(e.do("POST", "/api/v1/time-profiles", e.admin, `{"name":"day","intervals":[{"days":["mon"],"start":"08:00","end":"18:00"}]}`).want(201).json()["id"])
	e.apt = fmt.Sprint(e.do("POST", "/api/v1/apartments", e.admin, `{"name":"12","address":{"building":1,"unit":0,"floor":1,"room":12}}`).want(201).json()["id"])
	e.op = fmt.Sprint(e.do("POST", "/api/v1/operators", e.admin, `{"username":"olga","password":"operator password 1","role":"operator"}`).want(201).json()["id"])
	return e
}

// TestUnknownFieldIsA422OnEveryNativeWrite: every native write body with
// a field the route does not know — at the top or inside a sub-object —
// is refused with a 422 naming that field, and nothing is written.
func TestUnknownFieldIsA422OnEveryNativeWrite(t *testing.T) {
	e := newStrictEnv(t)
	seq := func() uint64 { return e.st.Seq() }
	tests := []struct {
		method, path, body, field string
	}{
		{"POST", "/api/v1/session", `{"username":"admin","password":"` + adminPW + `","remember":true}`, "remember"},
		{"POST", "/api/v1/users", `{"name":"B","locks":"1","lock_number":2}`, "lock_number"},
		{"PUT", "/api/v1/users/" + e.user, `{"name":"Ada","locks":"1","lock_number":2}`, "lock_number"},
		{"PATCH", "/api/v1/users/" + e.user, `{"lock_number":2}`, "lock_number"},
		{"POST", "/api/v1/users/" + e.user + "/credentials", `{"type":"pin","value":"4711","lock":"1"}`, "lock"},
		{"POST", "/api/v1/users/" + e.user + "/credentials", `{"type":"card","value":{"facility":1,"card":2,"site":3}}`, "value.site"},
		{"PATCH", "/api/v1/credentials/" + e.cred, `{"lock_number":1}`, "lock_number"},
		{"POST", "/api/v1/time-profiles", `{"name":"n","intervals":[],"weekdays":[1]}`, "weekdays"},
		{"POST", "/api/v1/time-profiles", `{"name":"n","intervals":[{"days":["mon"],"start":"08:00","end":"18:00","stop":"19:00"}]}`, "intervals[0].stop"},
		{"PUT", "/api/v1/time-profiles/" + e.tp, `{"name":"n","intervals":[],"holiday":["2026-01-01"]}`, "holiday"},
		{"PATCH", "/api/v1/time-profiles/" + e.tp, `{"date_form":"2026-01-01"}`, "date_form"},
		{"POST", "/api/v1/apartments", `{"name":"a","address":{"building":1,"unit":0,"floor":1,"room":1},"flat":3}`, "flat"},
		{"PUT", "/api/v1/apartments/" + e.apt, `{"name":"a","address":{"building":1,"unit":0,"floor":1,"room":1,"wing":2}}`, "address.wing"},
		{"PATCH", "/api/v1/apartments/" + e.apt, `{"nmae":"b"}`, "nmae"},
		{"POST", "/api/v1/operators", `{"username":"x","password":"operator password 2","role":"viewer","admin":true}`, "admin"},
		{"PATCH", "/api/v1/operators/" + e.op, `{"rol":"admin"}`, "rol"},
		{"POST", "/api/v1/operators/me/password", `{"current_password":"` + adminPW + `","new_password":"another long password","confirm":"x"}`, "confirm"},
		{"POST", "/api/v1/operators/" + e.op + "/totp/confirm", `{"code":"123456","totp":"1"}`, "totp"},
		{"PUT", "/api/v1/doors/1/mode", `{"mode":"normal","until":"later"}`, "until"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.field, func(t *testing.T) {
			before := seq()
			r := e.do(tt.method, tt.path, e.admin, tt.body).want(422)
			if !slices.Contains(r.fields(), tt.field) {
				t.Errorf("422 names %v, want %q: %s", r.fields(), tt.field, r.body)
			}
			if after := seq(); after != before {
				t.Errorf("the refused write changed the store (seq %d → %d)", before, after)
			}
		})
	}
}

// TestMisspeltLockFieldDoesNotWidenAccess is the scenario: a
// native user limited to lock 1 sent {"lock_number": 2} keeps lock 1 and
// the client hears why.
func TestMisspeltLockFieldDoesNotWidenAccess(t *testing.T) {
	e := newStrictEnv(t)
	r := e.do("PATCH", "/api/v1/users/"+e.user, e.admin, `{"lock_number":2}`).want(422)
	if !slices.Contains(r.fields(), "lock_number") {
		t.Fatalf("422 does not name lock_number: %s", r.body)
	}
	if got := e.do("GET", "/api/v1/users/"+e.user, e.admin, "").want(200).str("locks"); got != "1" {
		t.Fatalf("locks = %q after the refused write, want 1", got)
	}
}

// TestUserLocksAreRequired: a native user created or replaced without
// locks is refused (it would otherwise open every door); PATCH keeps.
func TestUserLocksAreRequired(t *testing.T) {
	e := newStrictEnv(t)
	r := e.do("POST", "/api/v1/users", e.admin, `{"name":"B"}`).want(422)
	if !slices.Contains(r.fields(), "locks") {
		t.Fatalf("POST without locks: %s", r.body)
	}
	r = e.do("PUT", "/api/v1/users/"+e.user, e.admin, `{"name":"Ada"}`).want(422)
	if !slices.Contains(r.fields(), "locks") {
		t.Fatalf("PUT without locks: %s", r.body)
	}
	e.do("POST", "/api/v1/users", e.admin, `{"name":"B","locks":null}`).want(422)
	if got := e.do("PATCH", "/api/v1/users/"+e.user, e.admin, `{"name":"Ada L."}`).want(200).str("locks"); got != "1" {
		t.Fatalf("PATCH without locks changed them to %q", got)
	}
}

// TestGetThenPutRoundTrips: what a GET returns, read-only fields and all,
// is accepted back by PUT (or PATCH where there is no PUT) unchanged.
func TestGetThenPutRoundTrips(t *testing.T) {
	e := newStrictEnv(t)
	e.do("POST", "/api/v1/users/"+e.user+"/time-profiles/"+e.tp, e.admin, "").want(200)
	bound := fmt.Sprint(e.do("POST", "/api/v1/users/"+e.user+"/credentials", e.admin, `{"type":"card","value":{"facility":7,"card":77},"format":"h10301"}`).want(201).json()["id"])
	pin := fmt.Sprint(e.do("POST", "/api/v1/users/"+e.user+"/credentials", e.admin, `{"type":"pin","value":"902713"}`).want(201).json()["id"])
	for _, tc := range []struct{ get, method string }{
		{"/api/v1/credentials/" + bound, "PATCH"},
		{"/api/v1/credentials/" + pin, "PATCH"},
		{"/api/v1/users/" + e.user, "PUT"},
		{"/api/v1/users/" + e.user, "PATCH"},
		{"/api/v1/time-profiles/" + e.tp, "PUT"},
		{"/api/v1/apartments/" + e.apt, "PUT"},
		{"/api/v1/credentials/" + e.cred, "PATCH"},
		{"/api/v1/operators/" + e.op, "PATCH"},
	} {
		body := e.do("GET", tc.get, e.admin, "").want(200).body
		r := e.do(tc.method, tc.get, e.admin, string(body))
		if r.status != 200 {
			t.Errorf("%s %s with its own GET body: %d %s\nbody %s", tc.method, tc.get, r.status, r.body, body)
			continue
		}
		var a, b map[string]any
		json.Unmarshal(body, &a)
		json.Unmarshal(r.body, &b)
		for k, v := range a {
			if strings.HasSuffix(k, "updated_at") || k == "updated_by" {
				continue
			}
			if fmt.Sprint(b[k]) != fmt.Sprint(v) {
				t.Errorf("%s %s: %s %v → %v", tc.method, tc.get, k, v, b[k])
			}
		}
	}
	_ = store.RoleAdmin
}
