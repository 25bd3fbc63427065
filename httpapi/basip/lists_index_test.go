package basip

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
	"github.com/valyala/fasthttp"
)

// The lists answer from the list index (lists.go); this test holds them to
// the lists' definition: every item of the store tested against the
// filter expression (fnode.eval over the item's fields, as BAS-IP
// defines them), sorted by the field's lower-cased text or number, ties by
// uid, then paged. Random data, every filter field with every operator,
// every sort field both ways, every role, pages at the start, middle and
// past the end.

// oracleItem is one item as the definition sees it.
type oracleItem struct {
	id  uint64
	key string // the sort field's text ("" for uid sorts)
	get fieldGetter
}

func oraclePage(items []oracleItem, x *filterExpr, legacy func(oracleItem) bool, byText, asc bool, page, limit int) ([]uint64, int) {
	var m []oracleItem
	for _, it := range items {
		if x != nil && x.match(it.get) || x == nil && legacy(it) {
			m = append(m, it)
		}
	}
	slices.SortFunc(m, func(a, b oracleItem) int {
		c := 0
		if byText {
			c = strings.Compare(fold(a.key), fold(b.key))
		}
		if c == 0 {
			c = cmpU64(a.id, b.id)
		}
		if !asc {
			c = -c
		}
		return c
	})
	lo := min((page-1)*limit, len(m))
	hi := min(lo+limit, len(m))
	var ids []uint64
	for _, it := range m[lo:hi] {
		ids = append(ids, it.id)
	}
	return ids, len(m)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fold is how the lists compare texts (store/listing: lower case, NUL
// after everything).
func fold(s string) string { return strings.ReplaceAll(strings.ToLower(s), "\x00", "\xff") }

// callList runs a list handler as role and returns the ids and total.
// idKey "" reads identifiers: identifier_uid, the credential id.
func callList(t *testing.T, h core.Handler, role store.Role, path, idKey string) ([]uint64, int) {
	t.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(path)
	if err := h(&core.Request{Ctx: &ctx, Op: &core.Caller{Username: "t", Role: role}}); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var body struct {
		ListOption struct {
			Pagination struct {
				TotalItems int `json:"total_items"`
			} `json:"pagination"`
		} `json:"list_option"`
		ListItems []map[string]any `json:"list_items"`
	}
	if err := json.Unmarshal(ctx.Response.Body(), &body); err != nil {
		t.Fatalf("%s: %v: %s", path, err, ctx.Response.Body())
	}
	var ids []uint64
	for _, it := range body.ListItems {
		if idKey != "" {
			ids = append(ids, uint64(it[idKey].(float64)))
			continue
		}
		ids = append(ids, uint64(it["identifier_uid"].(float64)))
	}
	return ids, body.ListOption.Pagination.TotalItems
}

// TestListsMatchTheDefinition runs random filters, sorts and pages on
// every list and role against the definition.
func TestListsMatchTheDefinition(t *testing.T) {
	st := storetest.Open(t)
	rng := rand.New(rand.NewPCG(11, 12))
	names := []string{"Ada", "ada", "Bob Builder", "Åsa", "åsa", "Zoë", "", "x'y", "Sherlock Holmes", "Müller", "MÜLLER"}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	var profiles []store.TimeProfile
	for i := range 12 {
		p := store.TimeProfile{Name: pick(names) + fmt.Sprint(i%3), Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := st.CreateTimeProfile(&p); err != nil {
			t.Fatal(err)
		}
		profiles = append(profiles, p)
	}
	var apts []store.Apartment
	for i := range 40 {
		a := store.Apartment{Name: pick(names) + " " + fmt.Sprint(i%7), Address: store.Address{Building: rng.IntN(3), Unit: i, Floor: rng.IntN(4), Room: rng.IntN(5)}}
		if err := st.CreateApartment(&a); err != nil {
			t.Fatal(err)
		}
		apts = append(apts, a)
	}
	var users []store.User
	for range 150 {
		u := store.User{Name: pick(names), Info: pick(names), State: store.StateActive,
			Locks: []store.Locks{store.LocksBoth, store.LocksFirst, store.LocksSecond}[rng.IntN(3)]}
		if rng.IntN(4) == 0 {
			u.CustomAccess, u.AuthFactors = true, []string{"card"}
		}
		users = append(users, u)
	}
	if err := st.BulkLoad(users, nil); err != nil {
		t.Fatal(err)
	}
	var creds []store.Credential
	for i := range 300 {
		c := store.Credential{UserUID: users[rng.IntN(len(users))].UID, Type: store.CredCard, Value: fmt.Sprint(100000 + rng.IntN(900000)*10 + i%10),
			OwnerName: pick(names), Locks: []store.Locks{store.LocksBoth, store.LocksFirst, store.LocksSecond}[rng.IntN(3)]}
		switch rng.IntN(4) {
		case 0:
			c.Type, c.Value = store.CredPIN, fmt.Sprintf("%06d", i)
		case 1:
			c.Type, c.Value = store.CredQR, fmt.Sprintf("Qr%dAb", i)
		}
		if rng.IntN(5) == 0 {
			c.Owner = store.OwnerGuest
		}
		creds = append(creds, c)
	}
	if err := st.BulkLoad(nil, creds); err != nil {
		t.Fatal(err)
	}
	// Identifiers without a user (UserUID 0) and identifiers moved
	// between users keep their ids; half the moves happen after the
	// index is built, so they reach it through the change feed.
	d := New(Deps{Store: st})
	t.Cleanup(d.Close)
	move := func(from, to int) {
		for i := from; i < to; i++ {
			uid := uint64(0)
			if i%3 == 0 {
				uid = users[(i*7)%len(users)].UID
			}
			c, err := st.MoveCredential(creds[i].ID, uid, nil)
			if err != nil || c.ID != creds[i].ID {
				t.Fatalf("move %d: %+v %v", creds[i].ID, c, err)
			}
			creds[i] = c
		}
	}
	move(0, 20)
	callList(t, d.basipListIdentifiers, store.RoleOperator, "/api/v1/access/identifiers/list", "")
	move(20, 40)

	// The items as the definition sees them.
	var uItems, cItemsOp, cItemsView, aItems, pItems []oracleItem
	for _, u := range users {
		u := u
		uItems = append(uItems, oracleItem{id: u.UID, get: func(f string) (fval, bool) {
			switch f {
			case "item_uid":
				return fnum(int64(u.UID)), true
			case "name":
				return ftext(u.Name), true
			case "info":
				return ftext(u.Info), true
			case "lock_number":
				return fnum(int64(locksToNumber(u.Locks))), true
			case "is_custom_user_access":
				return fbool(u.CustomAccess), true
			}
			return fval{}, false
		}})
	}
	identGetter := func(c store.Credential, role store.Role) fieldGetter {
		return func(f string) (fval, bool) {
			switch f {
			case "identifier_uid":
				return fnum(int64(c.ID)), true
			case "identifier_number":
				return ftext(core.ShownValue(c.Type, c.Value, role)), true
			case "identifier_type":
				return ftext(credTypeToBasip(c.Type)), true
			case "lock":
				return ftext(locksToBasip(c.Locks)), true
			case "user_uid":
				if c.UserUID == 0 {
					return fnum(-1), true
				}
				return fnum(int64(c.UserUID)), true
			case "name":
				return ftext(c.OwnerName), true
			}
			return fval{}, false
		}
	}
	for _, c := range creds {
		cItemsOp = append(cItemsOp, oracleItem{id: c.ID, get: identGetter(c, store.RoleOperator)})
		cItemsView = append(cItemsView, oracleItem{id: c.ID, get: identGetter(c, store.RoleViewer)})
	}
	for _, a := range apts {
		a := a
		aItems = append(aItems, oracleItem{id: a.ID, get: func(f string) (fval, bool) {
			switch f {
			case "uid":
				return fnum(int64(a.ID)), true
			case "apartment_name":
				return ftext(a.Name), true
			case "building":
				return fnum(int64(a.Address.Building)), true
			case "unit":
				return fnum(int64(a.Address.Unit)), true
			case "floor":
				return fnum(int64(a.Address.Floor)), true
			case "room":
				return fnum(int64(a.Address.Room)), true
			}
			return fval{}, false
		}})
	}
	for _, p := range profiles {
		p := p
		pItems = append(pItems, oracleItem{id: p.ID, get: func(f string) (fval, bool) {
			switch f {
			case "uid":
				return fnum(int64(p.ID)), true
			case "name":
				return ftext(p.Name), true
			}
			return fval{}, false
		}})
	}

	type list struct {
		name   string
		path   string
		idKey  string
		h      core.Handler
		role   store.Role
		items  []oracleItem
		fields *filterFields
		sorts  map[string]string // sort field → filter field holding its text ("" for the uid)
		texts  []string          // the legacy substring's fields
	}
	lists := []list{
		{"users", "/api/v1/access/users/list", "item_uid", d.basipListUsers, store.RoleOperator, uItems, basipUserFields,
			map[string]string{"item_uid": "", "name": "name", "info": "info"}, []string{"name", "info"}},
		{"identifiers", "/api/v1/access/identifiers/list", "", d.basipListIdentifiers, store.RoleOperator, cItemsOp, basipIdentFields,
			map[string]string{"identifier_uid": "", "identifier_number": "identifier_number", "owner_name": "name"}, []string{"identifier_number", "name"}},
		{"identifiers as viewer", "/api/v1/access/identifiers/list", "", d.basipListIdentifiers, store.RoleViewer, cItemsView, basipIdentFields,
			map[string]string{"identifier_uid": "", "identifier_number": "identifier_number", "owner_name": "name"}, []string{"identifier_number", "name"}},
		{"apartments", "/api/v1/apartment/list", "uid", d.basipListApartments, store.RoleOperator, aItems, basipAptFields,
			map[string]string{"uid": "", "apartment_name": "apartment_name"}, []string{"apartment_name"}},
		{"profiles", "/api/v1/access/timeprofiles/list", "uid", d.basipListProfiles, store.RoleOperator, pItems, basipProfileFields,
			map[string]string{"uid": "", "name": "name"}, []string{"name"}},
	}
	opNames := []string{"eq", "nq", "gt", "lt", "ge", "le"}
	for _, l := range lists {
		// A term compares a field with a value some item has (or a
		// near miss); expressions join up to three.
		var fieldNames []string
		for name, f := range l.fields.byName {
			if name == f.name {
				fieldNames = append(fieldNames, name)
			}
		}
		slices.Sort(fieldNames)
		term := func() string {
			name := fieldNames[rng.IntN(len(fieldNames))]
			f := l.fields.byName[name]
			op := opNames[rng.IntN(len(opNames))]
			v, _ := l.items[rng.IntN(len(l.items))].get(name)
			switch f.kind {
			case fText:
				s := v.s
				if rng.IntN(4) == 0 {
					s = strings.ToUpper(s)
				}
				return name + " " + op + " '" + strings.ReplaceAll(s, "'", "''") + "'"
			case fBool:
				return name + " " + opNames[rng.IntN(2)] + " " + fmt.Sprint(v.n == 1)
			}
			return name + " " + op + " " + fmt.Sprint(v.n+int64(rng.IntN(3)-1))
		}
		var filters []string
		for range 60 {
			f := term()
			switch rng.IntN(4) {
			case 1:
				f = "(" + f + " or " + term() + ") and " + term()
			case 2:
				f = "not " + f + " or " + term()
			}
			filters = append(filters, f)
		}
		filters = append(filters, "", "ü", "a", "1", "••", "x'y", "nothing-matches")
		for _, f := range filters {
			x, err := parseFilter(f, l.fields)
			if err != nil {
				t.Fatalf("%s: %q: %v", l.name, f, err)
			}
			legacy := func(it oracleItem) bool {
				for _, tf := range l.texts {
					v, _ := it.get(tf)
					if f == "" || strings.Contains(strings.ToLower(v.s), strings.ToLower(f)) {
						return true
					}
				}
				return false
			}
			for sf, textField := range l.sorts {
				asc := rng.IntN(2) == 0
				limit := []int{1, 3, 10, 1000}[rng.IntN(4)]
				page := 1 + rng.IntN(3)
				items := make([]oracleItem, len(l.items))
				for i, it := range l.items {
					it.key = ""
					if textField != "" {
						v, _ := it.get(textField)
						it.key = v.s
					}
					items[i] = it
				}
				wantIDs, wantTotal := oraclePage(items, x, legacy, textField != "", asc, page, limit)
				order := "asc"
				if !asc {
					order = "desc"
				}
				path := fmt.Sprintf("%s?limit=%d&page_number=%d&sort_field=%s&sort_type=%s&filter=%s", l.path, limit, page, sf, order, url.QueryEscape(f))
				idKey := l.idKey
				gotIDs, gotTotal := callList(t, l.h, l.role, path, idKey)
				if gotTotal != wantTotal || !slices.Equal(gotIDs, wantIDs) {
					t.Fatalf("%s %s:\n got %d %v\nwant %d %v", l.name, path, gotTotal, gotIDs, wantTotal, wantIDs)
				}
			}
		}
	}
}
