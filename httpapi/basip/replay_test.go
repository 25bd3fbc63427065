package basip_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/doord/doord/auth"
)

// Replays of what real BAS-IP client programs send, in their order, end
// to end through the real server (research for issue 12, §11). The
// clients are the judges: each step checks what the client itself reads.

// smartyard is SmartYard-Server's BAS-IP driver for Android panels
// (rosteleset/SmartYard-Server server/hw/ip/domophone/basip/Basip.php):
// HTTP Basic admin:<password> on every request.
type smartyard struct {
	t     *testing.T
	e     *env
	basic string
	cache []map[string]any // identifiers, fetched once per configuration run
}

// fetchAll is fetchAllPages: page_number 1, 2, … at limit 50 until
// list_items comes back empty (it never reads total_pages).
func (s *smartyard) fetchAll() []map[string]any {
	var all []map[string]any
	for page := 1; ; page++ {
		if page > 100 {
			s.t.Fatal("SmartYard would page forever: list_items never came back empty")
		}
		items, _ := listOf(s.t, s.e.do("GET", fmt.Sprintf("/api/v1/access/identifier/items?limit=50&page_number=%d", page), "", "", s.basic).bwant(200, ""))
		if len(items) == 0 {
			return all
		}
		all = append(all, items...)
	}
}

func (s *smartyard) identifiers() []map[string]any {
	if s.cache == nil {
		s.cache = s.fetchAll()
	}
	return s.cache
}

func (s *smartyard) deleteUIDs(uids ...any) {
	var parts []string
	for _, u := range uids {
		parts = append(parts, fmt.Sprint(u))
	}
	s.e.do("DELETE", "/api/v1/access/identifier/items", "", `{"uid_items":[`+strings.Join(parts, ",")+`]}`, s.basic).bwant(200, "")
}

// uidByNumber is getUidByIdentifierNumber: string equality.
func (s *smartyard) uidByNumber(number string) any {
	for _, it := range s.identifiers() {
		if it["identifier_number"] == number {
			return it["identifier_uid"]
		}
	}
	return nil
}

const syValid = `"valid":{"passes":{"is_permanent":true,"max_passes":null,"time":{"from":null,"is_permanent":true,"to":null}}}`

// configureApartment: the flat's old code (owner name == flat) and any
// identifier with the new code go, then the code is created; uid is read.
func (s *smartyard) configureApartment(flat int, code int) {
	for _, it := range s.identifiers() {
		if it["identifier_owner"].(map[string]any)["name"] == fmt.Sprint(flat) {
			s.deleteUIDs(it["identifier_uid"])
		}
	}
	if code == 0 {
		return
	}
	if uid := s.uidByNumber(fmt.Sprint(code)); uid != nil {
		s.deleteUIDs(uid)
	}
	s.e.do("POST", "/api/v1/access/identifier", "", fmt.Sprintf(`{"identifier_number":"%d","identifier_owner":{"name":"%d","type":"owner"},"identifier_type":"inputCode","lock":"first",%s}`, code, flat, syValid), s.basic).
		bwant(200, "").num("uid")
}

// dashed is implode('-', str_split($code, 2)).
func dashed(code string) string {
	var parts []string
	for i := 0; i < len(code); i += 2 {
		parts = append(parts, code[i:min(i+2, len(code))])
	}
	return strings.Join(parts, "-")
}

// addRfid creates a key: number dashed, owner name the raw hex.
func (s *smartyard) addRfid(code string) uint64 {
	return s.e.do("POST", "/api/v1/access/identifier", "", fmt.Sprintf(`{"identifier_number":"%s","identifier_owner":{"name":"%s","type":"owner"},"identifier_type":"card","lock":"first",%s}`, dashed(code), code, syValid), s.basic).
		bwant(200, "").num("uid")
}

// TestReplaySmartYard: SmartYard-Server provisions a panel (spec §11.1):
// lists identifiers until an empty page, sets each flat's code (delete by
// owner name and by number, then create), adds 120 keys with dashed
// numbers; a second run finds every key by its number as sent (so it
// re-adds none); it deletes one key and then all of them in one request.
func TestReplaySmartYard(t *testing.T) {
	e := newEnv(t)
	s := &smartyard{t: t, e: e, basic: basicAuth("admin", adminPW)}
	if got := s.fetchAll(); len(got) != 0 {
		t.Fatalf("a new panel lists %d identifiers", len(got))
	}
	codes := map[int]int{23: 123456, 24: 654321, 25: 0}
	for _, flat := range []int{23, 24, 25} {
		s.configureApartment(flat, codes[flat])
	}
	var keys []string
	for i := range 120 {
		keys = append(keys, fmt.Sprintf("0000001A2B%04X", 0x3C00+i))
		s.addRfid(keys[i])
	}
	// The second run: its cache is fresh; every key is found by the
	// number it sent, and every code by its flat and number.
	s.cache = nil
	all := s.identifiers()
	if len(all) != 122 {
		t.Fatalf("listed %d identifiers, want 122 (2 codes, 120 keys)", len(all))
	}
	for _, k := range keys {
		if s.uidByNumber(dashed(k)) == nil {
			t.Fatalf("key %s not found by %q: SmartYard would add it again", k, dashed(k))
		}
	}
	// Flat 23 gets a new code: the old one (owner name "23") goes.
	s.configureApartment(23, 111222)
	s.cache = nil
	flats := map[string]int{}
	for _, it := range s.identifiers() {
		if it["identifier_type"] == "inputCode" {
			flats[it["identifier_owner"].(map[string]any)["name"].(string)]++
		}
	}
	if fmt.Sprint(flats) != "map[23:1 24:1]" {
		t.Fatalf("codes per flat %v", flats)
	}
	// deleteRfid(code), then deleteRfid(''): every key in one request.
	s.deleteUIDs(s.uidByNumber(dashed(keys[0])))
	s.cache = nil
	if s.uidByNumber(dashed(keys[0])) != nil {
		t.Fatal("deleted key still listed")
	}
	var uids []any
	for _, it := range s.identifiers() {
		if it["identifier_type"] == "card" {
			uids = append(uids, it["identifier_uid"])
		}
	}
	s.deleteUIDs(uids...)
	s.cache = nil
	if left := s.identifiers(); len(left) != 2 {
		t.Fatalf("after deleting every key: %d identifiers, want the 2 codes", len(left))
	}
}

// TestReplayArtonit: artonit-svc (Lexer25/basip_exe Device.cs, Worker.cs)
// per panel per cycle (spec §11.2): md5 login in UPPERCASE hex, write a
// card (200 → uid; 400 → already there, done), then delete one card by
// finding it with a filter, in both filter dialects it uses, and deleting
// every uid the filter returns: the other cards must survive.
func TestReplayArtonit(t *testing.T) {
	e := newEnv(t)
	tok := e.do("GET", "/api/v1/login?username=admin&password="+strings.ToUpper(auth.MD5Hex(adminPW)), "", "").bwant(200, "").str("token")
	write := func(card string) int {
		r := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_owner":{"name":"`+card+`","type":"owner"},"identifier_type":"card","identifier_number":"`+card+`","lock":"all"}`)
		if r.status == 200 {
			r.num("uid") // GetProperty("uid") throws without it
		}
		return r.status
	}
	for _, c := range []string{"8065495", "1234567", "7654321", "80654950"} {
		if st := write(c); st != 200 {
			t.Fatalf("write %s: %d", c, st)
		}
	}
	if st := write("8065495"); st != 400 {
		t.Fatalf("write again: %d, want 400 (artonit counts it as present)", st)
	}
	remove := func(query string) {
		items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items?"+query, tok, "").bwant(200, ""))
		for _, it := range items {
			e.do("DELETE", fmt.Sprintf("/api/v1/access/identifier/item/%v", it["identifier_uid"]), tok, "").bwant(200, "")
		}
	}
	// api_version major 1: the expression; else the flat parameters.
	remove("page_number=1&limit=20&filter=" + url.QueryEscape("identifier_number eq '8065495'"))
	remove("filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=1234567")
	items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items", tok, "").bwant(200, ""))
	if got := numbersOf(items); got != "7654321,80654950" {
		t.Fatalf("after two deletes: %s", got)
	}
	// Deleting a card that is not there: an empty list, nothing deleted.
	remove("filter_field=identifier_number&filter_type=equal&filter_format=string&filter_value=31337")
	if items, _ := listOf(t, e.do("GET", "/api/v1/access/identifier/items", tok, "").bwant(200, "")); len(items) != 2 {
		t.Fatalf("a delete of an absent card removed others: %s", numbersOf(items))
	}
}
