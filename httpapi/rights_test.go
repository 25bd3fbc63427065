package httpapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/doord/doord/store"
)

// rightsEnv is a server whose store keeps door rights as a controller of
// groups A (home) and B does (the writes stay local: no fleet here; the
// store's rights logic is the same).
func rightsEnv(t *testing.T) *env {
	e := newEnv(t)
	if err := e.st.SetFleetRights(&store.RightsConfig{Home: "A",
		Groups: map[string]store.Locks{"A": store.LocksBoth, "B": store.LocksBoth}}); err != nil {
		t.Fatal(err)
	}
	return e
}

func rightsOf(t *testing.T, r resp) map[string]string {
	t.Helper()
	var u struct {
		Locks      string            `json:"locks"`
		DoorRights map[string]string `json:"door_rights"`
	}
	if err := json.Unmarshal(r.body, &u); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{"locks": u.Locks}
	for g, l := range u.DoorRights {
		out[g] = l
	}
	return out
}

// The native user API writes door rights: locks is the home group's
// right, door_rights the groups it names ("none" revokes); a read shows
// the locks here (the union) and the rights of this controller's groups.
func TestNativeDoorRights(t *testing.T) {
	e := rightsEnv(t)
	r := e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"1","door_rights":{"B":"2"}}`).want(201)
	id := r.str("id")
	if got := rightsOf(t, r); got["A"] != "1" || got["B"] != "2" || got["locks"] != "both" {
		t.Errorf("created: %v, want A:1 B:2 locks both", got)
	}
	r = e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200)
	if got := rightsOf(t, r); got["A"] != "1" || got["B"] != "2" || got["locks"] != "both" {
		t.Errorf("read: %v", got)
	}
	r = e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"door_rights":{"B":"none"}}`).want(200)
	if got := rightsOf(t, r); got["B"] != "" || got["A"] != "1" || got["locks"] != "1" {
		t.Errorf("B revoked: %v, want A:1 only, locks 1", got)
	}
	// The read after the revoke is not a cached one.
	if got := rightsOf(t, e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200)); got["B"] != "" {
		t.Errorf("read after the revoke: %v", got)
	}
	r = e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"locks":"none"}`).want(200)
	if got := rightsOf(t, r); got["A"] != "" || got["locks"] != "none" {
		t.Errorf("home revoked through locks: %v, want no rights, locks none", got)
	}
	// Rights alone on a create: no right in the home group.
	r = e.do("POST", "/api/v1/users", e.admin, `{"name":"Bo","door_rights":{"B":"both"}}`).want(201)
	if got := rightsOf(t, r); got["A"] != "" || got["B"] != "both" || got["locks"] != "both" {
		t.Errorf("rights only: %v", got)
	}
	// Bad rights name the field.
	r = e.do("POST", "/api/v1/users", e.admin, `{"name":"Cy","locks":"1","door_rights":{"B":"3"}}`).want(422)
	if !slices.Contains(r.fields(), "door_rights.B") {
		t.Errorf("bad right: fields %v", r.fields())
	}
	r = e.do("POST", "/api/v1/users", e.admin, `{"name":"Cy","locks":"1","door_rights":{"B C":"1"}}`).want(422)
	if !slices.Contains(r.fields(), "door_rights") {
		t.Errorf("bad group: fields %v", r.fields())
	}
	r = e.do("POST", "/api/v1/credentials", e.admin, `{"type":"card","value":"77","locks":"none"}`).want(422)
	if !slices.Contains(r.fields(), "locks") {
		t.Errorf("a credential's locks none: fields %v", r.fields())
	}
}

// Outside a fleet with groups door_rights is refused, naming the field.
func TestNativeDoorRightsNeedGroups(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"1","door_rights":{"B":"2"}}`).want(422)
	if !slices.Contains(r.fields(), "door_rights") {
		t.Errorf("fields %v", r.fields())
	}
}

// BAS-IP writes map to the home group; a user without a right here reads
// lock_number -1, and writing that back grants nothing.
func TestBasipLockNumberIsHomeRight(t *testing.T) {
	e := rightsEnv(t)
	basip := e.basipLogin("admin", adminPW)
	uid := e.do("POST", "/api/v1/access/user", basip,
		`{"name":"Ada","info":"","auth_factors":["card"],"lock_number":2,"is_custom_user_access":false}`).bwant(200, "").num("item_uid")
	u, err := e.st.GetUserByUID(uid)
	if err != nil || u.DoorRights["A"] != store.LocksSecond || u.Locks != store.LocksSecond {
		t.Fatalf("BAS-IP create: %+v, %v; want home right A:2", u.DoorRights, err)
	}
	e.do("PATCH", fmt.Sprintf("/api/v1/users/%d", uid), e.admin, `{"locks":"none"}`).want(200)
	r := e.do("GET", fmt.Sprintf("/api/v1/access/users/item/%d", uid), basip, "").bwant(200, "")
	if n, _ := r.json()["lock_number"].(float64); n != -1 {
		t.Fatalf("lock_number of a user without a right here: %v, want -1", r.json()["lock_number"])
	}
	e.do("PATCH", fmt.Sprintf("/api/v1/access/users/item/%d", uid), basip,
		`{"name":"Ada B","info":"","auth_factors":["card"],"lock_number":-1,"is_custom_user_access":false}`).bwant(200, "")
	if u, _ := e.st.GetUserByUID(uid); u.Locks != store.LocksNone || u.DoorRights != nil || u.Name != "Ada B" {
		t.Errorf("BAS-IP write-back of -1: locks %q rights %v name %q; want none, none, Ada B", u.Locks, u.DoorRights, u.Name)
	}
}
