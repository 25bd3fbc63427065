package basip_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/httpapi/basip"
	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"golang.org/x/crypto/argon2"
)

// Contract tests of the BAS-IP compatible API: statuses and exact bodies.
// The error strings are BAS-IP's (developers.bas-ip.com, android panels,
// "Creates user entity"), copied here byte for byte.

const (
	bodyLogIn    = `{"error":"Log In"}`
	bodyAdmin    = `{"error":"Administrator rights required"}`
	bodyWrongB   = `{"error":"Wrong JSON body"}`
	bodyDupIdent = `{"error":"Identifier with that type and number already exist"}`
	bodyDupApt   = `{"error":"Apartment with that Logical Address already exist"}`
	bodyEmpty    = `{}`
	userAda      = `{"name":"Ada","info":"flat 12","auth_factors":["card","input_code"],"lock_number":1,"is_custom_user_access":false}`
)

func TestBasipLogin(t *testing.T) {
	e := newEnv(t)
	md5 := auth.MD5Hex(adminPW)
	for _, pw := range []string{md5, strings.ToUpper(md5), strings.ToUpper(md5[:1]) + md5[1:]} {
		r := e.do("GET", "/api/v1/login?username=admin&password="+pw, "", "").bwant(200, "")
		m := r.json()
		if m["account_type"] != "admin" || !auth.TokenLooksValid(m["token"].(string)) || len(m) != 2 {
			t.Fatalf("login answer %s", r.body)
		}
	}
	tok := e.basipLogin("admin", adminPW)

	// The token works on BAS-IP routes, not on native ones.
	e.do("GET", "/api/v1/access/users/list", tok, "").bwant(200, "")
	e.do("GET", "/api/v1/users", tok, "").want(403)
	// A native token works on BAS-IP routes.
	e.do("GET", "/api/v1/access/users/list", e.admin, "").bwant(200, "")

	// It lasts two hours.
	e.advance(2*time.Hour - time.Second)
	e.do("GET", "/api/v1/access/users/list", tok, "").bwant(200, "")
	e.advance(2 * time.Second)
	e.do("GET", "/api/v1/access/users/list", tok, "").bwant(401, bodyLogIn)

	// Wrong passwords, unknown users, the plain password instead of its MD5.
	for _, q := range []string{
		"username=admin&password=" + auth.MD5Hex("wrong"),
		"username=nobody&password=" + md5,
		"username=admin&password=" + strings.ReplaceAll(adminPW, " ", "%20"),
		"username=admin",
		"",
	} {
		e.do("GET", "/api/v1/login?"+q, "", "").bwant(401, `{"error":"Wrong username or password"}`)
	}
}

func TestBasipLoginSharesTheLockout(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("ops", "operator password 1", store.RoleOperator)
	for i := 0; i < 5; i++ {
		e.do("GET", "/api/v1/login?username=ops&password="+auth.MD5Hex("nope"), "", "").bwant(401, "")
	}
	// Locked for the native login too, and for the right MD5.
	e.do("POST", "/api/v1/session", "", `{"username":"ops","password":"operator password 1"}`).want(429)
	r := e.do("GET", "/api/v1/login?username=ops&password="+auth.MD5Hex("operator password 1"), "", "").
		bwant(429, `{"error":"Too many failed logins; try again later"}`)
	if r.hdr["Retry-After"] == "" {
		t.Fatal("429 without Retry-After")
	}
	e.advance(2 * time.Minute)
	if got := e.do("GET", "/api/v1/login?username=ops&password="+auth.MD5Hex("operator password 1"), "", "").
		bwant(200, "").str("account_type"); got != "operator" {
		t.Fatalf("account_type %q, want operator", got)
	}
}

// An operator whose hash is of the plain password (an older release)
// cannot use the MD5 login until a native login upgrades the hash.
func TestBasipLoginUpgradesOldHashes(t *testing.T) {
	e := newEnv(t)
	const pw = "an older operator pw"
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 2, 19456, 1, 32)
	old := "$argon2id$v=19$m=19456,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	now := e.clock()
	if err := e.st.CreateOperator(&store.Operator{Username: "old", PasswordHash: old, Role: store.RoleAdmin, Enabled: true,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	q := "/api/v1/login?username=old&password=" + auth.MD5Hex(pw)
	for i := 0; i < 6; i++ { // does not count towards the lockout
		e.do("GET", q, "", "").bwant(401, `{"error":"Wrong username or password"}`)
	}
	e.login("old", pw)
	op, err := e.st.GetOperatorByUsername("old")
	if err != nil || op.PasswordHash == old || auth.NeedsRehash(op.PasswordHash) {
		t.Fatalf("hash not upgraded: %q, %v", op.PasswordHash, err)
	}
	e.do("GET", q, "", "").bwant(200, "")
}

func TestBasipAuthErrors(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.basipLogin("vic", "viewer password 1")
	uid := e.do("POST", "/api/v1/access/user", e.admin, userAda).bwant(200, "").num("item_uid")
	u := strconv.FormatUint(uid, 10)

	// Every BAS-IP route but the login wants a token: 401 Log In.
	for _, rt := range basipRoutes() {
		m := rt.method
		if rt.need == core.Public {
			continue
		}
		{
			path := strings.NewReplacer("{uid}", u, "{id}", "1", "{tp}", "1", "{apt}", "1", "{lock}", "1").
				Replace(rt.pattern)
			e.do(m, path, "", `{}`).bwant(401, bodyLogIn)
			e.do(m, path, "doord_notarealtoken", `{}`).bwant(401, bodyLogIn)
			// A viewer reads, but every write is an administrator's.
			if m != "GET" {
				e.do(m, path, view, `{}`).bwant(403, bodyAdmin)
			}
		}
	}
	e.do("GET", "/api/v1/access/users/item/"+u, view, "").bwant(200, "")
	e.do("GET", "/api/v1/access/users/list", view, "").bwant(200, "")
}

func TestBasipCreateUser(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	r := e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":1,"has_dublicates":false}`)
	_ = r
	// A duplicate name is not an error (use info to tell people apart).
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":2,"has_dublicates":true}`)
	// Unknown fields are ignored (Postel's law); no Content-Type is fine.
	e.do("POST", "/api/v1/access/user", tok, `{"name":"Bob","info":"","auth_factors":["face_id"],"lock_number":0,"is_custom_user_access":true,"colour":"red"}`).
		bwant(200, `{"item_uid":3,"has_dublicates":false}`)

	for _, tc := range []struct{ name, body, want string }{
		{"no body", "", bodyWrongB},
		{"malformed", `{"name":`, bodyWrongB},
		{"not an object", `["name"]`, bodyWrongB},
		{"two objects", `{}{}`, bodyWrongB},
		{"no name", `{"info":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: no value for `name`\"}"},
		{"null name", `{"name":null,"info":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: no value for `name`\"}"},
		{"no info", `{"name":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: no value for `info`\"}"},
		{"no auth_factors", `{"name":"x","info":"x","lock_number":0,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: no value for `auth_factors`\"}"},
		{"no lock_number", `{"name":"x","info":"x","auth_factors":["card"],"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: no value for `lock_number`\"}"},
		{"no is_custom_user_access", `{"name":"x","info":"x","auth_factors":["card"],"lock_number":0}`, "{\"error\":\"Wrong JSON body: no value for `is_custom_user_access`\"}"},
		{"lock_number string", `{"name":"x","info":"x","auth_factors":["card"],"lock_number":"1","is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: value `lock_number` was of the wrong type\"}"},
		{"lock_number fraction", `{"name":"x","info":"x","auth_factors":["card"],"lock_number":1.5,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: value `lock_number` was of the wrong type\"}"},
		{"name number", `{"name":7,"info":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: value `name` was of the wrong type\"}"},
		{"auth_factors objects", `{"name":"x","info":"x","auth_factors":[{"type":"card"}],"lock_number":0,"is_custom_user_access":false}`, "{\"error\":\"Wrong JSON body: value `auth_factors` was of the wrong type\"}"},
		{"custom string", `{"name":"x","info":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":"yes"}`, "{\"error\":\"Wrong JSON body: value `is_custom_user_access` was of the wrong type\"}"},
		{"empty auth_factors", `{"name":"x","info":"x","auth_factors":[],"lock_number":0,"is_custom_user_access":false}`, `{"error":"auth_factors must contain at least one item"}`},
		{"lock 3", `{"name":"x","info":"x","auth_factors":["card"],"lock_number":3,"is_custom_user_access":false}`, `{"error":"lock_number must be 0 (both locks), 1 or 2"}`},
		{"unknown factor", `{"name":"x","info":"x","auth_factors":["fingerprint"],"lock_number":0,"is_custom_user_access":false}`, `{"error":"auth_factors: unknown auth factor \"fingerprint\" (card, input_code, qr, face_id, license_plate, ukey)"}`},
		{"empty name", `{"name":" ","info":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, `{"error":"name must not be empty"}`},
		{"long name", `{"name":"` + strings.Repeat("n", 101) + `","info":"x","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, `{"error":"name must be at most 100 characters"}`},
		{"long info", `{"name":"x","info":"` + strings.Repeat("i", 256) + `","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, `{"error":"info must be at most 255 characters"}`},
	} {
		e.do("POST", "/api/v1/access/user", tok, tc.body).bwant(400, tc.want)
	}

	// The native API sees the same user, with input_code as pin.
	n := e.do("GET", "/api/v1/users/1", e.admin, "").want(200).json()
	if n["name"] != "Ada" || n["info"] != "flat 12" || n["locks"] != "1" || n["custom_access"] != false ||
		fmt.Sprint(n["auth_factors"]) != "[card pin]" {
		t.Fatalf("native view %v", n)
	}
}

func TestBasipUserItem(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, "")
	e.do("GET", "/api/v1/access/users/item/1", tok, "").bwant(200,
		`{"item_uid":1,"link_id":null,"name":"Ada","lock_number":1,"is_custom_user_access":false,"info":"flat 12","auth_factors":["card","input_code"],"identifiers":[],"time_profiles":{"count":0,"uid_items":[]},"apartments":{"count":0,"uid_items":[]}}`)
	e.do("GET", "/api/v1/access/users/item/99", tok, "").bwant(404, `{"error":"User not found"}`)
	e.do("GET", "/api/v1/access/users/item/x", tok, "").bwant(404, `{"error":"User not found"}`)

	// PATCH replaces every BAS-IP field; auth_factor is an alias. Native
	// fields BAS-IP does not know stay.
	e.do("PATCH", "/api/v1/users/1", e.admin, `{"email":"ada@example.com"}`).want(200)
	e.do("PATCH", "/api/v1/access/users/item/1", tok, `{"name":"Ada L.","info":"flat 14","auth_factor":["qr"],"lock_number":0,"is_custom_user_access":true}`).
		bwant(200, `{"item_uid":1,"link_id":null,"name":"Ada L.","lock_number":0,"is_custom_user_access":true,"info":"flat 14","auth_factors":["qr"],"identifiers":[],"time_profiles":{"count":0,"uid_items":[]},"apartments":{"count":0,"uid_items":[]}}`)
	if n := e.do("GET", "/api/v1/users/1", e.admin, "").want(200).json(); n["email"] != "ada@example.com" || n["locks"] != "both" {
		t.Fatalf("native view after PATCH %v", n)
	}
	e.do("PATCH", "/api/v1/access/users/item/1", tok, `{"name":"Ada"}`).bwant(400, "{\"error\":\"Wrong JSON body: no value for `info`\"}")
	e.do("PATCH", "/api/v1/access/users/item/1", tok, ``).bwant(400, bodyWrongB)
	e.do("PATCH", "/api/v1/access/users/item/1", tok, `{"name":"x","info":"x","auth_factors":[],"lock_number":0,"is_custom_user_access":false}`).
		bwant(400, `{"error":"auth_factors must contain at least one item"}`)
	e.do("PATCH", "/api/v1/access/users/item/9", tok, userAda).bwant(404, `{"error":"User not found"}`)

	e.do("DELETE", "/api/v1/access/users/item/1", tok, "").bwant(200, bodyEmpty)
	e.do("DELETE", "/api/v1/access/users/item/1", tok, "").bwant(404, `{"error":"User not found"}`)
	e.do("GET", "/api/v1/users/1", e.admin, "").want(404)
}

func TestBasipUserList(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	for _, n := range []string{"Cleo", "alan", "Bea", "Dan", "Eve"} {
		e.do("POST", "/api/v1/access/user", tok, `{"name":"`+n+`","info":"i-`+n+`","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`).bwant(200, "")
	}
	type page struct {
		ListOption struct {
			Pagination struct{ TotalItems, ItemsLimit, TotalPages, CurrentPage int }
			Filter     string
			Sort       struct {
				Field           string
				Asc             bool
				AvailableFields []string `json:"available_fields"`
			}
		} `json:"list_option"`
		ListItems []basip.User `json:"list_items"`
	}
	get := func(q string) (page, string) {
		t.Helper()
		r := e.do("GET", "/api/v1/access/users/list?"+q, tok, "").bwant(200, "")
		var p page
		// The envelope's field names are BAS-IP's: decode strictly.
		raw := map[string]any{}
		json.Unmarshal(r.body, &raw)
		lo := raw["list_option"].(map[string]any)
		pg := lo["pagination"].(map[string]any)
		p.ListOption.Pagination.TotalItems = int(pg["total_items"].(float64))
		p.ListOption.Pagination.ItemsLimit = int(pg["items_limit"].(float64))
		p.ListOption.Pagination.TotalPages = int(pg["total_pages"].(float64))
		p.ListOption.Pagination.CurrentPage = int(pg["current_page"].(float64))
		p.ListOption.Filter = lo["filter"].(string)
		so := lo["sort"].(map[string]any)
		p.ListOption.Sort.Field, p.ListOption.Sort.Asc = so["field"].(string), so["asc"].(bool)
		if err := json.Unmarshal(r.body, &struct {
			ListItems *[]basip.User `json:"list_items"`
		}{&p.ListItems}); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, it := range p.ListItems {
			names = append(names, it.Name)
		}
		return p, strings.Join(names, ",")
	}
	p, names := get("")
	if names != "Cleo,alan,Bea,Dan,Eve" || p.ListOption.Pagination.TotalItems != 5 || p.ListOption.Pagination.ItemsLimit != 10 ||
		p.ListOption.Pagination.TotalPages != 1 || p.ListOption.Pagination.CurrentPage != 1 || p.ListOption.Sort.Field != "item_uid" || !p.ListOption.Sort.Asc {
		t.Fatalf("default list %+v %s", p.ListOption, names)
	}
	if _, names = get("limit=2&page_number=2&sort_field=name&sort_type=asc"); names != "Cleo,Dan" {
		t.Fatalf("page 2 by name: %s", names)
	}
	if p, names = get("limit=2&page_number=3&sort_field=name&sort_type=desc"); names != "alan" || p.ListOption.Pagination.TotalPages != 3 || p.ListOption.Sort.Asc {
		t.Fatalf("page 3 by name desc: %s %+v", names, p.ListOption)
	}
	// "uid", the key before item_uid, still sorts by item_uid.
	if p, names = get("sort_field=uid&sort_type=desc"); names != "Eve,Dan,Bea,alan,Cleo" || p.ListOption.Sort.Field != "item_uid" {
		t.Fatalf("sort by uid: %s %+v", names, p.ListOption)
	}
	if _, names = get("limit=10&page_number=4"); names != "" {
		t.Fatalf("past the end: %s", names)
	}
	if p, names = get("filter=e&sort_type=desc"); names != "Eve,Bea,Cleo" || p.ListOption.Filter != "e" || p.ListOption.Pagination.TotalItems != 3 {
		t.Fatalf("filter: %s %+v", names, p.ListOption)
	}
	e.do("GET", "/api/v1/access/users/list?limit=0", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `limit`: an integer from 1\"}")
	e.do("GET", "/api/v1/access/users/list?sort_field=email", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `sort_field`: one of item_uid, name, info\"}")
	e.do("GET", "/api/v1/access/users/list?sort_type=up", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `sort_type`: asc or desc\"}")
	// camdroid's order_by: the first field, then the order.
	if _, names = get("limit=2&page_number=2&order_by=name%2C%20info%20desc"); names != "Cleo,Bea" {
		t.Fatalf("order_by name, info desc: %s", names)
	}
	if _, names = get("order_by=name"); names != "alan,Bea,Cleo,Dan,Eve" {
		t.Fatalf("order_by name: %s", names)
	}
	e.do("GET", "/api/v1/access/users/list?order_by=email%20asc", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `order_by`: one of item_uid, name, info\"}")
	e.do("GET", "/api/v1/access/users/list?page_number=0", tok, "").bwant(400, "{\"error\":\"Wrong query parameter `page_number`: an integer from 1\"}")
	// The exact envelope of an empty page.
	e.do("GET", "/api/v1/access/users/list?filter=zzz", tok, "").bwant(200,
		`{"list_option":{"pagination":{"total_items":0,"items_limit":10,"total_pages":0,"current_page":1},"filter":"zzz","sort":{"field":"item_uid","asc":true,"available_fields":["item_uid","name","info"]}},"list_items":[]}`)
}

func TestBasipIdentifiers(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":1,"has_dublicates":false}`)

	// Created without a user: shown with user_uid -1.
	card := `{"identifier_owner":{"name":"Ada","type":"owner"},"identifier_type":"card","identifier_number":"7B:11:D7","lock":"first",
		"valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":false,"max_passes":2}}}`
	id := e.do("POST", "/api/v1/access/identifier", tok, card).bwant(200, "").num("uid")
	ids := strconv.FormatUint(id, 10)
	e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200,
		`{"identifier_uid":`+ids+`,"identifier_owner":{"name":"Ada","type":"owner"},"identifier_type":"card","identifier_number":"7B:11:D7","lock":"first","valid":{"time":{"is_permanent":true,"from":0,"to":0},"passes":{"is_permanent":false,"max_passes":2,"passes_left":2}},"apartment":{"uid":-1,"link_id":null},"time_profiles":{"count":0,"uid_items":[]},"link_id":null,"additional":{"passes_left":2},"user_uid":-1}`)
	// No user is made to hold it: Ada is the one BAS-IP user, and the
	// native credential has no user.
	if n := e.do("GET", "/api/v1/access/users/list", tok, "").bwant(200, "").json()["list_option"].(map[string]any)["pagination"].(map[string]any)["total_items"]; n != 1.0 {
		t.Fatalf("users listed: %v, want 1", n)
	}
	if c, err := e.st.GetCredential(id); err != nil || c.UserUID != 0 {
		t.Fatalf("native credential %+v %v, want no user", c, err)
	}

	// Duplicates: the same card in decimal is the same card.
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"8065495","lock":"all"}`).bwant(400, bodyDupIdent)
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"7b-11-d7"}`).bwant(400, bodyDupIdent)

	// Attach; the uid stays what the client was given.
	e.do("POST", "/api/v1/access/user/1/identifier/"+ids, tok, "").bwant(200, bodyEmpty)
	got := e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200, "").json()
	if got["user_uid"] != 1.0 || got["identifier_uid"] != float64(id) || got["identifier_number"] != "7B:11:D7" {
		t.Fatalf("after attach: %v", got)
	}
	// The user shows its identifiers in full, as GET identifier does, in
	// its item and in the list.
	one := e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200, "").body
	var uv struct{ Identifiers []json.RawMessage }
	json.Unmarshal(e.do("GET", "/api/v1/access/users/item/1", tok, "").bwant(200, "").body, &uv)
	if len(uv.Identifiers) != 1 || string(uv.Identifiers[0]) != string(one) {
		t.Fatalf("user identifiers %s, want [%s]", uv.Identifiers, one)
	}
	var ul struct {
		ListItems []struct{ Identifiers []json.RawMessage } `json:"list_items"`
	}
	json.Unmarshal(e.do("GET", "/api/v1/access/users/list", tok, "").bwant(200, "").body, &ul)
	if len(ul.ListItems) != 1 || len(ul.ListItems[0].Identifiers) != 1 || string(ul.ListItems[0].Identifiers[0]) != string(one) {
		t.Fatalf("listed user identifiers %+v, want [%s]", ul.ListItems, one)
	}
	// The native API sees the card on the user.
	creds := e.do("GET", "/api/v1/users/1/credentials", e.admin, "").want(200).json()["items"].([]any)
	if len(creds) != 1 || creds[0].(map[string]any)["value"] != "8065495" || creds[0].(map[string]any)["locks"] != "1" ||
		creds[0].(map[string]any)["max_passes"] != 2.0 {
		t.Fatalf("native credentials %v", creds)
	}
	// Attaching again is a no-op; unknown ids are 404.
	e.do("POST", "/api/v1/access/user/1/identifier/"+ids, tok, "").bwant(200, bodyEmpty)
	e.do("POST", "/api/v1/access/user/1/identifier/999", tok, "").bwant(404, `{"error":"Identifier not found"}`)
	e.do("POST", "/api/v1/access/user/9/identifier/"+ids, tok, "").bwant(404, `{"error":"User not found"}`)

	// PATCH, passes reset.
	e.do("PATCH", "/api/v1/access/identifiers/item/"+ids, tok, `{"lock":"all","identifier_owner":{"name":"Ada L.","type":"guest"}}`).bwant(200, "")
	e.do("PATCH", "/api/v1/access/identifiers/item/"+ids, tok, `{"identifier_type":"qr"}`).bwant(400, `{"error":"identifier_type cannot be changed; delete the identifier and create a new one"}`)
	e.do("PATCH", "/api/v1/access/identifiers/item/"+ids, tok, `{"lock":"third"}`).bwant(400, `{"error":"lock must be first, second or all"}`)
	c := e.do("POST", "/api/v1/access/identifiers/item/"+ids+"/passes/reset", tok, "").bwant(200, "").json()
	if c["lock"] != "all" || c["identifier_owner"].(map[string]any)["type"] != "guest" || c["valid"].(map[string]any)["passes"].(map[string]any)["passes_left"] != 2.0 {
		t.Fatalf("after PATCH and reset: %v", c)
	}

	// time_profiles is BAS-IP's {count, uid_items}, here and in the user.
	tp := strconv.FormatUint(e.do("POST", "/api/v1/access/timeprofile", tok,
		`{"name":"Always","time_options":{"is_all_day":true,"date_from":1772409600,"date_to":1772409600},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"}}}`).
		bwant(200, "").num("uid"), 10)
	e.do("POST", "/api/v1/access/identifiers/item/"+ids+"/timeProfile/"+tp, tok, "").bwant(200, bodyEmpty)
	if got := e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200, "").json()["time_profiles"]; fmt.Sprint(got) != "map[count:1 uid_items:["+tp+"]]" {
		t.Fatalf("identifier time_profiles %v", got)
	}
	if got := e.do("GET", "/api/v1/access/users/item/1", tok, "").bwant(200, "").json()["identifiers"].([]any)[0].(map[string]any)["time_profiles"]; fmt.Sprint(got) != "map[count:1 uid_items:["+tp+"]]" {
		t.Fatalf("user's identifier time_profiles %v", got)
	}
	e.do("DELETE", "/api/v1/access/identifiers/item/"+ids+"/timeProfile/"+tp, tok, "").bwant(200, bodyEmpty)
	if got := e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200, "").json()["time_profiles"]; fmt.Sprint(got) != "map[count:0 uid_items:[]]" {
		t.Fatalf("identifier time_profiles after detach %v", got)
	}

	// A PIN is inputCode; created for a user at once with user_uid.
	pin := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"0042","user_uid":1,
		"valid":{"time":{"is_permanent":false,"from":1772442000,"to":1772528400},"passes":{"is_permanent":true}}}`).bwant(200, "").num("uid")
	p := e.do("GET", "/api/v1/access/identifiers/item/"+strconv.FormatUint(pin, 10), tok, "").bwant(200, "").json()
	if p["identifier_type"] != "inputCode" || p["identifier_number"] != "••••" || p["user_uid"] != 1.0 ||
		p["valid"].(map[string]any)["time"].(map[string]any)["from"] != 1772442000.0 {
		t.Fatalf("PIN %v", p)
	}
	// Permanent passes: additional.passes_left is -1 (BAS-IP's "permanent").
	if fmt.Sprint(p["additional"]) != "map[passes_left:-1]" || fmt.Sprint(p["valid"].(map[string]any)["passes"]) != "map[is_permanent:true max_passes:0 passes_left:0]" {
		t.Fatalf("PIN passes %v %v", p["additional"], p["valid"])
	}
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"input_code","identifier_number":"0042"}`).bwant(400, bodyDupIdent)

	for _, tc := range []struct{ name, body, want string }{
		{"no body", ``, bodyWrongB},
		{"no type", `{"identifier_number":"1"}`, "{\"error\":\"Wrong JSON body: no value for `identifier_type`\"}"},
		{"no number", `{"identifier_type":"card"}`, "{\"error\":\"Wrong JSON body: no value for `identifier_number`\"}"},
		{"bad type", `{"identifier_type":"fingerprint","identifier_number":"1"}`, `{"error":"identifier_type must be one of card, ukey, inputCode, face_id, qr, license_plate"}`},
		{"bad card", `{"identifier_type":"card","identifier_number":"12G"}`, `{"error":"identifier_number: card number \"12G\" is neither decimal, 0x-hex nor AA:BB:CC bytes"}`},
		{"short PIN", `{"identifier_type":"inputCode","identifier_number":"12"}`, `{"error":"identifier_number: PIN must be 4 to 12 digits (got 2)"}`},
		{"owner type", `{"identifier_type":"card","identifier_number":"5","identifier_owner":{"type":"boss"}}`, `{"error":"identifier_owner.type must be owner or guest"}`},
		{"passes", `{"identifier_type":"card","identifier_number":"5","valid":{"passes":{"is_permanent":false,"max_passes":0}}}`, `{"error":"valid.passes.max_passes must be 1 to 99999 when is_permanent is false"}`},
		{"time", `{"identifier_type":"card","identifier_number":"5","valid":{"time":{"is_permanent":false,"from":20,"to":10}}}`, `{"error":"valid.time.to must be after valid.time.from"}`},
		{"time type", `{"identifier_type":"card","identifier_number":"5","valid":{"time":{"is_permanent":false,"from":"x"}}}`, "{\"error\":\"Wrong JSON body: value `from` was of the wrong type\"}"},
		{"unknown user", `{"identifier_type":"card","identifier_number":"5","user_uid":77}`, `{"error":"User not found"}`},
	} {
		status := 400
		if tc.name == "unknown user" {
			status = 404
		}
		e.do("POST", "/api/v1/access/identifier", tok, tc.body).bwant(status, tc.want)
	}

	// List: all, one user's, unattached.
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"license_plate","identifier_number":"ab-123 cd"}`).bwant(200, "")
	l := e.do("GET", "/api/v1/access/identifiers/list?sort_field=identifier_number", tok, "").bwant(200, "").json()
	var nums []string
	for _, it := range l["list_items"].([]any) {
		nums = append(nums, it.(map[string]any)["identifier_number"].(string))
	}
	if strings.Join(nums, ",") != "7B:11:D7,ab-123 cd,••••" { // as written, sorted as shown: a PIN's order would be an oracle
		t.Fatalf("identifier list %v", nums)
	}
	if n := len(e.do("GET", "/api/v1/access/identifiers/list?user_uid=-1", tok, "").bwant(200, "").json()["list_items"].([]any)); n != 1 {
		t.Fatalf("%d unattached identifiers, want 1", n)
	}
	if n := len(e.do("GET", "/api/v1/access/identifiers/list?user_uid=1", tok, "").bwant(200, "").json()["list_items"].([]any)); n != 2 {
		t.Fatalf("%d identifiers of user 1, want 2", n)
	}

	// Detach: to no user, same uid, passes kept.
	if _, err := e.st.UsePass(id); err != nil {
		t.Fatal(err)
	}
	e.do("DELETE", "/api/v1/access/user/1/identifier/"+ids, tok, "").bwant(200, bodyEmpty)
	if got := e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200, "").json(); got["user_uid"] != -1.0 || fmt.Sprint(got["additional"]) != "map[passes_left:1]" {
		t.Fatalf("after detach: %v, want user_uid -1 and 1 pass left", got)
	}
	e.do("DELETE", "/api/v1/access/user/1/identifier/"+ids, tok, "").bwant(404, `{"error":"Identifier is not attached to this user"}`)
	e.do("DELETE", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(200, bodyEmpty)
	e.do("GET", "/api/v1/access/identifiers/item/"+ids, tok, "").bwant(404, `{"error":"Identifier not found"}`)
	// The card number is free again.
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"8065495"}`).bwant(200, "")
}

// An identifier shows its user's first apartment with its logical address;
// without one (or without a user) uid -1 and no address.
func TestBasipIdentifierApartment(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":1,"has_dublicates":false}`)
	e.do("POST", "/api/v1/access/user", tok, strings.Replace(userAda, "Ada", "Bob", 1)).bwant(200, "")
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"unit":2,"floor":3,"room":12},"apartment_name":"12A"}`).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":2},"apartment_name":"B"}`).bwant(200, `{"uid":2}`)
	e.do("POST", "/api/v1/apartment/item/2/user/1", tok, "").bwant(200, bodyEmpty)
	e.do("POST", "/api/v1/apartment/item/1/user/1", tok, "").bwant(200, bodyEmpty)
	card := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"8065495","user_uid":1}`).bwant(200, "").num("uid")
	cs := strconv.FormatUint(card, 10)
	apt := func(id string) string {
		t.Helper()
		r := e.do("GET", "/api/v1/access/identifiers/item/"+id, tok, "").bwant(200, "")
		var v struct{ Apartment json.RawMessage }
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		return string(v.Apartment)
	}
	// The first apartment the user was added to (2), not the lowest uid.
	if got := apt(cs); got != `{"uid":2,"link_id":null,"logical_address":{"building":2,"unit":0,"floor":0,"room":0}}` {
		t.Fatalf("apartment %s", got)
	}
	e.do("DELETE", "/api/v1/apartment/item/2", tok, "").bwant(200, bodyEmpty)
	if got := apt(cs); got != `{"uid":1,"link_id":null,"logical_address":{"building":1,"unit":2,"floor":3,"room":12}}` {
		t.Fatalf("apartment after delete %s", got)
	}
	// The user's identifiers show it too.
	u := e.do("GET", "/api/v1/access/users/item/1", tok, "").bwant(200, "").json()
	if a := u["identifiers"].([]any)[0].(map[string]any)["apartment"]; fmt.Sprint(a) != "map[link_id:<nil> logical_address:map[building:1 floor:3 room:12 unit:2] uid:1]" {
		t.Fatalf("user's identifier apartment %v", a)
	}
	// Bob has no apartment; an unattached identifier has no user.
	pin := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"1234","user_uid":2}`).bwant(200, "").num("uid")
	free := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"ukey","identifier_number":"77"}`).bwant(200, "").num("uid")
	for _, id := range []uint64{pin, free} {
		if got := apt(strconv.FormatUint(id, 10)); got != `{"uid":-1,"link_id":null}` {
			t.Fatalf("identifier %d: apartment %s", id, got)
		}
	}
	// List items show it too.
	l := e.do("GET", "/api/v1/access/identifiers/list", tok, "").bwant(200, "").json()["list_items"].([]any)
	var uids []string
	for _, it := range l {
		uids = append(uids, fmt.Sprint(it.(map[string]any)["apartment"].(map[string]any)["uid"]))
	}
	if strings.Join(uids, ",") != "1,-1,-1" {
		t.Fatalf("list apartments %v", uids)
	}
}

func TestBasipTimeProfiles(t *testing.T) {
	e := newEnv(t, utc)
	tok := e.basipLogin("admin", adminPW)
	// 2026-03-02 is a Monday; 08:00-18:00 UTC (the test server's zone is
	// time.Local; pin it to UTC).
	mon8 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).Unix()
	mon18 := time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC).Unix()
	end := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC).Unix()
	work := fmt.Sprintf(`{"name":"Work week","time_options":{"is_all_day":false,"date_from":%d,"date_to":%d},
		"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"},"repeat_end":{"format":"date","date":%d},
		"repeat_custom":{"repeat_point_type":"week","repeat_looper":1,"repeat_options":["MON","TUE","WED","THU","FRI"]}},"identifiers":{"count":0,"uid_items":[]}}`, mon8, mon18, end)
	id := e.do("POST", "/api/v1/access/timeprofile", tok, work).bwant(200, "").num("uid")
	ids := strconv.FormatUint(id, 10)
	n := e.do("GET", "/api/v1/time-profiles/"+ids, e.admin, "").want(200).json()
	if fmt.Sprint(n["intervals"]) != "[map[days:[1 2 3 4 5] end:18:00 start:08:00]]" || n["date_from"] != "2026-03-02" || n["date_to"] != "2026-06-30" {
		t.Fatalf("native profile %v", n)
	}
	// The engine reads it as the native API wrote it.
	p, _ := e.st.GetTimeProfile(id)
	sch, err := access.CompileProfile(&p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), true},   // Tuesday
		{time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), false},  // Saturday
		{time.Date(2026, 3, 3, 19, 0, 0, 0, time.UTC), false}, // after hours
		{time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), false},  // after the end date
	} {
		if got := sch.Open(tc.at, time.UTC); got != tc.open {
			t.Errorf("open at %v = %v, want %v", tc.at, got, tc.open)
		}
	}
	// GET shows it in BAS-IP's shape, round trip.
	e.do("GET", "/api/v1/access/timeprofiles/item/"+ids, tok, "").bwant(200,
		fmt.Sprintf(`{"uid":%d,"name":"Work week","time_options":{"is_all_day":false,"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"},"repeat_end":{"format":"date","date":%d},"repeat_custom":{"repeat_point_type":"week","repeat_looper":1,"repeat_options":["MON","TUE","WED","THU","FRI"]}},"identifiers":{"count":0,"uid_items":[]}}`,
			id, mon8, mon18, time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC).Unix()))

	// Every day, all day, never ending; a night shift wrapping midnight.
	daily := fmt.Sprintf(`{"name":"Always","time_options":{"is_all_day":true,"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"day"},"repeat_end":{"format":"never"}}}`, mon8, mon8)
	d := e.do("POST", "/api/v1/access/timeprofile", tok, daily).bwant(200, "").num("uid")
	if n := e.do("GET", "/api/v1/time-profiles/"+strconv.FormatUint(d, 10), e.admin, "").want(200).json(); fmt.Sprint(n["intervals"]) != "[map[days:[0 1 2 3 4 5 6] end:24:00 start:00:00]]" || n["date_to"] != nil {
		t.Fatalf("daily %v", n)
	}
	night := fmt.Sprintf(`{"name":"Night","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"week"}}}`,
		time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC).Unix(), time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC).Unix())
	ni := e.do("POST", "/api/v1/access/timeprofile", tok, night).bwant(200, "").num("uid")
	if n := e.do("GET", "/api/v1/time-profiles/"+strconv.FormatUint(ni, 10), e.admin, "").want(200).json(); fmt.Sprint(n["intervals"]) != "[map[days:[1] end:06:00 start:22:00]]" {
		t.Fatalf("night %v", n)
	}
	// No repeat: one occurrence.
	once := fmt.Sprintf(`{"name":"Once","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":false}}`, mon8, mon18)
	o := e.do("POST", "/api/v1/access/timeprofile", tok, once).bwant(200, "").num("uid")
	if n := e.do("GET", "/api/v1/time-profiles/"+strconv.FormatUint(o, 10), e.admin, "").want(200).json(); n["date_from"] != "2026-03-02" || n["date_to"] != "2026-03-02" {
		t.Fatalf("once %v", n)
	}

	custom := func(rc string) string {
		return fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"},"repeat_custom":%s}}`, mon8, mon18, rc)
	}
	// custom every week on weekdays maps.
	cw := e.do("POST", "/api/v1/access/timeprofile", tok, custom(`{"repeat_point_type":"week","repeat_looper":1,"repeat_options":["SAT","SUN"]}`)).bwant(200, "").num("uid")
	if n := e.do("GET", "/api/v1/time-profiles/"+strconv.FormatUint(cw, 10), e.admin, "").want(200).json(); fmt.Sprint(n["intervals"]) != "[map[days:[0 6] end:18:00 start:08:00]]" {
		t.Fatalf("custom weekend %v", n)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"name":"x"}`, "{\"error\":\"Wrong JSON body: no value for `time_options`\"}"},
		{`{"time_options":{"date_from":1,"date_to":2}}`, "{\"error\":\"Wrong JSON body: no value for `name`\"}"},
		{`{"name":"x","time_options":{"date_from":"monday","date_to":2}}`, "{\"error\":\"Wrong JSON body: value `date_from` was of the wrong type\"}"},
		{fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d}}`, mon18, mon8), `{"error":"time_options.date_to must not be before date_from"}`},
		{fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d}}`, mon8, mon8+30*3600), `{"error":"time_options: an occurrence longer than 24 hours needs is_all_day"}`},
		{fmt.Sprintf(`{"name":"x","time_options":{"date_from":%d,"date_to":%d},"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"hourly"}}}`, mon8, mon18), `{"error":"repeat_type must be day, week, twoWeeks, month, year or custom"}`},
	} {
		e.do("POST", "/api/v1/access/timeprofile", tok, tc.body).bwant(400, tc.want)
	}

	// Attach to a user; list; PATCH; delete refused while it is someone's only profile.
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, "")
	e.do("POST", "/api/v1/access/user/1/timeprofile/"+ids, tok, "").bwant(200, bodyEmpty)
	e.do("POST", "/api/v1/access/user/1/timeprofile/999", tok, "").bwant(404, `{"error":"Time profile not found"}`)
	if u := e.do("GET", "/api/v1/users/1", e.admin, "").want(200).json(); fmt.Sprint(u["time_profiles"]) != "["+ids+"]" {
		t.Fatalf("native time_profiles %v", u["time_profiles"])
	}
	if u := e.do("GET", "/api/v1/access/users/item/1", tok, "").bwant(200, "").json(); fmt.Sprint(u["time_profiles"]) != "map[count:1 uid_items:["+ids+"]]" {
		t.Fatalf("BAS-IP user time_profiles %v", u["time_profiles"])
	}
	l := e.do("GET", "/api/v1/access/timeprofiles/list?sort_field=name", tok, "").bwant(200, "").json()
	var names []string
	for _, it := range l["list_items"].([]any) {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "Always,Night,Once,Work week,x" {
		t.Fatalf("profiles %v", names)
	}
	e.do("PATCH", "/api/v1/access/timeprofiles/item/"+ids, tok, strings.Replace(work, "Work week", "Office", 1)).bwant(200, "")
	e.do("DELETE", "/api/v1/access/timeprofiles/item/"+ids, tok, "").bwant(400, "")
	e.do("DELETE", "/api/v1/access/user/1/timeprofile/"+ids, tok, "").bwant(200, bodyEmpty)
	e.do("DELETE", "/api/v1/access/timeprofiles/item/"+ids, tok, "").bwant(200, bodyEmpty)
	e.do("GET", "/api/v1/access/timeprofiles/item/"+ids, tok, "").bwant(404, `{"error":"Time profile not found"}`)
}

func TestBasipApartments(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, "")
	apt := `{"apartment_address":{"building":1,"unit":2,"floor":3,"room":12},"apartment_name":"12A"}`
	e.do("POST", "/api/v1/apartment", tok, apt).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/apartment", tok, apt).bwant(400, bodyDupApt)
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"unit":2,"floor":3,"room":12}}`).bwant(400, bodyDupApt)
	for _, tc := range []struct{ body, want string }{
		{``, bodyWrongB},
		{`{"apartment_name":"x"}`, "{\"error\":\"Wrong JSON body: no value for `apartment_address`\"}"},
		{`{"apartment_address":{"unit":1}}`, "{\"error\":\"Wrong JSON body: no value for `building`\"}"},
		{`{"apartment_address":{"building":"1"}}`, "{\"error\":\"Wrong JSON body: value `building` was of the wrong type\"}"},
		{`{"apartment_address":{"building":10000}}`, `{"error":"apartment_address.building must be 1 to 9999"}`},
		{`{"apartment_address":{"building":1,"floor":99}}`, `{"error":"apartment_address.floor must be 0 to 98"}`},
	} {
		e.do("POST", "/api/v1/apartment", tok, tc.body).bwant(400, tc.want)
	}
	e.do("POST", "/api/v1/apartment/item/1/user/1", tok, "").bwant(200, bodyEmpty)
	e.do("POST", "/api/v1/apartment/item/7/user/1", tok, "").bwant(404, `{"error":"Apartment not found"}`)
	e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(200,
		`{"uid":1,"apartment_address":{"building":1,"unit":2,"floor":3,"room":12},"apartment_name":"12A","residents":{"count":1,"users":[1]},"identifiers":{"physicals":{"count":0,"uid_items":[]},"input_numbers":{"count":0,"uid_items":[]}}}`)
	if a := e.do("GET", "/api/v1/apartments/1", e.admin, "").want(200).json(); a["name"] != "12A" || a["residents"].(map[string]any)["count"] != 1.0 {
		t.Fatalf("native apartment %v", a)
	}
	if u := e.do("GET", "/api/v1/access/users/item/1", tok, "").bwant(200, "").json(); fmt.Sprint(u["apartments"]) != "map[count:1 uid_items:[1]]" {
		t.Fatalf("BAS-IP user apartments %v", u["apartments"])
	}
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":2},"apartment_name":"B"}`).bwant(200, `{"uid":2}`)
	l := e.do("GET", "/api/v1/apartment/list?sort_field=apartment_name&sort_type=desc&limit=1", tok, "").bwant(200, "").json()
	if it := l["list_items"].([]any); len(it) != 1 || it[0].(map[string]any)["apartment_name"] != "B" {
		t.Fatalf("apartment list %v", l)
	}
	e.do("PATCH", "/api/v1/apartment/item/2", tok, `{"apartment_address":{"building":1,"unit":2,"floor":3,"room":12}}`).bwant(400, bodyDupApt)
	// List items leave the identifiers out.
	if it := l["list_items"].([]any)[0].(map[string]any); it["identifiers"] != nil {
		t.Fatalf("listed apartment %v", it)
	}
	e.do("DELETE", "/api/v1/apartment/item/1/user/1", tok, "").bwant(200, bodyEmpty)
	e.do("DELETE", "/api/v1/apartment/item/1", tok, "").bwant(200, bodyEmpty)
	e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(404, `{"error":"Apartment not found"}`)
}

// An apartment's detail shows its residents' identifiers as BAS-IP groups
// them: physicals (card, ukey, face_id) and input_numbers (PINs), by the
// uids BAS-IP clients know them by.
func TestBasipApartmentIdentifiers(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/user", tok, userAda).bwant(200, `{"item_uid":1,"has_dublicates":false}`)
	e.do("POST", "/api/v1/access/user", tok, strings.Replace(userAda, "Ada", "Bob", 1)).bwant(200, "")
	e.do("POST", "/api/v1/access/user", tok, strings.Replace(userAda, "Ada", "Cy", 1)).bwant(200, "")
	e.do("POST", "/api/v1/apartment", tok, `{"apartment_address":{"building":1,"room":7},"apartment_name":"7"}`).bwant(200, `{"uid":1}`)
	e.do("POST", "/api/v1/apartment/item/1/user/1", tok, "").bwant(200, bodyEmpty)
	e.do("POST", "/api/v1/apartment/item/1/user/2", tok, "").bwant(200, bodyEmpty)
	mk := func(body string) string {
		t.Helper()
		return strconv.FormatUint(e.do("POST", "/api/v1/access/identifier", tok, body).bwant(200, "").num("uid"), 10)
	}
	// A card created unattached and then attached keeps its uid.
	card := mk(`{"identifier_type":"card","identifier_number":"8065495"}`)
	e.do("POST", "/api/v1/access/user/1/identifier/"+card, tok, "").bwant(200, bodyEmpty)
	cardID, _ := strconv.ParseUint(card, 10, 64)
	if c, err := e.st.GetCredential(cardID); err != nil || c.UserUID != 1 {
		t.Fatalf("the attached card: %+v %v, want its own id under user 1", c, err)
	}
	pin := mk(`{"identifier_type":"inputCode","identifier_number":"0042","user_uid":1}`)
	ukey := mk(`{"identifier_type":"ukey","identifier_number":"99","user_uid":2}`)
	face := mk(`{"identifier_type":"face_id","identifier_number":"ZmFjZQ==","user_uid":2}`)
	pin2 := mk(`{"identifier_type":"inputCode","identifier_number":"123456","user_uid":2}`)
	mk(`{"identifier_type":"license_plate","identifier_number":"AB123","user_uid":2}`) // neither
	mk(`{"identifier_type":"card","identifier_number":"5","user_uid":3}`)              // not a resident
	mk(`{"identifier_type":"card","identifier_number":"6"}`)                           // no user
	want := `"identifiers":{"physicals":{"count":3,"uid_items":[` + card + `,` + ukey + `,` + face + `]},"input_numbers":{"count":2,"uid_items":[` + pin + `,` + pin2 + `]}}}`
	if r := e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(200, ""); !strings.HasSuffix(string(r.body), `"residents":{"count":2,"users":[1,2]},`+want) {
		t.Fatalf("apartment\n  %s\nwant the suffix\n  %s", r.body, want)
	}
	// PATCH answers the detail too.
	if r := e.do("PATCH", "/api/v1/apartment/item/1", tok, `{"apartment_address":{"building":1,"room":8},"apartment_name":"8"}`).bwant(200, ""); !strings.HasSuffix(string(r.body), want) {
		t.Fatalf("PATCH answer %s", r.body)
	}
	// A resident leaves: its identifiers go with it.
	e.do("DELETE", "/api/v1/apartment/item/1/user/2", tok, "").bwant(200, bodyEmpty)
	if r := e.do("GET", "/api/v1/apartment/item/1", tok, "").bwant(200, ""); !strings.HasSuffix(string(r.body),
		`"identifiers":{"physicals":{"count":1,"uid_items":[`+card+`]},"input_numbers":{"count":1,"uid_items":[`+pin+`]}}}`) {
		t.Fatalf("after Bob left %s", r.body)
	}
}

func TestBasipRemoteOpenAndLogs(t *testing.T) {
	e, fd, l := newDoorsEventsEnv(t)

	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.basipLogin("vic", "viewer password 1")
	tok := e.basipLogin("admin", adminPW)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/1", view, "").bwant(403, bodyAdmin)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/1", tok, "").bwant(200, bodyEmpty)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/0", tok, "").bwant(200, bodyEmpty)
	// Lock numbers go up to 8 (camdroid-panels 1.1.0); one no door has is
	// not found, one BAS-IP does not have is refused.
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/3", tok, "").bwant(404, `{"error":"Lock not found"}`)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/9", tok, "").bwant(400, `{"error":"Only 0, 1..8 indexes available for the lock number"}`)
	if fmt.Sprint(fd.opens) != "[1 by admin 1 by admin 2 by admin]" {
		t.Fatalf("opens %v", fd.opens)
	}

	// The log, in BAS-IP's names. (The fake runtime logs nothing: the
	// daemon's runtime writes remote_open; write what it would.)
	e.do("GET", "/api/v1/login?username=admin&password=00", "", "").bwant(401, "")
	t0 := e.clock()
	for i, ev := range []store.Event{
		{Type: "access_granted", Door: "1", Reader: "1", UserUID: 1, CredentialType: "card", Credential: store.MaskCredential("card", "8065495")},
		{Type: "access_denied", Door: "2", Reason: "unknown_credential", CredentialType: "card"},
		{Type: "access_denied", Door: "2", Reason: "door_not_permitted", UserUID: 1, CredentialType: "pin"},
		{Type: "rex", Door: "1"},
		{Type: "door_held", Door: "1"},
		{Type: "door_opened", Door: "2"},
		{Type: "tamper", Door: "1"},
		{Type: "remote_open", Door: "1", Operator: "admin"},
		{Type: "door_forced", Door: "2"},
	} {
		ev.At = t0.Add(time.Duration(i+1) * time.Minute)
		l.Append(ev)
	}
	l.Flush()
	r := e.do("GET", "/api/v1/log/list?limit=50", view, "").bwant(200, "").json()
	var evs []string
	for _, it := range r["list_items"].([]any) {
		evs = append(evs, it.(map[string]any)["event"].(string))
	}
	want := "door_forced,access_granted_by_api_call,tamper_event,door_sensor_was_opened,door_was_not_closed_too_long," +
		"lock_was_opened_by_exit_btn,access_denied_by_not_valid_identifier,access_denied_unknown_identifier," +
		"access_granted_by_valid_identifier,incorrect_login_api_call,successful_login_api_call,successful_login_api_call"
	if got := strings.Join(evs, ","); got != want {
		t.Fatalf("log events\n  %s\nwant\n  %s", got, want)
	}
	first := r["list_items"].([]any)[8].(map[string]any)
	if first["timestamp"] != float64(t0.Add(time.Minute).Unix()) || first["info"].(map[string]any)["lock_number"] != 1.0 ||
		first["info"].(map[string]any)["identifier_number"] != store.MaskCredential("card", "8065495") {
		t.Fatalf("grant entry %v", first)
	}
	// from/to in unix seconds, filter by BAS-IP names, paging.
	q := fmt.Sprintf("/api/v1/log/list?from=%d&to=%d&limit=2&page_number=2&sort_type=asc", t0.Add(time.Minute).Unix(), t0.Add(8*time.Minute).Unix())
	r = e.do("GET", q, view, "").bwant(200, "").json()
	if it := r["list_items"].([]any); len(it) != 2 || it[0].(map[string]any)["event"] != "access_denied_by_not_valid_identifier" ||
		r["list_option"].(map[string]any)["pagination"].(map[string]any)["total_items"] != 7.0 {
		t.Fatalf("window %v", r)
	}
	// The same window in milliseconds (the v0 API's 13-digit examples,
	// multi-apartment panels 1.x log_list) answers the same page, also at
	// the v0 path.
	for _, path := range []string{"/api/v1/log/list", "/api/v0/log/list"} {
		qms := fmt.Sprintf("%s?from=%d&to=%d&limit=2&page_number=2&sort_type=asc", path, t0.Add(time.Minute).UnixMilli(), t0.Add(8*time.Minute).UnixMilli())
		rms := e.do("GET", qms, view, "").bwant(200, "").json()
		if fmt.Sprint(rms["list_items"]) != fmt.Sprint(r["list_items"]) || fmt.Sprint(rms["list_option"]) != fmt.Sprint(r["list_option"]) {
			t.Fatalf("%s: from/to in milliseconds answered\n  %v\nwant the seconds answer\n  %v", qms, rms, r)
		}
	}
	r = e.do("GET", "/api/v1/log/list?filter=access_denied_unknown_identifier,tamper_event", view, "").bwant(200, "").json()
	if it := r["list_items"].([]any); len(it) != 2 || it[0].(map[string]any)["event"] != "tamper_event" {
		t.Fatalf("filtered %v", r)
	}
	e.do("GET", "/api/v1/log/list?from=x", view, "").bwant(400, "{\"error\":\"Wrong query parameter `from`: unix time in seconds or milliseconds\"}")
}
