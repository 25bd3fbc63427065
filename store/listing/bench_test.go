package listing_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// The benchmarks build an index of benchUsers() users (1,000,000 unless
// DOORD_BENCH_USERS says otherwise), each with a card and a PIN (two
// credentials a user, as cmd/doordgen -cards 1 -pins 1 makes them, with
// its first and last names), one apartment per 20 users and 200 time
// profiles, from a generated source rather than a bbolt file: Sync's
// input is the same records ScanLists would hand it.

func benchUsers() int {
	if n, err := strconv.Atoi(os.Getenv("DOORD_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 1000000
}

var (
	firstNames = []string{"Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luca", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umut", "Vera", "Wim", "Yara", "Zoe"}
	lastNames  = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann"}
)

// genSource hands Sync n generated users and their records.
type genSource struct{ n int }

func (g genSource) Seq() uint64 { return 1 }

func (g genSource) ScanLists(v store.ListVisitor) (uint64, error) {
	rng := rand.New(rand.NewPCG(7, uint64(g.n)))
	n := g.n
	apts := max(1, n/20)
	v.Bounds(n, 2*n, apts, 200)
	for i := range 200 {
		p := store.TimeProfile{ID: uint64(i + 1), Name: fmt.Sprintf("Shift %d %s", i, firstNames[i%len(firstNames)])}
		if err := v.Profile(&p); err != nil {
			return 0, err
		}
	}
	for i := range apts {
		a := store.Apartment{ID: uint64(i + 1), Name: fmt.Sprintf("Flat %d-%d", i/100+1, i%100+1),
			Address: store.Address{Building: i/2000 + 1, Unit: i / 100 % 20, Floor: i / 10 % 10, Room: i%10 + 1}}
		if err := v.Apartment(&a); err != nil {
			return 0, err
		}
	}
	for i := range n {
		u := store.ListUser{UID: uint64(i + 1), Name: firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))],
			State: store.StateActive, Locks: store.LocksBoth}
		if rng.IntN(3) == 0 {
			u.Info = fmt.Sprintf("Flat %d-%d", rng.IntN(apts)/100+1, rng.IntN(100)+1)
		}
		if rng.IntN(20) == 0 {
			u.Locks = store.LocksFirst
		}
		if err := v.User(&u); err != nil {
			return 0, err
		}
	}
	for i := range n {
		k := uint64(i + 1)
		card := store.ListCredential{ID: 2*k - 1, UserUID: k, Type: store.CredCard, Value: fmt.Sprint((k>>16+1)<<16 | k&0xffff),
			Owner: store.OwnerOwner, Locks: store.LocksBoth}
		if rng.IntN(10) == 0 {
			card.OwnerName = lastNames[rng.IntN(len(lastNames))]
		}
		pin := store.ListCredential{ID: 2 * k, UserUID: k, Type: store.CredPIN, Value: fmt.Sprintf("%08d", (k*7919+12345)%100000000),
			Owner: store.OwnerOwner, Locks: store.LocksBoth}
		if err := v.Credential(&card); err != nil {
			return 0, err
		}
		if err := v.Credential(&pin); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

var (
	benchOnce  sync.Once
	benchIndex *listing.Index
)

func index(b *testing.B) *listing.Index {
	benchOnce.Do(func() {
		benchIndex = listing.New(genSource{benchUsers()})
		if _, err := benchIndex.Sync(); err != nil {
			b.Fatal(err)
		}
	})
	return benchIndex
}

// BenchmarkIndexSync builds the index (Sync) and reports its memory: the
// live heap after a GC with the index minus before it, per user (each
// with two credentials; apartments and profiles included).
func BenchmarkIndexSync(b *testing.B) {
	n := benchUsers()
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start, cpu := time.Now(), cpuTime()
		x := listing.New(genSource{n})
		if _, err := x.Sync(); err != nil {
			b.Fatal(err)
		}
		took, cpuTook := time.Since(start), cpuTime()-cpu
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := x.Stats()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heapB/user")
		b.ReportMetric(float64(st.Bytes[listing.Users])/float64(n), "usersB/user")
		b.ReportMetric(float64(st.Bytes[listing.Credentials])/float64(2*n), "credsB/cred")
		b.ReportMetric(took.Seconds(), "sync-s")
		b.ReportMetric(cpuTook.Seconds(), "sync-cpu-s")
		runtime.KeepAlive(x)
	}
}

// BenchmarkIndexPage asks for one page (limit 10; the first page and one
// in the middle) of each list by each of its BAS-IP sort fields, without
// a filter and with a typical one.
func BenchmarkIndexPage(b *testing.B) {
	x := index(b)
	n := benchUsers()
	T, S, I := listing.Text, listing.Small, listing.Int
	lists := []struct {
		name    string
		table   listing.TableID
		sorts   map[string]listing.Col
		filters map[string]listing.Pred
	}{
		{"users", listing.Users,
			map[string]listing.Col{"item_uid": listing.ID, "name": T(listing.UserName), "info": T(listing.UserInfo)},
			map[string]listing.Pred{
				"none":               nil,
				"substring=müller":   listing.Contains{Cols: []listing.Col{T(listing.UserName), T(listing.UserInfo)}, Sub: "müller"},
				"name_eq":            listing.Cmp{Col: T(listing.UserName), Op: listing.Eq, Text: "Anna Weber"},
				"lock_number_eq_1":   listing.Cmp{Col: S(listing.UserLocks), Op: listing.Eq, Num: 1},
				"name_ge_and_uid_gt": listing.And{L: listing.Cmp{Col: T(listing.UserName), Op: listing.Ge, Text: "m"}, R: listing.Cmp{Col: listing.ID, Op: listing.Gt, Num: int64(n / 2)}},
			}},
		{"identifiers", listing.Credentials,
			map[string]listing.Col{"identifier_uid": listing.ID, "identifier_number": T(listing.CredValue), "owner_name": T(listing.CredOwnerName)},
			map[string]listing.Pred{
				"none":           nil,
				"substring=4242": listing.Contains{Cols: []listing.Col{T(listing.CredValue), T(listing.CredOwnerName)}, Sub: "4242"},
				"user_uid_eq":    listing.Cmp{Col: I(listing.CredUser), Op: listing.Eq, Num: int64(n / 3)},
				"type_eq_card":   listing.Cmp{Col: S(listing.CredType), Op: listing.Eq, Num: int64(listing.TypeCode(store.CredCard))},
				"owner_name_eq":  listing.Cmp{Col: T(listing.CredOwnerName), Op: listing.Eq, Text: "koch"},
				// identifier_type eq 'card' and user_uid gt n/2, as the
				// BAS-IP dialect translates it (no user shows as -1).
				"type_card_and_user_gt": listing.And{
					L: listing.OneOf{Col: S(listing.CredType), Nums: []int64{int64(listing.TypeCode(store.CredCard))}},
					R: listing.And{L: listing.Not{X: listing.OneOf{Col: I(listing.CredUser), Nums: []int64{0, 0}}},
						R: listing.Cmp{Col: I(listing.CredUser), Op: listing.Gt, Num: int64(n / 2)}}},
			}},
		{"apartments", listing.Apartments,
			map[string]listing.Col{"uid": listing.ID, "apartment_name": T(listing.AptName)},
			map[string]listing.Pred{
				"none":           nil,
				"substring=12-3": listing.Contains{Cols: []listing.Col{T(listing.AptName)}, Sub: "12-3"},
				"building_eq_3":  listing.Cmp{Col: I(listing.AptBuilding), Op: listing.Eq, Num: 3},
			}},
		{"timeprofiles", listing.Profiles,
			map[string]listing.Col{"uid": listing.ID, "name": T(listing.ProfileName)},
			map[string]listing.Pred{
				"none":           nil,
				"substring=anna": listing.Contains{Cols: []listing.Col{T(listing.ProfileName)}, Sub: "anna"},
			}},
	}
	for _, l := range lists {
		for sname, col := range l.sorts {
			for fname, pred := range l.filters {
				for _, at := range []string{"first", "middle"} {
					b.Run(l.name+"/sort="+sname+"/filter="+fname+"/page="+at, func(b *testing.B) {
						q := listing.Query{Sort: col, Limit: 10, Where: pred}
						if at == "middle" {
							p, _ := x.Page(l.table, q)
							q.Offset = p.Total / 2
						}
						b.ReportAllocs()
						cpu := cpuTime()
						for b.Loop() {
							if _, err := x.Page(l.table, q); err != nil {
								b.Fatal(err)
							}
						}
						reportCPU(b, cpu)
					})
				}
			}
		}
	}
}

// BenchmarkIndexPageUnindexed is the one unindexed path: identifiers
// sorted by the masked number a viewer sees (SortKey over every match).
func BenchmarkIndexPageUnindexed(b *testing.B) {
	x := index(b)
	q := listing.Query{Limit: 10, SortKey: func(r listing.RowView, buf []byte) []byte {
		return append(buf, store.MaskCredential(string(listing.TypeOf(r.Small(listing.CredType))), r.Text(listing.CredValue))...)
	}}
	cpu := cpuTime()
	for b.Loop() {
		if _, err := x.Page(listing.Credentials, q); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's CPU time so far (user and system, every
// thread): on a loaded machine the CPU an operation used says more than
// the wall-clock time it took.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
