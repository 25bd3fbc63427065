package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

// Every native list says the same way when there is no next page:
// next_cursor is always there, null on the last page (a string before
// it); the event log's is never null (it is where to poll from) and
// "more" says whether the log goes on. The routes are found in the
// router, so a new list cannot skip the rule.
func TestEveryListSaysWhenThereIsNoNextPage(t *testing.T) {
	e, _, l := newDoorsEventsEnv(t)
	l.Append(store.Event{Type: "door_opened", Door: "1"})
	l.Flush()

	var user, tp, apt, cred string
	for i := range 3 {
		user = e.do("POST", "/api/v1/users", e.admin, fmt.Sprintf(`{"name":"U%d","locks":"1"}`, i)).want(201).str("id")
		tp = fmt.Sprint(e.do("POST", "/api/v1/time-profiles", e.admin,
			fmt.Sprintf(`{"name":"P%d","intervals":[{"days":["mon"],"start":"08:00","end":"17:00"}]}`, i)).want(201).json()["id"])
		apt = fmt.Sprint(e.do("POST", "/api/v1/apartments", e.admin,
			fmt.Sprintf(`{"name":"A%d","address":{"building":1,"unit":0,"floor":1,"room":%d}}`, i, i+1)).want(201).json()["id"])
	}
	cred = fmt.Sprint(e.do("POST", "/api/v1/users/"+user+"/credentials", e.admin, `{"type":"card","value":"8065495"}`).want(201).json()["id"])
	params := map[string]string{"users": user, "time-profiles": tp, "apartments": apt, "credentials": cred, "operators": "me", "doors": "1"}

	lists := map[string]bool{}
	for _, r := range e.srv.rt.Routes {
		en, ok := r.Methods["GET"]
		if !ok || en.basip {
			continue
		}
		segs := append([]string(nil), r.Segs...)
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = params[segs[i-1]]
			}
		}
		path := "/" + strings.Join(segs, "/")
		if strings.HasSuffix(path, "/stream") { // Server-Sent Events, not a page
			continue
		}
		var page map[string]json.RawMessage
		if json.Unmarshal(e.do("GET", path, e.admin, "").body, &page) != nil || page["items"] == nil {
			continue
		}
		lists[path] = true
		next, ok := page["next_cursor"]
		switch {
		case !ok:
			t.Errorf("%s: no next_cursor", path)
		case path == "/api/v1/events":
			if string(next) == "null" || page["more"] == nil {
				t.Errorf("%s: next_cursor %s more %s, want the seq to poll from and more", path, next, page["more"])
			}
		case string(next) != "null":
			t.Errorf("%s: next_cursor %s on its only page, want null", path, next)
		}
	}
	// The paged lists: a string while there is more, null on the last page.
	for _, path := range []string{"/api/v1/users", "/api/v1/time-profiles", "/api/v1/apartments"} {
		cursor, pages := "", 0
		for ; pages < 10; pages++ {
			var page struct {
				Items      []json.RawMessage `json:"items"`
				NextCursor *string           `json:"next_cursor"`
			}
			if err := json.Unmarshal(e.do("GET", path+"?limit=1&cursor="+cursor, e.admin, "").want(200).body, &page); err != nil {
				t.Fatal(err)
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if pages != 2 && pages != 3 { // 3 records, limit 1: the last page may be the third or an empty fourth
			t.Errorf("%s: next_cursor null after %d pages of 1 of 3 records", path, pages+1)
		}
	}
	for _, want := range []string{"/api/v1/users", "/api/v1/time-profiles", "/api/v1/apartments", "/api/v1/operators",
		"/api/v1/users/" + user + "/credentials", "/api/v1/doors", "/api/v1/events"} {
		if !lists[want] {
			t.Errorf("%s was not found as a list in the router", want)
		}
	}
}
