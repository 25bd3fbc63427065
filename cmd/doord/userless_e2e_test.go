package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// A card added the way intercom provisioning adds it — an owner's name and
// an apartment, no user — opens door 1 on the simulated reader, within
// its own locks: door 2 stays shut to it.
func TestUserlessCardOpensDoorOnTheSimulatedBoard(t *testing.T) {
	cfg := simConfig(t)
	for i := range cfg.Doors {
		cfg.Doors[i].UnlockTime.Duration = 100 * time.Millisecond
	}
	d, _ := start(t, cfg)
	defer d.stop()
	tok := login(t, d, "door modes password")
	req := func(method, path, body string, want int) map[string]any {
		t.Helper()
		st, m := call(t, d, method, path, tok, body)
		if st != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, st, want, m)
		}
		return m
	}
	evs, cancel := d.events.Subscribe()
	defer cancel()
	apt := req("POST", "/api/v1/apartments", `{"name":"Flat 12","address":{"building":1,"unit":1,"floor":3,"room":12}}`, 201)
	c := req("POST", "/api/v1/credentials", fmt.Sprintf(`{"type":"card","value":{"facility":123,"card":4567},
		"owner":"owner","owner_name":"Flat 12 resident","apartment":%v,"locks":"1"}`, apt["id"]), 201)
	if c["user_id"] != nil || c["apartment"] != apt["id"] {
		t.Fatalf("created %v: want no user and apartment %v", c, apt["id"])
	}
	req("POST", "/api/v1/sim/readers/1/card", `{"facility":123,"card":4567}`, 200)
	if ev := nextDecision(t, evs, "door 1"); ev.Type != store.EventAccessGranted || ev.Door != "1" || ev.UserUID != 0 {
		t.Fatalf("userless card at door 1: %+v", ev)
	}
	req("POST", "/api/v1/sim/readers/2/card", `{"facility":123,"card":4567}`, 200)
	if ev := nextDecision(t, evs, "door 2"); ev.Type != store.EventAccessDenied || ev.Reason != "door_not_permitted" {
		t.Fatalf("userless card on lock 1 at door 2: %+v", ev)
	}
}

// With [access] userless_credentials = "deny" the same card is refused
// with its own reason (BAS-IP's identifiers_without_linkage_to_user_access_denied),
// while a user's card still opens.
func TestUserlessCardDeniedWhenConfigured(t *testing.T) {
	cfg := simConfig(t)
	cfg.Access.Userless = "deny"
	d, _ := start(t, cfg)
	defer d.stop()
	tok := login(t, d, "door modes password")
	if st, m := call(t, d, "POST", "/api/v1/credentials", tok, `{"type":"card","value":{"facility":123,"card":4567},"owner_name":"Flat 12"}`); st != 201 {
		t.Fatalf("create: %d %v", st, m)
	}
	evs, cancel := d.events.Subscribe()
	defer cancel()
	if st, m := call(t, d, "POST", "/api/v1/sim/readers/1/card", tok, `{"facility":123,"card":4567}`); st != 200 {
		t.Fatalf("swipe: %d %v", st, m)
	}
	if ev := nextDecision(t, evs, "door 1"); ev.Type != store.EventAccessDenied || ev.Reason != "no_user" {
		t.Fatalf("userless card with userless_credentials = deny: %+v", ev)
	}
}
