package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
)

func main() {
	data := flag.String("data", "data", "directory of doord.db")
	users := flag.Int("users", 1000, "users to create")
	cardsPer := flag.Int("cards-per-user", 1, "cards per user")
	pinsPer := flag.Int("pins-per-user", 1, "PINs per user (at most 1 keeps PINs 8 digits)")
	chunk := flag.Int("chunk", 50000, "users per BulkLoad call")
	memLimit := flag.Int64("mem-limit", 512, "soft limit of the Go heap in MiB (GOMEMLIMIT wins when set); 0: none")
	seed := flag.Uint64("seed", 1, "random seed")
	events := flag.Int("events", 0, "door events to log after the users (the ring is made at least this large)")
	sync := flag.Bool("sync", false, "fsync every BulkLoad chunk; by default the file is synced once at the end (a power cut meanwhile may ruin it: it is synthetic)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if os.Getenv("GOMEMLIMIT") == "" && *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*data, *users, *cardsPer, *pinsPer, *chunk, *seed, *events, store.BulkOptions{NoSync: !*sync}); err != nil {
		pprof.StopCPUProfile()
		log.Fatal(err)
	}
}

var (
	firstNames = []string{"Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luca", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umut", "Vera", "Wim", "Yara", "Zoe"}
	lastNames  = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann"}
	tags       = []string{"staff", "resident", "contractor", "visitor", "cleaning", "security", "management", "delivery"}
)

// newID is a time-ordered (v7) uuid, as a client may supply: consecutive
// users' ids sort in creation order, so BulkLoad appends to the uuid and
// ext_id indexes (the ext_id defaults to the id) instead of inserting
// all over them, which is most of what a random v4 id costs at a million.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		log.Fatal(err)
	}
	return id.String()
}

func run(dir string, nUsers, cardsPer, pinsPer, chunk int, seed uint64, nEvents int, opt store.BulkOptions) error {
	if pinsPer > 1 {
		return fmt.Errorf("--pins-per-user at most 1 (PINs are unique 8-digit numbers)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, "doord.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	start := time.Now()

	var profiles []uint64
	for _, p := range []store.TimeProfile{
		{Name: "office hours", Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "07:00", End: "19:00"}}, Holidays: []string{"2025-12-25", "2026-01-01"}},
		{Name: "weekends", Intervals: []store.Interval{{Days: []time.Weekday{0, 6}, Start: "00:00", End: "24:00"}}},
		{Name: "night shift", Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "22:00", End: "06:00"}}},
		{Name: "cleaning", Intervals: []store.Interval{{Days: []time.Weekday{1, 3, 5}, Start: "05:00", End: "08:00"}, {Days: []time.Weekday{6}, Start: "09:00", End: "12:00"}}},
		{Name: "summer season", Intervals: []store.Interval{{Days: []time.Weekday{0, 1, 2, 3, 4, 5, 6}, Start: "08:00", End: "20:00"}}, DateFrom: "2025-06-01", DateTo: "2025-09-30"},
	} {
		if err := s.CreateTimeProfile(&p); err != nil {
			return err
		}
		profiles = append(profiles, p.ID)
	}

	// Batches are made in a goroutine, one ahead of the one being
	// loaded, from one random stream in the same order as ever: the
	// same --seed gives the same data.
	g := &gen{rng: rng, profiles: profiles, cardsPer: cardsPer, pinsPer: pinsPer}
	batches, stop := make(chan batch), make(chan struct{})
	defer close(stop)
	go func() {
		defer close(batches)
		for off := 0; off < nUsers; off += chunk {
			select {
			case batches <- g.batch(off, min(chunk, nUsers-off)):
			case <-stop:
				return
			}
		}
	}()
	var userTime, credTime time.Duration
	nCreds, done := 0, 0
	for b := range batches {
		t0 := time.Now()
		if err := s.BulkLoadWith(b.users, nil, opt); err != nil {
			return err
		}
		userTime += time.Since(t0)
		for i := range b.creds {
			b.creds[i].UserUID = b.users[b.owner[i]].UID
		}
		t0 = time.Now()
		if err := s.BulkLoadWith(nil, b.creds, opt); err != nil {
			return err
		}
		credTime += time.Since(t0)
		done += len(b.users)
		nCreds += len(b.creds)
		fmt.Fprintf(os.Stderr, "%d users, %d credentials, %v\n", done, nCreds, time.Since(start).Round(time.Millisecond))
	}
	if err := genEvents(s, nEvents, nUsers, seed); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("doordgen: %d users (%v), %d credentials (%v), total %v, %s %d MB\n",
		nUsers, userTime.Round(time.Millisecond), nCreds, credTime.Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond), path, fi.Size()>>20)
	return nil
}

// gen makes the synthetic users and credentials.
type gen struct {
	rng               *rand.Rand
	profiles          []uint64
	cardsPer, pinsPer int
	pinSeq            int
}

// batch is users [off, off+n) and their credentials, each credential's
// user given by its index in users (UserUID is known once they are
// loaded).
type batch struct {
	users []store.User
	creds []store.Credential
	owner []int32
}

func (g *gen) batch(off, n int) batch {
	rng, profiles := g.rng, g.profiles
	us := make([]store.User, n)
	for i := range us {
		k := off + i
		fn, ln := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		u := store.User{
			ID:   newID(),
			Name: fn + " " + ln, FirstName: fn, LastName: ln,
			Email: fmt.Sprintf("user%d@example.org", k),
			Tags:  []string{tags[rng.IntN(len(tags))]},
		}
		switch r := rng.IntN(100); {
		case r < 5:
			u.State = store.StateDisabled
		case r < 6:
			u.State = store.StateArchived
		}
		if rng.IntN(5) == 0 {
			u.TimeProfiles = []uint64{profiles[rng.IntN(len(profiles))]}
			if rng.IntN(4) == 0 {
				u.TimeProfiles = append(u.TimeProfiles, profiles[rng.IntN(len(profiles))])
			}
		}
		if rng.IntN(10) == 0 {
			from := time.Date(2024, time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			to := from.AddDate(1+rng.IntN(3), 0, 0)
			u.ValidFrom, u.ValidTo = &from, &to
		}
		if rng.IntN(20) == 0 {
			u.Locks = store.LocksFirst
		}
		if rng.IntN(100) == 0 {
			u.Security = true
		}
		if rng.IntN(50) == 0 {
			u.CustomAccess, u.AuthFactors = true, []string{"card", "pin"}
		}
		us[i] = u
	}
	b := batch{users: us}
	b.creds = make([]store.Credential, 0, n*(g.cardsPer+g.pinsPer))
	for i := range us {
		k := off + i
		for j := range g.cardsPer {
			v := uint64(k*g.cardsPer + j + 1)
			c := store.Credential{Type: store.CredCard, Value: fmt.Sprint((v>>16+1)<<16 | v&0xffff)}
			if rng.IntN(200) == 0 {
				c.MaxPasses = uint32(1 + rng.IntN(20))
			}
			if rng.IntN(50) == 0 {
				to := time.Date(2026, time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
				c.ValidTo = &to
			}
			b.creds = append(b.creds, c)
			b.owner = append(b.owner, int32(i))
		}
		for range g.pinsPer {
			// An affine map mod 10^8 with a unit multiplier: unique PINs.
			p := (uint64(g.pinSeq)*7919 + 12345) % 100000000
			g.pinSeq++
			b.creds = append(b.creds, store.Credential{Type: store.CredPIN, Value: fmt.Sprintf("%08d", p)})
			b.owner = append(b.owner, int32(i))
		}
	}
	return b
}
