package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

// TestCredentialValuesByRole: role × view over every view that shows a
// credential, native and BAS-IP. A PIN's value is in no answer for any
// role (it shows as "••••" with has_value); a card number is shown to
// operators and admins and masked for viewers.
func TestCredentialValuesByRole(t *testing.T) {
	e := newEnv(t)
	const pin, card = "902713", "8065495"
	user := e.do("POST", "/api/v1/users", e.admin, `{"name":"Ada","locks":"both"}`).want(201).json()
	uid, id := fmt.Sprint(user["uid"]), user["id"].(string)
	creds := "/api/v1/users/" + id + "/credentials"
	cardID := fmt.Sprint(e.do("POST", creds, e.admin, `{"type":"card","value":"`+card+`"}`).want(201).json()["id"])
	pinAnswer := e.do("POST", creds, e.admin, `{"type":"pin","value":"`+pin+`"}`).want(201)
	pinID := fmt.Sprint(pinAnswer.json()["id"])
	e.mkOperator("olga", "operator password 1", store.RoleOperator)
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)

	roles := []struct {
		name, pw  string
		seesCards bool
	}{
		{"admin", adminPW, true},
		{"olga", "operator password 1", true},
		{"vic", "viewer password 1", false},
	}
	for _, role := range roles {
		native, basip := e.login(role.name, role.pw), e.basipLogin(role.name, role.pw)
		views := []struct{ name, path, token string }{
			{"native card", "/api/v1/credentials/" + cardID, native},
			{"native pin", "/api/v1/credentials/" + pinID, native},
			{"native list", creds, native},
			{"basip identifier card", "/api/v1/access/identifiers/item/" + cardID, basip},
			{"basip identifier pin", "/api/v1/access/identifiers/item/" + pinID, basip},
			{"basip identifier list", "/api/v1/access/identifiers/list?limit=100", basip},
			{"basip user", "/api/v1/access/users/item/" + uid, basip},
			{"basip user list", "/api/v1/access/users/list?limit=100", basip},
		}
		for _, v := range views {
			body := string(e.do("GET", v.path, v.token, "").body)
			if strings.Contains(body, strconv.Quote(pin)) {
				t.Errorf("%s reads the PIN in %s: %s", role.name, v.name, body)
			}
			if got, want := strings.Contains(body, strconv.Quote(card)), role.seesCards && !strings.HasSuffix(v.name, " pin"); got != want {
				t.Errorf("%s: card number shown in %s = %v, want %v: %s", role.name, v.name, got, role.seesCards, body)
			}
			if strings.Contains(v.name, "pin") && !strings.Contains(body, `"••••"`) {
				t.Errorf("%s: %s does not show the PIN as ••••: %s", role.name, v.name, body)
			}
		}
		p := e.do("GET", "/api/v1/credentials/"+pinID, native, "").want(200).json()
		if p["value"] != "••••" || p["has_value"] != true {
			t.Errorf("%s: native PIN view value %v has_value %v, want •••• and true", role.name, p["value"], p["has_value"])
		}
	}
	// Filters match what the role sees: no oracle for a PIN (any role) or
	// for a card number (viewers).
	for _, role := range roles {
		basip := e.basipLogin(role.name, role.pw)
		for _, q := range []struct {
			filter string
			want   bool
		}{
			{"identifier_number eq '" + pin + "'", false},
			{"identifier_number eq '" + card + "'", role.seesCards},
		} {
			body := string(e.do("GET", "/api/v1/access/identifiers/list?"+filterQ(q.filter), basip, "").bwant(200, "").body)
			if got := !strings.Contains(body, `"total_items":0,`); got != q.want {
				t.Errorf("%s: filter %s finds something = %v, want %v: %s", role.name, q.filter, got, q.want, body)
			}
		}
	}
	// The write answers keep the rule too, and a PIN's GET body goes back
	// through PATCH without changing the PIN.
	if strings.Contains(string(pinAnswer.body), strconv.Quote(pin)) {
		t.Errorf("create answer shows the PIN: %s", pinAnswer.body)
	}
	got := e.do("GET", "/api/v1/credentials/"+pinID, e.admin, "").want(200).body
	r := e.do("PATCH", "/api/v1/credentials/"+pinID, e.admin, string(got)).want(200)
	if strings.Contains(string(r.body), strconv.Quote(pin)) {
		t.Errorf("PATCH answer shows the PIN: %s", r.body)
	}
	n, _ := strconv.ParseUint(pinID, 10, 64)
	if c, err := e.st.GetCredential(n); err != nil || c.Value != pin {
		t.Errorf("after a GET → PATCH round trip the PIN is %q (%v), want it unchanged", c.Value, err)
	}
	// The same through BAS-IP.
	basip := e.basipLogin("admin", adminPW)
	item := "/api/v1/access/identifiers/item/" + pinID
	got = e.do("GET", item, basip, "").bwant(200, "").body
	r = e.do("PATCH", item, basip, string(got))
	if r.status != 200 || strings.Contains(string(r.body), strconv.Quote(pin)) {
		t.Errorf("BAS-IP PATCH with its GET body: %d %s", r.status, r.body)
	}
	if c, err := e.st.GetCredential(n); err != nil || c.Value != pin {
		t.Errorf("after a BAS-IP GET → PATCH round trip the PIN is %q (%v), want it unchanged", c.Value, err)
	}
}
