package basip_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// An identifier without a user that is bound to an apartment (natively)
// shows that apartment, and the apartment lists it with its residents'
// identifiers, once; attaching it to a resident does not list it twice.
func TestBasipUserlessIdentifierApartment(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":1,"has_dublicates":false}`)
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"room":7},"apartment_name":"7"}`).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/apartment/item/1/user/1", tok, "").bwant(200, bodyEmpty)
	c := store.Credential{Type: store.CredCard, Value: "4567", OwnerName: "Flat 7", Apartment: 1}
	if err := e.st.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatUint(c.ID, 10)
	got := e.do("GET", "/api/v1/access/identifiers/item/"+id, tok, "").bwant(200, "").json()
	if got["user_uid"] != -1.0 || fmt.Sprint(got["apartment"]) != "map[link_id:<nil> logical_address:map[building:1 floor:0 room:7 unit:0] uid:1]" {
		t.Fatalf("identifier %v", got)
	}
	want := `"identifiers":{"physicals":{"count":1,"uid_items":[` + id + `]},"input_numbers":{"count":0,"uid_items":[]}}}`
	if r := e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(200, ""); !strings.HasSuffix(string(r.body), want) {
		t.Fatalf("apartment %s\nwant the suffix %s", r.body, want)
	}
	e.do("POST", "/api/v1/access/user/1/identifier/"+id, tok, "").bwant(200, bodyEmpty)
	if r := e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(200, ""); !strings.HasSuffix(string(r.body), want) {
		t.Fatalf("apartment after the attach %s\nwant the suffix %s", r.body, want)
	}
	if n := len(e.do("GET", "/api/v1/access/identifiers/list?user_uid=-1", tok, "").bwant(200, "").json()["list_items"].([]any)); n != 0 {
		t.Fatalf("%d identifiers without a user after the attach, want 0", n)
	}
	if n := len(e.do("GET", "/api/v1/access/identifiers/list?filter="+`user_uid%20eq%201`, tok, "").bwant(200, "").json()["list_items"].([]any)); n != 1 {
		t.Fatalf("%d identifiers of user 1 by filter, want 1", n)
	}
}

// The log names a denial of an identifier without a user (the engine's
// no_user, with access.userless_credentials = "deny") as BAS-IP does, and
// shows such identifiers' decisions with user_uid -1.
func TestBasipLogUserlessDecisions(t *testing.T) {
	e, _, l := newDoorsEventsEnv(t)
	tok := e.basipLogin("admin", adminPW)
	t0 := e.clock()
	for i, ev := range []store.Event{
		{Type: store.EventAccessGranted, Door: "1", CredentialType: "card"},
		{Type: store.EventAccessDenied, Door: "1", Reason: access.ReasonNoUser.String(), CredentialType: "card"},
		{Type: store.EventAccessDenied, Door: "1", Reason: "unknown_credential", CredentialType: "card"},
	} {
		ev.At = t0.Add(time.Duration(i+1) * time.Minute)
		l.Append(ev)
	}
	l.Flush()
	r := e.do("GET", "/api/v1/log/list?limit=50&sort_type=asc", tok, "").bwant(200, "").json()
	var got []string
	for _, it := range r["list_items"].([]any) {
		m := it.(map[string]any)
		if n := m["event"].(string); strings.Contains(n, "identifier") {
			got = append(got, fmt.Sprint(n, " ", m["info"].(map[string]any)["user_uid"]))
		}
	}
	want := "access_granted_by_valid_identifier -1,identifiers_without_linkage_to_user_access_denied -1,access_denied_unknown_identifier 0"
	if strings.Join(got, ",") != want {
		t.Fatalf("log\n  %s\nwant\n  %s", strings.Join(got, ","), want)
	}
}

// Binding an identifier to an apartment and unbinding it (android-panels
// 2.12.0 create-identifier-entity follow-ups; camdroid-panels
// post-apartment): the identifier and the apartment show the binding; an
// unknown apartment or identifier is a 404; the card opens the same doors
// bound or not (no doc says a binding changes access).
func TestBasipBindIdentifierToApartment(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"room":7},"apartment_name":"7"}`).bwant(200, `{"uid":1}`)
	id := strconv.FormatInt(int64(e.do("POST", "/api/v1/access/identifier", tok,
		`{"identifier_owner":{"name":"7","type":"owner"},"identifier_type":"card","identifier_number":"00-7B-11-D7","lock":"first"}`).bwant(200, "").num("uid")), 10)
	e.do("POST", "/api/v1/apartment/item/1/identifier/"+id, tok, "").bwant(200, bodyEmpty)
	got := e.do("GET", "/api/v1/access/identifier/item/"+id, tok, "").bwant(200, "").json()
	if fmt.Sprint(got["apartment"]) != "map[link_id:<nil> logical_address:map[building:1 floor:0 room:7 unit:0] uid:1]" || got["user_uid"] != -1.0 {
		t.Fatalf("bound identifier %v", got)
	}
	want := `"identifiers":{"physicals":{"count":1,"uid_items":[` + id + `]},"input_numbers":{"count":0,"uid_items":[]}}}`
	if r := e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(200, ""); !strings.HasSuffix(string(r.body), want) {
		t.Fatalf("apartment %s\nwant the suffix %s", r.body, want)
	}
	e.do("POST", "/api/v1/apartment/item/9/identifier/"+id, tok, "").bwant(404, `{"error":"Apartment not found"}`)
	e.do("POST", "/api/v1/apartment/item/1/identifier/999", tok, "").bwant(404, `{"error":"Identifier not found"}`)
	e.do("POST", "/api/v1/apartment/item/unbind/identifier/"+id, tok, "").bwant(200, bodyEmpty)
	got = e.do("GET", "/api/v1/access/identifier/item/"+id, tok, "").bwant(200, "").json()
	if fmt.Sprint(got["apartment"].(map[string]any)["uid"]) != "-1" {
		t.Fatalf("unbound identifier still shows apartment %v", got["apartment"])
	}
	if c, err := e.st.GetCredential(mustUint(t, id)); err != nil || c.Apartment != 0 {
		t.Fatalf("stored credential after unbind: %+v %v", c, err)
	}
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
