package access

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// Benchmarks at scale. They run only under -bench (go test skips them
// otherwise), sized by DOORD_BENCH_USERS (default 1,000,000 users, each
// with a card and a PIN: 2,000,000 credentials). BenchmarkColdStart needs
// a store made by cmd/doordgen in DOORD_BENCH_DB. See BENCHMARKS.part.md.
//
//	go test -run '^$' -bench . -benchtime 2000000x ./auth/

func benchUsers() int {
	if v, err := strconv.Atoi(os.Getenv("DOORD_BENCH_USERS")); err == nil && v > 0 {
		return v
	}
	return 1000000
}

var bench struct {
	once  sync.Once
	e     *Engine
	cards []uint64 // every card value, in random order
	m     map[uint64]uint32
	bytes float64 // index heap bytes per credential
	mapB  float64 // bare map heap bytes per entry
	users int
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// benchEngine builds the engine the way Load does (same writer code), from
// synthetic records with the generator's mix: a fifth of the users on a
// schedule, a tenth with a validity window, some disabled.
// benchProfiles are the weekly profiles a fifth of the users have.
func benchProfiles() []store.TimeProfile {
	return []store.TimeProfile{
		{ID: 1, Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "07:00", End: "19:00"}}, Holidays: []string{"2025-12-25"}},
		{ID: 2, Intervals: []store.Interval{{Days: []time.Weekday{0, 6}, Start: "00:00", End: "24:00"}}},
		{ID: 3, Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "22:00", End: "06:00"}}},
	}
}

func benchEngine(b *testing.B) {
	bench.once.Do(func() {
		n := benchUsers()
		bench.users = n
		rng := rand.New(rand.NewPCG(1, 2))
		profiles := benchProfiles()
		before := heap()
		// Lockouts on at their defaults: the card-only runs never meet
		// them (cards do not lock), the mix does.
		e := NewEngine(EngineConfig{
			Readers: []ReaderConfig{
				{ID: "r", Lock: 1, Mode: ModeCardOrPIN},
				{ID: "cp", Lock: 1, Mode: ModeCardAndPIN},
			},
			Location: mustLoad("Europe/Berlin"),
		})
		x := newIndex()
		x.loading = true
		x.wmu.Lock()
		x.users = make([]userW, 0, n)
		x.uidSlot.d = make([]uint32, 0, n+1)
		x.loc.d = make([]credLoc, 0, 2*n+1)
		for i := range profiles {
			s, _ := CompileProfile(&profiles[i])
			(*x.profiles.Load())[profiles[i].ID] = s
		}
		from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		cards := make([]uint64, 0, n)
		for i := range n {
			u := store.AccessUser{UID: uint64(i + 1), State: store.StateActive, Locks: store.LocksBoth}
			if rng.IntN(5) == 0 {
				u.TimeProfiles = []uint64{uint64(1 + rng.IntN(3))}
			}
			if rng.IntN(10) == 0 {
				u.ValidFrom, u.ValidTo = from, to
			}
			if rng.IntN(20) == 0 {
				u.State = store.StateDisabled
			}
			x.putUser(&u)
			v := (uint64(i+1)>>16+1)<<16 | uint64(i+1)&0xffff // unique 34-bit payloads, as cmd/doordgen
			c := store.AccessCredential{ID: uint64(2*i + 1), UserUID: u.UID, Type: store.CredCard, Value: strconv.FormatUint(v, 10), Locks: store.LocksBoth}
			x.putCred(&c, false)
			p := store.AccessCredential{ID: uint64(2*i + 2), UserUID: u.UID, Type: store.CredPIN, Value: fmt.Sprintf("%08d", (uint64(i)*7919+12345)%100000000), Locks: store.LocksBoth}
			x.putCred(&p, false)
			cards = append(cards, v)
		}
		x.wmu.Unlock()
		e.swap(x, 0)
		rng.Shuffle(len(cards), func(i, j int) { cards[i], cards[j] = cards[j], cards[i] })
		bench.cards = cards
		after := heap()
		bench.bytes = float64(after-before-uint64(8*len(cards))) / float64(2*n)
		bench.e = e

		before = heap()
		m := make(map[uint64]uint32)
		for i, c := range cards {
			m[c] = uint32(i)
			m[c|1<<62] = uint32(i) // as many entries as credentials
		}
		bench.mapB = float64(heap()-before) / float64(len(m))
		bench.m = m
	})
}

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// latencies records per-op durations in a preallocated slice (no
// allocation while measuring) and reports p50/p99.
type latencies []int64

func (l latencies) report(b *testing.B) {
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) == 0 {
		return
	}
	b.ReportMetric(float64(s[len(s)/2]), "p50-ns")
	b.ReportMetric(float64(s[len(s)*99/100]), "p99-ns")
	b.ReportMetric(float64(s[len(s)*999/1000]), "p999-ns")
}

const maxSamples = 4 << 20

// decisionLoop presents random cards and times each decision.
func decisionLoop(b *testing.B, lat latencies, now time.Time) latencies {
	return framedDecisionLoop(b, lat, now, 0)
}

// framedDecisionLoop is decisionLoop with frames of format code format.
func framedDecisionLoop(b *testing.B, lat latencies, now time.Time, format uint8) latencies {
	e, cards := bench.e, bench.cards
	granted := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := cards[(i*7919)%len(cards)]
		t0 := time.Now()
		o := e.Present("r", Presentation{Kind: PresentCard, Card: c, Format: format}, now)
		d := time.Since(t0)
		if len(lat) < maxSamples {
			lat = append(lat, int64(d))
		}
		if o.Kind == OutcomeGranted {
			granted++
		}
	}
	b.StopTimer()
	b.ReportMetric(100*float64(granted)/float64(b.N), "granted-%")
	if b.N > 1000 && granted < b.N/2 {
		b.Fatalf("only %d of %d granted: the benchmark does not exercise the full policy", granted, b.N)
	}
	return lat
}

var benchNow = time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)

// BenchmarkDecide: full decisions (lookup, user, validity, locks,
// schedules) for random cards, beside a bare map lookup of the same size.
func BenchmarkDecide(b *testing.B) {
	benchEngine(b)
	b.Run("engine", func(b *testing.B) {
		lat := decisionLoop(b, make(latencies, 0, min(b.N, maxSamples)), benchNow)
		lat.report(b)
		b.ReportMetric(bench.bytes, "B/cred")
	})
	b.Run("engine-under-1000-writes-per-s", func(b *testing.B) {
		var lat latencies
		underWrites(b, func() { lat = decisionLoop(b, make(latencies, 0, min(b.N, maxSamples)), benchNow) })
		lat.report(b)
	})
	// A site's mix (mix_bench_test.go): unknown cards, PINs, card+PIN,
	// lockouts on; alone and beside the writer.
	b.Run("engine-mix", func(b *testing.B) {
		lat := mixLoop(b, make(latencies, 0, min(b.N, maxSamples)))
		lat.report(b)
	})
	b.Run("engine-mix-under-1000-writes-per-s", func(b *testing.B) {
		var lat latencies
		underWrites(b, func() { lat = mixLoop(b, make(latencies, 0, min(b.N, maxSamples))) })
		lat.report(b)
	})
	// The same users with calendar-rule profiles in place of the weekly
	// ones (every other week, the last working day, month days, every
	// third night): what rules cost a decision. The weekly profiles are
	// put back afterwards.
	b.Run("engine-calendar-rules", func(b *testing.B) {
		rules := []store.TimeProfile{
			{ID: 1, Intervals: []store.Interval{
				{Repeat: store.RepeatWeek, Every: 2, Anchor: "2024-01-01", Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "07:00", End: "19:00"},
				{Repeat: store.RepeatMonth, Nth: -1, DayType: store.DayTypeWork, Start: "07:00", End: "19:00"}}, Holidays: []string{"2025-12-25"}},
			{ID: 2, Intervals: []store.Interval{
				{Repeat: store.RepeatMonth, MonthDays: []int{1, 15, -1}, Start: "00:00", End: "24:00"},
				{Repeat: store.RepeatYear, Months: []time.Month{12}, MonthDays: []int{24, 31}, Start: "00:00", End: "24:00"}}},
			{ID: 3, Intervals: []store.Interval{{Repeat: store.RepeatDay, Every: 3, Anchor: "2024-01-01", Start: "22:00", End: "06:00"}}},
		}
		swap := func(ps []store.TimeProfile) {
			for i := range ps {
				if err := ValidateProfile(&ps[i]); err != nil {
					b.Fatal(err)
				}
				bench.e.Apply([]store.Change{{Kind: store.KindTimeProfile, ID: ps[i].ID, TimeProfile: &ps[i]}})
			}
		}
		swap(rules)
		defer swap(benchProfiles())
		lat := decisionLoop(b, make(latencies, 0, min(b.N, maxSamples)), benchNow)
		lat.report(b)
	})
	b.Run("bare-map", func(b *testing.B) {
		m, cards := bench.m, bench.cards
		lat := make(latencies, 0, min(b.N, maxSamples))
		var sink uint32
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c := cards[(i*7919)%len(cards)]
			t0 := time.Now()
			v := m[c]
			d := time.Since(t0)
			sink += v
			if len(lat) < maxSamples {
				lat = append(lat, int64(d))
			}
		}
		b.StopTimer()
		lat.report(b)
		b.ReportMetric(bench.mapB, "B/entry")
		_ = sink
	})
	b.Run("timer-overhead", func(b *testing.B) {
		lat := make(latencies, 0, min(b.N, maxSamples))
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			d := time.Since(t0)
			if len(lat) < maxSamples {
				lat = append(lat, int64(d))
			}
		}
		lat.report(b)
	})
}

// BenchmarkColdStart opens the store in DOORD_BENCH_DB and loads an
// engine from it: the time from the file to serving decisions.
func BenchmarkColdStart(b *testing.B) {
	path := os.Getenv("DOORD_BENCH_DB")
	if path == "" {
		b.Skip("set DOORD_BENCH_DB to a store made by cmd/doordgen")
	}
	for range b.N {
		before := heap()
		t0 := time.Now()
		s, err := store.Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		e := NewEngine(EngineConfig{Readers: []ReaderConfig{{ID: "r", Lock: 1}}})
		if _, err := e.Load(s); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		st := e.Stats(time.Now())
		creds := st.Cards + st.PINs
		b.ReportMetric(d.Seconds(), "s/load")
		b.ReportMetric(float64(creds), "creds")
		b.ReportMetric(float64(rssKB())/1024, "RSS-MB") // includes the store's mapped pages
		s.Close()
		s = nil
		b.ReportMetric(float64(heap()-before)/float64(creds), "B/cred") // the index alone
		runtime.KeepAlive(e)
	}
}

// rssKB is the process's resident set from /proc (0 elsewhere).
func rssKB() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
