package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/doord/doord/board"
	"github.com/doord/doord/httpapi/metrics/metricstest"
)

// A scrape of the daemon on the simulated board, after a grant and a
// denial at reader 1: the decisions are counted by result and reason, the
// decision and commit times are in their histograms, the doors and the
// API's requests are there, and promtool accepts the whole body.
func TestMetricsOfARunningDaemon(t *testing.T) {
	t.Setenv("DOORD_ADMIN_PASSWORD", "metrics test password")
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "scrape-token")
	const scrapeTok = "0123456789abcdef0123"
	if err := os.WriteFile(tokFile, []byte(scrapeTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, filepath.Join(dir, "data"))
	cfg.Board = board.SimExample()
	cfg.Metrics.ScrapeTokenFile = tokFile
	d, _ := start(t, cfg)
	defer d.stop()
	tok := login(t, d, "metrics test password")
	evs, cancel := d.events.Subscribe()
	defer cancel()

	if st, _ := callRaw(t, d, "GET", "/metrics", "", ""); st != 401 {
		t.Fatalf("scrape without a token: %d, want 401", st)
	}
	st, u := call(t, d, "POST", "/api/v1/users", tok, `{"name":"Ada","locks":"both"}`)
	if st != 201 {
		t.Fatalf("create user: %d %v", st, u)
	}
	if st, m := call(t, d, "POST", "/api/v1/users/"+u["id"].(string)+"/credentials", tok, `{"type":"card","value":{"facility":123,"card":4567}}`); st != 201 {
		t.Fatalf("create card: %d %v", st, m)
	}
	for _, c := range []struct{ card, want string }{{`{"facility":123,"card":4567}`, "access_granted"}, {`{"facility":9,"card":9}`, "access_denied"}} {
		if st, m := call(t, d, "POST", "/api/v1/sim/readers/1/card", tok, c.card); st != 200 {
			t.Fatalf("swipe: %d %v", st, m)
		}
		if ev := nextDecision(t, evs, c.card); ev.Type != c.want {
			t.Fatalf("swipe %s: %s, want %s", c.card, ev.Type, c.want)
		}
	}

	st, body := callRaw(t, d, "GET", "/metrics", scrapeTok, "")
	if st != 200 {
		t.Fatalf("scrape with the scrape token: %d %s", st, body)
	}
	metricstest.Promtool(t, body)
	for series, want := range map[string]float64{
		`doord_decisions_total{reader="1",result="granted"}`:                                              1,
		`doord_decisions_total{reader="1",result="denied",reason="unknown_credential"}`:                   1,
		`doord_decisions_total{reader="2",result="granted"}`:                                              0,
		`doord_decision_duration_seconds_count`:                                                           2,
		`doord_door_mode{door="1",mode="normal"}`:                                                         1,
		`doord_door_alarm{door="1",alarm="door_forced"}`:                                                  0,
		`doord_http_requests_total{route="/api/v1/sim/readers/{reader}/card",method="POST",status="200"}`: 2,
		`doord_http_requests_total{route="/metrics",method="GET",status="401"}`:                           1,
	} {
		if got := metricstest.Value(t, body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if got := metricstest.Value(t, body, "doord_store_commit_duration_seconds_count"); got < 2 {
		t.Errorf("commits observed %v, want ≥ 2 (user, card)", got)
	}
	if got := metricstest.Value(t, body, "doord_events_written_total"); got < 2 {
		t.Errorf("events written %v, want ≥ 2", got)
	}
	// An operator's token opens it too.
	if st, _ := callRaw(t, d, "GET", "/metrics", tok, ""); st != 200 {
		t.Errorf("scrape with the admin's token: %d, want 200", st)
	}
}

// A bad scrape token file stops the config check with the file's name and
// the problem, and never prints the token.
func TestScrapeTokenFileValidation(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("tooshort-secret\n"), 0o600)
	spaced := filepath.Join(dir, "spaced")
	os.WriteFile(spaced, []byte("0123456789 abcdef-secret\n"), 0o600)
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{short, "at least 16 characters"},
		{spaced, "one line without spaces"},
	} {
		cfg := testConfig(t, dir)
		cfg.Metrics.ScrapeTokenFile = tc.file
		err := cfg.validate()
		if err == nil || !strings.Contains(err.Error(), "metrics.scrape_token_file") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming metrics.scrape_token_file and %q", tc.file, err, tc.want)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the token: %v", tc.file, err)
		}
	}
}

// A config file's bad scrape token file is reported at its line.
func TestScrapeTokenFileProblemHasItsLine(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("short\n"), 0o600)
	cfgPath := filepath.Join(dir, "doord.toml")
	os.WriteFile(cfgPath, []byte("listen = \"127.0.0.1:0\"\n\n[metrics]\nscrape_token_file = \""+short+"\"\n"), 0o600)
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.validate()
	if err == nil || !strings.Contains(err.Error(), cfgPath+":4: metrics.scrape_token_file: ") {
		t.Fatalf("got %v, want the problem at %s:4", err, cfgPath)
	}
}

// The README's Prometheus scrape config is one Prometheus accepts
// (promtool check config), so it cannot drift from what Prometheus reads.
func TestReadmeScrapeConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	yml := fencedBlocks(t, string(raw), "## Metrics", "yaml")
	if !strings.Contains(yml, "credentials_file: ") || !strings.Contains(yml, "job_name: doord") {
		t.Fatalf("README Metrics scrape config lost its job or token file:\n%s", yml)
	}
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	os.WriteFile(tok, []byte("0123456789abcdef0123\n"), 0o600)
	// promtool checks that the token file exists: point it at one.
	yml = regexp.MustCompile(`credentials_file: \S+`).ReplaceAllString(yml, "credentials_file: "+tok)
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte(yml), 0o600)
	metricstest.PromtoolConfig(t, cfg)
}
