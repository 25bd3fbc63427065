package access

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// The presentation mix of BenchmarkDecide's engine-mix runs, in percent
// of presentations. Reader "r" takes a card or a PIN; reader "cp" wants a
// card and then its user's PIN. Lockouts are on at their defaults (5
// unknown PINs or wrong second factors within 60 s lock a reader's PIN
// entry; 5 wrong PINs after a user's card lock that user's PIN).
const (
	mixCard        = 62 // a known card at r
	mixUnknownCard = 10 // a card no one has, at r
	mixPIN         = 15 // a known PIN at r (8 digits and '#')
	mixUnknownPIN  = 2  // a PIN no one has, at r
	mixCardPIN     = 10 // a known card and its user's PIN at cp
	mixCardWrong   = 1  // a known card and another user's PIN at cp
	// Besides, one presentation in mixGuessEvery is someone guessing:
	// mixGuesses wrong PINs in a row at r, which locks its PIN entry for
	// a minute (the PINs typed there meanwhile are denied locked_out).
	mixGuessEvery = 1000
	mixGuesses    = 6
)

// mixStep is the simulated time between presentations: a busy site, one
// every quarter second, so lockout windows (60 s) and schedules (the
// clock crosses nights and weekends over a long run) behave as at a door.
const mixStep = 250 * time.Millisecond

// mixNow is where the last mix run's clock stopped.
var mixNow time.Time

// benchPIN is the PIN benchEngine gives user uid (uids from 1); uids above
// the users have PINs no one has (the map is a bijection mod 10^8).
func benchPIN(uid uint64) uint64 { return ((uid-1)*7919 + 12345) % 100000000 }

// benchUID inverts benchEngine's card values.
func benchUID(card uint64) uint64 { return (card>>16-1)<<16 | card&0xffff }

// mixLoop presents the mix and times every call that decides (a card, a
// PIN's '#'; not the digits, which only buffer), reporting the shares
// that happened, not the ones asked for.
func mixLoop(b *testing.B, lat latencies) latencies {
	e, cards := bench.e, bench.cards
	rng := rand.New(rand.NewPCG(5, 6))
	var n struct{ decisions, granted, unknown, lockedOut, pins, cardPINs, unknownCards int }
	present := func(reader string, p Presentation, now time.Time) Outcome {
		t0 := time.Now()
		o := e.Present(reader, p, now)
		d := time.Since(t0)
		if len(lat) < maxSamples {
			lat = append(lat, int64(d))
		}
		n.decisions++
		switch {
		case o.Kind == OutcomeGranted:
			n.granted++
		case o.Reason == ReasonUnknownCredential:
			n.unknown++
		case o.Reason == ReasonLockedOut:
			n.lockedOut++
		}
		return o
	}
	typePIN := func(reader string, pin uint64, now time.Time) Outcome {
		var digits [8]byte
		for i := 7; i >= 0; i-- {
			digits[i] = byte('0' + pin%10)
			pin /= 10
		}
		for _, d := range digits {
			e.Present(reader, Presentation{Kind: PresentKey, Key: d}, now)
		}
		return present(reader, Presentation{Kind: PresentKey, Key: '#'}, now)
	}
	// The readers' lockouts carry over from run to run (one engine), so
	// the clock does too: a run starting back at benchNow would meet the
	// last run's lockouts, set for times it has not reached.
	if mixNow.IsZero() {
		mixNow = benchNow
	}
	now := mixNow
	defer func() { mixNow = now }()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(mixStep)
		card := cards[(i*7919)%len(cards)]
		if rng.IntN(mixGuessEvery) == 0 {
			for range mixGuesses {
				typePIN("r", benchPIN(uint64(bench.users)+1+uint64(rng.IntN(1000000))), now)
			}
		}
		switch k := rng.IntN(100); {
		case k < mixCard:
			present("r", Presentation{Kind: PresentCard, Card: card}, now)
		case k < mixCard+mixUnknownCard:
			n.unknownCards++
			present("r", Presentation{Kind: PresentCard, Card: card + 1<<30}, now)
		case k < mixCard+mixUnknownCard+mixPIN:
			n.pins++
			typePIN("r", benchPIN(benchUID(card)), now)
		case k < mixCard+mixUnknownCard+mixPIN+mixUnknownPIN:
			n.pins++
			typePIN("r", benchPIN(uint64(bench.users)+1+uint64(rng.IntN(1000000))), now)
		default:
			n.cardPINs++
			pin := benchPIN(benchUID(card))
			if k >= 100-mixCardWrong {
				pin = benchPIN(1 + uint64(rng.IntN(bench.users)))
			}
			if o := present("cp", Presentation{Kind: PresentCard, Card: card}, now); o.Kind == OutcomePending {
				typePIN("cp", pin, now.Add(2*time.Second))
			}
		}
	}
	b.StopTimer()
	pct := func(v int) float64 { return 100 * float64(v) / float64(n.decisions) }
	b.ReportMetric(pct(n.granted), "granted-%")
	b.ReportMetric(pct(n.unknown), "unknown-%")
	b.ReportMetric(pct(n.lockedOut), "locked-out-%")
	b.ReportMetric(100*float64(n.unknownCards)/float64(b.N), "unknown-card-pres-%")
	b.ReportMetric(100*float64(n.pins)/float64(b.N), "pin-pres-%")
	b.ReportMetric(100*float64(n.cardPINs)/float64(b.N), "card+pin-pres-%")
	return lat
}

// paceWrites applies a random user write to the engine every millisecond
// of wall time until stop closes: paced by deadline, so a writer that
// wakes late (a loaded machine wakes a 1 ms ticker every 1.2–3 ms, and a
// ticker drops the ticks it missed) catches up at once and the rate is
// 1,000/s over the run. The count is in writes.
func paceWrites(stop <-chan struct{}, writes *atomic.Int64) {
	rng := rand.New(rand.NewPCG(3, 4))
	t := time.NewTimer(0)
	defer t.Stop()
	next := time.Now()
	seq := uint64(1)
	for {
		next = next.Add(time.Millisecond)
		if d := time.Until(next); d > 0 {
			t.Reset(d)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		} else {
			select {
			case <-stop:
				return
			default:
			}
		}
		uid := uint64(1 + rng.IntN(bench.users))
		u := store.User{UID: uid, State: store.StateActive, Locks: store.LocksBoth}
		if rng.IntN(2) == 0 {
			u.TimeProfiles = []uint64{uint64(1 + rng.IntN(3))}
		}
		seq++
		bench.e.Apply([]store.Change{{Seq: seq, Kind: store.KindUser, ID: uid, User: &u}})
		writes.Add(1)
	}
}

// underWrites runs fn while paceWrites runs and reports the writes/s it
// reached.
func underWrites(b *testing.B, fn func()) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() { paceWrites(stop, &writes) })
	start := time.Now()
	fn()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(writes.Load())/time.Since(start).Seconds(), "writes/s")
}
