package basip_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/store"
)

// The md5 login takes the hex in any case: lower-case (php-client
// AuthTrait, SmartYard BearerHttpClient, ha-av03bd), UPPER-case
// (artonit-svc Device.cs CreateMD5, pin-rotator _get_password_hash) and
// first-letter capitalised (bas-ip-manager src/clients/basip.py:
// md5(pw).capitalize()); and it ignores an Authorization: Basic header
// sent along, right or wrong (SmartYard's curl sends Basic on the
// login too).
func TestBasipLoginAsClientsSendIt(t *testing.T) {
	e := newEnv(t)
	const pw2 = "capital md5 pw 2" // its MD5 starts with a letter: eb95…
	e.mkOperator("ops", pw2, store.RoleOperator)
	md5 := auth.MD5Hex(pw2)
	capital := strings.ToUpper(md5[:1]) + md5[1:]
	if md5 == capital {
		t.Fatalf("test password's MD5 %s starts with a digit: pick another", md5)
	}
	for _, pw := range []string{md5, strings.ToUpper(md5), capital} {
		for _, h := range []string{basicAuth("ops", pw2), basicAuth("ops", "wrong"), basicAuth("nobody", "x"), "Authorization: Bearer nonsense"} {
			r := e.do("GET", "/api/v1/login?username=ops&password="+pw, "", "", h).bwant(200, "")
			if !auth.TokenLooksValid(r.str("token")) {
				t.Fatalf("login with %q and %q: %s", pw, h, r.body)
			}
		}
	}
	// A wrong MD5 with a right Basic header is still a wrong login.
	e.do("GET", "/api/v1/login?username=ops&password="+auth.MD5Hex("nope"), "", "", basicAuth("ops", pw2)).
		bwant(401, `{"error":"Wrong username or password"}`)
}

// Every BAS-IP answer is one line of JSON: artonit-com (COMLibrBAS
// SendQuery, HandleException) reads only the first line of a body,
// success or error. An unknown route's text contains "Not found" exactly
// (its /api/info fallback checks Contains("Not found")).
func TestBasipAnswersAreOneLine(t *testing.T) {
	e, _ := newEmergencyEnv(t, func(c *httpapi.Config) { c.Version = "1.0.0" })
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/forward/item/1", tok, `{"forward_entity_list":["1"]}`).bwant(200, "")
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"1234567","identifier_owner":{"name":"a\nb","type":"owner"}}`).bwant(200, "")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/info", ""},
		{"GET", "/api/v0/device/name", ""},
		{"GET", "/api/v1/login?username=admin&password=" + auth.MD5Hex(adminPW), ""},
		{"GET", "/api/v1/login?username=admin&password=00", ""},
		{"GET", "/api/v1/forward/items?limit=100", ""},
		{"GET", "/api/v1/forward/item/1", ""},
		{"GET", "/api/v1/access/identifier/list", ""},
		{"POST", "/api/v1/access/general/lock/open/emergency", `{"locks":[{"lock_number":1,"unlock_time":5}]}`},
		{"POST", "/api/v1/access/general/lock/open/emergency", "{\n\"locks\": 7\n}"},
		{"GET", "/api/v1/access/general/lock/open/remote/accepted/1", ""},
		{"GET", "/api/v1/nope", ""},
		{"GET", "/api/v0/nope", ""},
		{"DELETE", "/api/v1/login", ""},
		{"GET", "/api/v1/access/users/list", ""},
	} {
		r := e.do(c.method, c.path, tok, c.body)
		if bytes.ContainsAny(r.body, "\r\n") || len(r.body) == 0 || r.body[0] != '{' {
			t.Errorf("%s %s: %d body %q is not one line of JSON", c.method, c.path, r.status, r.body)
		}
		if r.status == 404 && !strings.Contains(string(r.body), `"Not found"`) && strings.Contains(c.path, "nope") {
			t.Errorf("%s %s: 404 body %s lacks \"Not found\"", c.method, c.path, r.body)
		}
	}
}
