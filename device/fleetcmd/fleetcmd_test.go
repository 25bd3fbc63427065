package fleetcmd

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/device"
	"github.com/doord/doord/store"
	"github.com/doord/doord/store/fleet/natstest"
	"github.com/nats-io/nats.go"
)

const site = "campus"

// fakeBoard records relay commands.
type fakeBoard struct {
	reads  chan board.Read
	inputs chan board.InputEvent
	mu     sync.Mutex
	relay  map[string]bool // door: unlocked
}

func (b *fakeBoard) Reads() <-chan board.Read             { return b.reads }
func (b *fakeBoard) InputEvents() <-chan board.InputEvent { return b.inputs }
func (b *fakeBoard) SetLED(string, bool) error            { return nil }
func (b *fakeBoard) SetBuzzer(string, bool) error         { return nil }
func (b *fakeBoard) Secure()                              {}
func (b *fakeBoard) SetRelay(door string, unlocked bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.relay[door] = unlocked
	return nil
}

func (b *fakeBoard) unlocked(door string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.relay[door]
}

type denyAll struct{}

func (denyAll) Present(string, access.Presentation, time.Time) access.Outcome {
	return access.Outcome{Kind: access.OutcomeDenied}
}
func (denyAll) Expire(string, time.Time) access.Outcome { return access.Outcome{} }

// events records what the runtime emits (the daemon's sink is the log).
type events struct {
	mu  sync.Mutex
	evs []device.Event
}

func (e *events) Emit(ev device.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

func (e *events) of(typ string) []device.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []device.Event
	for _, ev := range e.evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// controller is one doord's door runtime answering commands.
type controller struct {
	id    string
	nc    *nats.Conn
	rt    *device.Runtime
	board *fakeBoard
	ev    *events
	st    *store.Store
}

func newController(t *testing.T, url, id string, groups []string, doors ...string) *controller {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "doord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &fakeBoard{reads: make(chan board.Read), inputs: make(chan board.InputEvent), relay: map[string]bool{}}
	cfg := device.Config{Modes: st}
	for _, d := range doors {
		cfg.Doors = append(cfg.Doors, device.DoorConfig{ID: d, Lock: 1, UnlockTime: time.Hour})
	}
	ev := &events{}
	rt, err := device.New(cfg, b, denyAll{}, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := Start(nc, Options{Site: site, Controller: id, Groups: groups, Doors: rt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := nc.Flush(); err != nil { // subscriptions in place
		t.Fatal(err)
	}
	return &controller{id, nc, rt, b, ev, st}
}

func natsServer(t *testing.T) *natstest.Server { return natstest.Run(t, nil) }

func client(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func ask(t *testing.T, nc *nats.Conn, subject, body string) Reply {
	t.Helper()
	m, err := nc.Request(subject, []byte(body), 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
	var r Reply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		t.Fatalf("reply %s: %v", m.Data, err)
	}
	return r
}

// A remote open addressed to one controller's door unlocks that door and
// is audited as a remote_open by the by field, like an HTTP open.
func TestOpenOneDoorOfAController(t *testing.T) {
	srv := natsServer(t)
	a := newController(t, srv.ClientURL(), "bldg1-east", nil, "front", "back")
	mgr := client(t, srv.ClientURL())

	r := ask(t, mgr, ControllerSubject(site, "bldg1-east", "open"), `{"door":"front","by":"alice"}`)
	if !r.OK || r.Controller != "bldg1-east" || len(r.Results) != 1 || r.Results[0].Door != "front" || !r.Results[0].OK {
		t.Fatalf("reply = %+v", r)
	}
	if !a.board.unlocked("front") || a.board.unlocked("back") {
		t.Fatalf("relays = %v, want front unlocked only", a.board.relay)
	}
	opens := a.ev.of(device.EventRemoteOpen)
	if len(opens) != 1 || opens[0].Door != "front" || opens[0].Operator != "nats:alice" {
		t.Fatalf("remote_open events = %+v, want one at front by nats:alice", opens)
	}

	// Without by, the subject names who.
	ask(t, mgr, ControllerSubject(site, "bldg1-east", "open"), `{"door":"back"}`)
	if opens = a.ev.of(device.EventRemoteOpen); len(opens) != 2 || opens[1].Operator != "nats:doord.campus.cmd.controller.bldg1-east.open" {
		t.Fatalf("remote_open events = %+v", opens)
	}
}

// A mode change is persisted and audited as the HTTP route's is, and a
// locked_down door then refuses a remote open with a clear error.
func TestModeChangePersistedAndLockdownRefusesOpen(t *testing.T) {
	srv := natsServer(t)
	a := newController(t, srv.ClientURL(), "bldg1-east", nil, "front")
	mgr := client(t, srv.ClientURL())

	r := ask(t, mgr, ControllerSubject(site, "bldg1-east", "mode"), `{"door":"front","mode":"locked_down","by":"bob"}`)
	if !r.OK || r.Results[0].Mode != "locked_down" || !r.Results[0].Locked {
		t.Fatalf("reply = %+v", r)
	}
	settings, _, err := a.st.DoorSettings()
	if err != nil {
		t.Fatal(err)
	}
	if s := settings["front"]; s.Mode != "locked_down" || s.ModeBy != "nats:bob" {
		t.Fatalf("stored setting = %+v, want locked_down by nats:bob", s)
	}
	if ch := a.ev.of("mode_changed"); len(ch) == 0 || ch[len(ch)-1].Operator != "nats:bob" {
		t.Fatalf("mode_changed events = %+v", ch)
	}

	r = ask(t, mgr, ControllerSubject(site, "bldg1-east", "open"), `{"door":"front","by":"bob"}`)
	if r.OK || r.Error == nil || r.Error.Code != CodeRefused || !strings.Contains(r.Error.Message, "locked_down") {
		t.Fatalf("open of a locked_down door: reply = %+v, want refused naming the mode", r)
	}
	if a.board.unlocked("front") {
		t.Fatal("a locked_down door was unlocked")
	}
}

// A group command is answered by every controller whose groups include
// it, each for all of its doors; a controller outside the group hears
// nothing.
func TestGroupCommandAnsweredByEveryMemberForItsDoors(t *testing.T) {
	srv := natsServer(t)
	a := newController(t, srv.ClientURL(), "bldg1-east", []string{"lobby", "bldg1", "lobby"}, "front", "back") // lobby twice: still one answer
	b := newController(t, srv.ClientURL(), "bldg2", []string{"lobby"}, "side")
	mgr := client(t, srv.ClientURL())

	replies := collect(t, mgr, GroupSubject(site, "lobby", "mode"), `{"mode":"unlocked","by":"carol"}`, 2)
	if ch := a.ev.of("mode_changed"); len(ch) != 2 {
		t.Fatalf("bldg1-east: %d mode_changed events, want one per door", len(ch))
	}
	slices.SortFunc(replies, func(x, y Reply) int { return strings.Compare(x.Controller, y.Controller) })
	doors := func(r Reply) (ids []string) {
		for _, d := range r.Results {
			if d.OK && d.Mode == "unlocked" {
				ids = append(ids, d.Door)
			}
		}
		return ids
	}
	if replies[0].Controller != "bldg1-east" || !replies[0].OK || !slices.Equal(doors(replies[0]), []string{"front", "back"}) {
		t.Fatalf("bldg1-east replied %+v", replies[0])
	}
	if replies[1].Controller != "bldg2" || !replies[1].OK || !slices.Equal(doors(replies[1]), []string{"side"}) {
		t.Fatalf("bldg2 replied %+v", replies[1])
	}
	for _, c := range []*controller{a, b} {
		for _, d := range c.rt.Doors() {
			if d.Mode != "unlocked" {
				t.Fatalf("%s door %s mode %s", c.id, d.ID, d.Mode)
			}
		}
	}

	// bldg1: only bldg1-east is a member.
	before := b.nc.Stats().InMsgs
	replies = collect(t, mgr, GroupSubject(site, "bldg1", "mode"), `{"mode":"normal"}`, 1)
	if replies[0].Controller != "bldg1-east" || !replies[0].OK {
		t.Fatalf("reply = %+v", replies[0])
	}
	// The server handled the request before bldg1-east answered; a flush
	// of bldg2's connection returns after anything sent to it before.
	if err := b.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := b.nc.Stats().InMsgs; got != before {
		t.Fatalf("bldg2 received %d messages for a group it is not in", got-before)
	}
	if d, _ := b.rt.Door("side"); d.Mode != "unlocked" {
		t.Fatalf("bldg2's door changed to %s by a group it is not in", d.Mode)
	}
}

// collect sends a request and reads n replies.
func collect(t *testing.T, nc *nats.Conn, subject, body string, n int) []Reply {
	t.Helper()
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(subject, inbox, []byte(body)); err != nil {
		t.Fatal(err)
	}
	var out []Reply
	for range n {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("%s: reply %d of %d: %v", subject, len(out)+1, n, err)
		}
		var r Reply
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// Bad commands get an answer naming the problem and change nothing.
func TestBadCommandsNameTheProblemAndChangeNothing(t *testing.T) {
	srv := natsServer(t)
	a := newController(t, srv.ClientURL(), "bldg1-east", []string{"lobby"}, "front")
	mgr := client(t, srv.ClientURL())
	ctl := func(action string) string { return ControllerSubject(site, "bldg1-east", action) }
	grp := func(action string) string { return GroupSubject(site, "lobby", action) }
	for _, tc := range []struct {
		subject, body, code, mention string
	}{
		{ctl("open"), `{"door":"nope"}`, CodeUnknownDoor, `"nope"`},
		{ctl("open"), `{}`, CodeBadRequest, "door: required"},
		{ctl("open"), ``, CodeBadRequest, "door: required"},
		{ctl("open"), `{"dor":"front"}`, CodeBadRequest, `"dor"`},
		{ctl("open"), `{"door":5}`, CodeBadRequest, "door: must be a string"},
		{ctl("open"), `{"door":"front"`, CodeBadRequest, "body:"},
		{ctl("open"), `[1]`, CodeBadRequest, "JSON object"},
		{ctl("open"), `{"door":"front"} {}`, CodeBadRequest, "more than one"},
		{ctl("open"), `{"door":"front","mode":"unlocked"}`, CodeBadRequest, "mode:"},
		{ctl("open"), `{"door":"front","by":""}`, CodeBadRequest, "by:"},
		{ctl("open"), `{"door":"front","by":"` + strings.Repeat("x", 65) + `"}`, CodeBadRequest, "by:"},
		{ctl("mode"), `{"door":"front","mode":"open"}`, CodeBadMode, `"open"`},
		{ctl("mode"), `{"door":"front"}`, CodeBadMode, "mode: required"},
		{ctl("mode"), `{"door":"nope","mode":"normal"}`, CodeUnknownDoor, `"nope"`},
		{ctl("reboot"), `{"door":"front"}`, CodeUnknownCommand, `"reboot"`},
		{grp("open"), `{"door":"front"}`, CodeBadRequest, "door:"},
		{grp("mode"), `{"mode":"lockdown"}`, CodeBadMode, `"lockdown"`},
	} {
		r := ask(t, mgr, tc.subject, tc.body)
		if r.OK || r.Error == nil || r.Error.Code != tc.code || !strings.Contains(r.Error.Message, tc.mention) || r.Controller != "bldg1-east" {
			t.Errorf("%s %s: reply %+v, want %s mentioning %s", tc.subject, tc.body, r, tc.code, tc.mention)
		}
	}
	a.ev.mu.Lock()
	n := len(a.ev.evs)
	a.ev.mu.Unlock()
	if n != 0 || a.board.unlocked("front") {
		t.Fatalf("bad commands acted: %d events", n)
	}
	if d, _ := a.rt.Door("front"); d.Mode != "normal" {
		t.Fatalf("mode %s", d.Mode)
	}
}
