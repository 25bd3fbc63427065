package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// A key provisioned the way SmartYard-Server provisions it in production
// (server/hw/ip/domophone/basip/Basip.php addRfid: HTTP Basic on every
// call, the number as dash-separated hex pairs, the owner name the raw
// hex, lock "first", permanent, no user) opens door 1 on the simulated
// reader, and door 2 (lock 2) stays shut to it; the list shows the number
// as sent; the bulk delete SmartYard uses removes it from the door.
func TestBasipProvisionedCardOpensDoor1(t *testing.T) {
	cfg := simConfig(t)
	for i := range cfg.Doors {
		cfg.Doors[i].UnlockTime.Duration = 100 * time.Millisecond
	}
	d, _ := start(t, cfg)
	defer d.stop()
	native := login(t, d, "door modes password")
	basic := func(method, path, body string, want int) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+d.addr()+path, strings.NewReader(body))
		req.SetBasicAuth("admin", "door modes password")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, res.StatusCode, want, m)
		}
		return m
	}
	// 00-00-00-00-7B-11-D7 is H10301 facility 123, card 4567.
	uid := basic("POST", "/api/v1/access/identifier",
		`{"identifier_number":"00-00-00-00-7B-11-D7","identifier_owner":{"name":"000000007B11D7","type":"owner"},"identifier_type":"card","lock":"first","valid":{"passes":{"is_permanent":true,"max_passes":null,"time":{"from":null,"is_permanent":true,"to":null}}}}`, 200)["uid"]
	// Stored as a credential without a user (no holding user).
	if st, c := call(t, d, "GET", "/api/v1/credentials/"+fmt.Sprint(uid), native, ""); st != 200 || c["user_id"] != nil {
		t.Fatalf("the provisioned card as a native credential: %d %v, want one without a user", st, c)
	}
	items := basic("GET", "/api/v1/access/identifier/items?limit=50&page_number=1", "", 200)["list_items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["identifier_number"] != "00-00-00-00-7B-11-D7" || items[0].(map[string]any)["identifier_uid"] != uid {
		t.Fatalf("listed %v", items)
	}
	sub, cancel := d.events.Subscribe()
	defer cancel()
	present := func(reader, what string) store.Event {
		t.Helper()
		if st, m := call(t, d, "POST", "/api/v1/sim/readers/"+reader+"/card", native, `{"facility":123,"card":4567}`); st != 200 {
			t.Fatalf("swipe: %d %v", st, m)
		}
		return nextDecision(t, sub, what)
	}
	if ev := present("1", "door 1"); ev.Type != store.EventAccessGranted || ev.Door != "1" {
		t.Fatalf("provisioned card at door 1: %+v", ev)
	}
	if ev := present("2", "door 2"); ev.Type != store.EventAccessDenied || ev.Reason != "door_not_permitted" {
		t.Fatalf("provisioned card (lock first) at door 2: %+v", ev)
	}
	basic("DELETE", "/api/v1/access/identifier/items", `{"uid_items":[`+fmt.Sprint(uid)+`]}`, 200)
	if ev := present("1", "after delete"); ev.Type != store.EventAccessDenied || ev.Reason != "unknown_credential" {
		t.Fatalf("deleted card at door 1: %+v", ev)
	}
}
