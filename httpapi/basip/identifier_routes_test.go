package basip_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
)

// Contract tests of the identifier routes and shapes the BAS-IP client
// programs in the field use. Each cites the doc version or the client
// file it follows (research: issue 12).

// smartyardCard is the card body SmartYard-Server sends
// (server/hw/ip/domophone/basip/Basip.php addRfid: implode('-',
// str_split($code, 2)); Android models nest time inside passes).
const smartyardCard = `{"identifier_number":"00-00-00-1A-2B-3C-4D","identifier_owner":{"name":"0000001A2B3C4D","type":"owner"},"identifier_type":"card","lock":"first","valid":{"passes":{"is_permanent":true,"max_passes":null,"time":{"from":null,"is_permanent":true,"to":null}}}}`

// smartyardCode is its per-flat code (configureApartment: inputCode, owner
// name = the flat number).
const smartyardCode = `{"identifier_number":"123456","identifier_owner":{"name":"23","type":"owner"},"identifier_type":"inputCode","lock":"first","valid":{"passes":{"is_permanent":true,"max_passes":null,"time":{"from":null,"is_permanent":true,"to":null}}}}`

// smartyardCardItem is the card as GET item shows it (camdroid-panels
// 1.1.0 get-identifier-entity), uid 1, number and owner as sent.
const smartyardCardItem = `{"identifier_uid":1,"identifier_owner":{"name":"0000001A2B3C4D","type":"owner"},"identifier_type":"card","identifier_number":"00-00-00-1A-2B-3C-4D","lock":"first","valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":true,"max_passes":0,"passes_left":0}},"apartment":{"uid":-1,"link_id":null},"time_profiles":{"count":0,"uid_items":[]},"link_id":null,"additional":{"passes_left":-1},"user_uid":-1}`

func listOf(t *testing.T, r resp) (items []map[string]any, opt map[string]any) {
	t.Helper()
	var l struct {
		ListOption map[string]any   `json:"list_option"`
		ListItems  []map[string]any `json:"list_items"`
	}
	if err := json.Unmarshal(r.body, &l); err != nil || l.ListItems == nil {
		t.Fatalf("%s: not a BAS-IP list: %v %s", r.req, err, r.body)
	}
	return l.ListItems, l.ListOption
}

func numbersOf(items []map[string]any) string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it["identifier_number"]))
	}
	return strings.Join(out, ",")
}

// TestBasipIdentifierEcho: identifier_number and identifier_owner.name come
// back as the strings sent, byte for byte (SmartYard Basip.php
// getUidByIdentifierNumber compares with ===), while the card is stored by
// its canonical value: the same card in another spelling is a duplicate
// (400, artonit-svc Worker.cs: "already exists").
func TestBasipIdentifierEcho(t *testing.T) {
	e := newEnv(t)
	basic := basicAuth("admin", adminPW)
	e.do("POST", "/api/v1/access/identifier", "", smartyardCard, basic).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/access/identifier", "", smartyardCode, basic).bwant(200, `{"uid":2}`)
	// artonit-svc Device.cs: a decimal card, lock all, no valid.
	e.do("POST", "/api/v1/access/identifier", "", `{"identifier_owner":{"name":"8065495","type":"owner"},"identifier_type":"card","identifier_number":"8065495","lock":"all"}`, basic).bwant(200, `{"uid":3}`)
	e.do("GET", "/api/v1/access/identifier/item/1", "", "", basic).bwant(200, smartyardCardItem)
	items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items?limit=50&page_number=1", "", "", basic).bwant(200, ""))
	// The PIN shows masked to everyone (doord's secrecy rule; README).
	if got := numbersOf(items); got != "00-00-00-1A-2B-3C-4D,••••,8065495" {
		t.Fatalf("numbers %s", got)
	}
	for i, name := range []string{"0000001A2B3C4D", "23", "8065495"} {
		if o := items[i]["identifier_owner"].(map[string]any); o["name"] != name || items[i]["identifier_uid"] != float64(i+1) {
			t.Fatalf("item %d: %v", i, items[i])
		}
	}
	// The same card spelled in decimal, or in colon bytes, is the same card.
	e.do("POST", "/api/v1/access/identifier", "", `{"identifier_type":"card","identifier_number":"439041101"}`, basic).bwant(400, bodyDupIdent)
	e.do("POST", "/api/v1/access/identifier", "", `{"identifier_type":"card","identifier_number":"1a:2b:3c:4d"}`, basic).bwant(400, bodyDupIdent)
	// A PATCH with a new number in a new spelling shows the new spelling;
	// the native API shows the canonical value.
	e.do("PATCH", "/api/v1/access/identifier/item/1", "", `{"identifier_number":"00-00-00-1A-2B-3C-4E"}`, basic).bwant(200, "")
	if got := e.do("GET", "/api/v1/access/identifier/item/1", "", "", basic).bwant(200, "").str("identifier_number"); got != "00-00-00-1A-2B-3C-4E" {
		t.Fatalf("after PATCH %q", got)
	}
	creds := e.do("GET", "/api/v1/credentials/1", e.admin, "").want(200).json()
	if _, shown := creds["spelling"]; creds["value"] != "439041102" || shown {
		t.Fatalf("native view %v: want the canonical value and no spelling", creds)
	}
	// A native edit of the value forgets the spelling: BAS-IP shows the
	// value the card now has.
	e.do("PATCH", "/api/v1/credentials/1", e.admin, `{"value":"77"}`).want(200)
	if got := e.do("GET", "/api/v1/access/identifier/item/1", "", "", basic).bwant(200, "").str("identifier_number"); got != "77" {
		t.Fatalf("after a native edit %q", got)
	}
}

// TestBasipIdentifierFilterForms: `filter` in its three forms (spec §3.2:
// expression — camdroid-panels 1.0.7+, artonit-svc for api major 1; flat
// filter_field… — artonit-svc Device.cs, artonit-com on /api/v0; JSON
// object — android-panels 2.x "filter object", the v0 RapidAPI wrapper),
// each really filtering (artonit-svc deletes every card a filter
// returns), matching the number as written or as its canonical value,
// and list_option.filter echoing the object form.
func TestBasipIdentifierFilterForms(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/identifier", tok, smartyardCard).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_owner":{"name":"8065495","type":"owner"},"identifier_type":"card","identifier_number":"8065495","lock":"all"}`).bwant(200, `{"uid":2}`)
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"ukey","identifier_number":"12345678"}`).bwant(200, `{"uid":3}`)
	q := url.QueryEscape
	for _, tc := range []struct{ query, want string }{
		// artonit-svc, api major 1 (RestSharp URL-encodes the expression).
		{"page_number=1&limit=20&filter=" + q("identifier_number eq '8065495'"), "8065495"},
		{"filter=" + q("identifier_number eq '00-00-00-1A-2B-3C-4D'"), "00-00-00-1A-2B-3C-4D"},
		{"filter=" + q("identifier_number eq '439041101'"), "00-00-00-1A-2B-3C-4D"},   // the canonical value
		{"filter=" + q("identifier_number eq '1A:2B:3C:4D'"), "00-00-00-1A-2B-3C-4D"}, // another spelling of it
		{"filter=" + q("identifier_number eq '999'"), ""},
		{"filter=" + q("identifier_number nq '439041101'"), "8065495,12345678"},
		// artonit-svc, api major ≠ 1: flat parameters, no limit.
		{"filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=8065495", "8065495"},
		{"filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=00-00-00-1A-2B-3C-4D", "00-00-00-1A-2B-3C-4D"},
		{"filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=31337", ""},
		// android-panels MOD1: by owner name.
		{"filter_field=name&filter_type=equal&filter_format=string&filter_value=0000001A2B3C4D", "00-00-00-1A-2B-3C-4D"},
		// The object in one parameter.
		{"filter=" + q(`{"filter_field":"identifier_type","filter_type":"equal","filter_format":"string","filter_value":"ukey"}`), "12345678"},
	} {
		items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items?"+tc.query, tok, "").bwant(200, ""))
		if got := numbersOf(items); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	// The exact envelope: the object echoed as list_option.filter.
	e.do("GET", "/api/v1/access/identifier/items?filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=31337", tok, "").bwant(200,
		`{"list_option":{"pagination":{"total_items":0,"items_limit":10,"total_pages":0,"current_page":1},"filter":{"filter_field":"identifier_number","filter_type":"equal","filter_format":"string","filter_value":"31337"},"sort":{"field":"identifier_uid","asc":true,"available_fields":["identifier_uid","identifier_number","owner_name"]}},"list_items":[]}`)
	e.do("GET", "/api/v1/access/identifier/items?filter_field=colour&filter_value=red", tok, "").bwant(400,
		"{\"error\":\"Wrong query parameter `filter_field`: one of identifier_uid, identifier_number, identifier_type, lock, user_uid, name\"}")
	e.do("GET", "/api/v1/access/identifier/items?filter_field=name&filter_type=like&filter_value=x", tok, "").bwant(400,
		"{\"error\":\"Wrong query parameter `filter_type`: equal, less or more\"}")
	e.do("GET", "/api/v1/access/identifier/items?filter="+q(`{"filter_field":`), tok, "").bwant(400,
		"{\"error\":\"Wrong query parameter `filter`: not a JSON object of filter_field, filter_type, filter_format, filter_value\"}")
}

// TestBasipIdentifierListParams: every list spelling answers the same list;
// any limit from 1 is taken and echoed capped (SmartYard sends 50, and 100
// for forwards: spec §4.2); a page past the end is list_items [] (SmartYard
// fetchAllPages stops only there); camelCase pageNumber/sortField/sortType
// (camdroid-panels 0.5.0/0.6.0); /api/v0 items carry base (artonit-com
// reads list_items[0].base.lock).
func TestBasipIdentifierListParams(t *testing.T) {
	e := newEnv(t)
	basic := basicAuth("admin", adminPW)
	for i := 1; i <= 3; i++ {
		e.do("POST", "/api/v1/access/identifier", "", fmt.Sprintf(`{"identifier_type":"card","identifier_number":"%d","identifier_owner":{"name":"n%d"}}`, 100+i, 4-i), basic).bwant(200, fmt.Sprintf(`{"uid":%d}`, i))
	}
	for _, p := range []string{
		"/api/v1/access/identifier/items", // android-panels get-access-identifier-items, camdroid 1.0.0–1.3.1
		"/api/v1/access/identifier/items/list",
		"/api/v1/access/identifiers/items/list", // pin-rotator basip/client.py (first try)
		"/api/v1/access/identifiers/list",
		"/api/v1/access/identifier/items/link",  // android-panels 2.1.0/2.8.0 get-access-identifier-items-link
		"/api/v0/access/identifiers/items/list", // multi-apartment API 1.x (artonit-com)
		"/api/v0/access/identifier/items",
	} {
		items, opt := listOf(t, e.do("GET", p+"?limit=50&page_number=1", "", "", basic).bwant(200, ""))
		if numbersOf(items) != "101,102,103" || fmt.Sprint(opt["pagination"]) != "map[current_page:1 items_limit:50 total_items:3 total_pages:1]" {
			t.Fatalf("%s: %s %v", p, numbersOf(items), opt)
		}
		_, v0 := items[0]["base"]
		if want := strings.HasPrefix(p, "/api/v0/"); v0 != want {
			t.Fatalf("%s: base present %v, want %v", p, v0, want)
		}
	}
	e.do("GET", "/api/v0/access/identifiers/items/list?limit=50&sort_field=identifier_number&sort_type=desc&filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=102", "", "", basic).bwant(200,
		`{"list_option":{"pagination":{"total_items":1,"items_limit":50,"total_pages":1,"current_page":1},"filter":{"filter_field":"identifier_number","filter_type":"equal","filter_format":"string","filter_value":"102"},"sort":{"field":"identifier_number","asc":false,"available_fields":["identifier_uid","identifier_number","owner_name"]}},"list_items":[{"identifier_uid":2,"identifier_owner":{"name":"n2","type":"owner"},"identifier_type":"card","identifier_number":"102","lock":"all","valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":true,"max_passes":0,"passes_left":0}},"apartment":{"uid":-1,"link_id":null},"time_profiles":{"count":0,"uid_items":[]},"link_id":null,"additional":{"passes_left":-1},"user_uid":-1,"base":{"identifier_owner":{"name":"n2","type":"owner"},"identifier_type":"card","identifier_number":"102","lock":"all","valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":true,"max_passes":0,"passes_left":0}}}}]}`)
	// Past the end: an empty page, not the last one again.
	e.do("GET", "/api/v1/access/identifier/items?limit=50&page_number=2", "", "", basic).bwant(200,
		`{"list_option":{"pagination":{"total_items":3,"items_limit":50,"total_pages":1,"current_page":2},"filter":"","sort":{"field":"identifier_uid","asc":true,"available_fields":["identifier_uid","identifier_number","owner_name"]}},"list_items":[]}`)
	for _, tc := range []struct{ query, numbers, limit string }{
		{"limit=100", "101,102,103", "100"},
		{"limit=5000", "101,102,103", "1000"},
		{"limit=99999999999999999999999", "101,102,103", "1000"},
		{"limit=2&pageNumber=2", "103", "2"},
		{"sortField=owner_name&sortType=asc", "103,102,101", "10"},
		{"sort_field=identifier_number&sortType=desc", "103,102,101", "10"},
	} {
		items, opt := listOf(t, e.do("GET", "/api/v1/access/identifier/items?"+tc.query, "", "", basic).bwant(200, ""))
		if got, lim := numbersOf(items), fmt.Sprint(opt["pagination"].(map[string]any)["items_limit"]); got != tc.numbers || lim != tc.limit {
			t.Errorf("%s: %s limit %s, want %s limit %s", tc.query, got, lim, tc.numbers, tc.limit)
		}
	}
	e.do("GET", "/api/v1/access/identifier/items?limit=0", "", "", basic).bwant(400, "{\"error\":\"Wrong query parameter `limit`: an integer from 1\"}")
	// An unknown route under /api/v0 answers in BAS-IP's shape.
	e.do("GET", "/api/v0/access/nothing", "", "", basic).bwant(404, `{"error":"Not found"}`)
}

// TestBasipIdentifierCreateSpellings: create at every path clients post to,
// each answering {"uid": N} (android-panels 2.12.0 create-identifier-entity
// schema; artonit-com reads uid from POST /api/v0/access/identifiers/item;
// pin-rotator tries /access/identifiers/item, /access/identifier,
// /access/identifiers), and the item routes in both spellings under v0.
func TestBasipIdentifierCreateSpellings(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	paths := []string{"/api/v1/access/identifier", "/api/v1/access/identifiers/item", "/api/v1/access/identifiers",
		"/api/v0/access/identifiers/item", "/api/v0/access/identifier"}
	for i, p := range paths {
		e.do("POST", p, tok, fmt.Sprintf(`{"identifier_owner":{"name":"Flat %d","type":"owner"},"identifier_type":"inputCode","identifier_number":"%d","lock":"first"}`, i, 5550+i)).
			bwant(200, fmt.Sprintf(`{"uid":%d}`, i+1))
	}
	// lock_number (0 both, 1, 2) is taken for lock (pin-rotator's flat bodies).
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"6000","lock_number":2}`).bwant(200, `{"uid":6}`)
	if got := e.do("GET", "/api/v1/access/identifier/item/6", tok, "").bwant(200, "").str("lock"); got != "second" {
		t.Fatalf("lock_number 2 is lock %q", got)
	}
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"6001","lock_number":3}`).bwant(400, `{"error":"lock_number must be 0 (both locks), 1 or 2"}`)
	// v0 login (multi-apartment API 1.x; the wrapper's /login, MD5 upper).
	v0 := e.do("GET", "/api/v0/login?username=admin&password="+strings.ToUpper(auth.MD5Hex(adminPW)), "", "").bwant(200, "").str("token")
	e.do("GET", "/api/v0/access/identifiers/item/1", v0, "").bwant(200,
		`{"identifier_uid":1,"identifier_owner":{"name":"Flat 0","type":"owner"},"identifier_type":"inputCode","identifier_number":"••••","lock":"first","valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":true,"max_passes":0,"passes_left":0}},"apartment":{"uid":-1,"link_id":null},"time_profiles":{"count":0,"uid_items":[]},"link_id":null,"additional":{"passes_left":-1},"user_uid":-1,"base":{"identifier_owner":{"name":"Flat 0","type":"owner"},"identifier_type":"inputCode","identifier_number":"••••","lock":"first","valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":true,"max_passes":0,"passes_left":0}}}}`)
	e.do("PATCH", "/api/v0/access/identifier/item/2", v0, `{"lock":"second"}`).bwant(200, "")
	// pin-rotator's first PATCH shape: the fields under base.
	e.do("PATCH", "/api/v1/access/identifiers/item/3", tok, `{"base":{"identifier_owner":{"name":"Flat 2b","type":"owner"},"identifier_type":"inputCode","identifier_number":"9999","lock":"second"}}`).bwant(200, "")
	if got := e.do("GET", "/api/v1/access/identifier/item/3", tok, "").bwant(200, "").json(); got["lock"] != "second" || got["identifier_owner"].(map[string]any)["name"] != "Flat 2b" {
		t.Fatalf("after a PATCH with base: %v", got)
	}
	if c, err := e.st.LookupCredential(store.CredPIN, "9999"); err != nil || c.ID != 3 {
		t.Fatalf("the new PIN: %+v, %v", c, err)
	}
	e.do("DELETE", "/api/v0/access/identifiers/item/2", v0, "").bwant(200, bodyEmpty)
	e.do("GET", "/api/v0/access/identifier/item/2", v0, "").bwant(404, `{"error":"Identifier not found"}`)
	// The other create answers: time profile (android-panels 2.5.0) and
	// apartment (camdroid-panels 1.0.4 post-apartment) are {"uid"} too.
	e.do("POST", "/api/v1/access/timeprofile", tok, `{"name":"Always","time_options":{"is_all_day":true,"date_from":1772409600,"date_to":1772409600},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"}}}`).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"unit":1,"floor":2,"room":23},"apartment_name":"23"}`).bwant(200, `{"uid":1}`)
}

// TestBasipIdentifierBulkDelete: SmartYard's DELETE /access/identifier/items
// {"uid_items"} (Basip.php deleteIdentifiers) and the v0 POST
// …/items/delete {"count","uid_items"} (artonit-com ResetCard: batches of
// 100 uids from 1, most of them unknown) delete what exists and answer 200.
func TestBasipIdentifierBulkDelete(t *testing.T) {
	e := newEnv(t)
	basic := basicAuth("admin", adminPW)
	for i := 1; i <= 4; i++ {
		e.do("POST", "/api/v1/access/identifier", "", fmt.Sprintf(`{"identifier_type":"card","identifier_number":"%d"}`, 700+i), basic).bwant(200, "")
	}
	e.do("DELETE", "/api/v1/access/identifier/items", "", `{"uid_items":[1,3,99]}`, basic).bwant(200, bodyEmpty)
	items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items", "", "", basic).bwant(200, ""))
	if got := numbersOf(items); got != "702,704" {
		t.Fatalf("after DELETE: %s", got)
	}
	var batch []string
	for i := 1; i <= 100; i++ {
		batch = append(batch, strconv.Itoa(i))
	}
	e.do("POST", "/api/v0/access/identifiers/items/delete", "", `{"count":100,"uid_items":[`+strings.Join(batch, ",")+`]}`, basic).bwant(200, bodyEmpty)
	items, _ = listOf(t, e.do("GET", "/api/v1/access/identifier/items", "", "", basic).bwant(200, ""))
	if len(items) != 0 {
		t.Fatalf("after the v0 batch: %s", numbersOf(items))
	}
	e.do("POST", "/api/v1/access/identifiers/items/delete", "", `{"count":1,"uid_items":[1]}`, basic).bwant(200, bodyEmpty) // pin-rotator's last fallback
	e.do("DELETE", "/api/v1/access/identifier/items", "", `{"uid_items":"all"}`, basic).bwant(400, "{\"error\":\"Wrong JSON body: value `uid_items` was of the wrong type\"}")
	e.do("DELETE", "/api/v1/access/identifier/items", "", `{}`, basic).bwant(400, "{\"error\":\"Wrong JSON body: no value for `uid_items`\"}")
	// A viewer may not.
	e.mkOperator("view", "viewer password 1", "viewer")
	e.do("DELETE", "/api/v1/access/identifier/items", "", `{"uid_items":[2]}`, basicAuth("view", "viewer password 1")).bwant(403, `{"error":"Administrator rights required"}`)
}

// TestBasipIdentifiersByTypeAndNumber: GET and DELETE
// /access/identifiers?type=&number= (android-panels get-access-identifiers,
// delete-access-identifiers): one identifier by number in any spelling, a
// type's list without number, and the documented batch delete with its
// per-item result.
func TestBasipIdentifiersByTypeAndNumber(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/identifier", tok, smartyardCard).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"8065495"}`).bwant(200, `{"uid":2}`)
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"ukey","identifier_number":"42"}`).bwant(200, `{"uid":3}`)
	e.do("GET", "/api/v1/access/identifiers?type=card&number=00-00-00-1A-2B-3C-4D", tok, "").bwant(200, smartyardCardItem)
	e.do("GET", "/api/v1/access/identifiers?type=card&number=439041101", tok, "").bwant(200, smartyardCardItem)
	e.do("GET", "/api/v1/access/identifiers?type=ukey&number=439041101", tok, "").bwant(404, `{"error":"Identifier not found"}`)
	e.do("GET", "/api/v1/access/identifiers?number=42", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `type`: one of card, face_id, inputCode, qr, ukey, license_plate\"}")
	items, _ := listOf(t, e.do("GET", "/api/v1/access/identifiers?type=card&limit=10&page_number=1&sort_type=desc", tok, "").bwant(200, ""))
	if got := numbersOf(items); got != "8065495,00-00-00-1A-2B-3C-4D" {
		t.Fatalf("cards: %s", got)
	}
	// A PIN is found by its value: a viewer may not probe for one.
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"2468"}`).bwant(200, `{"uid":4}`)
	e.mkOperator("view", "viewer password 1", "viewer")
	viewer := basicAuth("view", "viewer password 1")
	e.do("GET", "/api/v1/access/identifiers?type=inputCode&number=2468", "", "", viewer).bwant(403, `{"error":"Administrator rights required"}`)
	e.do("GET", "/api/v1/access/identifiers?type=inputCode&number=1357", "", "", viewer).bwant(403, `{"error":"Administrator rights required"}`)
	if got := e.do("GET", "/api/v1/access/identifiers?type=inputCode&number=2468", tok, "").bwant(200, "").str("identifier_number"); got != "••••" {
		t.Fatalf("a PIN by number shows %q", got)
	}
	e.do("DELETE", "/api/v1/access/identifiers?type=inputCode&number=2468", tok, "").bwant(200, bodyEmpty)
	e.do("DELETE", "/api/v1/access/identifiers?type=ukey&number=42", tok, "").bwant(200, bodyEmpty)
	e.do("DELETE", "/api/v1/access/identifiers?type=ukey&number=42", tok, "").bwant(404, `{"error":"Identifier not found"}`)
	e.do("DELETE", "/api/v1/access/identifiers?type=card", tok, `{"list_items":[{"identifier_number":"00-00-00-1A-2B-3C-4D"},{"identifier_number":"31337"}]}`).bwant(200,
		`{"result":[{"identifier_type":"card","success":true,"identifier_number":"00-00-00-1A-2B-3C-4D","extended_info":"deleted"},{"identifier_type":"card","success":false,"identifier_number":"31337","extended_info":"not_found"}]}`)
	items, _ = listOf(t, e.do("GET", "/api/v1/access/identifier/items", tok, "").bwant(200, ""))
	if got := numbersOf(items); got != "8065495" {
		t.Fatalf("left: %s", got)
	}
}

// TestBasipIdentifierLinks: the link_id routes (android-panels latest and
// 2.10.0 "Update multiple Identifier items by link_id", 2.9.0 "Delete
// multiple Identifier items by link_id", camdroid-panels 0.5.0 "POST
// /access/identifiers/link/delete") create or update by link_id and answer
// {"result":[{link_id, success, extended_info}]}.
func TestBasipIdentifierLinks(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	const l1, l2, l3 = "91c615e3-1040-4815-8ecb-039a18b756b5", "0f0e0d0c-0b0a-4908-8706-050403020100", "11111111-2222-4333-8444-555555555555"
	e.do("POST", "/api/v1/access/identifier/items/link", tok, `{"list_items":[
		{"link_id":"`+l1+`","identifier_owner":{"name":"Ada","type":"owner"},"identifier_type":"card","identifier_number":"00-11-22","lock":"first"},
		{"link_id":"`+l2+`","identifier_type":"inputCode","identifier_number":"4321"}]}`).bwant(200,
		`{"result":[{"link_id":"`+l1+`","success":true,"extended_info":"created"},{"link_id":"`+l2+`","success":true,"extended_info":"created"}]}`)
	// Again: updated in place, keeping the uid; a number another
	// identifier has is refused for that item only.
	e.do("POST", "/api/v1/access/identifier/items/link", tok, `{"list_items":[
		{"link_id":"`+l1+`","identifier_owner":{"name":"Ada L.","type":"owner"},"identifier_type":"card","identifier_number":"00-11-22","lock":"second"},
		{"link_id":"`+l3+`","identifier_type":"card","identifier_number":"4386"}]}`).bwant(200,
		`{"result":[{"link_id":"`+l1+`","success":true,"extended_info":"updated"},{"link_id":"`+l3+`","success":false,"extended_info":"number_taken_by_another_identifier"}]}`)
	got := e.do("GET", "/api/v1/access/identifier/item/1", tok, "").bwant(200, "").json()
	if got["link_id"] != l1 || got["lock"] != "second" || got["identifier_owner"].(map[string]any)["name"] != "Ada L." || got["identifier_number"] != "00-11-22" {
		t.Fatalf("after update: %v", got)
	}
	items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items/link?limit=10&page_number=1", tok, "").bwant(200, ""))
	if len(items) != 2 || items[0]["link_id"] != l1 || items[1]["link_id"] != l2 {
		t.Fatalf("link list %v", items)
	}
	e.do("DELETE", "/api/v1/access/identifier/items/link", tok, `{"link_ids":["`+l1+`","`+l3+`"]}`).bwant(200,
		`{"result":[{"link_id":"`+l1+`","success":true,"extended_info":"deleted"},{"link_id":"`+l3+`","success":false,"extended_info":"entity_not_found"}]}`)
	e.do("POST", "/api/v1/access/identifiers/link/delete", tok, `{"link_ids":["`+l2+`","`+l1+`"]}`).bwant(200,
		`{"result":[{"link_id":"`+l2+`","success":true,"extended_info":"deleted"},{"link_id":"`+l1+`","success":false,"extended_info":"entity_not_found"}]}`)
	if items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items", tok, "").bwant(200, "")); len(items) != 0 {
		t.Fatalf("left %v", items)
	}
	e.do("POST", "/api/v1/access/identifier/items/link", tok, `{"list_items":[{"identifier_type":"card","identifier_number":"5"}]}`).bwant(400, "{\"error\":\"Wrong JSON body: no value for `link_id`\"}")
	e.do("POST", "/api/v1/access/identifier/items/link", tok, `{"list_items":[{"link_id":"x","identifier_type":"card","identifier_number":"5"}]}`).bwant(400, "{\"error\":\"Wrong JSON body: value `link_id` must be a uuid\"}")
}

// TestBasipIdentifierValidShapes: `valid` as SmartYard's Android models
// send it (time nested in passes, max_passes null), as its Camdroid model
// and the docs send it (time beside passes, max_passes 0), and as
// camdroid-panels 0.5.0/0.6.0 put it (time and passes at the top).
func TestBasipIdentifierValidShapes(t *testing.T) {
	e := newEnv(t, utc)
	tok := e.basipLogin("admin", adminPW)
	valid := func(uid int) string {
		return fmt.Sprint(e.do("GET", fmt.Sprintf("/api/v1/access/identifier/item/%d", uid), tok, "").bwant(200, "").json()["valid"])
	}
	const permanent = "map[passes:map[is_permanent:true max_passes:0 passes_left:0] time:map[from:0 is_permanent:true to:0]]"
	e.do("POST", "/api/v1/access/identifier", tok, smartyardCard).bwant(200, "")
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"2","valid":{"passes":{"is_permanent":true,"max_passes":0},"time":{"from":null,"is_permanent":true,"to":null}}}`).bwant(200, "")
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"3","valid":{"passes":{"is_permanent":false,"max_passes":3,"time":{"is_permanent":false,"from":1772442000,"to":1772528400}}}}`).bwant(200, "")
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"4","time":{"is_permanent":false,"from":1772442000,"to":1772528400},"passes":{"is_permanent":false,"max_passes":5}}`).bwant(200, "")
	for uid, want := range map[int]string{
		1: permanent,
		2: permanent,
		3: "map[passes:map[is_permanent:false max_passes:3 passes_left:3] time:map[from:1.772442e+09 is_permanent:false to:1.7725284e+09]]",
		4: "map[passes:map[is_permanent:false max_passes:5 passes_left:5] time:map[from:1.772442e+09 is_permanent:false to:1.7725284e+09]]",
	} {
		if got := valid(uid); got != want {
			t.Errorf("identifier %d valid %s, want %s", uid, got, want)
		}
	}
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"9","valid":{"passes":{"is_permanent":false,"max_passes":null}}}`).
		bwant(400, `{"error":"valid.passes.max_passes must be 1 to 99999 when is_permanent is false"}`)
}

// TestBasipIdentifierTimeProfileLowercase: /access/identifier/item/{id}/timeprofile/{tp}
// as android-panels 2.12.0 create-identifier-entity spells it, beside the
// camelCase form.
func TestBasipIdentifierTimeProfileLowercase(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"5"}`).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/access/timeprofile", tok, `{"name":"Always","time_options":{"is_all_day":true,"date_from":1772409600,"date_to":1772409600},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"}}}`).bwant(200, `{"uid":1}`)
	profiles := func() string {
		return fmt.Sprint(e.do("GET", "/api/v1/access/identifier/item/1", tok, "").bwant(200, "").json()["time_profiles"])
	}
	for _, p := range []string{"/api/v1/access/identifier/item/1/timeprofile/1", "/api/v1/access/identifiers/item/1/timeprofile/1"} {
		e.do("POST", p, tok, "").bwant(200, bodyEmpty)
		if got := profiles(); got != "map[count:1 uid_items:[1]]" {
			t.Fatalf("%s: %s", p, got)
		}
		e.do("DELETE", p, tok, "").bwant(200, bodyEmpty)
		if got := profiles(); got != "map[count:0 uid_items:[]]" {
			t.Fatalf("DELETE %s: %s", p, got)
		}
	}
}
