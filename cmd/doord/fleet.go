package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/doord/doord/httpapi/metrics"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/fleet"
)

// The event types the fleet's offline policy raises.
const (
	eventFleetStale        = "fleet_offline_policy"
	eventFleetStaleCleared = "fleet_offline_policy_cleared"
)

// startFleet joins the site's fleet when [fleet] is configured: the
// store's record writes go through the bucket from here on, and the
// watch keeps the store (and through its feed the engine and the list
// index) a copy of it. It never waits for NATS: the doors decide from
// the local store meanwhile.
func (d *daemon) startFleet(cfg fleet.Config, log *slog.Logger) error {
	if !cfg.Enabled() {
		return nil
	}
	nc, err := fleet.Dial(cfg)
	if err != nil {
		return err
	}
	eng, events := d.engine, d.events
	opt := fleet.Options{Logger: log.With("part", "fleet")}
	if eng != nil {
		opt.Restrict = eng.SetRestricted
	}
	opt.OnStale = func(stale bool, offline time.Duration) {
		e := store.Event{Type: eventFleetStaleCleared, Detail: fmt.Sprintf("the fleet is back after %s offline; offline policy lifted", offline.Round(time.Second))}
		if stale {
			e = store.Event{Type: eventFleetStale, Detail: fmt.Sprintf("offline for %s, longer than max_offline; offline policy %s applies", offline.Round(time.Second), policyName(cfg))}
		}
		events.Append(e)
	}
	f, err := fleet.New(cfg, nc, d.st, opt)
	if err != nil {
		nc.Close()
		return err
	}
	f.Start()
	d.fleet, d.nc = f, nc
	log.Info("fleet mode", "site", cfg.Site, "controller", cfg.Controller, "groups", cfg.Groups, "bucket", cfg.Bucket())
	return nil
}

func policyName(cfg fleet.Config) string {
	if cfg.OfflinePolicy == "" {
		return fleet.PolicyKeep
	}
	return cfg.OfflinePolicy
}

// stopFleet leaves the fleet before the store closes.
func (d *daemon) stopFleet() {
	if d.fleet != nil {
		d.fleet.Close()
		d.fleet = nil
	}
	if d.nc != nil {
		d.nc.Close()
		d.nc = nil
	}
}

// fleetMetrics adapts the fleet's figures for /metrics.
func fleetMetrics(f *fleet.Fleet) func() metrics.Fleet {
	return func() metrics.Fleet {
		s := f.Stats()
		return metrics.Fleet{Live: s.Live, Stale: s.Stale, Revision: s.Revision, OfflineSeconds: s.OfflineSeconds,
			Conflicts: s.Conflicts, Refused: s.Refused, OfflineRefusals: s.OfflineRefusals}
	}
}
