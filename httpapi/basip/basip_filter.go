package basip

// BAS-IP list filter expressions (developers.bas-ip.com, list endpoints'
// `filter`): comparisons of an item's fields joined by and, or, not and
// parentheses:
//
//	(name eq 'Sherlock Holmes' or building eq 221) and floor gt 10
//
// The grammar, as implemented (keywords are lowercase, as BAS-IP writes
// them; whitespace separates words and is otherwise ignored):
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | field op value
//	op      = "eq" | "nq" | "gt" | "lt" | "ge" | "le"
//	value   = string | integer | "true" | "false"
//	string  = "'" { any character but ' | "''" } "'"   ('' is one quote)
//	integer = [ "-" ] digit { digit }                    (64-bit)
//	field   = letter or _ { letter, digit, _ or . }
//
// Precedence is not > and > or. Each list names its fields after its
// items' keys (see the basip*Fields below); a field is text, a number or
// true/false. Text compares case-insensitively (eq, nq; gt, lt, ge, le
// compare the lower-cased texts), numbers numerically, true/false with eq
// and nq only. A value of the other type is an error, as are unknown
// fields and syntax errors: 400 "Wrong query parameter `filter`: … at
// character N" (N counts from 1).
//
// A filter with no standalone compare operator word (eq, nq, gt, lt, ge,
// le outside quotes) is not an expression: it keeps its older meaning, a
// case-insensitive substring (users, identifiers, apartments, profiles) or
// a comma-separated list of event names (the log).
//
// An expression is parsed once per request. The log evaluates it on each
// event it reads (a walk of the tree with a field accessor, allocating
// nothing); the other lists turn it into the list index's predicate
// (lists.go), which answers it from the index's columns.

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/doord/doord/httpapi/core"
)

const (
	filterMaxDepth = 32  // nested parentheses and nots
	filterMaxTerms = 128 // comparisons in one expression
)

// fkind is a field's or a value's type.
type fkind uint8

const (
	fText fkind = iota + 1
	fNumber
	fBool
)

// fval is a value: s for text, n for numbers and true/false (1/0).
type fval struct {
	kind fkind
	s    string
	n    int64
}

func ftext(s string) fval { return fval{kind: fText, s: s} }
func fnum(n int64) fval   { return fval{kind: fNumber, n: n} }
func fbool(b bool) fval {
	if b {
		return fval{kind: fBool, n: 1}
	}
	return fval{kind: fBool}
}

// fieldGetter is a field accessor for one item (the log's items; and a
// comparison tested on one value, fnode.test). ok false means the value
// is not known; a field the list does not have never reaches it (the
// parser refuses it).
type fieldGetter func(field string) (v fval, ok bool)

type fop uint8

const (
	opEq fop = iota
	opNq
	opGt
	opLt
	opGe
	opLe
)

var fops = map[string]fop{"eq": opEq, "nq": opNq, "gt": opGt, "lt": opLt, "ge": opGe, "le": opLe}

type nkind uint8

const (
	nCmp nkind = iota
	nAnd
	nOr
	nNot
)

// fnode is a node of a parsed filter.
type fnode struct {
	kind  nkind
	l, r  *fnode // and, or: both; not: l
	field string // the field's own name, aliases resolved
	op    fop
	val   fval
}

// filterField is one field a list's filter can name; aliases are other
// spellings of it (the dotted path of a nested key, a sort_field name).
type filterField struct {
	name    string
	kind    fkind
	aliases []string
}

// filterFields is the fields of one list.
type filterFields struct {
	byName map[string]*filterField
	names  string // for error messages
}

func newFilterFields(fs ...filterField) *filterFields {
	ff := &filterFields{byName: map[string]*filterField{}}
	names := make([]string, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		names = append(names, f.name)
		ff.byName[f.name] = f
		for _, a := range f.aliases {
			ff.byName[a] = f
		}
	}
	ff.names = strings.Join(names, ", ")
	return ff
}

// filterExpr is a parsed filter expression.
type filterExpr struct {
	root *fnode
}

// isFilterExpr reports whether filter is an expression: whether it has a
// compare operator as a word of its own outside quotes.
func isFilterExpr(filter string) bool {
	word := -1
	inQuote := false
	for i := 0; i <= len(filter); i++ {
		c := byte(' ')
		if i < len(filter) {
			c = filter[i]
		}
		if inQuote {
			if c == '\'' {
				inQuote = false
			}
			continue
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '\'' {
			if word >= 0 {
				if _, ok := fops[filter[word:i]]; ok {
					return true
				}
				word = -1
			}
			inQuote = c == '\''
			continue
		}
		if word < 0 {
			word = i
		}
	}
	return false
}

// filterError is the 400 for a filter expression.
func filterError(msg string, pos int) *basipError {
	return bErr(400, "Wrong query parameter `filter`: "+msg+" at character "+strconv.Itoa(pos))
}

// parseFilter parses filter for a list with fields. It answers nil, nil
// when filter is not an expression (isFilterExpr).
func parseFilter(filter string, fields *filterFields) (*filterExpr, error) {
	if isFilterObject(filter) {
		return parseFilterObject(filter, fields)
	}
	if !isFilterExpr(filter) {
		return nil, nil
	}
	toks, err := lexFilter(filter)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks, fields: fields}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); t.kind {
	case tEnd:
	case tRParen:
		return nil, filterError("`)` without its `(`", t.pos)
	default:
		return nil, filterError("expected `and`, `or` or the end, found "+t.show(), t.pos)
	}
	return &filterExpr{root: root}, nil
}

// --- lexer ---

type tkind uint8

const (
	tEnd tkind = iota
	tLParen
	tRParen
	tWord
	tNum
	tStr
)

type ftok struct {
	kind tkind
	pos  int    // characters from 1
	raw  string // as written
	s    string // tStr: the text; tWord: the word
	n    int64  // tNum
}

// show is the token for an error message.
func (t ftok) show() string {
	if t.kind == tEnd {
		return "the end"
	}
	raw := t.raw
	if utf8.RuneCountInString(raw) > 48 {
		raw = string([]rune(raw)[:48]) + "…"
	}
	return "`" + raw + "`"
}

func isWordRune(r rune) bool {
	return r == '_' || r == '.' || r == '-' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

func lexFilter(filter string) ([]ftok, error) {
	rs := []rune(filter)
	var toks []ftok
	for i := 0; i < len(rs); {
		r, pos := rs[i], i+1
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, ftok{kind: tLParen, pos: pos, raw: "("})
			i++
		case r == ')':
			toks = append(toks, ftok{kind: tRParen, pos: pos, raw: ")"})
			i++
		case r == '\'':
			var b strings.Builder
			j := i + 1
			for ; ; j++ {
				if j >= len(rs) {
					return nil, filterError("unterminated string", pos)
				}
				if rs[j] == '\'' {
					if j+1 < len(rs) && rs[j+1] == '\'' {
						b.WriteRune('\'')
						j++
						continue
					}
					break
				}
				b.WriteRune(rs[j])
			}
			toks = append(toks, ftok{kind: tStr, pos: pos, raw: string(rs[i : j+1]), s: b.String()})
			i = j + 1
		case isWordRune(r):
			j := i
			for j < len(rs) && isWordRune(rs[j]) {
				j++
			}
			w := string(rs[i:j])
			i = j
			if r == '-' || r >= '0' && r <= '9' {
				n, err := strconv.ParseInt(w, 10, 64)
				if errors.Is(err, strconv.ErrRange) {
					return nil, filterError("`"+w+"` is out of range", pos)
				}
				if err != nil {
					return nil, filterError("`"+w+"` is not an integer", pos)
				}
				toks = append(toks, ftok{kind: tNum, pos: pos, raw: w, n: n})
				continue
			}
			if strings.ContainsRune(w, '-') {
				return nil, filterError("`"+w+"` is not a field name", pos)
			}
			toks = append(toks, ftok{kind: tWord, pos: pos, raw: w, s: w})
		case r == '"':
			return nil, filterError("unexpected character `\"` (quote strings with ')", pos)
		default:
			return nil, filterError("unexpected character `"+string(r)+"`", pos)
		}
	}
	return append(toks, ftok{kind: tEnd, pos: len(rs) + 1}), nil
}

// --- parser ---

type fparser struct {
	toks   []ftok
	i      int
	fields *filterFields
	depth  int
	terms  int
}

func (p *fparser) peek() ftok { return p.toks[p.i] }

func (p *fparser) next() ftok {
	t := p.toks[p.i]
	if t.kind != tEnd {
		p.i++
	}
	return t
}

func (p *fparser) keyword(w string) bool {
	if t := p.peek(); t.kind == tWord && t.s == w {
		p.i++
		return true
	}
	return false
}

func (p *fparser) or() (*fnode, error) {
	l, err := p.and()
	for err == nil && p.keyword("or") {
		var r *fnode
		if r, err = p.and(); err == nil {
			l = &fnode{kind: nOr, l: l, r: r}
		}
	}
	return l, err
}

func (p *fparser) and() (*fnode, error) {
	l, err := p.unary()
	for err == nil && p.keyword("and") {
		var r *fnode
		if r, err = p.unary(); err == nil {
			l = &fnode{kind: nAnd, l: l, r: r}
		}
	}
	return l, err
}

func (p *fparser) deeper(pos int) error {
	if p.depth++; p.depth > filterMaxDepth {
		return filterError("parentheses and `not` nested deeper than "+strconv.Itoa(filterMaxDepth), pos)
	}
	return nil
}

func (p *fparser) unary() (*fnode, error) {
	t := p.peek()
	if !p.keyword("not") {
		return p.primary()
	}
	if err := p.deeper(t.pos); err != nil {
		return nil, err
	}
	n, err := p.unary()
	p.depth--
	if err != nil {
		return nil, err
	}
	return &fnode{kind: nNot, l: n}, nil
}

func (p *fparser) primary() (*fnode, error) {
	t := p.next()
	if t.kind == tLParen {
		if err := p.deeper(t.pos); err != nil {
			return nil, err
		}
		n, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		switch c := p.next(); c.kind {
		case tRParen:
			return n, nil
		case tEnd:
			return nil, filterError("missing `)` for the `(`", t.pos)
		default:
			return nil, filterError("expected `and`, `or` or `)`, found "+c.show(), c.pos)
		}
	}
	if _, isOp := fops[t.s]; t.kind != tWord || isOp || t.s == "and" || t.s == "or" || t.s == "not" {
		return nil, filterError("expected a field name or `(`, found "+t.show(), t.pos)
	}
	f, ok := p.fields.byName[t.s]
	if !ok {
		return nil, filterError("unknown field `"+t.s+"` (fields: "+p.fields.names+")", t.pos)
	}
	o := p.next()
	op, ok := fops[o.s]
	if o.kind != tWord || !ok {
		return nil, filterError("expected eq, nq, gt, lt, ge or le after `"+t.s+"`, found "+o.show(), o.pos)
	}
	v := p.next()
	var val fval
	switch {
	case v.kind == tStr:
		val = ftext(v.s)
	case v.kind == tNum:
		val = fnum(v.n)
	case v.kind == tWord && (v.s == "true" || v.s == "false"):
		val = fbool(v.s == "true")
	default:
		return nil, filterError("expected a value ('text', an integer, true or false) after `"+o.s+"`, found "+v.show(), v.pos)
	}
	if val.kind != f.kind {
		switch f.kind {
		case fText:
			return nil, filterError("`"+t.s+"` is text and "+v.show()+" is not (quote it: '"+v.raw+"')", v.pos)
		case fNumber:
			return nil, filterError("`"+t.s+"` is a number and "+v.show()+" is not (write an integer, unquoted)", v.pos)
		default:
			return nil, filterError("`"+t.s+"` is true or false and "+v.show()+" is neither", v.pos)
		}
	}
	if f.kind == fBool && op != opEq && op != opNq {
		return nil, filterError("`"+t.s+"` is true or false: compare it with eq or nq, not "+o.show(), o.pos)
	}
	if p.terms++; p.terms > filterMaxTerms {
		return nil, filterError("more than "+strconv.Itoa(filterMaxTerms)+" comparisons", t.pos)
	}
	return &fnode{kind: nCmp, field: f.name, op: op, val: val}, nil
}

// --- evaluation ---

// tri is a three-valued truth: a comparison whose field is not known yet
// is unknown, and so is what depends on it.
type tri uint8

const (
	tFalse tri = iota
	tTrue
	tUnknown
)

func (x *filterExpr) match(get fieldGetter) bool { return x.root.eval(get) == tTrue }

func (n *fnode) eval(get fieldGetter) tri {
	switch n.kind {
	case nAnd:
		l := n.l.eval(get)
		if l == tFalse {
			return tFalse
		}
		r := n.r.eval(get)
		if r == tFalse {
			return tFalse
		}
		return max(l, r) // true only when both are
	case nOr:
		l := n.l.eval(get)
		if l == tTrue {
			return tTrue
		}
		r := n.r.eval(get)
		if r == tTrue {
			return tTrue
		}
		return max(l, r) // false only when both are
	case nNot:
		switch n.l.eval(get) {
		case tTrue:
			return tFalse
		case tFalse:
			return tTrue
		}
		return tUnknown
	}
	v, ok := get(n.field)
	if !ok {
		return tUnknown
	}
	if v.kind != n.val.kind {
		return tFalse
	}
	var c int
	if v.kind == fText {
		c = cmpFold(v.s, n.val.s)
	} else {
		c = cmp.Compare(v.n, n.val.n)
	}
	var b bool
	switch n.op {
	case opEq:
		b = c == 0
	case opNq:
		b = c != 0
	case opGt:
		b = c > 0
	case opLt:
		b = c < 0
	case opGe:
		b = c >= 0
	case opLe:
		b = c <= 0
	}
	if b {
		return tTrue
	}
	return tFalse
}

// uses reports whether the expression compares field.
func (x *filterExpr) uses(field string) bool {
	var walk func(n *fnode) bool
	walk = func(n *fnode) bool {
		if n == nil {
			return false
		}
		return n.kind == nCmp && n.field == field || walk(n.l) || walk(n.r)
	}
	return walk(x.root)
}

// cmpFold compares a and b rune by rune, lower-cased.
func cmpFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if la, lb := unicode.ToLower(ra), unicode.ToLower(rb); la != lb {
				return cmp.Compare(la, lb)
			}
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// --- the lists ---

var basipUserFields = newFilterFields(
	filterField{name: "item_uid", kind: fNumber, aliases: []string{"uid"}},
	filterField{name: "name", kind: fText},
	filterField{name: "info", kind: fText},
	filterField{name: "lock_number", kind: fNumber},
	filterField{name: "is_custom_user_access", kind: fBool},
)

var basipIdentFields = newFilterFields(
	filterField{name: "identifier_uid", kind: fNumber},
	filterField{name: "identifier_number", kind: fText},
	filterField{name: "identifier_type", kind: fText},
	filterField{name: "lock", kind: fText},
	filterField{name: "user_uid", kind: fNumber},
	filterField{name: "name", kind: fText, aliases: []string{"owner_name", "identifier_owner.name"}},
)

var basipAptFields = newFilterFields(
	filterField{name: "uid", kind: fNumber},
	filterField{name: "apartment_name", kind: fText},
	filterField{name: "building", kind: fNumber, aliases: []string{"apartment_address.building"}},
	filterField{name: "unit", kind: fNumber, aliases: []string{"apartment_address.unit"}},
	filterField{name: "floor", kind: fNumber, aliases: []string{"apartment_address.floor"}},
	filterField{name: "room", kind: fNumber, aliases: []string{"apartment_address.room"}},
)

var basipProfileFields = newFilterFields(
	filterField{name: "uid", kind: fNumber},
	filterField{name: "name", kind: fText},
)

// The log's fields: the item's keys, info's by their own names or as
// info.<key>.
var basipLogFields = newFilterFields(
	filterField{name: "uid", kind: fNumber},
	filterField{name: "timestamp", kind: fNumber},
	filterField{name: "event", kind: fText},
	filterField{name: "lock_number", kind: fNumber, aliases: []string{"info.lock_number"}},
	filterField{name: "door", kind: fText, aliases: []string{"info.door"}},
	filterField{name: "reader", kind: fText, aliases: []string{"info.reader"}},
	filterField{name: "user_uid", kind: fNumber, aliases: []string{"info.user_uid"}},
	filterField{name: "identifier_type", kind: fText, aliases: []string{"info.identifier_type"}},
	filterField{name: "identifier_number", kind: fText, aliases: []string{"info.identifier_number"}},
	filterField{name: "reason", kind: fText, aliases: []string{"info.reason"}},
	filterField{name: "operator", kind: fText, aliases: []string{"info.operator"}},
	filterField{name: "detail", kind: fText, aliases: []string{"info.detail"}},
	filterField{name: "native_type", kind: fText, aliases: []string{"info.native_type"}},
)

func basipLogField(l *basipLog, f string) (fval, bool) {
	switch f {
	case "uid":
		return fnum(int64(l.UID)), true
	case "timestamp":
		return fnum(l.Timestamp), true
	case "event":
		return ftext(l.Event), true
	case "lock_number":
		return fnum(int64(l.Info.LockNumber)), true
	case "door":
		return ftext(l.Info.Door), true
	case "reader":
		return ftext(l.Info.Reader), true
	case "user_uid":
		return fnum(l.Info.UserUID), true
	case "identifier_type":
		return ftext(l.Info.IdentifierType), true
	case "identifier_number":
		return ftext(l.Info.IdentifierNumber), true
	case "reason":
		return ftext(l.Info.Reason), true
	case "operator":
		return ftext(l.Info.Operator), true
	case "detail":
		return ftext(l.Info.Detail), true
	case "native_type":
		return ftext(l.Info.NativeType), true
	}
	return fval{}, false
}

// logFilter is the log's filter: types narrows the store's query (the
// native types that can yield the wanted events; nil: all) and match
// tests an item.
type logFilter struct {
	types []string
	want  map[string]bool // a list of event names
	x     *filterExpr
}

// basipLogFilter reads the log's filter: an expression, or a
// comma-separated list of BAS-IP event names.
func basipLogFilter(filter string) (*logFilter, error) {
	x, err := parseFilter(filter, basipLogFields)
	if err != nil {
		return nil, err
	}
	lf := &logFilter{x: x}
	if x != nil {
		if names, ok := x.root.eventNames(); ok {
			for _, n := range names {
				for _, t := range basipNativeTypes(strings.ToLower(n)) {
					if !slices.Contains(lf.types, t) {
						lf.types = append(lf.types, t)
					}
				}
			}
		}
		return lf, nil
	}
	for name := range strings.SplitSeq(filter, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !core.ValidEventType(name) {
			return nil, bErr(400, "Wrong query parameter `filter`: a comma-separated list of event names")
		}
		if lf.want == nil {
			lf.want = map[string]bool{}
		}
		lf.want[name] = true
		lf.types = append(lf.types, basipNativeTypes(name)...)
	}
	return lf, nil
}

func (lf *logFilter) match(l *basipLog) bool {
	if lf.x != nil {
		return lf.x.match(func(f string) (fval, bool) { return basipLogField(l, f) })
	}
	return lf.want == nil || lf.want[l.Event]
}

// eventNames is the event names an item must have for the expression to
// hold, when it pins them with event eq: the store then reads only the
// events of their native types.
func (n *fnode) eventNames() ([]string, bool) {
	switch n.kind {
	case nCmp:
		if n.field == "event" && n.op == opEq {
			return []string{n.val.s}, true
		}
	case nAnd:
		l, lok := n.l.eventNames()
		r, rok := n.r.eventNames()
		switch {
		case lok && rok:
			var both []string
			for _, s := range l {
				if slices.ContainsFunc(r, func(t string) bool { return cmpFold(s, t) == 0 }) {
					both = append(both, s)
				}
			}
			return both, true
		case lok:
			return l, true
		case rok:
			return r, true
		}
	case nOr:
		l, lok := n.l.eventNames()
		r, rok := n.r.eventNames()
		if lok && rok {
			return append(l, r...), true
		}
	}
	return nil, false
}
