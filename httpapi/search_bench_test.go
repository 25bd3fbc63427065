package httpapi

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// BenchmarkPeopleSearch is GET /api/v1/users?q= over HTTP (fasthttp's
// in-memory listener, a real bbolt file) at DOORD_BENCH_USERS users
// (20,000 unless set; `DOORD_BENCH_USERS=1000000 go test -run - -bench
// PeopleSearch ./httpapi/` for BENCHMARKS.md's figure), named like
// doordgen's, for what a person types: a rare name (few matches), a
// common fragment (a full page of many), an e-mail and nothing. The
// first search builds the list index; the figures are the searches after.
func BenchmarkPeopleSearch(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("DOORD_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	e := newEnvStore(b, storetest.Open(b), Parts{})
	first := []string{"Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luca"}
	last := []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"}
	const chunk = 50000
	for off := 0; off < n; off += chunk {
		users := make([]store.User, min(chunk, n-off))
		for i := range users {
			j := off + i
			fn, ln := first[j%len(first)], last[j/len(first)%len(last)]
			users[i] = store.User{Name: fn + " " + ln, FirstName: fn, LastName: ln, Email: fmt.Sprintf("user%d@example.org", j),
				State: store.StateActive, Locks: store.LocksBoth}
		}
		if err := e.st.BulkLoad(users, nil); err != nil {
			b.Fatal(err)
		}
	}
	e.do("GET", "/api/v1/users?q=x&limit=1", e.admin, "").want(200) // builds the index
	for _, q := range []string{"user" + strconv.Itoa(n/2) + "@", "müller", "a", "zzzz"} {
		b.Run(url.QueryEscape(q), func(b *testing.B) {
			path := "/api/v1/users?limit=20&q=" + url.QueryEscape(q)
			for b.Loop() {
				e.do("GET", path, e.admin, "").want(200)
			}
		})
	}
}
