package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/device"
	"github.com/doord/doord/httpapi/metrics"
)

// MetricsConfig is the [metrics] section: GET /metrics always answers a
// viewer's (or higher) token; a scrape token lets Prometheus in without
// an operator account, and opens nothing else.
type MetricsConfig struct {
	// ScrapeTokenFile holds the token (one line, at least 16 characters;
	// surrounding white space is ignored). Keep it mode 0600 or 0640.
	ScrapeTokenFile string `toml:"scrape_token_file"`
}

const minScrapeToken = 16

// scrapeToken reads the scrape token; "" when none is configured. The
// error names the file and the problem, never the token.
func (m MetricsConfig) scrapeToken() (string, error) {
	if m.ScrapeTokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(m.ScrapeTokenFile)
	if err != nil {
		return "", fmt.Errorf("metrics.scrape_token_file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case len(tok) < minScrapeToken:
		return "", fmt.Errorf("metrics.scrape_token_file: %s: the token must be at least %d characters (e.g. openssl rand -hex 32)", m.ScrapeTokenFile, minScrapeToken)
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", errors.New("metrics.scrape_token_file: " + m.ScrapeTokenFile + ": the token must be one line without spaces")
	}
	return tok, nil
}

func (m MetricsConfig) validate() []string {
	if _, err := m.scrapeToken(); err != nil {
		return []string{err.Error()}
	}
	return nil
}

// timedDecider times each engine answer into the decision-latency
// histogram: two clock reads and lock-free atomic adds on the door path;
// nothing a scrape holds. Keys that are only buffered (OutcomeNone) are
// not decisions and are not timed.
type timedDecider struct {
	*access.Engine
	lat *metrics.Latency
}

func (t timedDecider) Present(reader string, p access.Presentation, now time.Time) access.Outcome {
	start := time.Now()
	o := t.Engine.Present(reader, p, now)
	if o.Kind != access.OutcomeNone {
		t.lat.Observe(time.Since(start))
	}
	return o
}

var _ device.Decider = timedDecider{}

// newMetrics is the registry /metrics serves, over what this daemon runs.
func (d *daemon) newMetrics() *metrics.Registry {
	src := metrics.Sources{
		Events:        d.events.Stats,
		Store:         d.st,
		CommitLatency: d.commitLat,
		Version:       version,
	}
	if d.engine != nil {
		src.Decisions = d.engine.Decisions
		src.DecisionLatency = d.decisionLat
	}
	if fe := d.fevents; fe != nil {
		src.FleetEvents = fe.metrics
	}
	if rt := d.doors; rt != nil {
		src.Doors = func() []metrics.Door { return metricsDoors(rt.Doors()) }
		src.ModeNames = []string{"normal", "unlocked", "locked_down", "disabled"}
		src.AlarmNames = []string{device.AlarmForced, device.AlarmPrealarm, device.AlarmHeld,
			device.AlarmTamper, device.AlarmRelayFault, device.AlarmFault}
	}
	if d.fleet != nil {
		src.Fleet = fleetMetrics(d.fleet)
	}
	return metrics.New(src)
}

func metricsDoors(ds []device.DoorState) []metrics.Door {
	out := make([]metrics.Door, len(ds))
	for i, s := range ds {
		out[i] = metrics.Door{ID: s.ID, Mode: s.Mode, Locked: s.Locked, Open: s.Open, Alarms: s.Alarms}
	}
	return out
}
