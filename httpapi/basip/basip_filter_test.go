package basip

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
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
	if n := testing.AllocsPerRun(100, func() {
		if !x.match(item) {
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
