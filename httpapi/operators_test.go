package httpapi

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/argon2"
)

func TestOperatorCRUD(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/operators", e.admin, `{"username":"olga","password":"a long operator pw","role":"operator"}`).want(201)
	o := r.json()
	if o["role"] != "operator" || o["enabled"] != true || o["password_hash"] != nil || o["created_by"] != "admin" {
		t.Fatalf("created operator: %v", o)
	}
	if strings.Contains(string(r.body), "argon2") {
		t.Fatal("password hash leaked into the API")
	}
	id := fmt.Sprint(o["id"])
	e.do("POST", "/api/v1/operators", e.admin, `{"username":"olga","password":"a long operator pw"}`).want(409)
	bad := e.do("POST", "/api/v1/operators", e.admin, `{"username":"bad name!","password":"short","role":"king"}`).want(422)
	if got := strings.Join(bad.fields(), ","); got != "username,password,role" {
		t.Fatalf("fields %s, want username,password,role", got)
	}
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, `{"role":"viewer","enabled":false}`).want(200)
	e.do("POST", "/api/v1/session", "", `{"username":"olga","password":"a long operator pw"}`).want(403)
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, `{"enabled":true}`).want(200)
	tok := e.login("olga", "a long operator pw")
	e.do("POST", "/api/v1/users", tok, `{"locks": "both", "name":"x"}`).want(403) // viewer now
	// Disabling an operator ends its sessions at once.
	e.do("PATCH", "/api/v1/operators/"+id, e.admin, `{"enabled":false}`).want(200)
	e.do("GET", "/api/v1/users", tok, "").want(401)
	e.do("DELETE", "/api/v1/operators/"+id, e.admin, "").want(204)
	e.do("GET", "/api/v1/operators/"+id, e.admin, "").want(404)
}

func TestLastAdminIsKept(t *testing.T) {
	e := newEnv(t)
	e.do("PATCH", "/api/v1/operators/me", e.admin, `{"role":"viewer"}`).want(409)
	e.do("DELETE", "/api/v1/operators/me", e.admin, "").want(409)
	e.do("POST", "/api/v1/operators", e.admin, `{"username":"root2","password":"another admin pw","role":"admin"}`).want(201)
	e.do("PATCH", "/api/v1/operators/me", e.admin, `{"role":"viewer"}`).want(200)
}

func TestForcedPasswordChange(t *testing.T) {
	e := newEnv(t)
	id := fmt.Sprint(e.do("POST", "/api/v1/operators", e.admin,
		`{"username":"newbie","password":"temporary password","role":"operator","force_password_change":true}`).want(201).json()["id"])
	tok := e.login("newbie", "temporary password")
	e.do("GET", "/api/v1/users", tok, "").want(403)
	e.do("POST", "/api/v1/operators/me/password", tok, `{"current_password":"wrong one","new_password":"my own new password"}`).want(422)
	e.do("POST", "/api/v1/operators/me/password", tok, `{"current_password":"temporary password","new_password":"short"}`).want(422)
	r := e.do("POST", "/api/v1/operators/me/password", tok, `{"current_password":"temporary password","new_password":"my own new password"}`).want(200)
	e.do("GET", "/api/v1/users", tok, "").want(401) // old sessions end
	e.do("GET", "/api/v1/users", r.str("token"), "").want(200)
	e.do("POST", "/api/v1/session", "", `{"username":"newbie","password":"temporary password"}`).want(401)
	e.login("newbie", "my own new password")
	o := e.do("GET", "/api/v1/operators/"+id, e.admin, "").want(200).json()
	if o["force_password_change"] != false {
		t.Fatalf("force_password_change still set: %v", o)
	}
}

func TestTOTPEnrolmentAndLogin(t *testing.T) {
	e := newEnv(t)
	en := e.do("POST", "/api/v1/operators/me/totp", e.admin, `{"current_password":"`+adminPW+`"}`).want(200).json()
	secret := en["secret"].(string)
	if !strings.HasPrefix(en["otpauth_url"].(string), "otpauth://totp/") {
		t.Fatalf("otpauth_url = %v", en["otpauth_url"])
	}
	// Not yet in force: password alone still logs in.
	e.login("admin", adminPW)
	e.do("POST", "/api/v1/operators/me/totp/confirm", e.admin, `{"code":"000000"}`).want(422)
	code, _ := totp.GenerateCode(secret, e.clock())
	if o := e.do("POST", "/api/v1/operators/me/totp/confirm", e.admin, `{"code":"`+code+`"}`).want(200).json(); o["mfa"] != true {
		t.Fatalf("mfa not on after confirm: %v", o)
	}
	r := e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`"}`).want(401)
	if got := r.fields(); len(got) != 1 || got[0] != "totp" {
		t.Fatalf("missing totp answer names %v, want [totp]", got)
	}
	e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`","totp":"123456"}`).want(401)
	e.advance(90 * time.Second)
	code, _ = totp.GenerateCode(secret, e.clock())
	e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`","totp":"`+code+`"}`).want(201)
	// A code works once (RFC 6238 §5.2), even inside its 30 s window.
	e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`","totp":"`+code+`"}`).want(401)
	e.advance(30 * time.Second)
	code, _ = totp.GenerateCode(secret, e.clock())
	e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`","totp":"`+code+`"}`).want(201)
	// Failed second factors count toward the lockout like wrong passwords.
	for i := 0; i < 5; i++ {
		e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`","totp":"000001"}`).want(401)
	}
	e.do("POST", "/api/v1/session", "", `{"username":"admin","password":"`+adminPW+`","totp":"`+code+`"}`).want(429)
}

func TestTimeProfilesAndApartmentsCRUD(t *testing.T) {
	e := newEnv(t)
	bad := e.do("POST", "/api/v1/time-profiles", e.admin, `{"intervals":[{"days":["funday"],"start":"25:00","end":"08:00"}],"date_from":"2026-13-01","holidays":["x"]}`).want(422)
	for _, f := range []string{"name", "intervals[0].days[0]", "intervals[0].start", "date_from", "holidays[0]"} {
		found := false
		for _, g := range bad.fields() {
			found = found || g == f
		}
		if !found {
			t.Errorf("errors %v lack %q", bad.fields(), f)
		}
	}
	tp := e.do("POST", "/api/v1/time-profiles", e.admin, `{"name":"Nights","intervals":[{"days":[1,"tuesday"],"start":"22:00","end":"06:00"}],"holidays":["2026-12-25"]}`).want(201).json()
	id := fmt.Sprint(tp["id"])
	p := e.do("PATCH", "/api/v1/time-profiles/"+id, e.admin, `{"name":"Late"}`).want(200).json()
	if p["name"] != "Late" || len(p["intervals"].([]any)) != 1 {
		t.Fatalf("after patch: %v", p)
	}
	e.do("PUT", "/api/v1/time-profiles/"+id, e.admin, `{"intervals":[]}`).want(422)
	e.do("GET", "/api/v1/time-profiles", e.admin, "").want(200)
	e.do("DELETE", "/api/v1/time-profiles/"+id, e.admin, "").want(204)
	e.do("GET", "/api/v1/time-profiles/"+id, e.admin, "").want(404)

	a := e.do("POST", "/api/v1/apartments", e.admin, `{"name":"1A","address":{"building":1,"unit":0,"floor":1,"room":1}}`).want(201).json()
	e.do("POST", "/api/v1/apartments", e.admin, `{"name":"dup","address":{"building":1,"unit":0,"floor":1,"room":1}}`).want(409)
	e.do("POST", "/api/v1/apartments", e.admin, `{"name":"x","address":{"building":0,"floor":99}}`).want(422)
	aid := fmt.Sprint(a["id"])
	e.do("PATCH", "/api/v1/apartments/"+aid, e.admin, `{"name":"1A east"}`).want(200)
	list := e.do("GET", "/api/v1/apartments", e.admin, "").want(200).json()
	if n := len(list["items"].([]any)); n != 1 {
		t.Fatalf("%d apartments, want 1", n)
	}
	e.do("DELETE", "/api/v1/apartments/"+aid, e.admin, "").want(204)
}

func TestOldPasswordHashesAreUpgradedOnLogin(t *testing.T) {
	e := newEnv(t)
	// An argon2id hash with weaker parameters than today's, as an older
	// doord would have written.
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("legacy password 1"), salt, 1, 8*1024, 1, 32)
	old := "$argon2id$v=19$m=8192,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	now := e.clock()
	if err := e.st.CreateOperator(&store.Operator{Username: "old", PasswordHash: old, Role: store.RoleViewer, Enabled: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.login("old", "legacy password 1")
	o, _ := e.st.GetOperatorByUsername("old")
	if o.PasswordHash == old || auth.NeedsRehash(o.PasswordHash) {
		t.Fatalf("hash not upgraded: %s", o.PasswordHash)
	}
	e.login("old", "legacy password 1")
}
