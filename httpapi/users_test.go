package httpapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/users", e.admin, `{
		"name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace", "info": "flat 3",
		"notes": "n", "tags": ["staff", "night"], "properties": {"badge": "A1"},
		"email": "ada@example.com", "phone": "+44 20 7946 0000", "state": "active",
		"valid_from": "2026-01-01T00:00:00Z", "valid_to": "2027-01-01T00:00:00Z",
		"locks": "1", "auth_factors": ["card", "pin"], "custom_access": true, "security": true,
		"extended_unlock": true}`).want(201)
	u := r.json()
	id := u["id"].(string)
	if r.hdr["Location"] != "/api/v1/users/"+id {
		t.Fatalf("Location = %q", r.hdr["Location"])
	}
	for k, want := range map[string]any{"name": "Ada Lovelace", "locks": "1", "state": "active",
		"custom_access": true, "security": true, "extended_unlock": true, "duplicate_name": false, "created_by": "admin"} {
		if u[k] != want {
			t.Errorf("%s = %v, want %v", k, u[k], want)
		}
	}
	if u["ext_id"] == "" || u["uid"] == nil {
		t.Fatalf("ext_id/uid not generated: %v", u)
	}
	uid := fmt.Sprint(u["uid"])

	// Same user by uuid and by uid.
	byID := e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200).json()
	byUID := e.do("GET", "/api/v1/users/"+uid, e.admin, "").want(200).json()
	if byID["id"] != id || byUID["id"] != id {
		t.Fatalf("lookups disagree: %v / %v", byID["id"], byUID["id"])
	}

	// PATCH is a merge patch: absent kept, null cleared, properties merged.
	p := e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"info": null, "properties": {"badge": null, "car": "B-1"}, "tags": ["day"]}`,
		"Content-Type: application/merge-patch+json").want(200).json()
	if p["info"] != nil || p["name"] != "Ada Lovelace" || fmt.Sprint(p["properties"]) != "map[car:B-1]" || fmt.Sprint(p["tags"]) != "[day]" {
		t.Fatalf("after patch: %v", p)
	}
	// PUT replaces: what is not sent is reset; identity stays.
	put := e.do("PUT", "/api/v1/users/"+id, e.admin, `{"name": "Ada L.", "locks": "2"}`).want(200).json()
	if put["email"] != nil || put["tags"] != nil || put["id"] != id || put["ext_id"] != u["ext_id"] || put["locks"] != "2" {
		t.Fatalf("after put: %v", put)
	}
	e.do("PUT", "/api/v1/users/"+id, e.admin, `{"info": "no name"}`).want(422)

	// Duplicate names are allowed and reported.
	d := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "ada l."}`).want(201).json()
	if d["duplicate_name"] != true {
		t.Fatalf("duplicate_name = %v, want true", d["duplicate_name"])
	}

	e.do("DELETE", "/api/v1/users/"+id, e.admin, "").want(204)
	e.do("GET", "/api/v1/users/"+id, e.admin, "").want(404)
	e.do("DELETE", "/api/v1/users/"+id, e.admin, "").want(404)
}

func TestUserClientIDAndExtIDConflicts(t *testing.T) {
	e := newEnv(t)
	const id = "3f2c1a9e-5b7d-4c1e-9a0b-2d4e6f8a1c3e"
	r := e.do("POST", "/api/v1/users", e.admin, `{"id": "`+id+`", "name": "A", "locks": "both", "ext_id": "HR-1"}`).want(201)
	if r.str("id") != id || r.str("ext_id") != "HR-1" {
		t.Fatalf("client id/ext_id not kept: %s", r.body)
	}
	c := e.do("POST", "/api/v1/users", e.admin, `{"id": "`+id+`", "name": "B", "locks": "both"}`).want(409)
	if !slices.Contains(c.fields(), "id") {
		t.Fatalf("409 does not name id: %s", c.body)
	}
	c = e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "B", "ext_id": "HR-1"}`).want(409)
	if !slices.Contains(c.fields(), "ext_id") {
		t.Fatalf("409 does not name ext_id: %s", c.body)
	}
	other := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "C"}`).want(201).str("id")
	e.do("PATCH", "/api/v1/users/"+other, e.admin, `{"ext_id": "HR-1"}`).want(409)
	e.do("PATCH", "/api/v1/users/"+other, e.admin, `{"ext_id": ""}`).want(422)
}

func TestArchivedIsFinal(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A"}`).want(201).str("id")
	e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A", "state": "archived"}`).want(422)
	e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"state": "disabled"}`).want(200)
	e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"state": "active"}`).want(200)
	e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"state": "archived"}`).want(200)
	e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"state": "active"}`).want(409)
	e.do("PUT", "/api/v1/users/"+id, e.admin, `{"name": "B"}`).want(409)
	e.do("POST", "/api/v1/users/"+id+"/credentials", e.admin, `{"type":"pin","value":"1234"}`).want(409)
	e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200)
	e.do("DELETE", "/api/v1/users/"+id, e.admin, "").want(204)
}

func TestListUsersPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 25; i++ {
		state, tag := "active", "even"
		if i%2 == 1 {
			state, tag = "disabled", "odd"
		}
		e.do("POST", "/api/v1/users", e.admin, fmt.Sprintf(`{"locks": "both", "name": "User %02d", "state": %q, "tags": [%q]}`, i, state, tag)).want(201)
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		r := e.do("GET", "/api/v1/users?limit=10&cursor="+cursor, e.admin, "").want(200)
		var page struct {
			Items []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"items"`
			Next string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range page.Items {
			if seen[u.ID] {
				t.Fatalf("user %s on two pages", u.ID)
			}
			seen[u.ID] = true
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("saw %d users on %d pages, want 25 on 3", len(seen), pages)
	}
	count := func(q string) int {
		var page struct{ Items []map[string]any }
		json.Unmarshal(e.do("GET", "/api/v1/users?limit=100&"+q, e.admin, "").want(200).body, &page)
		return len(page.Items)
	}
	for q, want := range map[string]int{"state=disabled": 12, "state=active": 13, "tag=odd": 12, "q=user%2007": 1, "q=USER": 25, "q=nobody": 0, "state=active&tag=odd": 0} {
		if got := count(q); got != want {
			t.Errorf("%s: %d users, want %d", q, got, want)
		}
	}
}

func TestAttachTimeProfilesAndApartments(t *testing.T) {
	e := newEnv(t)
	id := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A"}`).want(201).str("id")
	tp := e.do("POST", "/api/v1/time-profiles", e.admin, `{"name": "Work week", "intervals": [{"days": ["mon","tue","wed","thu","fri"], "start": "08:00", "end": "18:00"}]}`).want(201).json()
	apt := e.do("POST", "/api/v1/apartments", e.admin, `{"name": "3B", "address": {"building": 1, "unit": 2, "floor": 3, "room": 4}}`).want(201).json()
	tpID, aptID := fmt.Sprint(tp["id"]), fmt.Sprint(apt["id"])

	u := e.do("POST", "/api/v1/users/"+id+"/time-profiles/"+tpID, e.admin, "").want(200).json()
	if fmt.Sprint(u["time_profiles"]) != "["+tpID+"]" {
		t.Fatalf("time_profiles = %v", u["time_profiles"])
	}
	e.do("POST", "/api/v1/users/"+id+"/apartments/"+aptID, e.admin, "").want(200)
	a := e.do("GET", "/api/v1/apartments/"+aptID, e.admin, "").want(200).json()
	if fmt.Sprint(a["residents"]) != "map[count:1 users:["+id+"]]" {
		t.Fatalf("residents = %v", a["residents"])
	}
	e.do("POST", "/api/v1/users/"+id+"/time-profiles/999", e.admin, "").want(422)
	e.do("PATCH", "/api/v1/users/"+id, e.admin, `{"apartments": [999]}`).want(422)

	// The user's only profile cannot be deleted: an empty list would mean
	// no time restriction at all.
	e.do("DELETE", "/api/v1/time-profiles/"+tpID, e.admin, "").want(409)
	tp2 := fmt.Sprint(e.do("POST", "/api/v1/time-profiles", e.admin, `{"name": "Weekend", "intervals": [{"days": ["sat","sun"], "start": "10:00", "end": "14:00"}]}`).want(201).json()["id"])
	e.do("POST", "/api/v1/users/"+id+"/time-profiles/"+tp2, e.admin, "").want(200)
	// Now deleting the first detaches it.
	e.do("DELETE", "/api/v1/time-profiles/"+tpID, e.admin, "").want(204)
	u = e.do("GET", "/api/v1/users/"+id, e.admin, "").want(200).json()
	if fmt.Sprint(u["time_profiles"]) != "["+tp2+"]" {
		t.Fatalf("time_profiles after delete = %v, want [%s]", u["time_profiles"], tp2)
	}
	u = e.do("DELETE", "/api/v1/users/"+id+"/apartments/"+aptID, e.admin, "").want(200).json()
	if u["apartments"] != nil {
		t.Fatalf("apartment still attached: %v", u["apartments"])
	}
}
