package httpapi

import (
	"fmt"
	"testing"
)

// TestHealthDoesNotWalkTheStore: the route anyone may call costs O(1): it
// never walks the buckets (store.Stats), however often it is called.
func TestHealthDoesNotWalkTheStore(t *testing.T) {
	e := newEnv(t)
	before := e.st.StatsWalks()
	for range 20 {
		e.do("GET", "/api/v1/health", "", "").want(200)
	}
	if n := e.st.StatsWalks() - before; n != 0 {
		t.Errorf("20 health checks walked the store %d times, want 0", n)
	}
}

// TestStatusCountsRecordsBehindAToken: the store's record counts are at
// GET /api/v1/status, for a token only, and follow creates, deletes and a
// restart.
func TestStatusCountsRecordsBehindAToken(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/api/v1/status", "", "").want(401)
	counts := func() (users, operators float64) {
		t.Helper()
		st := e.do("GET", "/api/v1/status", e.admin, "").want(200).json()["store"].(map[string]any)
		return st["users"].(float64), st["operators"].(float64)
	}
	if u, o := counts(); u != 0 || o != 1 {
		t.Fatalf("empty store: users %v operators %v, want 0 1", u, o)
	}
	var ids []string
	for _, n := range []string{"A", "B", "C"} {
		ids = append(ids, fmt.Sprint(e.do("POST", "/api/v1/users", e.admin, `{"name":"`+n+`","locks":"1"}`).want(201).json()["id"]))
	}
	e.do("DELETE", "/api/v1/users/"+ids[1], e.admin, "").want(204)
	e.do("POST", "/api/v1/operators", e.admin, `{"username":"vic","password":"a viewer password","role":"viewer"}`).want(201)
	if u, o := counts(); u != 2 || o != 2 {
		t.Errorf("after writes: users %v operators %v, want 2 2", u, o)
	}
	e.restart()
	if u, o := counts(); u != 2 || o != 2 {
		t.Errorf("after a restart: users %v operators %v, want 2 2", u, o)
	}
}
