package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/store"
)

const importCSV = `ext_id,name,locks,tags,cards,pins,valid_to
emp-1,Ann Lee,both,staff;day,h10301:123/4567,1234,
emp-2,Bob Roe,1,,0x7B11D8;7B:11:D9,,2027-01-31T18:00:00+01:00
emp-3,Cy Doe,2,night,34bit:99,0042;9876,
`

// doBody sends a body of any content type (do sends JSON; its headers
// come after).
func (e *env) doBody(method, path, token, contentType, body string) resp {
	e.t.Helper()
	return e.do(method, path, token, body, "Content-Type: "+contentType)
}

// rawStatus POSTs over a raw connection and returns the status: the
// server answers 413 as soon as it has read the headers and closes, while
// the body may still be on its way (see TestBodyTooLargeIs413).
func (e *env) rawStatus(path, token, contentType, body string) int {
	e.t.Helper()
	status, _ := e.rawPost(path, token, contentType, body)
	return status
}

// rawPost is rawStatus with the answer's body.
func (e *env) rawPost(path, token, contentType, body string) (int, []byte) {
	e.t.Helper()
	c, err := e.ln.Dial()
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	go fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: doord\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: %s\r\nContent-Length: %d\r\n\r\n%s", path, token, contentType, len(body), body)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// importErrors are the line:field pairs of an import's 422.
func importErrors(t *testing.T, r resp) []string {
	t.Helper()
	var p struct {
		Errors []store.ImportError `json:"errors"`
		Count  int                 `json:"error_count"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range p.Errors {
		if e.Message == "" {
			t.Errorf("line %d %s: no message", e.Line, e.Field)
		}
		out = append(out, fmt.Sprintf("%d:%s", e.Line, e.Field))
	}
	if p.Count != len(p.Errors) {
		t.Errorf("error_count %d, %d listed", p.Count, len(p.Errors))
	}
	return out
}

func summary(t *testing.T, r resp) string {
	t.Helper()
	m := r.json()
	return fmt.Sprintf("added %v changed %v removed %v unchanged %v", m["added"], m["changed"], m["removed"], m["unchanged"])
}

func TestImportCSVThenExportReimportsAsNoop(t *testing.T) {
	e := newEnv(t)
	r := e.doBody("POST", "/api/v1/import", e.admin, "text/csv", importCSV).want(200)
	if got, want := summary(t, r), "added 3 changed 0 removed 0 unchanged 0"; got != want {
		t.Fatalf("import: %s, want %s", got, want)
	}
	// The card forms the credential API takes meet in one canonical value.
	for v, ext := range map[string]string{"8065496": "emp-2", "8065497": "emp-2"} {
		c, err := e.st.LookupCredential(store.CredCard, v)
		if err != nil {
			t.Fatalf("card %s: %v", v, err)
		}
		if u, _ := e.st.GetUserByUID(c.UserUID); u.ExtID != ext {
			t.Errorf("card %s is %s's, want %s's", v, u.ExtID, ext)
		}
	}
	seq := e.st.Seq()
	for _, format := range []string{"csv", "ndjson"} {
		exp := e.do("GET", "/api/v1/export?format="+format, e.admin, "").want(200)
		ct := map[string]string{"csv": "text/csv", "ndjson": "application/x-ndjson"}[format]
		if !strings.HasPrefix(exp.hdr["Content-Type"], ct) {
			t.Errorf("%s export Content-Type %q", format, exp.hdr["Content-Type"])
		}
		r := e.doBody("POST", "/api/v1/import?mode=replace", e.admin, ct, string(exp.body)).want(200)
		if got, want := summary(t, r), "added 0 changed 0 removed 0 unchanged 3"; got != want {
			t.Errorf("%s export re-imported with mode=replace: %s, want %s\n%s", format, got, want, exp.body)
		}
	}
	if e.st.Seq() != seq {
		t.Errorf("re-importing exports wrote (seq %d → %d)", seq, e.st.Seq())
	}
}

func TestImportReplaceRemovesAndMergeUpserts(t *testing.T) {
	e := newEnv(t)
	e.doBody("POST", "/api/v1/import", e.admin, "text/csv", importCSV).want(200)
	r := e.doBody("POST", "/api/v1/import?mode=merge", e.admin, "text/csv",
		"ext_id,name,cards\nemp-1,Ann Lee-Smith,h10301:123/4567;555\nemp-9,Nine,\n").want(422)
	if got, want := importErrors(t, r), []string{"3:locks"}; !slices.Equal(got, want) {
		t.Fatalf("a new user without locks: errors %v, want %v", got, want)
	}
	r = e.doBody("POST", "/api/v1/import?mode=merge", e.admin, "text/csv",
		"ext_id,name,cards,locks\nemp-1,Ann Lee-Smith,h10301:123/4567;555,\nemp-9,Nine,,both\n").want(200)
	if got, want := summary(t, r), "added 1 changed 1 removed 0 unchanged 0"; got != want {
		t.Fatalf("merge: %s, want %s", got, want)
	}
	r = e.doBody("POST", "/api/v1/import?mode=replace", e.admin, "application/x-ndjson",
		`{"ext_id":"emp-1"}`+"\n\n"+`{"ext_id":"emp-9","cards":["8065497"]}`+"\n").want(200)
	if got, want := summary(t, r), "added 0 changed 1 removed 2 unchanged 1"; got != want {
		t.Fatalf("replace: %s, want %s", got, want)
	}
	if c, err := e.st.LookupCredential(store.CredCard, "8065497"); err != nil {
		t.Errorf("emp-9 has no card 8065497 (emp-2's until the replace removed emp-2): %v", err)
	} else if u, _ := e.st.GetUserByUID(c.UserUID); u.ExtID != "emp-9" {
		t.Errorf("card 8065497 is %s's", u.ExtID)
	}
	if _, err := e.st.LookupCredential(store.CredPIN, "0042"); err == nil {
		t.Errorf("removed emp-3's PIN is still there")
	}
}

func TestImportMalformedFileWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.doBody("POST", "/api/v1/import", e.admin, "text/csv", importCSV).want(200)
	seq := e.st.Seq()
	cases := []struct {
		name, ct, body string
		want           []string
	}{
		{"unknown column", "text/csv", "ext_id,name,nickname\nx,X,Xy\n", []string{"1:nickname"}},
		{"bad rows", "text/csv", "ext_id,name,locks,cards,pins,email,valid_from\n" +
			"n1,Fine,both,,,,\n" +
			"n2,Bad locks,3,,,,\n" +
			"n3,Bad card,both,0xZZ,,,\n" +
			"n4,Bad PIN,both,,12a4,,\n" +
			"n5,Bad mail,both,,,not-mail,\n" +
			"n6,Bad time,both,,,,yesterday\n" +
			"n7,Taken card,both,h10301:123/4567,,,\n" +
			"n8,Short row,both\n" +
			"n9,Format,both,h10301:99999999,,,\n",
			[]string{"3:locks", "4:cards", "5:pins", "6:email", "7:valid_from", "9:csv", "10:cards", "8:cards"}},
		{"ndjson", "application/x-ndjson", `{"ext_id":"j1","name":"J","locks":"both","nick":1}` + "\n" +
			`not json` + "\n" + `{"ext_id":"j3","name":"K","locks":"both","pins":[1234]}` + "\n",
			[]string{"1:nick", "2:json", "3:pins"}},
		{"replace without ext_id", "text/csv", "name,locks\nAnon,both\n", []string{"2:ext_id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			query := ""
			if strings.HasPrefix(c.name, "replace") {
				query = "?mode=replace"
			}
			for _, dry := range []string{"", "dry_run=true"} {
				q := query
				if dry != "" {
					q = map[bool]string{true: q + "&", false: "?"}[q != ""] + dry
				}
				r := e.doBody("POST", "/api/v1/import"+q, e.admin, c.ct, c.body).want(422)
				if got := importErrors(t, r); !slices.Equal(got, c.want) {
					t.Errorf("%s: errors %v, want %v", q, got, c.want)
				}
			}
			if e.st.Seq() != seq {
				t.Fatalf("a bad file wrote (seq %d → %d)", seq, e.st.Seq())
			}
		})
	}
	// A dry run of a good file counts and writes nothing.
	r := e.doBody("POST", "/api/v1/import?dry_run=true&mode=replace", e.admin, "text/csv", "ext_id,name\nemp-1,Ann\n").want(200)
	if got, want := summary(t, r), "added 0 changed 1 removed 2 unchanged 0"; got != want || r.json()["dry_run"] != true {
		t.Errorf("dry run: %s (%s), want %s", got, r.body, want)
	}
	if e.st.Seq() != seq {
		t.Errorf("a dry run wrote")
	}
	e.doBody("POST", "/api/v1/import?mode=sync", e.admin, "text/csv", "ext_id\n").want(422)
	e.doBody("POST", "/api/v1/import", e.admin, "application/json", "{}").want(415)
}

func TestImportRolesAndBodyLimit(t *testing.T) {
	e := newEnv(t) // MaxBodyBytes 64 KiB
	e.mkOperator("op", "operator password", store.RoleOperator)
	e.mkOperator("view", "viewer password", store.RoleViewer)
	op, view := e.login("op", "operator password"), e.login("view", "viewer password")
	var b strings.Builder
	b.WriteString("ext_id,name,locks,cards\n")
	for i := range 3000 { // ~100 KiB: over MaxBodyBytes
		fmt.Fprintf(&b, "u%05d,User number %d,both,%d\n", i, i, 100000+i)
	}
	big := b.String()
	e.doBody("POST", "/api/v1/import", view, "text/csv", "ext_id,name\n").want(403)
	// Without a token that may import, the import route keeps the
	// server's limit.
	if got := e.rawStatus("/api/v1/import", view, "text/csv", big); got != 413 {
		t.Errorf("a viewer's large body: %d, want 413", got)
	}
	if got := e.rawStatus("/api/v1/import", "", "text/csv", big); got != 413 {
		t.Errorf("a large body without a token: %d, want 413", got)
	}
	r := e.doBody("POST", "/api/v1/import", op, "text/csv", big).want(200)
	if got, want := summary(t, r), "added 3000 changed 0 removed 0 unchanged 0"; got != want {
		t.Fatalf("operator import of %d bytes: %s, want %s", len(big), got, want)
	}
	// Every other route keeps its limit, whoever sends.
	if got := e.rawStatus("/api/v1/users", op, "application/json", `{"name":"`+strings.Repeat("x", 70<<10)+`"}`); got != 413 {
		t.Errorf("a large body to /users: %d, want 413", got)
	}
}

func TestExportLeavesOutWhatARoleMayNotRead(t *testing.T) {
	e := newEnv(t)
	e.mkOperator("op", "operator password", store.RoleOperator)
	e.mkOperator("view", "viewer password", store.RoleViewer)
	e.doBody("POST", "/api/v1/import", e.admin, "text/csv", importCSV).want(200)
	for _, c := range []struct {
		who, token  string
		cards, pins bool
	}{
		{"admin", e.admin, true, true},
		{"operator", e.login("op", "operator password"), true, false},
		{"viewer", e.login("view", "viewer password"), false, false},
	} {
		csv := string(e.do("GET", "/api/v1/export", c.token, "").want(200).body)
		header, _, _ := strings.Cut(csv, "\n")
		if got := strings.Contains(header, ",cards"); got != c.cards {
			t.Errorf("%s: cards column %v, want %v (%s)", c.who, got, c.cards, header)
		}
		if got := strings.Contains(header, ",pins"); got != c.pins {
			t.Errorf("%s: pins column %v, want %v", c.who, got, c.pins)
		}
		if !c.pins && (strings.Contains(csv, "9876") || strings.Contains(csv, "0042")) {
			t.Errorf("%s's export holds a PIN:\n%s", c.who, csv)
		}
		nd := string(e.do("GET", "/api/v1/export?format=ndjson", c.token, "").want(200).body)
		if got := strings.Contains(nd, `"pins"`); got != c.pins {
			t.Errorf("%s: ndjson pins %v, want %v", c.who, got, c.pins)
		}
		// What a role exports re-imports as no change: an absent column
		// is left as it is.
		if c.who != "viewer" {
			r := e.doBody("POST", "/api/v1/import?mode=replace", c.token, "text/csv", csv).want(200)
			if got, want := summary(t, r), "added 0 changed 0 removed 0 unchanged 3"; got != want {
				t.Errorf("%s's export re-imported: %s, want %s", c.who, got, want)
			}
		}
	}
	if r := e.do("GET", "/api/v1/export?format=xml", e.admin, ""); r.status != 422 {
		t.Errorf("format=xml: %d, want 422", r.status)
	}
}

// An operator's import file over http.max_import_bytes is a 413 whose
// problem names that limit and its value (not the API's body limit).
func TestImportOverItsLimitIs413NamingIt(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxImportBytes = 80 << 10 })
	e.mkOperator("op", "operator password", store.RoleOperator)
	op := e.login("op", "operator password")
	var b strings.Builder
	b.WriteString("ext_id,name,locks,cards\n")
	for i := range 3000 { // ~100 KiB
		fmt.Fprintf(&b, "u%05d,User number %d,both,%d\n", i, i, 100000+i)
	}
	status, body := e.rawPost("/api/v1/import", op, "text/csv", b.String())
	if status != 413 {
		t.Fatalf("status %d, want 413", status)
	}
	var p struct{ Detail string }
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if !strings.Contains(p.Detail, "http.max_import_bytes") || !strings.Contains(p.Detail, "81920") {
		t.Errorf("detail %q does not name the import limit", p.Detail)
	}
}
