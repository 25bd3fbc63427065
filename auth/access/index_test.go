package access

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// dump is the index's content in a form independent of slot numbers,
// set numbering and load order, for comparing two engines.
func dump(e *Engine) map[string]string {
	x := e.idx.Load()
	sets := *x.sets.Load()
	out := map[string]string{}
	userStr := func(u userRec) string {
		return fmt.Sprintf("uid=%d st=%d vf=%d vt=%d sched=%v locks=%d f=%d sec=%v",
			u.uid, u.state, u.from, u.to, sets[u.sched], u.locks, u.factors, u.security)
	}
	for kind, shards := range map[string]*[nShards]credShard{"card": &x.cards, "pin": &x.pins} {
		for i := range shards {
			sh := &shards[i]
			sh.mu.RLock()
			sh.t.each(func(k uint64, c credRec) {
				u, ok := x.user(&c)
				out[fmt.Sprintf("%s %d", kind, k)] = fmt.Sprintf("id=%d uid=%d vf=%d vt=%d max=%d left=%d locks=%d sched=%v user(%v)={%s}",
					c.id, c.userUID, c.cFrom, c.cTo, c.max, c.left, c.cLocks, sets[c.cSched], ok, userStr(u))
			})
			sh.mu.RUnlock()
		}
	}
	for _, w := range x.users {
		if w.u.state != stAbsent {
			out[fmt.Sprintf("user %d", w.u.uid)] = userStr(w.u)
		}
	}
	for id, p := range *x.profiles.Load() {
		out[fmt.Sprintf("profile %d", id)] = fmt.Sprintf("%v", *p)
	}
	s := e.Stats(time.Time{})
	out["counts"] = fmt.Sprintf("users=%d cards=%d pins=%d", s.Users, s.Cards, s.PINs)
	return out
}

func diff(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	n := 0
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] && n < 10 {
			t.Errorf("%s: %s\n got %s\nwant %s", what, k, got[k], want[k])
			n++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok && n < 10 {
			t.Errorf("%s: extra %s = %s", what, k, got[k])
			n++
		}
	}
}

// randomWrites drives a store with a random mix of every write the API
// makes; errors (conflicts, archived users, profiles in use) are part of
// the mix and ignored.
func randomWrites(t *testing.T, s *store.Store, rng *rand.Rand, n int) {
	var uids, cids, tps []uint64
	pickU := func() uint64 { return uids[rng.IntN(len(uids))] }
	randTPs := func() []uint64 {
		if len(tps) == 0 || rng.IntN(2) == 0 {
			return nil
		}
		return []uint64{tps[rng.IntN(len(tps))], tps[rng.IntN(len(tps))]}
	}
	randTime := func() *time.Time {
		if rng.IntN(3) > 0 {
			return nil
		}
		tm := time.Date(2025, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, time.FixedZone("", 3600*(rng.IntN(5)-2)))
		return &tm
	}
	locks := []store.Locks{store.LocksBoth, store.LocksFirst, store.LocksSecond}
	for range n {
		switch op := rng.IntN(20); {
		case op < 2 || len(uids) == 0:
			p := store.TimeProfile{Name: "p", Intervals: []store.Interval{{Days: []time.Weekday{time.Weekday(rng.IntN(7))}, Start: "08:00", End: fmt.Sprintf("%02d:00", 9+rng.IntN(14))}}}
			if s.CreateTimeProfile(&p) == nil {
				tps = append(tps, p.ID)
			}
			u := store.User{Name: "u", TimeProfiles: randTPs(), ValidFrom: randTime(), ValidTo: randTime(),
				Locks: locks[rng.IntN(3)], Security: rng.IntN(2) == 0, CustomAccess: rng.IntN(4) == 0, AuthFactors: []string{"card", "pin"}[:rng.IntN(3)]}
			if _, err := s.CreateUser(&u, "t"); err == nil {
				uids = append(uids, u.UID)
			}
		case op < 8:
			c := store.Credential{UserUID: pickU(), Type: store.CredCard, Value: fmt.Sprint(1 + rng.IntN(300)),
				Locks: locks[rng.IntN(3)], TimeProfiles: randTPs(), ValidTo: randTime(), MaxPasses: uint32(rng.IntN(3))}
			switch rng.IntN(4) {
			case 0:
				c.Type, c.Value = store.CredPIN, fmt.Sprintf("%04d", rng.IntN(300))
			case 1:
				c.Type = store.CredQR
			case 2:
				c.Format = []string{"h10301", "34bit"}[rng.IntN(2)] // beside plain numbers and each other
			}
			if s.CreateCredential(&c) == nil {
				cids = append(cids, c.ID)
			}
		case op < 11:
			s.UpdateUserByUID(pickU(), "t", func(u *store.User) error {
				switch rng.IntN(6) {
				case 0:
					u.State = []store.UserState{store.StateActive, store.StateDisabled, store.StateArchived}[rng.IntN(3)]
				case 1:
					u.TimeProfiles = randTPs()
				case 2:
					u.ValidFrom, u.ValidTo = randTime(), randTime()
				case 3:
					u.Locks = locks[rng.IntN(3)]
				case 4:
					u.CustomAccess = !u.CustomAccess
				default:
					u.Security = !u.Security
				}
				return nil
			})
		case op < 14 && len(cids) > 0:
			id := cids[rng.IntN(len(cids))]
			switch rng.IntN(4) {
			case 0:
				s.UsePass(id)
			case 1:
				s.ResetPasses(id)
			default:
				s.UpdateCredential(id, func(c *store.Credential) error {
					switch rng.IntN(4) {
					case 0:
						c.Value = fmt.Sprint(1 + rng.IntN(300))
						if c.Type == store.CredPIN {
							c.Value = fmt.Sprintf("%04d", rng.IntN(300))
						} else if c.Type == store.CredCard {
							c.Format = []string{"", "h10301", "c1000"}[rng.IntN(3)]
						}
					case 1:
						c.Locks = locks[rng.IntN(3)]
					case 2:
						c.TimeProfiles = randTPs()
					default:
						c.MaxPasses = uint32(rng.IntN(3))
					}
					return nil
				})
			}
		case op < 16 && len(cids) > 0:
			s.DeleteCredential(cids[rng.IntN(len(cids))])
		case op < 17:
			s.DeleteUserByUID(pickU())
		case op < 18 && len(tps) > 0:
			s.DeleteTimeProfile(tps[rng.IntN(len(tps))])
		case len(tps) > 0:
			s.UpdateTimeProfile(tps[rng.IntN(len(tps))], func(p *store.TimeProfile) error {
				p.Holidays = []string{"2025-03-12"}
				p.DateTo = "2030-01-01"
				return nil
			})
		}
	}
}

// TestApplyEqualsLoad: an engine that followed every write equals one
// loaded afresh (fast scan) and one built from fully decoded records,
// after random write sequences; a second engine that starts following
// mid-way, while writes go on, ends equal too.
func TestApplyEqualsLoad(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := storetest.Open(t)
			rng := rand.New(rand.NewPCG(seed, 42))
			follower := NewEngine(EngineConfig{})
			cancel, err := follower.Follow(s)
			if err != nil {
				t.Fatal(err)
			}
			defer cancel()
			randomWrites(t, s, rng, 150)
			late := NewEngine(EngineConfig{})
			var wg sync.WaitGroup
			wg.Go(func() { randomWrites(t, s, rand.New(rand.NewPCG(seed, 7)), 150) })
			cancel2, err := late.Follow(s)
			if err != nil {
				t.Fatal(err)
			}
			defer cancel2()
			wg.Wait()

			fresh := NewEngine(EngineConfig{})
			if _, err := fresh.Load(s); err != nil {
				t.Fatal(err)
			}
			var profiles []store.TimeProfile
			for cur := ""; ; {
				page, next, err := s.ListTimeProfiles(cur, 1000)
				if err != nil {
					t.Fatal(err)
				}
				profiles = append(profiles, page...)
				if cur = next; next == "" {
					break
				}
			}
			var users []store.User
			var creds []store.Credential
			s.ForEachUser(func(u *store.User) error { users = append(users, *u); return nil })
			s.ForEachCredential(func(c *store.Credential) error { creds = append(creds, *c); return nil })
			decoded := NewEngine(EngineConfig{})
			decoded.LoadRecords(profiles, users, creds)

			want := dump(decoded)
			if len(want) < 20 {
				t.Fatalf("only %d index entries: the write mix does too little", len(want))
			}
			diff(t, "fresh Load vs decoded records", dump(fresh), want)
			diff(t, "follower vs decoded records", dump(follower), want)
			diff(t, "late follower vs decoded records", dump(late), want)
			if got, want := follower.Stats(time.Time{}).Seq, s.Seq(); got != want {
				t.Errorf("follower seq %d, store %d", got, want)
			}
		})
	}
}

// TestConcurrentPresentApply runs decisions on several readers while
// Apply rewrites users and credentials (go test -race). Alice is never
// touched and must always pass; every other decision must name the card's
// real owner or nobody.
func TestConcurrentPresentApply(t *testing.T) {
	e := newTestEngine(t, EngineConfig{ReaderLockout: LockoutConfig{Off: true}})
	const churn = 200
	owner := func(i int) uint64 { return uint64(1000 + i) }
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 1))
		for seq := uint64(100); !stop.Load(); seq++ {
			i := rng.IntN(churn)
			uid := owner(i)
			u := store.User{UID: uid, State: store.StateActive, Locks: store.LocksBoth}
			if rng.IntN(2) == 0 {
				u.State = store.StateDisabled
			}
			c := store.Credential{ID: 10000 + uint64(i), UserUID: uid, Type: store.CredCard, Value: fmt.Sprint(50000 + i), Locks: store.LocksBoth}
			switch rng.IntN(3) {
			case 0:
				e.Apply([]store.Change{{Seq: seq, Kind: store.KindUser, ID: uid, User: &u}, {Seq: seq, Kind: store.KindCredential, ID: c.ID, Credential: &c}})
			case 1:
				e.Apply([]store.Change{{Seq: seq, Kind: store.KindCredential, ID: c.ID, Deleted: true}, {Seq: seq, Kind: store.KindUser, ID: uid, Deleted: true}})
			default:
				p := store.TimeProfile{ID: 3, Intervals: []store.Interval{{Days: []time.Weekday{3}, Start: "00:00", End: "24:00"}}}
				e.Apply([]store.Change{{Seq: seq, Kind: store.KindTimeProfile, ID: 3, TimeProfile: &p}})
			}
		}
	})
	var bad atomic.Int32
	var readers sync.WaitGroup
	for _, r := range []string{"any", "card", "pin", "both"} {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(2, uint64(len(r))))
			for range 5000 {
				i := rng.IntN(churn)
				o := e.Present(r, cardP(uint64(50000+i)), wed10)
				if o.UserUID != 0 && o.UserUID != owner(i) {
					bad.Add(1)
				}
				if r != "pin" {
					if o := e.Present(r, cardP(1001), wed10); r == "any" && o.Kind != OutcomeGranted {
						bad.Add(1)
					}
				} else if o := typeKeys(e, r, "1234#", wed10); o.Kind != OutcomeGranted {
					bad.Add(1)
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Errorf("%d decisions named the wrong user or refused alice", n)
	}
}
