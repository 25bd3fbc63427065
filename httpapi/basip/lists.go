package basip

// The lists page through the list index (store/listing) rather than the
// store: a BAS-IP list is a filter, a sort and a page over one of the
// index's tables, and only the page's items are then read from the store.
// This file turns BAS-IP's list parameters and filter expressions
// (basip_filter.go) into the index's Query and Pred. Every filter field
// of every list is answered from the index's columns: id and sorted text
// fields by ranges of their orders, numbers and coded fields (types,
// locks) by scans of one compact array, the plain substring filter by a
// search of the texts' buffers. The one per-row path (listing.Func) is
// a viewer's identifier_number, which compares the masked number a
// viewer sees (core.ShownValue) and sorts by it.

import (
	"math"
	"strings"
	"sync"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// listWait bounds how long a list waits for the index to catch up with
// the store (a write acknowledged before the list was asked for must be
// in it): the feed's own bound on a writer's wait.
const listWait = store.DefaultFeedWait

// errListsBehind is the answer when the index did not catch up in time
// (it is being rebuilt after a feed fault, or the store is busy).
var errListsBehind = &basipError{status: 503, msg: "The list index is being rebuilt; try again shortly", retryAfter: 1}

// listIndex is the dialect's list index: built on the first list (a
// deployment that never lists through BAS-IP never pays its memory) and
// following the store's change feed until Close.
type listIndex struct {
	mu     sync.Mutex
	x      *listing.Index
	cancel func()
	closed bool
}

// lists returns the dialect's index, building it on first use (Follow
// Syncs it before it returns: seconds at a million users, BENCHMARKS.md).
func (s *Dialect) lists() (*listing.Index, error) {
	l := &s.listIx
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.x != nil {
		return l.x, nil
	}
	if l.closed {
		return nil, store.ErrClosed
	}
	x := listing.New(s.st)
	cancel, err := s.st.Follow("BAS-IP lists", x)
	if err != nil {
		return nil, err
	}
	l.x, l.cancel = x, cancel
	return x, nil
}

// Lists is the dialect's list index, shared with the native people
// search (httpapi/search.go) so that a board holds one copy.
func (s *Dialect) Lists() (*listing.Index, error) { return s.lists() }

// Close stops the list index following the store and frees it.
func (s *Dialect) Close() {
	l := &s.listIx
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
	}
	l.x, l.cancel, l.closed = nil, nil, true
}

// page is one page of table t as q asks: the ids of its items, in order,
// and the number of matches.
func (s *Dialect) page(t listing.TableID, q listQuery, lq listing.Query) ([]uint64, int, error) {
	x, err := s.lists()
	if err != nil {
		return nil, 0, err
	}
	if err := x.Fresh(listWait); err != nil {
		return nil, 0, errListsBehind
	}
	lq.Limit, lq.Desc = q.limit, !q.asc
	lq.Offset = (q.page - 1) * q.limit
	if q.page-1 > math.MaxInt/q.limit {
		lq.Offset = math.MaxInt
	}
	p, err := x.Page(t, lq)
	if err != nil {
		return nil, 0, errListsBehind
	}
	return p.IDs, p.Total, nil
}

// ixField is how one filter field is read from the index: a column, or
// a coded column whose codes (0 … codes-1) stand for the values show
// gives them.
type ixField struct {
	col   listing.Col
	codes int
	show  func(code int64) fval
}

var ops = [...]listing.Op{opEq: listing.Eq, opNq: listing.Nq, opGt: listing.Gt, opLt: listing.Lt, opGe: listing.Ge, opLe: listing.Le}

// ixPred turns a parsed filter into the index's predicate; special, when
// it has the field, translates that comparison itself.
func ixPred(n *fnode, fields map[string]ixField, special func(n *fnode) (listing.Pred, bool)) listing.Pred {
	switch n.kind {
	case nAnd:
		return listing.And{L: ixPred(n.l, fields, special), R: ixPred(n.r, fields, special)}
	case nOr:
		return listing.Or{L: ixPred(n.l, fields, special), R: ixPred(n.r, fields, special)}
	case nNot:
		return listing.Not{X: ixPred(n.l, fields, special)}
	}
	if special != nil {
		if p, ok := special(n); ok {
			return p
		}
	}
	f, ok := fields[n.field]
	if !ok {
		panic("basip: filter field " + n.field + " has no index column")
	}
	if f.show != nil {
		in := []int64{}
		for c := range int64(f.codes) {
			if n.test(f.show(c)) {
				in = append(in, c)
			}
		}
		return listing.OneOf{Col: f.col, Nums: in}
	}
	return listing.Cmp{Col: f.col, Op: ops[n.op], Text: n.val.s, Num: n.val.n}
}

// test evaluates comparison n on the value v.
func (n *fnode) test(v fval) bool {
	return n.eval(func(string) (fval, bool) { return v, true }) == tTrue
}

// --- users ---

var userIx = map[string]ixField{
	"item_uid":              {col: listing.ID},
	"name":                  {col: listing.Text(listing.UserName)},
	"info":                  {col: listing.Text(listing.UserInfo)},
	"lock_number":           {col: listing.Small(listing.UserLocks)},
	"is_custom_user_access": {col: listing.Small(listing.UserCustom)},
}

var userSorts = map[string]listing.Col{
	"item_uid": listing.ID, "name": listing.Text(listing.UserName), "info": listing.Text(listing.UserInfo),
}

// userWhere is the user list's filter: an expression, or a substring of
// name or info.
func userWhere(filter string) (listing.Pred, error) {
	x, err := parseFilter(filter, basipUserFields)
	if err != nil || x == nil {
		return substring(filter, listing.Text(listing.UserName), listing.Text(listing.UserInfo)), err
	}
	return ixPred(x.root, userIx, nil), nil
}

// and is l and r, either of which may be nil (every item).
func and(l, r listing.Pred) listing.Pred {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	}
	return listing.And{L: l, R: r}
}

// substring is the plain filter: a case-insensitive substring of any of
// cols ("" matches every item).
func substring(filter string, cols ...listing.Col) listing.Pred {
	if filter == "" {
		return nil
	}
	return listing.Contains{Cols: cols, Sub: filter}
}

// --- identifiers ---

var identIx = map[string]ixField{
	"identifier_uid":    {col: listing.ID},
	"identifier_number": {col: listing.Text(listing.CredValue)},
	"identifier_type": {col: listing.Small(listing.CredType), codes: 8,
		show: func(c int64) fval { return ftext(credTypeToBasip(listing.TypeOf(uint8(c)))) }},
	"lock": {col: listing.Small(listing.CredLocks), codes: 3,
		show: func(c int64) fval { return ftext(locksToBasip(numberToLocks(c))) }},
	"user_uid": {col: listing.Int(listing.CredUser)},
	"name":     {col: listing.Text(listing.CredOwnerName)},
}

// maskedNumber is an identifier's number as a viewer sees it, from the
// index's row (the value as an operator sees it).
func maskedNumber(r listing.RowView) string {
	return core.ShownValue(listing.TypeOf(r.Small(listing.CredType)), r.Text(listing.CredValue), store.RoleViewer)
}

// seesNumbers reports whether role sees card numbers (the index's value
// column) rather than their masks.
func seesNumbers(role store.Role) bool {
	return core.ShownValue(store.CredCard, "123456789", role) == "123456789"
}

// identWhere is the identifier list's filter for role: an expression,
// or a substring of the number (as role sees it) or the owner's name.
// identifier_uid is the credential id (an identifier keeps its id when
// it moves between users); user_uid -1 is no user (UserUID 0).
func (s *Dialect) identWhere(filter string, role store.Role) (listing.Pred, error) {
	x, err := parseFilter(filter, basipIdentFields)
	if err != nil {
		return nil, err
	}
	numbers := seesNumbers(role)
	if x == nil {
		if filter == "" {
			return nil, nil
		}
		owner := listing.Contains{Cols: []listing.Col{listing.Text(listing.CredOwnerName)}, Sub: filter}
		if numbers {
			return listing.Or{L: owner, R: listing.Contains{Cols: []listing.Col{listing.Text(listing.CredValue)}, Sub: filter}}, nil
		}
		sub := strings.ToLower(filter)
		return listing.Or{L: owner, R: listing.Func(func(r listing.RowView) bool {
			return strings.Contains(strings.ToLower(maskedNumber(r)), sub)
		})}, nil
	}
	numberForms(x, s.canonicalCard)
	return ixPred(x.root, identIx, func(n *fnode) (listing.Pred, bool) {
		switch {
		case n.field == "identifier_number" && !numbers:
			return listing.Func(func(r listing.RowView) bool { return n.test(ftext(maskedNumber(r))) }), true
		case n.field == "user_uid":
			// BAS-IP shows no user (UserUID 0) as -1.
			col := listing.Int(listing.CredUser)
			none := listing.Cmp{Col: col, Op: listing.Eq, Num: 0}
			users := listing.And{L: listing.Not{X: none}, R: listing.Cmp{Col: col, Op: ops[n.op], Num: n.val.n}}
			if n.test(fnum(-1)) {
				return listing.Or{L: users, R: none}, true
			}
			return users, true
		}
		return nil, false
	}), nil
}

// identSort is the identifier list's order for role.
func identSort(field string, role store.Role) listing.Query {
	switch field {
	case "identifier_number":
		if seesNumbers(role) {
			return listing.Query{Sort: listing.Text(listing.CredValue)}
		}
		return listing.Query{SortKey: func(r listing.RowView, buf []byte) []byte { return append(buf, maskedNumber(r)...) }}
	case "owner_name":
		return listing.Query{Sort: listing.Text(listing.CredOwnerName)}
	}
	return listing.Query{Sort: listing.ID}
}

// --- apartments and time profiles ---

var aptIx = map[string]ixField{
	"uid":            {col: listing.ID},
	"apartment_name": {col: listing.Text(listing.AptName)},
	"building":       {col: listing.Int(listing.AptBuilding)},
	"unit":           {col: listing.Int(listing.AptUnit)},
	"floor":          {col: listing.Int(listing.AptFloor)},
	"room":           {col: listing.Int(listing.AptRoom)},
}

func aptWhere(filter string) (listing.Pred, error) {
	x, err := parseFilter(filter, basipAptFields)
	if err != nil || x == nil {
		return substring(filter, listing.Text(listing.AptName)), err
	}
	return ixPred(x.root, aptIx, nil), nil
}

var profileIx = map[string]ixField{
	"uid":  {col: listing.ID},
	"name": {col: listing.Text(listing.ProfileName)},
}

func profileWhere(filter string) (listing.Pred, error) {
	x, err := parseFilter(filter, basipProfileFields)
	if err != nil || x == nil {
		return substring(filter, listing.Text(listing.ProfileName)), err
	}
	return ixPred(x.root, profileIx, nil), nil
}
