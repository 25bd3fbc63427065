package main

import (
	"io"
	"slices"
	"testing"
	"time"

	"github.com/doord/doord/board"
	"github.com/doord/doord/store"
)

// BenchmarkEdgeToRelay is the whole door path on the simulated board: from
// the last Wiegand edge of a swipe on reader 1 (H10301 configured, so the
// frame completes after its confirmation silence: 3 bit intervals, 750 µs
// at the 250 µs bits used here, then the edge source's 1 ms last look for
// late events) through the decoder, the access engine and the door runtime
// to the relay pin's level change, as both are timestamped on one clock.
// Each op is one granted swipe; it waits for the relock (1 ms unlock time)
// before the next. Reported: p50 and p99, and the same with the
// confirmation window taken off (what the rest of the path costs).
func BenchmarkEdgeToRelay(b *testing.B) {
	b.Setenv("DOORD_ADMIN_PASSWORD", "benchmark password")
	cfg := defaultConfig()
	cfg.Listen, cfg.Data, cfg.LogLevel = "127.0.0.1:0", b.TempDir(), "error"
	cfg.Board = board.SimExample()
	// Fast readers (the quick end of the Wiegand envelope) so the swipes,
	// which must not overlap on the wire, can follow each other sooner.
	cfg.Board.Sim.Interval = board.Duration(250 * time.Microsecond)
	cfg.accessDefaults()
	cfg.Doors[0].UnlockTime.Duration = time.Millisecond
	d, err := startDaemon(cfg, io.Discard, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer d.stop()
	u := store.User{Name: "bench", Locks: store.LocksFirst}
	if _, err := d.st.CreateUser(&u, "bench"); err != nil {
		b.Fatal(err)
	}
	if err := d.st.CreateCredential(&store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "8065495"}); err != nil {
		b.Fatal(err)
	}
	sim := d.brd.Sim()
	relay := sim.Pin("relay1")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	var last time.Time
	for i := 0; i < b.N; i++ {
		// A swipe is stamped to end now unless that would overlap the
		// previous one on the wire (then it is placed later, in the
		// future): wait until it fits, or the latency is meaningless.
		for time.Since(last) < 40*time.Millisecond {
			time.Sleep(time.Millisecond)
		}
		n := len(relay.History())
		edge, err := sim.CardFacility("1", "", 123, 4567)
		if err != nil {
			b.Fatal(err)
		}
		last = edge
		// Wait (spinning: this is a latency measurement) for the unlock
		// and the relock: two more level changes.
		// The level changes carry their own timestamps, so looking less
		// often does not change the figure; sleeping leaves the CPUs to
		// the door path.
		for {
			hist := relay.History()
			if len(hist) >= n+2 {
				lat = append(lat, hist[n].At.Sub(edge))
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	confirm := 3 * time.Duration(cfg.Board.Sim.Interval)
	b.ReportMetric(float64((lat[len(lat)/2] - confirm).Nanoseconds()), "p50-after-confirm-ns")
	b.ReportMetric(float64((lat[len(lat)*99/100] - confirm).Nanoseconds()), "p99-after-confirm-ns")
}
