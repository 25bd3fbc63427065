package httpapi

import (
	"net/url"
	"slices"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// The people search answers from the list index what the store's scan
// answers, page by page with the same cursors; it also finds phones,
// never a credential, and sees a write at once. (Every person has an
// ext_id here: the scan also matches the id an ext_id defaults to, which
// the index does not keep.)
func TestPeopleSearchFromTheIndex(t *testing.T) {
	st := storetest.Open(t)
	e := newEnvStore(t, st, Parts{})
	people := []string{
		`{"locks":"both","ext_id":"x1","name":"Ada Lovelace","first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":"+44 20 7946 0001"}`,
		`{"locks":"both","name":"Alan Turing","email":"alan@bletchley.example","ext_id":"HR-0042"}`,
		`{"locks":"both","ext_id":"x3","name":"Grace Hopper","info":"Navy, COBOL","state":"disabled"}`,
		`{"locks":"both","ext_id":"x4","name":"Adam Smith","last_name":"Smith","email":"adam@EXAMPLE.org"}`,
		`{"locks":"both","ext_id":"x5","name":"Élodie Ådahl","first_name":"Élodie"}`,
		`{"locks":"both","ext_id":"x6","name":"Bob","phone":"555-0100"}`,
	}
	var ids []string
	for _, p := range people {
		ids = append(ids, e.do("POST", "/api/v1/users", e.admin, p).want(201).str("id"))
	}
	e.do("POST", "/api/v1/users/"+ids[5]+"/credentials", e.admin, `{"type":"pin","value":"987654"}`).want(201)
	e.do("POST", "/api/v1/users/"+ids[5]+"/credentials", e.admin, `{"type":"card","value":"8065495"}`).want(201)

	page := func(q url.Values) (names []string, next string) {
		m := e.do("GET", "/api/v1/users?"+q.Encode(), e.admin, "").want(200).json()
		for _, it := range m["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		next, _ = m["next_cursor"].(string)
		return names, next
	}
	all := func(q string, state string) []string {
		var out []string
		cursor := ""
		for range 10 {
			v := url.Values{"q": {q}, "limit": {"2"}}
			if cursor != "" {
				v.Set("cursor", cursor)
			}
			if state != "" {
				v.Set("state", state)
			}
			names, next := page(v)
			out = append(out, names...)
			if next == "" {
				return out
			}
			cursor = next
		}
		t.Fatalf("q=%q: more than 10 pages", q)
		return nil
	}
	scan := func(q string, state string) []string {
		us, _, err := st.ListUsers(store.UserFilter{Q: q, State: store.UserState(state), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	for _, tc := range []struct{ q, state string }{
		{"ad", ""}, {"AD", ""}, {"example.org", ""}, {"lovelace", ""}, {"hr-00", ""}, {"cobol", ""},
		{"a", ""}, {"a", "active"}, {"a", "disabled"}, {"élodie", ""}, {"ÅDAHL", ""}, {"zzz", ""}, {"a\x1fa", ""},
	} {
		if got, want := all(tc.q, tc.state), scan(tc.q, tc.state); !slices.Equal(got, want) {
			t.Errorf("q=%q state=%q: search %q, store scan %q", tc.q, tc.state, got, want)
		}
	}
	if got, _ := page(url.Values{"q": {"7946"}}); !slices.Equal(got, []string{"Ada Lovelace"}) {
		t.Errorf("phone search: %q", got)
	}
	for _, secret := range []string{"987654", "8065495", "••••"} {
		if got, _ := page(url.Values{"q": {secret}}); len(got) != 0 {
			t.Errorf("q=%q (a credential) found %q", secret, got)
		}
	}
	// A write is in the next search.
	e.do("PATCH", "/api/v1/users/"+ids[5], e.admin, `{"email":"bob@builder.example"}`).want(200)
	if got, _ := page(url.Values{"q": {"builder"}}); !slices.Equal(got, []string{"Bob"}) {
		t.Errorf("after the write: %q", got)
	}
	e.do("DELETE", "/api/v1/users/"+ids[5], e.admin, "").want(204)
	if got, _ := page(url.Values{"q": {"builder"}}); len(got) != 0 {
		t.Errorf("after the delete: %q", got)
	}
	e.do("GET", "/api/v1/users?q=a&cursor=not-a-cursor", e.admin, "").want(422)
}
