package basip_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// --- the lists, through HTTP ---

func filterQ(f string) string { return "filter=" + url.QueryEscape(f) }

// listed answers a list's items' key values, joined by commas, and its
// total_items.
func listed(t *testing.T, r resp, key string) (string, int) {
	t.Helper()
	m := r.json()
	var out []string
	for _, it := range m["list_items"].([]any) {
		out = append(out, fmt.Sprint(it.(map[string]any)[key]))
	}
	return strings.Join(out, ","), int(m["list_option"].(map[string]any)["pagination"].(map[string]any)["total_items"].(float64))
}

func TestBasipFilterUsers(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	for _, u := range []string{
		userAda, // lock 1, info "flat 12"
		`{"name":"Bob","info":"","auth_factors":["card"],"lock_number":1,"is_custom_user_access":false}`,
		`{"name":"Cleo","info":"Ada's sister","auth_factors":["card"],"lock_number":0,"is_custom_user_access":true}`,
		`{"name":"ada lovelace","info":"x","auth_factors":["card"],"lock_number":2,"is_custom_user_access":false}`,
	} {
		e.do("POST", "/api/v1/access/user", tok, u).bwant(200, "")
	}
	get := func(q string) (string, int) {
		t.Helper()
		return listed(t, e.do("GET", "/api/v1/access/users/list?"+q, tok, "").bwant(200, ""), "name")
	}
	for f, want := range map[string]string{
		"name eq 'Ada'":                                      "Ada",
		"name eq 'ADA'":                                      "Ada",
		"lock_number eq 1 and not info eq ''":                "Ada",
		"lock_number eq 1":                                   "Ada,Bob",
		"is_custom_user_access eq true":                      "Cleo",
		"is_custom_user_access nq true and lock_number ge 1": "Ada,Bob,ada lovelace",
		"item_uid gt 2":                                      "Cleo,ada lovelace",
		"uid le 1 or name eq 'Bob'":                          "Ada,Bob",
		"name ge 'b' and name lt 'c'":                        "Bob",
		"name eq 'Nobody'":                                   "",
	} {
		if got, n := get(filterQ(f)); got != want || n != strings.Count(want, ",")+min(1, len(want)) {
			t.Errorf("%q: %s (total %d), want %s", f, got, n, want)
		}
	}
	// No compare operator: the substring search, as before.
	if got, _ := get("filter=ada"); got != "Ada,Cleo,ada lovelace" {
		t.Errorf("substring: %s", got)
	}
	// Sorting and paging apply to the matches; list_option.filter echoes
	// the filter as given.
	f := "lock_number ge 1"
	if got, n := get(filterQ(f) + "&sort_field=name&sort_type=desc&limit=2"); got != "Bob,ada lovelace" || n != 3 {
		t.Errorf("sorted: %s %d", got, n)
	}
	e.do("GET", "/api/v1/access/users/list?"+filterQ("name eq 'Nobody'"), tok, "").bwant(200,
		`{"list_option":{"pagination":{"total_items":0,"items_limit":10,"total_pages":0,"current_page":1},"filter":"name eq 'Nobody'","sort":{"field":"item_uid","asc":true,"available_fields":["item_uid","name","info"]}},"list_items":[]}`)
	// Bad expressions are 400s that say what and where.
	for f, msg := range map[string]string{
		"name eq 5":                  "`name` is text and `5` is not (quote it: '5') at character 9",
		"flor eq 1":                  "unknown field `flor` (fields: item_uid, name, info, lock_number, is_custom_user_access) at character 1",
		"(name eq 'Ada'":             "missing `)` for the `(` at character 1",
		"lock_number eq '1'":         "`lock_number` is a number and `'1'` is not (write an integer, unquoted) at character 16",
		"is_custom_user_access eq 1": "`is_custom_user_access` is true or false and `1` is neither at character 26",
	} {
		e.do("GET", "/api/v1/access/users/list?"+filterQ(f), tok, "").bwant(400, "{\"error\":\"Wrong query parameter `filter`: "+strings.ReplaceAll(msg, `"`, `\"`)+"\"}")
	}
}

func TestBasipFilterIdentifiers(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":1,"has_dublicates":false}`)
	mk := func(body string) uint64 {
		t.Helper()
		return e.do("POST", "/api/v1/access/identifier", tok, body).bwant(200, "").num("uid")
	}
	card := mk(`{"identifier_owner":{"name":"Ada"},"identifier_type":"card","identifier_number":"8065495","lock":"first","user_uid":1}`)
	pin := mk(`{"identifier_owner":{"name":"Bob","type":"guest"},"identifier_type":"inputCode","identifier_number":"1234"}`)
	held := mk(`{"identifier_owner":{"name":"Cleo"},"identifier_type":"inputCode","identifier_number":"5678","lock":"second"}`)
	// Attaching moves the credential, which keeps its id (the uid BAS-IP
	// shows and the filter sees).
	e.do("POST", fmt.Sprintf("/api/v1/access/user/1/identifier/%d", held), tok, "").bwant(200, bodyEmpty)
	get := func(q string) (string, int) {
		t.Helper()
		return listed(t, e.do("GET", "/api/v1/access/identifiers/list?"+q, tok, "").bwant(200, ""), "identifier_number")
	}
	for f, want := range map[string]string{
		"identifier_number eq '8065495'": "8065495",
		// PINs show as •••• and are not found by their number (no oracle).
		"identifier_number eq '1234' or identifier_number eq '5678'":             "",
		"identifier_type eq 'inputcode'":                                         "••••,••••",
		"lock eq 'all'":                                                          "••••",
		"name eq 'ada'":                                                          "8065495",
		"owner_name eq 'Cleo' or identifier_owner.name eq 'Bob'":                 "••••,••••",
		"user_uid eq -1":                                                         "••••",
		"user_uid eq 1 and not identifier_type eq 'card'":                        "••••",
		fmt.Sprintf("identifier_uid eq %d", held):                                "••••",
		fmt.Sprintf("identifier_uid eq %d or identifier_uid eq %d", card, pin):   "8065495,••••",
		fmt.Sprintf("identifier_uid le %d and user_uid eq 1", held):              "8065495,••••",
		fmt.Sprintf("identifier_uid gt %d", held):                                "",
		fmt.Sprintf("identifier_number eq '1234' or identifier_uid eq %d", held): "••••",
	} {
		if got, n := get(filterQ(f)); got != want || n != strings.Count(want, ",")+min(1, len(want)) {
			t.Errorf("%q: %s (total %d), want %s", f, got, n, want)
		}
	}
	// One user's identifiers (user_uid, a doord extension), filtered.
	if got, _ := get(filterQ(fmt.Sprintf("identifier_uid eq %d", held)) + "&user_uid=1"); got != "••••" {
		t.Errorf("user 1, by uid: %s", got)
	}
	if got, _ := get("filter=Bo"); got != "••••" {
		t.Errorf("substring: %s", got)
	}
	e.do("GET", "/api/v1/access/identifiers/list?"+filterQ("identifier_number eq 8065495"), tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: `identifier_number` is text and `8065495` is not (quote it: '8065495') at character 22\"}")
	e.do("GET", "/api/v1/access/identifier/list?"+filterQ("owner_type eq 'guest'"), tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: unknown field `owner_type` (fields: identifier_uid, identifier_number, identifier_type, lock, user_uid, name) at character 1\"}")
}

func TestBasipFilterApartmentsAndProfiles(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	for _, a := range []string{
		`{"apartment_address":{"building":221,"unit":1,"floor":2,"room":1},"apartment_name":"221B low"}`,
		`{"apartment_address":{"building":221,"unit":1,"floor":4,"room":1},"apartment_name":"221B"}`,
		`{"apartment_address":{"building":221,"unit":1,"floor":11,"room":2},"apartment_name":"Penthouse"}`,
		`{"apartment_address":{"building":100,"floor":9},"apartment_name":"Elsewhere"}`,
	} {
		e.do("POST", "/api/v1/apartment", tok, a).bwant(200, "")
	}
	get := func(q string) (string, int) {
		t.Helper()
		return listed(t, e.do("GET", "/api/v1/apartment/list?"+q, tok, "").bwant(200, ""), "apartment_name")
	}
	for f, want := range map[string]string{
		"building eq 221 and floor gt 3":                                     "221B,Penthouse",
		"(apartment_name eq 'elsewhere' or building eq 221) and floor gt 10": "Penthouse",
		"apartment_address.floor ge 9":                                       "Penthouse,Elsewhere",
		"room eq 2 or unit eq 0":                                             "Penthouse,Elsewhere",
		"uid eq 2":                                                           "221B",
		"not building eq 221":                                                "Elsewhere",
	} {
		if got, n := get(filterQ(f)); got != want || n != strings.Count(want, ",")+1 {
			t.Errorf("%q: %s (total %d), want %s", f, got, n, want)
		}
	}
	if got, _ := get("filter=221b"); got != "221B low,221B" {
		t.Errorf("substring: %s", got)
	}
	e.do("GET", "/api/v1/apartment/list?"+filterQ("building eq 221 and floor gt"), tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: expected a value ('text', an integer, true or false) after `gt`, found the end at character 29\"}")

	for _, n := range []string{"Always", "Night", "Weekend"} {
		e.do("POST", "/api/v1/access/timeprofile", tok, `{"name":"`+n+`","time_options":{"is_all_day":true,"date_from":1772409600,"date_to":1772409600},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"}}}`).bwant(200, "")
	}
	pget := func(q string) string {
		t.Helper()
		s, _ := listed(t, e.do("GET", "/api/v1/access/timeprofiles/list?"+q, tok, "").bwant(200, ""), "name")
		return s
	}
	if got := pget(filterQ("name eq 'night' or uid eq 3")); got != "Night,Weekend" {
		t.Errorf("profiles: %s", got)
	}
	if got := pget("filter=a"); got != "Always" {
		t.Errorf("profiles substring: %s", got)
	}
	e.do("GET", "/api/v1/access/timeprofile/list?"+filterQ("name eq 'Night' and"), tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: expected a field name or `(`, found the end at character 20\"}")
}

func TestBasipFilterLogs(t *testing.T) {
	e, _, l := newDoorsEventsEnv(t)
	tok := e.basipLogin("admin", adminPW)
	// The fake runtime logs nothing: write what the daemon's would.
	t0 := e.clock()
	for i, ev := range []store.Event{
		{Type: "access_granted", Door: "1", Reader: "1", UserUID: 1, CredentialType: "card", Credential: store.MaskCredential("card", "8065495")},
		{Type: "access_denied", Door: "2", Reason: "unknown_credential", CredentialType: "card"},
		{Type: "remote_open", Door: "1", Operator: "admin"},
		{Type: "tamper", Door: "1"},
		{Type: "remote_open", Door: "2", Operator: "ops"},
	} {
		ev.At = t0.Add(time.Duration(i+1) * time.Minute)
		l.Append(ev)
	}
	l.Flush()
	get := func(q string) (string, int) {
		t.Helper()
		return listed(t, e.do("GET", "/api/v1/log/list?"+q, tok, "").bwant(200, ""), "event")
	}
	ts := func(min int) int64 { return t0.Add(time.Duration(min) * time.Minute).Unix() }
	for f, want := range map[string]string{
		"event eq 'access_granted_by_api_call'":                             "access_granted_by_api_call,access_granted_by_api_call",
		"event eq 'access_granted_by_api_call' and operator eq 'ops'":       "access_granted_by_api_call",
		"event eq 'tamper_event' or info.door eq '2'":                       "access_granted_by_api_call,tamper_event,access_denied_unknown_identifier",
		"lock_number eq 1 and not event eq 'tamper_event'":                  "access_granted_by_api_call,access_granted_by_valid_identifier",
		"native_type eq 'access_denied' and reason eq 'unknown_credential'": "access_denied_unknown_identifier",
		fmt.Sprintf("timestamp ge %d and timestamp lt %d", ts(2), ts(4)):    "access_granted_by_api_call,access_denied_unknown_identifier",
		"user_uid eq 1 and identifier_type eq 'card'":                       "access_granted_by_valid_identifier",
		"event eq 'no_such_event'":                                          "",
	} {
		if got, n := get(filterQ(f)); got != want || n != strings.Count(want, ",")+min(1, len(want)) {
			t.Errorf("%q: %s (total %d), want %s", f, got, n, want)
		}
	}
	// Oldest first and paged, as without a filter.
	if got, n := get(filterQ("door eq '1'") + "&sort_type=asc&limit=2&page_number=2"); got != "tamper_event" || n != 3 {
		t.Errorf("paged: %s %d", got, n)
	}
	// No compare operator: a list of event names, as before.
	if got, _ := get("filter=tamper_event,access_denied_unknown_identifier"); got != "tamper_event,access_denied_unknown_identifier" {
		t.Errorf("names: %s", got)
	}
	e.do("GET", "/api/v1/log/list?"+filterQ("event eq access_granted_by_api_call"), tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: expected a value ('text', an integer, true or false) after `eq`, found `access_granted_by_api_call` at character 10\"}")
	e.do("GET", "/api/v1/log/list?"+filterQ("timestamp gt '1'"), tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: `timestamp` is a number and `'1'` is not (write an integer, unquoted) at character 14\"}")
	e.do("GET", "/api/v1/log/list?filter=Tamper+Event", tok, "").
		bwant(400, "{\"error\":\"Wrong query parameter `filter`: a comma-separated list of event names\"}")
}
