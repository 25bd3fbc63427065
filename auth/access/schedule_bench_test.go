package access

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// benchRules is a profile of calendar rules that the bitmap cannot hold:
// a fortnightly shift, the last working day, the last day's night (which
// wraps into the 1st), Thanksgiving, every third day.
var benchRules = store.TimeProfile{
	Intervals: []store.Interval{
		{Repeat: store.RepeatWeek, Every: 2, Anchor: "2025-01-06", Days: []time.Weekday{time.Monday, time.Thursday}, Start: "07:00", End: "15:00"},
		{Repeat: store.RepeatMonth, Nth: -1, DayType: store.DayTypeWork, Start: "16:00", End: "20:00"},
		{Repeat: store.RepeatMonth, MonthDays: []int{-1}, Start: "22:00", End: "06:00"},
		{Repeat: store.RepeatYear, Months: []time.Month{time.November}, Nth: 4, Days: []time.Weekday{time.Thursday}, Start: "00:00", End: "24:00"},
		{Repeat: store.RepeatDay, Every: 3, Anchor: "2025-01-01", Start: "12:00", End: "13:00"},
	},
	Holidays: []string{"2025-12-25", "2026-01-01"},
}

// benchWorst has (nearly) every window open all day and hardly a day
// selected (only the last weekend day of a month), so that most instants
// evaluate every predicate.
var benchWorst = store.TimeProfile{
	Intervals: []store.Interval{
		{Repeat: store.RepeatWeek, Every: 2, Anchor: "2040-01-02", Days: []time.Weekday{time.Monday}, Start: "00:00", End: "24:00"},
		{Repeat: store.RepeatMonth, Nth: 5, DayType: store.DayTypeWork, Months: []time.Month{time.February}, Start: "00:00", End: "24:00"},
		{Repeat: store.RepeatMonth, Nth: -1, DayType: store.DayTypeWeekend, Start: "12:00", End: "11:59"},
		{Repeat: store.RepeatYear, Months: []time.Month{time.February}, MonthDays: []int{30}, Start: "00:00", End: "24:00"},
		{Repeat: store.RepeatDay, Every: 7, Anchor: "2040-01-01", Start: "00:00", End: "24:00"},
	},
}

var benchWeekly = store.TimeProfile{
	Intervals: []store.Interval{
		{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "07:00", End: "19:00"},
		{Days: []time.Weekday{5, 6}, Start: "22:00", End: "06:00"},
	},
	Holidays: []string{"2025-12-25", "2026-01-01"},
}

// benchInstants are random instants of 2025–2026.
func benchInstants(n int) []time.Time {
	rng := rand.New(rand.NewPCG(7, 7))
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := make([]time.Time, n)
	for i := range ts {
		ts[i] = from.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
	}
	return ts
}

func TestScheduleRulesAllocs(t *testing.T) {
	loc := mustZone(t, "Europe/Berlin")
	s, err := CompileProfile(&benchRules)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.rules) != len(benchRules.Intervals) {
		t.Fatalf("%d rules compiled, want %d", len(s.rules), len(benchRules.Intervals))
	}
	ts := benchInstants(256)
	ws := make([]wall, len(ts))
	for i, at := range ts {
		ws[i] = wallOf(at, loc)
	}
	// Some of each: closed, open today, open for yesterday (the 1st's
	// morning after the last day's night).
	ts = append(ts, time.Date(2025, 5, 1, 3, 0, 0, 0, loc), time.Date(2025, 4, 30, 23, 0, 0, 0, loc))
	i := 0
	if n := testing.AllocsPerRun(1000, func() { s.Open(ts[i%len(ts)], loc); i++ }); n != 0 {
		t.Errorf("Open allocates %v times", n)
	}
	if n := testing.AllocsPerRun(1000, func() { s.open(&ws[i%len(ws)]); i++ }); n != 0 {
		t.Errorf("open allocates %v times", n)
	}
	if !s.Open(ts[len(ts)-2], loc) || !s.Open(ts[len(ts)-1], loc) {
		t.Error("the last day's night is closed")
	}
}

// BenchmarkScheduleRules: one schedule evaluation, weekly bitmap against
// calendar rules, on the wall clock already converted (open, as the engine
// calls it) and from a time.Time in Europe/Berlin (Open).
func BenchmarkScheduleRules(b *testing.B) {
	loc := mustZone(b, "Europe/Berlin")
	ts := benchInstants(4096)
	ws := make([]wall, len(ts))
	for i, at := range ts {
		ws[i] = wallOf(at, loc)
	}
	for _, bc := range []struct {
		name string
		p    *store.TimeProfile
	}{{"weekly", &benchWeekly}, {"rules", &benchRules}, {"rules-worst", &benchWorst}} {
		s, err := CompileProfile(bc.p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name+"/open", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; b.Loop(); i++ {
				if s.open(&ws[i&(len(ws)-1)]) {
					n++
				}
			}
			b.ReportMetric(float64(n)/float64(b.N), "open/op")
		})
		b.Run(bc.name+"/Open", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s.Open(ts[i&(len(ts)-1)], loc)
			}
		})
	}
}
