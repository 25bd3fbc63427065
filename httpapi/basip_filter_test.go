package httpapi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// String shows a parsed filter as an S-expression, for the tests.
func (n *fnode) String() string {
	switch n.kind {
	case nAnd:
		return "(and " + n.l.String() + " " + n.r.String() + ")"
	case nOr:
		return "(or " + n.l.String() + " " + n.r.String() + ")"
	case nNot:
		return "(not " + n.l.String() + ")"
	}
	op := [...]string{"eq", "nq", "gt", "lt", "ge", "le"}[n.op]
	switch n.val.kind {
	case fText:
		return "(" + op + " " + n.field + " " + strconv.Quote(n.val.s) + ")"
	case fBool:
		return "(" + op + " " + n.field + " " + strconv.FormatBool(n.val.n == 1) + ")"
	}
	return "(" + op + " " + n.field + " " + strconv.FormatInt(n.val.n, 10) + ")"
}

var testFilterFields = newFilterFields(
	filterField{name: "name", kind: fText, aliases: []string{"owner.name"}},
	filterField{name: "building", kind: fNumber},
	filterField{name: "floor", kind: fNumber},
	filterField{name: "flag", kind: fBool},
)

func mustFilter(t *testing.T, s string) *filterExpr {
	t.Helper()
	x, err := parseFilter(s, testFilterFields)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	if x == nil {
		t.Fatalf("%q: not an expression", s)
	}
	return x
}

func TestFilterParse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"name eq 'Sherlock Holmes'", `(eq name "Sherlock Holmes")`},
		// Precedence: not > and > or; and and or group to the left.
		{"name eq 'a' or name eq 'b' and floor gt 10", `(or (eq name "a") (and (eq name "b") (gt floor 10)))`},
		{"name eq 'a' and name eq 'b' or floor gt 10", `(or (and (eq name "a") (eq name "b")) (gt floor 10))`},
		{"not name eq 'a' and floor lt 2", `(and (not (eq name "a")) (lt floor 2))`},
		{"not not flag eq true", `(not (not (eq flag true)))`},
		{"floor ge 1 and floor le 2 and floor nq 3", `(and (and (ge floor 1) (le floor 2)) (nq floor 3))`},
		{"floor eq 1 or floor eq 2 or floor eq 3", `(or (or (eq floor 1) (eq floor 2)) (eq floor 3))`},
		// Parentheses.
		{"(name eq 'Sherlock Holmes' or building eq 221) and floor gt 10", `(and (or (eq name "Sherlock Holmes") (eq building 221)) (gt floor 10))`},
		{"not (floor eq 1 or floor eq 2)", `(not (or (eq floor 1) (eq floor 2)))`},
		{"((floor eq 1))", `(eq floor 1)`},
		{"(floor eq 1)and(floor eq 2)", `(and (eq floor 1) (eq floor 2))`},
		// Strings: '' is a quote; backslash is an ordinary character.
		{"name eq 'it''s'", `(eq name "it's")`},
		{"name eq ''", `(eq name "")`},
		{"name eq ''''", `(eq name "'")`},
		{`name eq 'a\b'`, `(eq name "a\\b")`},
		{"name eq 'Åsa ( or ) eq'", `(eq name "Åsa ( or ) eq")`},
		{"name eq'x'", `(eq name "x")`},
		// Numbers: integers, negative too.
		{"floor gt -1", `(gt floor -1)`},
		{"floor eq 0", `(eq floor 0)`},
		{"floor eq 9223372036854775807", `(eq floor 9223372036854775807)`},
		{"floor eq -9223372036854775808", `(eq floor -9223372036854775808)`},
		{"flag nq false", `(nq flag false)`},
		// Aliases resolve to the field's own name; whitespace is free.
		{"  owner.name\teq 'x'  ", `(eq name "x")`},
	} {
		if got := mustFilter(t, c.in).root.String(); got != c.want {
			t.Errorf("%q:\n  %s\nwant\n  %s", c.in, got, c.want)
		}
	}
}

// TestFilterLegacy: a filter without a compare operator word keeps its
// older meaning.
func TestFilterLegacy(t *testing.T) {
	for in, want := range map[string]bool{
		"":                       false,
		"e":                      false,
		"Sherlock":               false,
		"equal":                  false,
		"EQ":                     false, // keywords are lowercase
		"name EQ 'x'":            false,
		"'eq'":                   false,
		"O'Brien le":             false, // the quote runs to the end
		"tamper_event,door_held": false,
		"a-eq-b":                 false,
		"name eq 'x'":            true,
		"jean le":                true,
		"name eq'x'":             true,
		"(floor eq 1)":           true,
		"x ge":                   true,
		"'a' nq 'b'":             true,
	} {
		if got := isFilterExpr(in); got != want {
			t.Errorf("isFilterExpr(%q) = %v, want %v", in, got, want)
		}
		if x, err := parseFilter(in, testFilterFields); !want && (x != nil || err != nil) {
			t.Errorf("parseFilter(%q) = %v, %v; want nil, nil", in, x, err)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	const pre = "Wrong query parameter `filter`: "
	for _, c := range []struct{ in, want string }{
		// Lexical.
		{"name eq 'abc", "unterminated string at character 9"},
		{"name eq 'it''s", "unterminated string at character 9"},
		{`name eq "x"`, "unexpected character `\"` (quote strings with ') at character 9"},
		{"name eq 'x' # 1", "unexpected character `#` at character 13"},
		{"floor eq 1.5", "`1.5` is not an integer at character 10"},
		{"floor eq 10abc", "`10abc` is not an integer at character 10"},
		{"floor eq -", "`-` is not an integer at character 10"},
		{"floor eq 9223372036854775808", "`9223372036854775808` is out of range at character 10"},
		{"floor-x eq 1", "`floor-x` is not a field name at character 1"},
		// Fields and operators.
		{"flor eq 1", "unknown field `flor` (fields: name, building, floor, flag) at character 1"},
		{"Name eq 'x'", "unknown field `Name` (fields: name, building, floor, flag) at character 1"},
		{"eq eq 1", "expected a field name or `(`, found `eq` at character 1"},
		{"and floor eq 1", "expected a field name or `(`, found `and` at character 1"},
		{"'x' eq name", "expected a field name or `(`, found `'x'` at character 1"},
		{"5 eq floor", "expected a field name or `(`, found `5` at character 1"},
		{"floor eq 1 and", "expected a field name or `(`, found the end at character 15"},
		{"() or floor eq 1", "expected a field name or `(`, found `)` at character 2"},
		{"floor is 1 or floor eq 1", "expected eq, nq, gt, lt, ge or le after `floor`, found `is` at character 7"},
		{"floor ne 1 or floor eq 1", "expected eq, nq, gt, lt, ge or le after `floor`, found `ne` at character 7"},
		{"floor (eq 1)", "expected eq, nq, gt, lt, ge or le after `floor`, found `(` at character 7"},
		{"floor eq", "expected a value ('text', an integer, true or false) after `eq`, found the end at character 9"},
		{"floor eq name", "expected a value ('text', an integer, true or false) after `eq`, found `name` at character 10"},
		{"floor eq TRUE", "expected a value ('text', an integer, true or false) after `eq`, found `TRUE` at character 10"},
		// Types.
		{"name gt 5", "`name` is text and `5` is not (quote it: '5') at character 9"},
		{"name eq true", "`name` is text and `true` is not (quote it: 'true') at character 9"},
		{"building eq '221'", "`building` is a number and `'221'` is not (write an integer, unquoted) at character 13"},
		{"building eq false", "`building` is a number and `false` is not (write an integer, unquoted) at character 13"},
		{"flag eq 1", "`flag` is true or false and `1` is neither at character 9"},
		{"flag eq 'true'", "`flag` is true or false and `'true'` is neither at character 9"},
		{"flag gt false", "`flag` is true or false: compare it with eq or nq, not `gt` at character 6"},
		// Structure.
		{"(floor eq 1", "missing `)` for the `(` at character 1"},
		{"((floor eq 1) and (floor eq 2)", "missing `)` for the `(` at character 1"},
		{"floor eq 1)", "`)` without its `(` at character 11"},
		{"(floor eq 1 floor eq 2)", "expected `and`, `or` or `)`, found `floor` at character 13"},
		{"floor eq 1 floor eq 2", "expected `and`, `or` or the end, found `floor` at character 12"},
		{"floor eq 1 not floor eq 2", "expected `and`, `or` or the end, found `not` at character 12"},
		{"name eq 'a' 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz' eq", "expected `and`, `or` or the end, found `'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu…` at character 13"},
		// Limits.
		{strings.Repeat("(", 33) + "floor eq 1" + strings.Repeat(")", 33), "parentheses and `not` nested deeper than 32 at character 33"},
		{strings.Repeat("not ", 33) + "floor eq 1", "parentheses and `not` nested deeper than 32 at character 129"},
		{strings.TrimSuffix(strings.Repeat("floor eq 1 or ", 129), " or "), "more than 128 comparisons at character 1793"},
	} {
		x, err := parseFilter(c.in, testFilterFields)
		be, ok := err.(*basipError)
		if !ok || be.status != 400 || be.msg != pre+c.want {
			t.Errorf("%q: %v, %v\nwant 400 %s%s", c.in, x, err, pre, c.want)
		}
	}
	// At the limits exactly: fine.
	mustFilter(t, strings.Repeat("(", 32)+"floor eq 1"+strings.Repeat(")", 32))
	mustFilter(t, strings.TrimSuffix(strings.Repeat("floor eq 1 or ", 128), " or "))
}

// getter is a field accessor over a map; a missing field is unknown.
func getter(m map[string]fval) fieldGetter {
	return func(f string) (fval, bool) {
		v, ok := m[f]
		return v, ok
	}
}

func TestFilterEval(t *testing.T) {
	item := getter(map[string]fval{
		"name": ftext("Sherlock Holmes"), "building": fnum(221), "floor": fnum(-2), "flag": fbool(true),
	})
	for in, want := range map[string]bool{
		"name eq 'Sherlock Holmes'": true,
		"name eq 'sherlock HOLMES'": true,  // case-insensitive
		"name eq 'Sherlock'":        false, // equality, not a substring
		"name nq 'sherlock holmes'": false,
		"name nq 'Watson'":          true,
		"name gt 'sherlock'":        true, // lexically, lower-cased
		"name lt 'T'":               true,
		"name ge 'SHERLOCK HOLMES'": true,
		"name le 'sherlock holmer'": false,
		"building eq 221":           true,
		"building gt 99":            true, // numerically: "221" < "99" as text
		"building lt 1000":          true,
		"building ge 221":           true,
		"building le 220":           false,
		"floor lt 0":                true,
		"floor eq -2":               true,
		"flag eq true":              true,
		"flag eq false":             false,
		"flag nq false":             true,
		"(name eq 'Sherlock Holmes' or building eq 221) and floor gt 10": false,
		"name eq 'Watson' or building eq 221 and floor lt 0":             true,
		"(name eq 'Watson' or building eq 221) and floor lt 0":           true,
		"name eq 'Watson' or building eq 1 and floor lt 0":               false,
		"not name eq 'Watson'":                                           true,
		"not (building eq 221 and flag eq true)":                         false,
		"not building eq 221 or flag eq true":                            true,
	} {
		if got := mustFilter(t, in).match(item); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
	// A field the accessor does not know (yet) is unknown, and so is what
	// depends on it; and and or decide without it when they can.
	partial := getter(map[string]fval{"floor": fnum(3)})
	for in, want := range map[string]tri{
		"name eq 'x'":                                 tUnknown,
		"not name eq 'x'":                             tUnknown,
		"name eq 'x' and floor eq 3":                  tUnknown,
		"name eq 'x' and floor eq 4":                  tFalse,
		"floor eq 4 and name eq 'x'":                  tFalse,
		"name eq 'x' or floor eq 3":                   tTrue,
		"name eq 'x' or floor eq 4":                   tUnknown,
		"not (name eq 'x' or floor eq 3)":             tFalse,
		"floor eq 3 and (flag eq true or floor gt 1)": tTrue,
	} {
		if got := mustFilter(t, in).root.eval(partial); got != want {
			t.Errorf("%q with name unknown: %v, want %v", in, got, want)
		}
	}
	// Evaluation allocates nothing.
	x := mustFilter(t, "(name eq 'Sherlock Holmes' or building eq 221) and not floor gt 10 and flag eq true")
	u := store.User{Name: "Ada", Info: "flat 12", Locks: store.LocksFirst}
	match, err := basipUserFilter("name eq 'ada' and lock_number eq 1 and not info eq ''")
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if !x.match(item) || !match(&u) {
			t.Fatal("no match")
		}
	}); n != 0 {
		t.Fatalf("%v allocations per evaluation", n)
	}
}

func TestCmpFold(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "a", -1}, {"ABC", "abc", 0}, {"abc", "abd", -1},
		{"Zed", "alpha", 1}, {"ab", "abc", -1}, {"ÅSA", "åsa", 0}, {"a", "B", -1},
	} {
		if got := cmpFold(c.a, c.b); got != c.want {
			t.Errorf("cmpFold(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestFilterLogTypes: an expression that pins event with eq reads only
// the native types that can yield it.
func TestFilterLogTypes(t *testing.T) {
	for in, want := range map[string]string{
		"event eq 'tamper_event'":                                           "[tamper]",
		"event eq 'TAMPER_EVENT'":                                           "[tamper]",
		"event eq 'tamper_event' or event eq 'door_forced'":                 "[tamper door_forced]",
		"event eq 'access_denied_unknown_identifier' and door eq '1'":       "[access_denied]",
		"door eq '1' and (event eq 'tamper_event' or event eq 'door_held')": "[tamper door_held]",
		"event eq 'tamper_event' and event eq 'door_forced'":                "[]", // nothing can match: read all, keep none
		"event eq 'tamper_event' or door eq '1'":                            "[]",
		"not event eq 'tamper_event'":                                       "[]",
		"event nq 'tamper_event'":                                           "[]",
		"tamper_event,door_held":                                            "[tamper door_held]",
		"":                                                                  "[]",
	} {
		lf, err := basipLogFilter(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := fmt.Sprint(lf.types); got != want {
			t.Errorf("%q: types %s, want %s", in, got, want)
		}
	}
	if _, err := basipLogFilter("Tamper Event"); err == nil || err.(*basipError).msg != "Wrong query parameter `filter`: a comma-separated list of event names" {
		t.Fatalf("legacy error: %v", err)
	}
}

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
		return e.do("POST", "/api/v1/access/identifier", tok, body).bwant(200, "").num("item_uid")
	}
	card := mk(`{"identifier_owner":{"name":"Ada"},"identifier_type":"card","identifier_number":"8065495","lock":"first","user_uid":1}`)
	pin := mk(`{"identifier_owner":{"name":"Bob","type":"guest"},"identifier_type":"inputCode","identifier_number":"1234"}`)
	held := mk(`{"identifier_owner":{"name":"Cleo"},"identifier_type":"inputCode","identifier_number":"5678","lock":"second"}`)
	// Attaching moves the credential (a new native id); BAS-IP keeps
	// showing its first uid, and the filter sees that one.
	e.do("POST", fmt.Sprintf("/api/v1/access/user/1/identifier/%d", held), tok, "").bwant(200, bodyEmpty)
	get := func(q string) (string, int) {
		t.Helper()
		return listed(t, e.do("GET", "/api/v1/access/identifiers/list?"+q, tok, "").bwant(200, ""), "identifier_number")
	}
	for f, want := range map[string]string{
		"identifier_number eq '8065495'": "8065495",
		// PINs show as •••• and are not found by their number (no oracle).
		"identifier_number eq '1234' or identifier_number eq '5678'":           "",
		"identifier_type eq 'inputcode'":                                       "••••,••••",
		"lock eq 'all'":                                                        "••••",
		"name eq 'ada'":                                                        "8065495",
		"owner_name eq 'Cleo' or identifier_owner.name eq 'Bob'":               "••••,••••",
		"user_uid eq -1":                                                       "••••",
		"user_uid eq 1 and not identifier_type eq 'card'":                      "••••",
		fmt.Sprintf("identifier_uid eq %d", held):                              "••••",
		fmt.Sprintf("identifier_uid eq %d or identifier_uid eq %d", card, pin): "8065495,••••",
		fmt.Sprintf("identifier_uid le %d and user_uid eq 1", held):            "8065495,••••",
		fmt.Sprintf("identifier_uid gt %d", held):                              "",
		// identifier_uid decided without the settings read.
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
