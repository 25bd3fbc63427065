package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/device/fleetcmd"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/fleet/eventpub"
	"github.com/doord/doord/store/fleet/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Through the daemon: a remote open commanded over NATS opens the
// simulated door, is written to the event log as a remote_open by the
// by field, and that event reaches the site's stream; the fleet metrics
// show it.
func TestFleetCommandIsAuditedAndPublishedThroughTheDaemon(t *testing.T) {
	srv := natstest.Run(t, &natstest.Options{JetStream: true, StoreDir: t.TempDir()})
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)

	// The site's stream exists already, as an administrator made it,
	// with the default 2 minute duplicate window.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "DOORD_EVENTS_campus",
		Subjects: []string{"doord.campus.events.>"}}); err != nil {
		t.Fatal(err)
	}

	d, _ := startSim(t)
	if err := d.startFleetEvents(nc, "campus", "c1", []string{"lobby"}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := nc.Request(fleetcmd.GroupSubject("campus", "lobby", "open"), []byte(`{"by":"alice"}`), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r fleetcmd.Reply
	if err := json.Unmarshal(m.Data, &r); err != nil || !r.OK || len(r.Results) != 2 {
		t.Fatalf("reply %s (%v)", m.Data, err)
	}

	// The stream gets the log's remote_open events, by nats:alice.
	c, err := js.OrderedConsumer(ctx, eventpub.StreamName("campus"), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{eventpub.Subject("campus", "c1")}})
	if err != nil {
		t.Fatal(err)
	}
	opened := map[string]bool{}
	for len(opened) < 2 {
		msg, err := c.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("stream: %v (remote opens seen: %v)", err, opened)
		}
		var ev store.Event
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == store.EventRemoteOpen {
			if ev.Operator != "nats:alice" {
				t.Fatalf("remote_open by %q, want nats:alice", ev.Operator)
			}
			opened[ev.Door] = true
		}
	}

	// The publisher widened the duplicate window it relies on.
	st, err := js.Stream(ctx, "DOORD_EVENTS_campus")
	if err != nil {
		t.Fatal(err)
	}
	if w := st.CachedInfo().Config.Duplicates; w != 10*time.Minute {
		t.Errorf("duplicate window %v, want 10m", w)
	}

	// The daemon builds its metrics after startFleetEvents when fleet
	// mode is on.
	var out strings.Builder
	if _, err := d.newMetrics().WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"doord_fleet_events_pending ", "doord_fleet_events_dropped_total 0", "doord_fleet_events_last_ack_age_seconds "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(out.String(), "doord_fleet_events_published_total 0\n") {
		t.Error("published_total is 0 after the stream acknowledged events")
	}
}

// The README's nats-server permissions work as it says: the controller
// publishes its events (creating the stream) and answers its groups'
// commands; the lobby manager commands the lobby group and is refused
// any other.
func TestReadmeNATSPermissionsAllowOneGroupOnly(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "nats-server.conf")
	if err := os.WriteFile(conf, []byte(fencedBlocks(t, string(raw), "## Fleet events and commands", "conf")), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BLDG1_EAST_PASSWORD", "controller-example-password")
	t.Setenv("LOBBY_MANAGER_PASSWORD", "manager-example-password")
	srv := natstest.Run(t, &natstest.Options{ConfigFile: conf, StoreDir: t.TempDir()})
	ctl, err := nats.Connect(srv.ClientURL(), nats.UserInfo("bldg1-east", "controller-example-password"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctl.Close)
	denied := make(chan error, 10)
	mgr, err := nats.Connect(srv.ClientURL(), nats.UserInfo("lobby-manager", "manager-example-password"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { denied <- err }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mgr.Close)

	d, _ := startSim(t)
	if err := d.startFleetEvents(ctl, "campus", "bldg1-east", []string{"bldg1", "lobby"}); err != nil {
		t.Fatal(err)
	}
	if err := ctl.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := mgr.Request(fleetcmd.GroupSubject("campus", "lobby", "open"), []byte(`{"by":"alice"}`), 10*time.Second)
	if err != nil {
		t.Fatalf("lobby open: %v", err)
	}
	var r fleetcmd.Reply
	if json.Unmarshal(m.Data, &r) != nil || !r.OK {
		t.Fatalf("lobby open: %s", m.Data)
	}

	// bldg1 is not the manager's: the server refuses the publish.
	if err := mgr.PublishRequest(fleetcmd.GroupSubject("campus", "bldg1", "mode"), nats.NewInbox(), []byte(`{"mode":"unlocked"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-denied:
		if !strings.Contains(err.Error(), "Permissions Violation for Publish") || !strings.Contains(err.Error(), "group.bldg1") {
			t.Fatalf("error %v, want a publish permissions violation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the manager's bldg1 command was not refused")
	}
	for _, door := range d.doors.Doors() {
		if door.Mode != "normal" {
			t.Fatalf("door %s is %s after a refused command", door.ID, door.Mode)
		}
	}

	// The controller's events reach the stream it created.
	pub := d.fevents.pub
	for {
		ch := pub.Acked()
		if s := pub.Stats(); s.Published > 0 && s.Pending == 0 {
			break
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("events not acknowledged: %+v", pub.Stats())
		}
	}
}
