package httpapi

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

func TestCardFormsNormalizeToOneValue(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A"}`).want(201).str("id")
	// H10301 facility 123 card 4567: payload (123<<16)|4567 = 8065495.
	forms := []string{
		`{"type":"card","value":"8065495"}`,
		`{"type":"card","value":8065495}`,
		`{"type":"card","value":"0x7B11D7"}`,
		`{"type":"card","value":"7B:11:D7"}`,
		`{"type":"card","value":{"facility":123,"card":4567}}`,
		`{"type":"card","facility":123,"card":4567,"format":"h10301"}`,
	}
	for i, f := range forms {
		r := e.do("POST", "/api/v1/users/"+id+"/credentials", e.admin, f)
		if i == 0 {
			r.want(201)
			if got := r.str("value"); got != "8065495" {
				t.Fatalf("canonical value %q, want 8065495", got)
			}
			if r.str("user_id") != id || r.hdr["Location"] == "" {
				t.Fatalf("create answer: %s (Location %q)", r.body, r.hdr["Location"])
			}
			continue
		}
		// Every other form is the same card: a duplicate.
		c := r.want(409)
		if !slices.Contains(c.fields(), "value") {
			t.Fatalf("%s: 409 does not name value: %s", f, c.body)
		}
	}
}

func TestCredentialValidation(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A"}`).want(201).str("id")
	path := "/api/v1/users/" + id + "/credentials"
	for _, tc := range []struct {
		body  string
		field string
	}{
		{`{}`, "type"},
		{`{"type":"iris","value":"1"}`, "type"},
		{`{"type":"card"}`, "value"},
		{`{"type":"card","value":"12ab"}`, "value"},
		{`{"type":"card","value":{"facility":300,"card":1}}`, "value.facility"},
		{`{"type":"card","facility":1}`, "card"},
		{`{"type":"pin","value":"12"}`, "value"},
		{`{"type":"pin","value":"1234567890123"}`, "value"},
		{`{"type":"pin","value":1234}`, "value"},
		{`{"type":"pin","value":"12a4"}`, "value"},
		{`{"type":"pin","value":"1234","owner":"boss"}`, "owner"},
		{`{"type":"pin","value":"1234","max_passes":100000}`, "max_passes"},
		{`{"type":"pin","value":"1234","valid_from":"2027-01-01T00:00:00Z","valid_to":"2026-01-01T00:00:00Z"}`, "valid_to"},
		{`{"type":"qr"}`, "value"},
	} {
		r := e.do("POST", path, e.admin, tc.body).want(422)
		if !slices.Contains(r.fields(), tc.field) {
			t.Errorf("%s: errors %v lack %q", tc.body, r.fields(), tc.field)
		}
	}
	e.do("POST", "/api/v1/users/3f2c1a9e-5b7d-4c1e-9a0b-2d4e6f8a1c3e/credentials", e.admin, `{"type":"pin","value":"1234"}`).want(404)
}

func TestCredentialLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A"}`).want(201).str("id")
	b := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "B"}`).want(201).str("id")
	pin := e.do("POST", "/api/v1/users/"+a+"/credentials", e.admin, `{"type":"pin","value":"0042","max_passes":3,"locks":2}`).want(201).json()
	if pin["value"] != "••••" || pin["has_value"] != true || pin["passes_left"] != float64(3) || pin["locks"] != "2" {
		t.Fatalf("pin: %v", pin)
	}
	e.do("POST", "/api/v1/users/"+b+"/credentials", e.admin, `{"type":"pin","value":"0042"}`).want(409)
	e.do("POST", "/api/v1/users/"+b+"/credentials", e.admin, `{"type":"card","value":"42"}`).want(201) // same digits, other type
	plate := e.do("POST", "/api/v1/users/"+b+"/credentials", e.admin, `{"type":"license_plate","value":"b-ab 123"}`).want(201).json()
	if plate["value"] != "BAB123" {
		t.Fatalf("plate value %v, want BAB123", plate["value"])
	}

	cid := fmt.Sprint(pin["id"])
	got := e.do("GET", "/api/v1/credentials/"+cid, e.admin, "").want(200).json()
	if got["user_id"] != a {
		t.Fatalf("user_id = %v, want %s", got["user_id"], a)
	}
	p := e.do("PATCH", "/api/v1/credentials/"+cid, e.admin, `{"value":"9999","owner":"guest"}`).want(200).json()
	if p["value"] != "••••" || p["owner"] != "guest" || p["passes_left"] != float64(3) {
		t.Fatalf("after patch: %v", p)
	}
	if n, _ := strconv.ParseUint(cid, 10, 64); true {
		if c, err := e.st.GetCredential(n); err != nil || c.Value != "9999" {
			t.Fatalf("stored PIN after patch %q, %v; want 9999", c.Value, err)
		}
	}
	e.do("PATCH", "/api/v1/credentials/"+cid, e.admin, `{"type":"card"}`).want(422)
	e.do("POST", "/api/v1/credentials/"+cid+"/passes/reset", e.admin, "").want(200)

	list := e.do("GET", "/api/v1/users/"+b+"/credentials", e.admin, "").want(200).json()
	if n := len(list["items"].([]any)); n != 2 {
		t.Fatalf("user b has %d credentials, want 2", n)
	}
	e.do("DELETE", "/api/v1/credentials/"+cid, e.admin, "").want(204)
	e.do("GET", "/api/v1/credentials/"+cid, e.admin, "").want(404)
	// Deleting a user takes its credentials along: the card is free again.
	e.do("DELETE", "/api/v1/users/"+b, e.admin, "").want(204)
	e.do("POST", "/api/v1/users/"+a+"/credentials", e.admin, `{"type":"card","value":"42"}`).want(201)
}
