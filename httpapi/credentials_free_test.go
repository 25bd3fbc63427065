package httpapi

import (
	"fmt"
	"slices"
	"testing"
)

// A credential created without a user (owner + apartment, as intercom
// provisioning adds it) is shown with user_id null, listed across users
// with cursor paging and filters, and moved to a user and back by a PATCH
// of user_id that keeps its id and passes.
func TestCredentialWithoutUserAPI(t *testing.T) {
	e := newEnv(t)
	uid := e.do("POST", "/api/v1/users", e.admin, `{"name":"A","locks":"both"}`).want(201).str("id")
	apt := e.do("POST", "/api/v1/apartments", e.admin, `{"name":"Flat 12","address":{"building":1,"unit":1,"floor":3,"room":12}}`).want(201).json()["id"]
	r := e.do("POST", "/api/v1/credentials", e.admin, fmt.Sprintf(`{"type":"card","value":"4567","owner_name":"Flat 12","apartment":%v,"max_passes":3}`, apt)).want(201)
	c := r.json()
	if c["user_id"] != nil || c["apartment"] != apt || c["passes_left"] != float64(3) || r.hdr["Location"] != fmt.Sprintf("/api/v1/credentials/%v", c["id"]) {
		t.Fatalf("created %s (Location %q)", r.body, r.hdr["Location"])
	}
	path := fmt.Sprintf("/api/v1/credentials/%v", c["id"])
	owned := e.do("POST", "/api/v1/credentials", e.admin, `{"type":"card","value":"4568","user_id":"`+uid+`"}`).want(201).json()
	if owned["user_id"] != uid {
		t.Fatalf("created for a user: %v", owned)
	}

	ids := func(query string) []float64 {
		t.Helper()
		m := e.do("GET", "/api/v1/credentials"+query, e.admin, "").want(200).json()
		var out []float64
		for _, it := range m["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(float64))
		}
		return out
	}
	free, mine := c["id"].(float64), owned["id"].(float64)
	for q, want := range map[string][]float64{
		"":                                {free, mine},
		"?user_id=none":                   {free},
		"?user_id=" + uid:                 {mine},
		fmt.Sprintf("?apartment=%v", apt): {free},
	} {
		if got := ids(q); !slices.Equal(got, want) {
			t.Errorf("GET /api/v1/credentials%s = %v, want %v", q, got, want)
		}
	}
	page := e.do("GET", "/api/v1/credentials?limit=1", e.admin, "").want(200).json()
	next, _ := page["next_cursor"].(string)
	if len(page["items"].([]any)) != 1 || next == "" {
		t.Fatalf("first page of one: %v", page)
	}
	if got := ids("?limit=1&cursor=" + next); !slices.Equal(got, []float64{mine}) {
		t.Errorf("second page %v, want [%v]", got, mine)
	}

	// Move to the user and back; id and passes stay.
	moved := e.do("PATCH", path, e.admin, `{"user_id":"`+uid+`","owner_name":"A"}`).want(200).json()
	if moved["id"] != free || moved["user_id"] != uid || moved["passes_left"] != float64(3) || moved["owner_name"] != "A" {
		t.Fatalf("moved to the user: %v", moved)
	}
	back := e.do("PATCH", path, e.admin, `{"user_id":null}`).want(200).json()
	if back["id"] != free || back["user_id"] != nil || back["passes_left"] != float64(3) {
		t.Fatalf("moved to no user: %v", back)
	}
	// A GET body sent back unchanged is no move and no change.
	got := e.do("GET", path, e.admin, "").want(200)
	e.do("PATCH", path, e.admin, string(got.body)).want(200)

	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/api/v1/credentials", `{"type":"card","value":"9","user_id":"00000000-0000-4000-8000-000000000000"}`, "user_id"},
		{"POST", "/api/v1/credentials", `{"type":"card","value":"9","user_id":"nobody"}`, "user_id"},
		{"POST", "/api/v1/credentials", `{"type":"card","value":"9","user_id":7}`, "user_id"},
		{"POST", "/api/v1/credentials", `{"type":"card","value":"9","apartment":404}`, "apartment"},
		{"POST", "/api/v1/credentials", `{"type":"card","value":"9","apartment":"x"}`, "apartment"},
		{"PATCH", path, `{"user_id":"00000000-0000-4000-8000-000000000000"}`, "user_id"},
		{"GET", "/api/v1/credentials?user_id=someone", "", "user_id"},
		{"GET", "/api/v1/credentials?apartment=0", "", "apartment"},
	} {
		r := e.do(tc.method, tc.path, e.admin, tc.body).want(422)
		if !slices.Contains(r.fields(), tc.field) {
			t.Errorf("%s %s %s: fields %v, want %s", tc.method, tc.path, tc.body, r.fields(), tc.field)
		}
	}
	// The same card without a user is a duplicate like any other.
	e.do("POST", "/api/v1/credentials", e.admin, `{"type":"card","value":"4567"}`).want(409)
	// An archived user takes no credential.
	e.do("PATCH", "/api/v1/users/"+uid, e.admin, `{"state":"archived"}`).want(200)
	e.do("PATCH", path, e.admin, `{"user_id":"`+uid+`"}`).want(422)
	// Deleting the apartment unbinds the credential.
	e.do("DELETE", fmt.Sprintf("/api/v1/apartments/%v", apt), e.admin, "").want(204)
	if a := e.do("GET", path, e.admin, "").want(200).json()["apartment"]; a != nil {
		t.Errorf("apartment after its delete: %v, want none", a)
	}
}
