package main

import (
	"errors"

	"github.com/doord/doord/device/fleetcmd"
	"github.com/doord/doord/httpapi/metrics"
	"github.com/doord/doord/store/fleet/eventpub"
	"github.com/nats-io/nats.go"
)

// fleetEvents is this controller's part of the fleet's events and
// commands: its event log published to the site's stream, and the door
// commands it answers.
type fleetEvents struct {
	pub  *eventpub.Publisher
	cmds *fleetcmd.Commands // nil without doors
}

// startFleetEvents publishes the event log to the site's JetStream stream
// and answers door commands for controller and its groups over nc (the
// fleet connection, which may still be connecting). Call it once the
// store, the event log and the doors run, before the API is built (its
// metrics are read by newMetrics); closeAll stops it before them.
func (d *daemon) startFleetEvents(nc *nats.Conn, site, controller string, groups []string) error {
	if d.st == nil || d.events == nil {
		return errors.New("fleet events: the store and the event log must run first")
	}
	pub, err := eventpub.Start(nc, eventpub.Options{Site: site, Controller: controller,
		Log: d.events, Store: d.st, Logger: d.log})
	if err != nil {
		return err
	}
	fe := &fleetEvents{pub: pub}
	if d.doors != nil {
		fe.cmds, err = fleetcmd.Start(nc, fleetcmd.Options{Site: site, Controller: controller,
			Groups: groups, Doors: d.doors, Logger: d.log})
		if err != nil {
			pub.Close()
			return err
		}
	}
	d.fevents = fe
	return nil
}

// stopFleetEvents stops answering commands (before the doors stop) and
// publishing (writing the cursor before the store closes).
func (d *daemon) stopFleetEvents() error {
	fe := d.fevents
	if fe == nil {
		return nil
	}
	d.fevents = nil
	if fe.cmds != nil {
		fe.cmds.Close()
	}
	return fe.pub.Close()
}

// fleetEventsMetrics reads the publisher's counters for /metrics.
func (fe *fleetEvents) metrics() metrics.FleetEvents {
	s := fe.pub.Stats()
	return metrics.FleetEvents{Published: s.Published, Pending: s.Pending, Dropped: s.Dropped, LastAck: s.LastAck}
}
