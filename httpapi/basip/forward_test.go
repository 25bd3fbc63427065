package basip_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

// Call forwarding as SmartYard writes, reads and deletes it
// (rosteleset/SmartYard-Server server/hw/ip/domophone/basip/Basip.php:
// configureApartment, getApartments, deleteForwards), under android-panels
// 2.13.0 / camdroid-panels 1.0.7 "Create/Update call forward rule" and
// camdroid-panels 1.1.0 "Get call forward rules list".
func TestBasipForwards(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	basic := basicAuth("admin", adminPW)

	// Create, then replace ("If there is already forward rule with same
	// forward_number it will be updated"); the answer is the rule.
	e.do("POST", "/api/v1/forward/item/23", "", `{"forward_entity_list":["100023"]}`, basic).
		bwant(200, `{"forward_number":23,"forward_entity_list":["100023"]}`)
	e.do("POST", "/api/v1/forward/item/23", tok, `{"forward_entity_list":["sip:101@192.168.1.2","5588"]}`).
		bwant(200, `{"forward_number":23,"forward_entity_list":["sip:101@192.168.1.2","5588"]}`)
	e.do("GET", "/api/v1/forward/item/23", tok, "").
		bwant(200, `{"forward_number":23,"forward_entity_list":["sip:101@192.168.1.2","5588"]}`)
	// A flat without SIP numbers: [] (SmartYard), or [""] (its older
	// basip.php): both store an empty rule.
	e.do("POST", "/api/v1/forward/item/24", tok, `{"forward_entity_list":[]}`).bwant(200, `{"forward_number":24,"forward_entity_list":[]}`)
	e.do("POST", "/api/v1/forward/item/25", tok, `{"forward_entity_list":[""]}`).bwant(200, `{"forward_number":25,"forward_entity_list":[]}`)

	// The list pages in flat order in BAS-IP's envelope; limit=100 as
	// SmartYard sends it is accepted; a page past the end is empty.
	e.do("GET", "/api/v1/forward/items?limit=100&page_number=1", tok, "").bwant(200,
		`{"list_option":{"pagination":{"total_items":3,"items_limit":100,"total_pages":1,"current_page":1},"filter":"","sort":{"field":"forward_number","asc":true,"available_fields":["forward_number"]}},`+
			`"list_items":[{"forward_number":23,"forward_entity_list":["sip:101@192.168.1.2","5588"]},{"forward_number":24,"forward_entity_list":[]},{"forward_number":25,"forward_entity_list":[]}]}`)
	e.do("GET", "/api/v1/forward/items?limit=100&page_number=2", tok, "").bwant(200,
		`{"list_option":{"pagination":{"total_items":3,"items_limit":100,"total_pages":1,"current_page":2},"filter":"","sort":{"field":"forward_number","asc":true,"available_fields":["forward_number"]}},"list_items":[]}`)
	if r := e.do("GET", "/api/v1/forward/items?limit=2&page_number=2", tok, "").bwant(200, "").json(); fmt.Sprint(r["list_items"]) != "[map[forward_entity_list:[] forward_number:25]]" {
		t.Fatalf("page 2 of 2: %v", r["list_items"])
	}
	if r := e.do("GET", "/api/v1/forward/items?limit=100000", tok, "").bwant(200, "").json(); r["list_option"].(map[string]any)["pagination"].(map[string]any)["items_limit"] != 1000.0 {
		t.Fatalf("a huge limit is capped and echoed: %v", r["list_option"])
	}
	e.do("GET", "/api/v1/forward/items?page_number=99999999999", tok, "").bwant(200, "")

	// Bulk delete: numbers without a rule are ignored.
	e.do("DELETE", "/api/v1/forward/items", tok, `{"uid_items":[23,77]}`).bwant(200, bodyEmpty)
	e.do("GET", "/api/v1/forward/item/23", tok, "").bwant(404, `{"error":"Forward not found"}`)
	e.do("DELETE", "/api/v1/forward/item/24", tok, "").bwant(200, bodyEmpty)
	e.do("DELETE", "/api/v1/forward/item/24", tok, "").bwant(404, `{"error":"Forward not found"}`)
	if _, total, _ := e.st.ForwardPage(0, 10); total != 1 {
		t.Fatalf("%d forwards left, want 1 (25)", total)
	}
}

func TestBasipForwardErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.basipLogin("vic", "viewer password 1")
	for _, tc := range []struct{ path, body, want string }{
		{"/api/v1/forward/item/1", `[]`, bodyWrongB},
		{"/api/v1/forward/item/1", `{}`, "{\"error\":\"Wrong JSON body: no value for `forward_entity_list`\"}"},
		{"/api/v1/forward/item/1", `{"forward_entity_list":"100"}`, "{\"error\":\"Wrong JSON body: value `forward_entity_list` was of the wrong type\"}"},
		{"/api/v1/forward/item/1", `{"forward_entity_list":[100]}`, "{\"error\":\"Wrong JSON body: value `forward_entity_list` was of the wrong type\"}"},
		{"/api/v1/forward/item/1", `{"forward_entity_list":["tel:100"]}`, "{\"error\":\"Wrong JSON body: value `forward_entity_list[0]` must be digits, sip:user@host, sip:IPv4, laskomex:N or vizit:N\"}"},
		{"/api/v1/forward/item/1", `{"forward_entity_list":["1","2","3","4","5","6","7","8","9"]}`, "{\"error\":\"Wrong JSON body: value `forward_entity_list` at most 8 numbers\"}"},
		{"/api/v1/forward/item/0", `{"forward_entity_list":[]}`, `{"error":"Forward number must be an integer from 1 to 9223372036854775807"}`},
		{"/api/v1/forward/item/x", `{"forward_entity_list":[]}`, `{"error":"Forward number must be an integer from 1 to 9223372036854775807"}`},
	} {
		e.do("POST", tc.path, tok, tc.body).bwant(400, tc.want)
	}
	e.do("DELETE", "/api/v1/forward/items", tok, `{}`).bwant(400, "{\"error\":\"Wrong JSON body: no value for `uid_items`\"}")
	e.do("DELETE", "/api/v1/forward/items", tok, `{"uid_items":["23"]}`).bwant(400, "{\"error\":\"Wrong JSON body: value `uid_items` was of the wrong type\"}")
	e.do("GET", "/api/v1/forward/items?limit=0", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `limit`: an integer from 1\"}")
	e.do("GET", "/api/v1/forward/item/0", tok, "").bwant(404, `{"error":"Forward not found"}`)
	// A viewer reads but does not write; nobody without credentials does either.
	e.do("GET", "/api/v1/forward/items", view, "").bwant(200, "")
	e.do("POST", "/api/v1/forward/item/1", view, `{"forward_entity_list":[]}`).bwant(403, bodyAdmin)
	e.do("DELETE", "/api/v1/forward/items", view, `{"uid_items":[1]}`).bwant(403, bodyAdmin)
	e.do("GET", "/api/v1/forward/items", "", "").bwant(401, `{"error":"Log In"}`)
	if strings.Contains(string(e.do("GET", "/api/v1/forward/items", tok, "").body), "\n") {
		t.Fatal("list answer is not one line")
	}
}
