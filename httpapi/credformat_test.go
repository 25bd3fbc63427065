package httpapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// A card entered with its format is bound to it: shown with "format",
// unique per format; a plain number conflicts with a bound card of the
// same number (it would match its frames too).
func TestCredentialCardFormat(t *testing.T) {
	e := newEnv(t)
	a := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "A"}`).want(201).str("id")
	b := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "B"}`).want(201).str("id")
	pathA, pathB := "/api/v1/users/"+a+"/credentials", "/api/v1/users/"+b+"/credentials"

	// H10301 7/77 and 34-bit 7/77: one payload (458829), two cards.
	h := e.do("POST", pathA, e.admin, `{"type":"card","facility":7,"card":77,"format":"26"}`).want(201)
	if h.str("value") != "458829" || h.str("format") != "h10301" {
		t.Fatalf("h10301 card: %s, want value 458829 format h10301", h.body)
	}
	w := e.do("POST", pathB, e.admin, `{"type":"card","value":{"facility":7,"card":77,"format":"34bit"}}`).want(201)
	if w.str("format") != "34bit" {
		t.Fatalf("34-bit card: %s", w.body)
	}
	if got := e.do("GET", "/api/v1/credentials/"+credID(h), e.admin, "").want(200); got.str("format") != "h10301" {
		t.Errorf("GET shows %s, want format h10301", got.body)
	}
	e.do("POST", pathB, e.admin, `{"type":"card","value":"458829","format":"h10301"}`).want(409)
	r := e.do("POST", pathB, e.admin, `{"type":"card","value":"458829"}`).want(409)
	if !slices.Contains(r.fields(), "value") || !strings.Contains(string(r.body), "format") {
		t.Errorf("plain beside bound: %s, want a 409 on value that names the format conflict", r.body)
	}
	// A plain number shows no format.
	p := e.do("POST", pathB, e.admin, `{"type":"card","value":"8065495"}`).want(201)
	if _, ok := p.json()["format"]; ok {
		t.Errorf("plain card shows a format: %s", p.body)
	}
	e.do("POST", pathA, e.admin, `{"type":"card","value":"8065495","format":"h10301"}`).want(409)

	// PATCH binds, rebinds and (with null) unbinds; a facility/card pair
	// without format is read in the card's own format.
	pid := credID(p)
	if got := e.do("PATCH", "/api/v1/credentials/"+pid, e.admin, `{"format":"h10301"}`).want(200); got.str("format") != "h10301" {
		t.Errorf("PATCH format: %s", got.body)
	}
	if got := e.do("PATCH", "/api/v1/credentials/"+pid, e.admin, `{"format":null}`).want(200); got.json()["format"] != nil {
		t.Errorf("PATCH format null: %s", got.body)
	}
	wid := credID(w)
	if got := e.do("PATCH", "/api/v1/credentials/"+wid, e.admin, `{"facility":300,"card":1}`).want(200); got.str("value") != "19660801" || got.str("format") != "34bit" {
		t.Errorf("PATCH facility/card of a 34-bit card: %s, want 300<<16|1 = 19660801 in 34bit", got.body)
	}

	// A facility/card pair in "value" is read in the top-level format:
	// Corporate 1000 has 20 card bits.
	c := e.do("POST", pathA, e.admin, `{"type":"card","value":{"facility":5,"card":9},"format":"c1000"}`).want(201)
	if c.str("value") != "5242889" || c.str("format") != "c1000" {
		t.Errorf("c1000 5/9: %s, want value 5<<20|9 = 5242889", c.body)
	}

	for _, tc := range []struct{ body, field string }{
		{`{"type":"card","value":"458829","format":"weird"}`, "format"},
		{`{"type":"card","value":"16777216","format":"h10301"}`, "value"},
		{`{"type":"pin","value":"1234","format":"h10301"}`, "format"},
		{`{"type":"card","value":{"facility":1,"card":2,"format":"34bit"},"format":"h10301"}`, "format"},
		{`{"type":"card","value":"458829","format":5}`, "format"},
	} {
		r := e.do("POST", pathA, e.admin, tc.body).want(422)
		if !slices.Contains(r.fields(), tc.field) {
			t.Errorf("%s: fields %v, want %q", tc.body, r.fields(), tc.field)
		}
	}
}

// BAS-IP identifiers keep BAS-IP's behaviour: a number is a plain card,
// a duplicate is BAS-IP's 400; a facility/card object may bind a format.
func TestBasipIdentifierCardFormat(t *testing.T) {
	e := newEnv(t)
	tok := e.basipLogin("admin", adminPW)
	id := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":"458829"}`).bwant(200, "").num("uid")
	if c, err := e.st.GetCredential(id); err != nil || c.Format != "" {
		t.Errorf("BAS-IP card = %+v, %v; want a plain number", c, err)
	}
	e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":{"facility":7,"card":77,"format":"h10301"}}`).bwant(400, bodyDupIdent)
	id2 := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"card","identifier_number":{"facility":8,"card":77,"format":"34bit"}}`).bwant(200, "").num("uid")
	if c, err := e.st.GetCredential(id2); err != nil || c.Format != "34bit" || c.Value != "524365" {
		t.Errorf("BAS-IP card with a format = %+v, %v; want 34bit 524365", c, err)
	}
	// A GET→PATCH round trip (the same number, as BAS-IP shows it) keeps
	// the format: BAS-IP cannot show it, and dropping it would widen the
	// card to every format.
	e.do("PATCH", "/api/v1/access/identifiers/item/"+itoa(id2), tok, `{"identifier_number":"524365","lock":"first"}`).bwant(200, "")
	if c, _ := e.st.GetCredential(id2); c.Format != "34bit" {
		t.Errorf("after a round trip of the same number: %+v, want 34bit kept", c)
	}
	// A new number without a format makes the card plain again.
	e.do("PATCH", "/api/v1/access/identifiers/item/"+itoa(id2), tok, `{"identifier_number":"524366"}`).bwant(200, "")
	if c, _ := e.st.GetCredential(id2); c.Format != "" || c.Value != "524366" {
		t.Errorf("after a BAS-IP number change: %+v, want plain 524366", c)
	}
}

// With duress on, a PIN that is another PIN's duress PIN (or whose duress
// PIN is another PIN) is a 409 naming the conflict, never the other PIN
// or its holder; on create and update, native and BAS-IP.
func TestDuressPINConflict(t *testing.T) {
	st := storetest.Open(t, store.Options{DuressOffset: 1})
	e := newEnvStore(t, st, Parts{})
	a := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "Alice"}`).want(201).str("id")
	b := e.do("POST", "/api/v1/users", e.admin, `{"locks": "both", "name": "Bob"}`).want(201).str("id")
	e.do("POST", "/api/v1/users/"+a+"/credentials", e.admin, `{"type":"pin","value":"1234"}`).want(201)
	check := func(what string, r resp, msg string) {
		t.Helper()
		r.want(409)
		body := string(r.body)
		if !slices.Contains(r.fields(), "value") || !strings.Contains(body, msg) {
			t.Errorf("%s: %s, want a 409 on value saying %q", what, body, msg)
		}
		for _, secret := range []string{"1234", "Alice", a} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: answer reveals %q: %s", what, secret, body)
			}
		}
	}
	pathB := "/api/v1/users/" + b + "/credentials"
	check("create another's duress PIN", e.do("POST", pathB, e.admin, `{"type":"pin","value":"1235"}`), store.ReasonDuressOfOther)
	check("create a PIN whose duress PIN is another's", e.do("POST", pathB, e.admin, `{"type":"pin","value":"1233"}`), store.ReasonDuressIsOther)
	own := credID(e.do("POST", pathB, e.admin, `{"type":"pin","value":"9000"}`).want(201))
	check("update to another's duress PIN", e.do("PATCH", "/api/v1/credentials/"+own, e.admin, `{"value":"1235"}`), store.ReasonDuressOfOther)

	tok := e.basipLogin("admin", adminPW)
	r := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"1235"}`)
	if r.status != 409 || !strings.Contains(string(r.body), store.ReasonDuressOfOther) || strings.Contains(string(r.body), "1234") {
		t.Errorf("BAS-IP create: %d %s, want 409 naming the duress conflict", r.status, r.body)
	}
	id := e.do("POST", "/api/v1/access/identifier", tok, `{"identifier_type":"inputCode","identifier_number":"5000"}`).bwant(200, "").num("uid")
	r = e.do("PATCH", "/api/v1/access/identifiers/item/"+itoa(id), tok, `{"identifier_number":"1233"}`)
	if r.status != 409 || !strings.Contains(string(r.body), store.ReasonDuressIsOther) {
		t.Errorf("BAS-IP update: %d %s, want 409 naming the duress conflict", r.status, r.body)
	}
}

// credID is a credential answer's numeric id as a path segment.
func credID(r resp) string {
	r.t.Helper()
	v, ok := r.json()["id"].(float64)
	if !ok {
		r.t.Fatalf("no numeric id in %s", r.body)
	}
	return itoa(uint64(v))
}
