package basip_test

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// BenchmarkBasipListPage is one BAS-IP list page over HTTP (fasthttp's
// in-memory listener, a real bbolt file) for each list, each sort field
// and a typical filter, at DOORD_BENCH_USERS users (100,000 unless set;
// BENCHMARKS.md has the 1,000,000 figures), each with a card and a PIN,
// one apartment per 20 users and 200 time profiles. The first list
// request builds the list index; the figures are the pages after it.
func BenchmarkBasipListPage(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("DOORD_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	e := newEnv(b, utc)
	first := []string{"Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luca"}
	last := []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"}
	for i := range 200 {
		p := store.TimeProfile{Name: fmt.Sprintf("Shift %d", i), Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := e.st.CreateTimeProfile(&p); err != nil {
			b.Fatal(err)
		}
	}
	for i := range max(1, n/20) {
		a := store.Apartment{Name: fmt.Sprintf("Flat %d-%d", i/100+1, i%100+1), Address: store.Address{Building: i/2000 + 1, Unit: i / 100 % 20, Floor: i / 10 % 10, Room: i%10 + 1}}
		if err := e.st.CreateApartment(&a); err != nil {
			b.Fatal(err)
		}
	}
	const chunk = 50000
	for off := 0; off < n; off += chunk {
		k := min(chunk, n-off)
		users := make([]store.User, k)
		for i := range users {
			j := off + i
			users[i] = store.User{Name: first[j%len(first)] + " " + last[j/len(first)%len(last)], State: store.StateActive, Locks: store.LocksBoth}
			if j%3 == 0 {
				users[i].Info = fmt.Sprintf("Flat %d", j%5000)
			}
		}
		if err := e.st.BulkLoad(users, nil); err != nil {
			b.Fatal(err)
		}
		creds := make([]store.Credential, 0, 2*k)
		for i := range users {
			v := uint64(off + i + 1)
			creds = append(creds,
				store.Credential{UserUID: users[i].UID, Type: store.CredCard, Value: fmt.Sprint((v>>16+1)<<16 | v&0xffff), Locks: store.LocksBoth},
				store.Credential{UserUID: users[i].UID, Type: store.CredPIN, Value: fmt.Sprintf("%08d", (v*7919+12345)%100000000), Locks: store.LocksBoth})
		}
		if err := e.st.BulkLoad(nil, creds); err != nil {
			b.Fatal(err)
		}
	}
	tok := e.basipLogin("admin", adminPW)
	e.do("GET", "/api/v1/access/users/list?limit=1", tok, "").bwant(200, "") // builds the index
	lists := []struct {
		path    string
		sorts   []string
		filters []string
	}{
		{"/api/v1/access/users/list", []string{"item_uid", "name", "info"},
			[]string{"", "müller", "name eq 'Anna Weber'", "lock_number eq 1 or name ge 'm'"}},
		{"/api/v1/access/identifiers/list", []string{"identifier_uid", "identifier_number", "owner_name"},
			[]string{"", "4242", "identifier_type eq 'card' and user_uid gt " + strconv.Itoa(n/2)}},
		{"/api/v1/apartment/list", []string{"uid", "apartment_name"},
			[]string{"", "12-3", "building eq 3"}},
		{"/api/v1/access/timeprofiles/list", []string{"uid", "name"},
			[]string{"", "shift 1"}},
	}
	for _, l := range lists {
		for _, sf := range l.sorts {
			for _, f := range l.filters {
				name := fmt.Sprintf("%s/sort=%s/filter=%q", strings.TrimPrefix(l.path, "/api/v1/"), sf, f)
				b.Run(name, func(b *testing.B) {
					path := l.path + "?limit=10&page_number=3&sort_field=" + sf + "&filter=" + url.QueryEscape(f)
					var ru0, ru1 syscall.Rusage
					syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
					for b.Loop() {
						e.do("GET", path, tok, "").bwant(200, "")
					}
					// CPU per page (server and client share the process):
					// on a loaded machine, steadier than wall time.
					syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
					cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
					b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
				})
			}
		}
	}
}
