package metrics

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/httpapi/metrics/metricstest"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

func scrape(t *testing.T, r *Registry) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testSources(t *testing.T) (Sources, *[]access.ReaderDecisions) {
	decisions := &[]access.ReaderDecisions{{Reader: "front"}}
	src := Sources{
		Decisions:       func() []access.ReaderDecisions { return *decisions },
		DecisionLatency: NewLatency(DecisionBuckets...),
		Doors: func() []Door {
			return []Door{
				{ID: "front", Mode: "normal", Locked: true},
				{ID: `odd "door"\x`, Mode: "unlocked", Open: true, Alarms: []string{"door_held", "new_alarm"}},
			}
		},
		ModeNames:     []string{"normal", "unlocked", "locked_down", "disabled"},
		AlarmNames:    []string{"door_forced", "door_held"},
		Events:        func() store.EventStats { return store.EventStats{Written: 7, Dropped: 2, Failed: 1, Queued: 3} },
		Store:         storetest.Open(t),
		CommitLatency: NewLatency(CommitBuckets...),
		Version:       "v1.2.3",
	}
	return src, decisions
}

// Every family doord exposes passes promtool's check (format and lint),
// and the samples say what the sources hold.
func TestScrapePassesPromtoolAndReadsSources(t *testing.T) {
	src, decisions := testSources(t)
	r := New(src)
	d := access.ReaderDecisions{Reader: "front", Granted: 5, Quiet: 1}
	d.DeniedBy[access.ReasonUnknownCredential] = 3
	d.DeniedBy[access.ReasonBadRead] = 2
	*decisions = []access.ReaderDecisions{d}
	src.DecisionLatency.Observe(3 * time.Microsecond)
	src.DecisionLatency.Observe(time.Second)
	src.CommitLatency.Observe(4 * time.Millisecond)
	r.ObserveRequest("/api/v1/users/{id}", "GET", 200, 2*time.Millisecond)
	r.ObserveRequest("/api/v1/users/{id}", "GET", 404, time.Millisecond)
	r.ObserveRequest("", "BREW", 404, time.Millisecond)

	body := scrape(t, r)
	metricstest.Promtool(t, body)
	for series, want := range map[string]float64{
		`doord_build_info{version="v1.2.3"}`:                                                1,
		`doord_decisions_total{reader="front",result="granted"}`:                            5,
		`doord_decisions_total{reader="front",result="denied",reason="unknown_credential"}`: 3,
		`doord_decisions_total{reader="front",result="denied",reason="bad_read"}`:           2,
		`doord_decisions_total{reader="front",result="denied",reason="outside_schedule"}`:   0,
		`doord_bad_reads_total{reader="front"}`:                                             2,
		`doord_decisions_quiet_total{reader="front"}`:                                       1,
		`doord_decision_duration_seconds_bucket{le="2.5e-06"}`:                              0,
		`doord_decision_duration_seconds_bucket{le="5e-06"}`:                                1,
		`doord_decision_duration_seconds_bucket{le="0.01"}`:                                 1,
		`doord_decision_duration_seconds_bucket{le="+Inf"}`:                                 2,
		`doord_decision_duration_seconds_count`:                                             2,
		`doord_decision_duration_seconds_sum`:                                               1.000003,
		`doord_door_locked{door="front"}`:                                                   1,
		`doord_door_open{door="front"}`:                                                     0,
		`doord_door_mode{door="front",mode="normal"}`:                                       1,
		`doord_door_mode{door="front",mode="unlocked"}`:                                     0,
		`doord_door_mode{door="odd \"door\"\\x",mode="unlocked"}`:                           1,
		`doord_door_alarm{door="front",alarm="door_held"}`:                                  0,
		`doord_door_alarm{door="odd \"door\"\\x",alarm="door_held"}`:                        1,
		`doord_door_alarm{door="odd \"door\"\\x",alarm="new_alarm"}`:                        1,
		`doord_events_written_total`:                                                        7,
		`doord_events_dropped_total`:                                                        3,
		`doord_events_queued`:                                                               3,
		`doord_store_commit_duration_seconds_bucket{le="0.0025"}`:                           0,
		`doord_store_commit_duration_seconds_bucket{le="0.005"}`:                            1,
		`doord_sessions`: 0,
		`doord_http_requests_total{route="/api/v1/users/{id}",method="GET",status="200"}`:                1,
		`doord_http_requests_total{route="/api/v1/users/{id}",method="GET",status="404"}`:                1,
		`doord_http_requests_total{route="unmatched",method="other",status="404"}`:                       1,
		`doord_http_request_duration_seconds_count{route="/api/v1/users/{id}",method="GET"}`:             2,
		`doord_http_request_duration_seconds_bucket{route="/api/v1/users/{id}",method="GET",le="0.001"}`: 1,
	} {
		if got := metricstest.Value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, fam := range []string{famStoreBytes, famStoreSeq, famFeedResyncs, famGoroutines, famStartTime} {
		if !bytes.Contains(body, []byte("\n"+fam+" ")) {
			t.Errorf("no %s sample", fam)
		}
	}
	if got := metricstest.Value(t, body, famStoreBytes); got <= 0 {
		t.Errorf("store file size %v, want > 0", got)
	}
}

// A daemon without a board has no decisions or doors: those families
// are absent rather than empty (an empty family is a lint error), and the
// rest still passes promtool.
func TestScrapeWithoutBoard(t *testing.T) {
	r := New(Sources{Store: storetest.Open(t), Version: "dev"})
	body := scrape(t, r)
	metricstest.Promtool(t, body)
	for _, fam := range []string{famDecisions, famDecisionSeconds, famDoorLocked} {
		if bytes.Contains(body, []byte(fam)) {
			t.Errorf("%s present without a board:\n%s", fam, body)
		}
	}
	// No request yet: the HTTP families have metadata and no samples,
	// which the format allows; the first request brings its series.
	r.ObserveRequest("/api/v1/health", "GET", 200, time.Millisecond)
	body = scrape(t, r)
	metricstest.Promtool(t, body)
	if v := metricstest.Value(t, body, `doord_http_requests_total{route="/api/v1/health",method="GET",status="200"}`); v != 1 {
		t.Errorf("health requests %v, want 1", v)
	}
}

// Observing from many goroutines while scraping is race-free and loses
// nothing (run with -race).
func TestLatencyConcurrentObserveAndScrape(t *testing.T) {
	src, _ := testSources(t)
	r := New(src)
	const n, per = 4, 1000
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < per; j++ {
				src.DecisionLatency.Observe(time.Duration(j) * time.Microsecond)
				r.ObserveRequest("/api/v1/doors", "GET", 200, time.Millisecond)
			}
		}()
	}
	for i := 0; i < 5; i++ {
		scrape(t, r)
	}
	wg.Wait()
	body := scrape(t, r)
	if got := metricstest.Value(t, body, "doord_decision_duration_seconds_count"); got != n*per {
		t.Errorf("decisions observed %v, want %d", got, n*per)
	}
	if got := metricstest.Value(t, body, `doord_http_requests_total{route="/api/v1/doors",method="GET",status="200"}`); got != n*per {
		t.Errorf("requests %v, want %d", got, n*per)
	}
	if strings.Count(string(body), "# TYPE doord_http_requests_total ") != 1 {
		t.Errorf("family metadata repeated:\n%s", body)
	}
}
