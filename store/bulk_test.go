package store

// BulkLoad is checked against the one-by-one path it replaces: the same
// inputs written record by record through createUser/createCredential
// (what CreateUser and CreateCredential run), chunk by chunk, must give
// the same error, the same records, the same index buckets, the same
// sequences and the same change records.

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store/internal/keys"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// refBulkLoad is BulkLoad done the slow way: every record through
// createUser/createCredential, which look up and write each key as they
// go, in BulkLoad's chunks.
func (s *Store) refBulkLoad(users []User, creds []Credential) error {
	for start := 0; start < len(users); start = bulkEnd(start, len(users), bulkChunk) {
		end := bulkEnd(start, len(users), bulkChunk)
		out := make([]User, end-start)
		err := s.write(false, func(w *wtx) error {
			for i := start; i < end; i++ {
				n := cloneUser(&users[i])
				if _, err := w.createUser(&n, users[i].CreatedBy, false); err != nil {
					return fmt.Errorf("bulk load: user %d (%q): %w", i, users[i].Name, err)
				}
				out[i-start] = n
			}
			return nil
		})
		if err != nil {
			return err
		}
		copy(users[start:end], out)
	}
	for start := 0; start < len(creds); start = bulkEnd(start, len(creds), bulkCredChunk()) {
		end := bulkEnd(start, len(creds), bulkCredChunk())
		out := make([]Credential, end-start)
		err := s.write(false, func(w *wtx) error {
			for i := start; i < end; i++ {
				n := cloneCredential(&creds[i])
				if err := w.createCredential(&n); err != nil {
					return fmt.Errorf("bulk load: credential %d (%s): %w", i, creds[i].Type, err)
				}
				out[i-start] = n
			}
			return nil
		})
		if err != nil {
			return err
		}
		copy(creds[start:end], out)
	}
	return nil
}

func setBulkChunk(t testing.TB, n int) {
	old := bulkChunk
	bulkChunk = n
	t.Cleanup(func() { bulkChunk = old })
}

// changeLog is an OnChange that keeps every record.
type changeLog struct {
	mu  sync.Mutex
	all []Change
}

func (l *changeLog) add(cs []Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, cs...)
}

func openBulkTest(t testing.TB, log *changeLog) *Store {
	t.Helper()
	var opt Options
	if log != nil {
		opt.OnChange = log.add
	}
	s, err := Open(filepath.Join(t.TempDir(), "doord.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// bulkFixture is what both stores hold before the load: time profiles
// 1–3, apartments 1–2, and a few users and credentials whose keys the load
// may collide with.
func bulkFixture(t testing.TB, s *Store) {
	t.Helper()
	for i := range 3 {
		p := TimeProfile{Name: fmt.Sprint("tp", i), Intervals: []Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := s.CreateTimeProfile(&p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		a := Apartment{Name: "apt", Address: Address{Building: 1, Unit: 1, Floor: 1, Room: i}}
		if err := s.CreateApartment(&a); err != nil {
			t.Fatal(err)
		}
	}
	users := []User{
		{ID: fixedID(1), Name: "Fixture One", CreatedBy: "fixture"},
		{ID: fixedID(2), ExtID: "fixture-ext", Name: "Fixture Two", CreatedBy: "fixture"},
		{ID: fixedID(3), ExtID: fixedID(900), Name: "Fixture Three", CreatedBy: "fixture"}, // someone's future id as an ext_id
		{ID: fixedID(4), UID: 1000, Name: "Fixture Four", CreatedBy: "fixture"},
	}
	creds := []Credential{
		{UserUID: 1, Type: CredCard, Value: "777"},
		{UserUID: 2, Type: CredPIN, Value: "1234"},
		{ID: 500, UserUID: 1000, Type: CredCard, Value: "500500"},
	}
	if err := s.refBulkLoad(users, creds); err != nil {
		t.Fatal(err)
	}
}

// fixedID is a deterministic uuid (v4 layout) numbered n.
func fixedID(n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(n)*2654435761, n)
}

// bulkInput makes a varied load: given and generated ids (some upper
// case, some time-ordered), explicit and defaulted ext_ids, preset uids,
// every optional field, and credentials of several types for the users
// it makes and the fixture's.
func bulkInput(r *rand.Rand, nUsers int) ([]User, []Credential) {
	users := make([]User, nUsers)
	for i := range users {
		u := User{
			Name:      fmt.Sprintf("User %d", r.IntN(nUsers/3+1)),
			FirstName: "First", LastName: fmt.Sprint("Last", i),
			Email:     fmt.Sprintf("u%d@example.org", i),
			CreatedBy: "loader",
		}
		switch r.IntN(6) {
		case 0: // generated
		case 1:
			u.ID = strings.ToUpper(fixedID(1000 + i))
		case 2:
			id, _ := uuid.NewV7()
			u.ID = id.String()
		default:
			u.ID = fixedID(1000 + i)
		}
		switch r.IntN(5) {
		case 0:
			u.ExtID = fmt.Sprint("ext-", i)
		case 1:
			u.ExtID = fixedID(1001 + i) // the next user's id, maybe
		}
		for range r.IntN(4) {
			u.Tags = append(u.Tags, fmt.Sprint("tag", r.IntN(5)))
		}
		for range r.IntN(3) {
			u.TimeProfiles = append(u.TimeProfiles, uint64(1+r.IntN(3)))
		}
		if r.IntN(4) == 0 {
			u.Apartments = []uint64{uint64(1 + r.IntN(2))}
		}
		u.State = []UserState{"", "", StateActive, StateDisabled, StateArchived}[r.IntN(5)]
		u.Locks = []Locks{"", LocksBoth, LocksFirst, LocksSecond}[r.IntN(4)]
		if r.IntN(5) == 0 {
			from := time.Date(2025, 1, 1+r.IntN(20), 0, 0, 0, 0, time.FixedZone("X", 3600))
			to := from.AddDate(1, 0, 0)
			u.ValidFrom, u.ValidTo = &from, &to
		}
		if r.IntN(5) == 0 {
			u.Properties = map[string]string{"floor": fmt.Sprint(r.IntN(9))}
		}
		if r.IntN(7) == 0 {
			u.CustomAccess, u.AuthFactors = true, []string{"card", "pin"}
		}
		u.Security = r.IntN(9) == 0
		u.ExtendedOpen = r.IntN(9) == 0
		if r.IntN(10) == 0 {
			u.UID = uint64(2000 + 10*i + r.IntN(10)) // preset, ahead of the sequence
		}
		users[i] = u
	}
	return users, nil
}

// bulkCreds makes credentials for loaded users (uids as loaded).
func bulkCredsFor(r *rand.Rand, uids []uint64) []Credential {
	var creds []Credential
	for i, uid := range uids {
		for j := range r.IntN(3) {
			c := Credential{UserUID: uid, Type: CredCard, Value: fmt.Sprint(100000 + 7*i + j)}
			switch r.IntN(5) {
			case 0:
				c.Type, c.Value = CredPIN, fmt.Sprintf("%06d", (i*7919+j*31)%1000000)
			case 1:
				c.Type, c.Value = CredQR, fmt.Sprint("qr-", i, "-", j)
			}
			if r.IntN(4) == 0 {
				c.MaxPasses = uint32(r.IntN(5))
				c.PassesLeft = uint32(r.IntN(8))
			}
			if r.IntN(4) == 0 {
				c.TimeProfiles = []uint64{uint64(1 + r.IntN(3)), uint64(1 + r.IntN(3))}
			}
			if r.IntN(5) == 0 {
				c.Owner, c.OwnerName = OwnerGuest, "Guest"
			}
			c.Locks = []Locks{"", LocksFirst}[r.IntN(2)]
			if r.IntN(8) == 0 {
				c.ID = uint64(5000 + 10*len(creds) + r.IntN(10))
			}
			creds = append(creds, c)
		}
	}
	return creds
}

// faults break one record of a load in one way each; the second argument
// is a random source for picking which record.
var userFaults = map[string]func(us []User, r *rand.Rand){
	"id taken by the store": func(us []User, r *rand.Rand) { us[r.IntN(len(us))].ID = strings.ToUpper(fixedID(2)) },
	"id taken earlier in the load": func(us []User, r *rand.Rand) {
		i, j := pair(r, len(us))
		us[i].ID, us[j].ID = fixedID(7777), strings.ToUpper(fixedID(7777))
	},
	"id not a uuid": func(us []User, r *rand.Rand) { us[r.IntN(len(us))].ID = "not-a-uuid" },
	"ext_id taken by the store": func(us []User, r *rand.Rand) {
		us[r.IntN(len(us))].ExtID = "fixture-ext"
	},
	"ext_id taken earlier in the load": func(us []User, r *rand.Rand) {
		i, j := pair(r, len(us))
		us[i].ExtID, us[j].ExtID = "dup-ext", "dup-ext"
	},
	"ext_id is an earlier user's defaulted id": func(us []User, r *rand.Rand) {
		i, j := pair(r, len(us))
		us[i].ID, us[i].ExtID = fixedID(8888), ""
		us[j].ExtID = fixedID(8888)
	},
	"given id is the store's ext_id (ext_id replaced)": func(us []User, r *rand.Rand) {
		i := r.IntN(len(us))
		us[i].ID, us[i].ExtID = fixedID(900), ""
	},
	"given id is an earlier user's ext_id (ext_id replaced)": func(us []User, r *rand.Rand) {
		i, j := pair(r, len(us))
		us[i].ExtID = fixedID(9999)
		us[j].ID, us[j].ExtID = fixedID(9999), ""
	},
	"bad state":   func(us []User, r *rand.Rand) { us[r.IntN(len(us))].State = "gone" },
	"bad locks":   func(us []User, r *rand.Rand) { us[r.IntN(len(us))].Locks = "3" },
	"missing tp":  func(us []User, r *rand.Rand) { us[r.IntN(len(us))].TimeProfiles = []uint64{1, 99} },
	"missing apt": func(us []User, r *rand.Rand) { us[r.IntN(len(us))].Apartments = []uint64{42} },
	"long name": func(us []User, r *rand.Rand) {
		us[r.IntN(len(us))].Name = strings.Repeat("x", MaxKeyLen+1)
	},
	"id conflict and bad state on one user": func(us []User, r *rand.Rand) {
		i := r.IntN(len(us))
		us[i].ID, us[i].State = fixedID(1), "gone"
	},
	"ext conflict and missing tp on one user": func(us []User, r *rand.Rand) {
		i := r.IntN(len(us))
		us[i].ExtID, us[i].TimeProfiles = "fixture-ext", []uint64{99}
	},
	"bad state then a later duplicate id": func(us []User, r *rand.Rand) {
		i, j := pair(r, len(us))
		us[i].State = "gone"
		us[j].ID = fixedID(1)
	},
	"preset uid taken by the store": func(us []User, r *rand.Rand) { us[r.IntN(len(us))].UID = 1000 },
	"preset uid twice": func(us []User, r *rand.Rand) {
		i, j := pair(r, len(us))
		us[i].UID, us[j].UID = 1<<40, 1<<40
	},
	"preset uid an earlier generated one": func(us []User, r *rand.Rand) {
		for i := range us {
			us[i].UID = 0
		}
		_, j := pair(r, len(us))
		us[j].UID = 1001 // the fixture ends at 1000; the load's first generated uid is 1001
	},
}

var credFaults = map[string]func(cs []Credential, r *rand.Rand){
	"value taken by the store": func(cs []Credential, r *rand.Rand) {
		i := r.IntN(len(cs))
		cs[i].Type, cs[i].Value = CredCard, "777"
	},
	"value taken earlier in the load": func(cs []Credential, r *rand.Rand) {
		i, j := pair(r, len(cs))
		cs[i].Type, cs[i].Value = CredPIN, "424242"
		cs[j].Type, cs[j].Value = CredPIN, "424242"
	},
	"same value, other type (allowed)": func(cs []Credential, r *rand.Rand) {
		i, j := pair(r, len(cs))
		cs[i].Type, cs[i].Value = CredPIN, "31337"
		cs[j].Type, cs[j].Value = CredCard, "31337"
	},
	"missing user":                 func(cs []Credential, r *rand.Rand) { cs[r.IntN(len(cs))].UserUID = 1 << 50 },
	"bad type":                     func(cs []Credential, r *rand.Rand) { cs[r.IntN(len(cs))].Type = "palm" },
	"empty value":                  func(cs []Credential, r *rand.Rand) { cs[r.IntN(len(cs))].Value = "" },
	"bad owner":                    func(cs []Credential, r *rand.Rand) { cs[r.IntN(len(cs))].Owner = "thief" },
	"missing tp":                   func(cs []Credential, r *rand.Rand) { cs[r.IntN(len(cs))].TimeProfiles = []uint64{77} },
	"preset id taken by the store": func(cs []Credential, r *rand.Rand) { cs[r.IntN(len(cs))].ID = 500 },
	"preset id twice": func(cs []Credential, r *rand.Rand) {
		i, j := pair(r, len(cs))
		cs[i].ID, cs[j].ID = 1<<41, 1<<41
	},
	"value conflict and missing user on one credential": func(cs []Credential, r *rand.Rand) {
		i := r.IntN(len(cs))
		cs[i].Type, cs[i].Value, cs[i].UserUID = CredCard, "777", 1<<50
	},
	"value conflict and preset id conflict on one credential": func(cs []Credential, r *rand.Rand) {
		i := r.IntN(len(cs))
		cs[i].Type, cs[i].Value, cs[i].ID = CredCard, "777", 500
	},
}

// pair picks i < j.
func pair(r *rand.Rand, n int) (int, int) {
	i, j := r.IntN(n), r.IntN(n-1)
	if j >= i {
		j++
	}
	return min(i, j), max(i, j)
}

// TestBulkLoadMatchesOneByOne loads random inputs, clean and with each
// fault, through BulkLoad and through the one-by-one path, with chunks
// small enough that every load spans several, and compares everything.
func TestBulkLoadMatchesOneByOne(t *testing.T) {
	setBulkChunk(t, 16)
	type tc struct {
		name      string
		userFault func([]User, *rand.Rand)
		credFault func([]Credential, *rand.Rand)
	}
	cases := []tc{{name: "clean"}}
	for _, name := range sortedKeys(userFaults) {
		cases = append(cases, tc{name: "user: " + name, userFault: userFaults[name]})
	}
	for _, name := range sortedKeys(credFaults) {
		cases = append(cases, tc{name: "credential: " + name, credFault: credFaults[name]})
	}
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := range uint64(seeds) {
				// Odd seeds prepare every chunk in its write transaction.
				bulkPipelined = seed%2 == 0
				defer func() { bulkPipelined = true }()
				r := rand.New(rand.NewPCG(seed, 7))
				users, _ := bulkInput(r, 20+r.IntN(60))
				if c.userFault != nil {
					c.userFault(users, r)
				}
				var fixtureUIDs = []uint64{1, 2, 3, 1000}
				compareLoads(t, fmt.Sprint("seed ", seed), users, func(loaded []User) []Credential {
					uids := append(slices.Clone(fixtureUIDs), uidsOf(loaded)...)
					creds := bulkCredsFor(r, uids)
					if c.credFault != nil && len(creds) > 1 {
						c.credFault(creds, r)
					}
					return creds
				})
			}
		})
	}
}

func uidsOf(us []User) []uint64 {
	var out []uint64
	for _, u := range us {
		if u.UID != 0 {
			out = append(out, u.UID)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// compareLoads runs users and then the credentials mkCreds makes for the
// users as loaded (by the reference path) through both paths on two
// stores holding the fixture, and compares errors, write-backs, files
// and change records.
func compareLoads(t *testing.T, what string, users []User, mkCreds func([]User) []Credential) {
	t.Helper()
	var refLog, bulkLog changeLog
	ref, bulk := openBulkTest(t, &refLog), openBulkTest(t, &bulkLog)
	bulkFixture(t, ref)
	bulkFixture(t, bulk)

	refUsers, bulkUsers := cloneUsers(users), cloneUsers(users)
	refErr := ref.refBulkLoad(refUsers, nil)
	bulkErr := bulk.BulkLoad(bulkUsers, nil)
	if !sameErr(refErr, bulkErr) {
		t.Fatalf("%s: users: BulkLoad error\n  %v\nwant\n  %v", what, bulkErr, refErr)
	}
	if refErr == nil {
		creds := mkCreds(refUsers)
		refCreds, bulkCreds := slices.Clone(creds), slices.Clone(creds)
		refErr = ref.refBulkLoad(nil, refCreds)
		bulkErr = bulk.BulkLoad(nil, bulkCreds)
		if !sameErr(refErr, bulkErr) {
			t.Fatalf("%s: credentials: BulkLoad error\n  %v\nwant\n  %v", what, bulkErr, refErr)
		}
		if refErr == nil {
			for i := range refCreds {
				a, b := refCreds[i], bulkCreds[i]
				a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("%s: credential %d written back as\n  %+v\nwant\n  %+v", what, i, b, a)
				}
			}
		}
	}
	if refErr == nil {
		given := givenStrings(users)
		for i := range refUsers {
			a, b := canonUser(refUsers[i], given), canonUser(bulkUsers[i], given)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s: user %d written back as\n  %+v\nwant\n  %+v", what, i, b, a)
			}
		}
	}
	for _, s := range []*Store{ref, bulk} {
		if err := s.Check(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	given := givenStrings(users)
	if a, b := dumpStore(t, ref, given), dumpStore(t, bulk, given); a != b {
		t.Fatalf("%s: files differ:\n%s", what, firstDiff(b, a))
	}
	if a, b := dumpChanges(refLog.all, given), dumpChanges(bulkLog.all, given); a != b {
		t.Fatalf("%s: change records differ:\n%s", what, firstDiff(b, a))
	}
}

func cloneUsers(us []User) []User {
	out := make([]User, len(us))
	for i := range us {
		out[i] = cloneUser(&us[i])
	}
	return out
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Error() != b.Error() {
		return false
	}
	var ca, cb *ConflictError
	if errors.As(a, &ca) != errors.As(b, &cb) {
		return false
	}
	for _, target := range []error{ErrConflict, ErrInvalid} {
		if errors.Is(a, target) != errors.Is(b, target) {
			return false
		}
	}
	return true
}

// givenStrings are the ids and ext_ids the inputs name; any other uuid in
// a store was generated (random) and is compared by position only.
func givenStrings(users []User) map[string]bool {
	m := map[string]bool{}
	for _, u := range users {
		if id, ok := canonicalID(u.ID); ok {
			m[id] = true
		}
		m[u.ExtID] = true
	}
	for i := range 10 {
		m[fixedID(i)] = true
	}
	m[fixedID(900)] = true
	m["fixture-ext"] = true
	return m
}

func canonUser(u User, given map[string]bool) User {
	u.CreatedAt, u.UpdatedAt = time.Time{}, time.Time{}
	if !given[u.ExtID] {
		if u.ExtID == u.ID {
			u.ExtID = "random (= id)"
		} else {
			u.ExtID = "random"
		}
	}
	if !given[u.ID] {
		u.ID = "random"
	}
	return u
}

func canonCred(c Credential) Credential {
	c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
	return c
}

// dumpStore prints every bucket: records decoded without their
// timestamps and with generated uuids blanked, index and other buckets
// byte for byte (generated uuids in index keys blanked the same way),
// and every bucket's sequence.
func dumpStore(t *testing.T, s *Store, given map[string]bool) string {
	t.Helper()
	var b strings.Builder
	err := s.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			fmt.Fprintf(&b, "bucket %s seq %d\n", name, bk.Sequence())
			var lines []string
			err := bk.ForEach(func(k, v []byte) error {
				switch {
				case bytes.Equal(name, bUsers):
					u, err := decode[User](k, v)
					if err != nil {
						return err
					}
					lines = append(lines, fmt.Sprintf("  %x %+v", k, canonUser(u, given)))
				case bytes.Equal(name, bCreds):
					c, err := decode[Credential](k, v)
					if err != nil {
						return err
					}
					lines = append(lines, fmt.Sprintf("  %x %+v", k, canonCred(c)))
				case bytes.Equal(name, bUserByID) || bytes.Equal(name, bUserByExtID):
					key := string(k)
					if !given[key] {
						key = "random"
					}
					lines = append(lines, fmt.Sprintf("  %s %x", key, v))
				case bytes.Equal(name, bMeta) && bytes.Equal(k, kSeq):
					n, _ := keys.ParseU64(v)
					lines = append(lines, fmt.Sprintf("  seq %d", n))
				case bytes.Equal(name, bTimeProfiles) || bytes.Equal(name, bApartments):
					lines = append(lines, fmt.Sprintf("  %x", k)) // JSON with their own stamps
				default:
					lines = append(lines, fmt.Sprintf("  %x %x", k, v))
				}
				return nil
			})
			slices.Sort(lines) // "random" keys lose their order
			b.WriteString(strings.Join(lines, "\n"))
			b.WriteString("\n")
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func dumpChanges(cs []Change, given map[string]bool) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%d %s %d %q %v", c.Seq, c.Kind, c.ID, c.Key, c.Deleted)
		if c.User != nil {
			fmt.Fprintf(&b, " %+v", canonUser(*c.User, given))
		}
		if c.Credential != nil {
			fmt.Fprintf(&b, " %+v", canonCred(*c.Credential))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  got  %s\n  want %s", i+1, gl, wl)
		}
	}
	return "(same)"
}

// conflicts must find exactly the keys a one-by-one load would find
// taken, whatever the bucket holds around them.
func TestBulkConflicts(t *testing.T) {
	s := openBulkTest(t, nil)
	stored := []string{"b", "d", "f"}
	cases := []struct {
		load string // keys of the chunk, in record order
		want string // records (by position) found taken: s by the bucket, d by the record before
	}{
		{"", ""},
		{"a c e g", ""},
		{"a b c", "1s"},
		{"f", "0s"},
		{"g h", ""},
		{"a a", "1d"},
		{"b b", "0s 1d"},
		{"c d d e f", "1s 2d 4s"},
		{"e e a f", "1d 3s"},
		{"0 1 2 3 4 5 6 7 8 9 a c e g", ""},
		{"d", "0s"},
	}
	err := s.write(false, func(w *wtx) error {
		b := w.b(bSettings)
		for _, k := range stored {
			if err := b.Put([]byte(k), []byte("v")); err != nil {
				return err
			}
		}
		for _, c := range cases {
			var ks []bulkKey
			for i, k := range strings.Fields(c.load) {
				ks = append(ks, bulkKey{k: []byte(k), rec: int32(i)})
			}
			sortKeys(ks)
			var got []string
			conflicts(func([]byte) *bolt.Bucket { return b }, nil, ks, func(j int) {
				s := fmt.Sprint(ks[j].rec)
				if bytes.Equal(ks[j].k, ks[max(j-1, 0)].k) && j > 0 {
					s += "d" // a duplicate of the record before
				} else {
					s += "s"
				}
				got = append(got, s)
			})
			slices.Sort(got)
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("conflicts(%q) with %q stored = %q, want %q", c.load, stored, g, c.want)
			}
		}
		return errNoop // roll back
	})
	if err != errNoop {
		t.Fatal(err)
	}
	// Random keys against random stored ones, against a map.
	r := rand.New(rand.NewPCG(5, 5))
	for round := range 50 {
		stored := map[string]bool{}
		var ks []bulkKey
		for range r.IntN(300) {
			stored[fmt.Sprint(r.IntN(1000))] = true
		}
		for i := range r.IntN(300) {
			ks = append(ks, bulkKey{k: []byte(fmt.Sprint(r.IntN(1000))), rec: int32(i)})
		}
		sortKeys(ks)
		want := map[int32]bool{}
		for j, k := range ks {
			if stored[string(k.k)] || j > 0 && bytes.Equal(k.k, ks[j-1].k) {
				want[k.rec] = true
			}
		}
		got := map[int32]bool{}
		err := s.write(false, func(w *wtx) error {
			b := w.b(bSettings)
			for k := range stored {
				if err := b.Put([]byte(k), []byte("v")); err != nil {
					return err
				}
			}
			conflicts(w.b, bSettings, ks, func(j int) { got[ks[j].rec] = true })
			return errNoop
		})
		if err != errNoop {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Fatalf("round %d: conflicts found %d records, want %d", round, len(got), len(want))
		}
	}
	// An empty bucket holds nothing.
	s.write(false, func(w *wtx) error {
		ks := []bulkKey{{k: []byte("a")}, {k: []byte("a"), rec: 1}}
		var got []int32
		conflicts(w.b, bSessByOp, ks, func(j int) { got = append(got, ks[j].rec) })
		if !slices.Equal(got, []int32{1}) {
			t.Errorf("conflicts in an empty bucket: %v, want [1]", got)
		}
		return errNoop
	})
}

// Writes by others between the chunks of a load: the chunks prepared
// ahead against an older snapshot must not be trusted.
func TestBulkLoadWithOtherWriters(t *testing.T) {
	setBulkChunk(t, 10)
	mk := func(n int, tp uint64) []User {
		us := make([]User, n)
		for i := range us {
			us[i] = User{ID: fixedID(100 + i), Name: fmt.Sprint("U", i), TimeProfiles: []uint64{tp}}
		}
		return us
	}
	t.Run("time profile deleted", func(t *testing.T) {
		s := openBulkTest(t, nil)
		tp := TimeProfile{Name: "p", Intervals: []Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := s.CreateTimeProfile(&tp); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTimeProfile(&TimeProfile{Name: "used by the first chunks", Intervals: tp.Intervals}); err != nil {
			t.Fatal(err)
		}
		b := chunkEnds(50, bulkChunk)[3]
		users := mk(50, tp.ID)
		for i := range b {
			users[i].TimeProfiles = []uint64{tp.ID + 1}
		}
		bulkAfterChunk = func(_ []byte, done int) {
			if done == b {
				if err := s.DeleteTimeProfile(tp.ID); err != nil {
					t.Error(err)
				}
			}
		}
		defer func() { bulkAfterChunk = nil }()
		err := s.BulkLoad(users, nil)
		want := fmt.Sprintf(`bulk load: user %d ("U%[1]d"): time_profiles: %d does not exist`, b, tp.ID)
		if err == nil || err.Error() != want {
			t.Errorf("BulkLoad = %v, want %s", err, want)
		}
		if st, _ := s.Stats(); st.Users != b {
			t.Errorf("%d users after the failed load, want the %d of the chunks before", st.Users, b)
		}
		if err := s.Check(); err != nil {
			t.Error(err)
		}
	})
	t.Run("id taken meanwhile", func(t *testing.T) {
		s := openBulkTest(t, nil)
		tp := TimeProfile{Name: "p", Intervals: []Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := s.CreateTimeProfile(&tp); err != nil {
			t.Fatal(err)
		}
		bulkAfterChunk = func(_ []byte, done int) {
			if done == chunkEnds(50, bulkChunk)[0] {
				if _, err := s.CreateUser(&User{ID: fixedID(100 + 35), Name: "other"}, "x"); err != nil {
					t.Error(err)
				}
			}
		}
		defer func() { bulkAfterChunk = nil }()
		err := s.BulkLoad(mk(50, tp.ID), nil)
		wantConflictErr(t, err, "id", `bulk load: user 35 ("U35"): id already exists`)
		if err := s.Check(); err != nil {
			t.Error(err)
		}
	})
	// The load's preset keys ahead of the sequence are the load's from
	// its start: writers meanwhile get keys around them, never one of
	// them (TestBulkLoadNoSync met this by chance, ~3 % of runs).
	t.Run("preset keys ahead of the sequence while others create", func(t *testing.T) {
		s := openBulkTest(t, nil)
		tp := TimeProfile{Name: "p", Intervals: []Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := s.CreateTimeProfile(&tp); err != nil {
			t.Fatal(err)
		}
		ue, ce := chunkEnds(50, bulkChunk), chunkEnds(50, bulkCredChunk())
		users := mk(50, tp.ID)
		const presetUID, presetCredID = 60, 70
		users[ue[1]].UID = presetUID // in the third chunk
		var others []uint64
		var otherCreds []uint64
		bulkAfterChunk = func(b []byte, done int) {
			switch {
			case bytes.Equal(b, bUsers) && done == ue[0]:
				// Enough creates to run the sequence past the preset uid.
				for range presetUID {
					u := User{Name: "other"}
					if _, err := s.CreateUser(&u, "x"); err != nil {
						t.Error(err)
						return
					}
					others = append(others, u.UID)
				}
			case bytes.Equal(b, bCreds) && done == ce[0]:
				for i := range presetCredID {
					c := Credential{UserUID: others[0], Type: CredCard, Value: fmt.Sprint(900000 + i)}
					if err := s.CreateCredential(&c); err != nil {
						t.Error(err)
						return
					}
					otherCreds = append(otherCreds, c.ID)
				}
			}
		}
		defer func() { bulkAfterChunk = nil }()
		if err := s.BulkLoad(users, nil); err != nil {
			t.Fatal(err)
		}
		if users[ue[1]].UID != presetUID {
			t.Errorf("preset uid became %d, want %d", users[ue[1]].UID, presetUID)
		}
		if slices.Contains(others, presetUID) {
			t.Errorf("another writer got the load's preset uid %d", presetUID)
		}
		var creds []Credential
		for i, u := range users {
			creds = append(creds, Credential{UserUID: u.UID, Type: CredCard, Value: fmt.Sprint(1000 + i)})
		}
		creds[ce[1]].ID = presetCredID
		if err := s.BulkLoad(nil, creds); err != nil {
			t.Fatal(err)
		}
		if creds[ce[1]].ID != presetCredID {
			t.Errorf("preset credential id became %d, want %d", creds[ce[1]].ID, presetCredID)
		}
		if slices.Contains(otherCreds, presetCredID) {
			t.Errorf("another writer got the load's preset credential id %d", presetCredID)
		}
		if s.held.Load() != nil {
			t.Error("the loads' holds outlive them")
		}
		if err := s.Check(); err != nil {
			t.Error(err)
		}
	})
	t.Run("users and credentials created meanwhile", func(t *testing.T) {
		s := openBulkTest(t, nil)
		tp := TimeProfile{Name: "p", Intervals: []Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
		if err := s.CreateTimeProfile(&tp); err != nil {
			t.Fatal(err)
		}
		var others []uint64
		ue, ce := chunkEnds(50, bulkChunk), chunkEnds(50, bulkCredChunk())
		bulkAfterChunk = func(b []byte, done int) {
			if bytes.Equal(b, bUsers) && (done == ue[1] || done == ue[3]) {
				u := User{Name: "other"}
				if _, err := s.CreateUser(&u, "x"); err != nil {
					t.Error(err)
				}
				others = append(others, u.UID)
			}
			if bytes.Equal(b, bCreds) && done == ce[0] {
				if err := s.CreateCredential(&Credential{UserUID: others[0], Type: CredCard, Value: "9"}); err != nil {
					t.Error(err)
				}
			}
		}
		defer func() { bulkAfterChunk = nil }()
		users := mk(50, tp.ID)
		if err := s.BulkLoad(users, nil); err != nil {
			t.Fatal(err)
		}
		// Each chunk after another's user continues after it.
		a, b := uint64(ue[1]), uint64(ue[3])
		want := []uint64{1, a, a + 1, a + 2, b + 1, b + 2, b + 3, 52}
		got := []uint64{users[0].UID, users[a-1].UID, others[0], users[a].UID, users[b-1].UID, others[1], users[b].UID, users[49].UID}
		if !slices.Equal(got, want) {
			t.Errorf("uids at the chunk edges %v, want %v (others %v)", got, want, others)
		}
		var creds []Credential
		for i, u := range users {
			creds = append(creds, Credential{UserUID: u.UID, Type: CredCard, Value: fmt.Sprint(1000 + i)})
		}
		if err := s.BulkLoad(nil, creds); err != nil {
			t.Fatal(err)
		}
		if c := ce[0]; creds[c-1].ID != uint64(c) || creds[c].ID != uint64(c+2) {
			t.Errorf("credential ids around another's: %d, %d; want %d, %d", creds[c-1].ID, creds[c].ID, c, c+2)
		}
		if err := s.Check(); err != nil {
			t.Error(err)
		}
	})
}

func wantConflictErr(t *testing.T, err error, field, msg string) {
	t.Helper()
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Field != field || err.Error() != msg {
		t.Errorf("err = %v, want %s", err, msg)
	}
}

func TestSortPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, values := range []int{1, 3, 50, 5000} {
		for _, shuffledIDs := range []bool{false, true} {
			var ks []bulkKey
			for i := range 2000 {
				id := uint64(i + 1)
				if shuffledIDs {
					id = r.Uint64N(1 << 40)
				}
				ks = append(ks, bulkKey{k: keys.Posting(keys.Str(fmt.Sprint("v", r.IntN(values))), id), rec: int32(i)})
			}
			want := slices.Clone(ks)
			slices.SortFunc(want, cmpBulkKey)
			sortPostings(ks)
			if !slices.EqualFunc(ks, want, func(a, b bulkKey) bool { return cmpBulkKey(a, b) == 0 }) {
				t.Errorf("%d values, shuffled ids %v: not sorted", values, shuffledIDs)
			}
		}
	}
}

// chunkEnds are the ends of BulkLoad's chunks of n records.
func chunkEnds(n, chunk int) []int {
	var ends []int
	for start := 0; start < n; start = bulkEnd(start, n, chunk) {
		ends = append(ends, bulkEnd(start, n, chunk))
	}
	return ends
}

func TestBulkChunkEnds(t *testing.T) {
	for _, c := range []struct {
		n, chunk int
		want     []int
	}{
		{50, 10, []int{1, 3, 7, 15, 25, 35, 45, 50}},
		{1000, 80, []int{10, 30, 70, 150, 230, 310, 390, 470, 550, 630, 710, 790, 870, 950, 1000}},
		{5, 80, []int{5}},
		{3, 1, []int{1, 2, 3}},
	} {
		if got := chunkEnds(c.n, c.chunk); !slices.Equal(got, c.want) {
			t.Errorf("chunks of %d by %d end at %v, want %v", c.n, c.chunk, got, c.want)
		}
	}
}

// NoSync loads the same, leaves the store syncing again, and does not
// race with other writers.
func TestBulkLoadNoSync(t *testing.T) {
	setBulkChunk(t, 40)
	s := openBulkTest(t, nil)
	bulkFixture(t, s)
	users, _ := bulkInput(rand.New(rand.NewPCG(3, 3)), 300)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.CreateUser(&User{Name: fmt.Sprint("other ", i)}, "x"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	err := s.BulkLoadWith(users, nil, BulkOptions{NoSync: true})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if s.db.NoSync || s.db.NoGrowSync {
		t.Error("db.NoSync or NoGrowSync still set after the load")
	}
	for i, u := range users {
		got, err := s.GetUserByUID(u.UID)
		if err != nil || got.Name != u.Name {
			t.Fatalf("user %d: %+v, %v", i, got, err)
		}
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}
