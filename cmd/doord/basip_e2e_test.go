package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/board"
	"github.com/doord/doord/store"
)

// Software written for BAS-IP panels manages doord unchanged: a user and a
// card made through the BAS-IP routes are the native API's user and card
// and open (or not) the simulated doors.
func TestBasipAPIOnTheSimulatedBoard(t *testing.T) {
	const pw = "basip end to end pw"
	t.Setenv("DOORD_ADMIN_PASSWORD", pw)
	cfg := testConfig(t, t.TempDir())
	cfg.Board = board.SimExample()
	cfg.Access.TimeZone = "UTC"
	cfg.accessDefaults()
	for i := range cfg.Doors {
		cfg.Doors[i].UnlockTime.Duration = 100 * time.Millisecond
	}
	d, _ := start(t, cfg)
	defer d.stop()
	native := login(t, d, pw)
	evs, cancel := d.events.Subscribe()
	defer cancel()
	decision := func(what string) store.Event {
		t.Helper()
		return nextDecision(t, evs, what)
	}
	must := func(method, path, tok, body string, want int) map[string]any {
		t.Helper()
		st, m := call(t, d, method, path, tok, body)
		if st != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, st, want, m)
		}
		return m
	}

	// BAS-IP login: the password's MD5, in a query string.
	lg := must("GET", "/api/v1/login?username=admin&password="+auth.MD5Hex(pw), "", "", 200)
	if lg["account_type"] != "admin" {
		t.Fatalf("login %v", lg)
	}
	tok := lg["token"].(string)

	// A user on lock 1 and a card given as hex bytes, at most two passes,
	// created unattached and then attached, as BAS-IP clients do.
	u := must("POST", "/api/v1/access/user", tok,
		`{"name":"Grace","info":"flat 7","auth_factors":["card"],"lock_number":1,"is_custom_user_access":false}`, 200)
	uid := uint64(u["item_uid"].(float64))
	c := must("POST", "/api/v1/access/identifier", tok, `{"identifier_owner":{"name":"Grace","type":"owner"},
		"identifier_type":"card","identifier_number":"7B:11:D7","lock":"first",
		"valid":{"time":{"is_permanent":true},"passes":{"is_permanent":false,"max_passes":2}}}`, 200)
	cid := uint64(c["uid"].(float64))
	must("POST", fmt.Sprintf("/api/v1/access/user/%d/identifier/%d", uid, cid), tok, "", 200)
	// The BAS-IP user shows it in full, under the uid the client was given.
	bu := must("GET", fmt.Sprintf("/api/v1/access/users/item/%d", uid), tok, "", 200)
	if ids, _ := bu["identifiers"].([]any); bu["item_uid"] != float64(uid) || len(ids) != 1 ||
		ids[0].(map[string]any)["identifier_uid"] != float64(cid) || ids[0].(map[string]any)["identifier_number"] != "7B:11:D7" ||
		fmt.Sprint(ids[0].(map[string]any)["additional"]) != "map[passes_left:2]" {
		t.Fatalf("BAS-IP user %v", bu)
	}

	// The native API sees the same user and card (H10301 facility 123,
	// card 4567: 7B:11:D7 is 8065495).
	nu := must("GET", fmt.Sprintf("/api/v1/users/%d", uid), native, "", 200)
	if nu["name"] != "Grace" || nu["locks"] != "1" {
		t.Fatalf("native user %v", nu)
	}
	creds := must("GET", fmt.Sprintf("/api/v1/users/%d/credentials", uid), native, "", 200)["items"].([]any)
	if len(creds) != 1 || creds[0].(map[string]any)["value"] != "8065495" {
		t.Fatalf("native credentials %v", creds)
	}

	// Door 1 (lock 1) opens; door 2 does not; the third grant is refused.
	must("POST", "/api/v1/sim/readers/1/card", native, `{"facility":123,"card":4567}`, 200)
	if ev := decision("first swipe"); ev.Type != "access_granted" || ev.Door != "1" || ev.UserUID != uid {
		t.Fatalf("first swipe on door 1: %+v", ev)
	}
	must("POST", "/api/v1/sim/readers/2/card", native, `{"number":"8065495"}`, 200)
	if ev := decision("door 2"); ev.Type != "access_denied" || ev.Door != "2" || ev.Reason != "door_not_permitted" {
		t.Fatalf("door 2: %+v", ev)
	}
	must("POST", "/api/v1/sim/readers/1/card", native, `{"facility":123,"card":4567}`, 200)
	if ev := decision("second swipe"); ev.Type != "access_granted" {
		t.Fatalf("second swipe: %+v", ev)
	}
	must("POST", "/api/v1/sim/readers/1/card", native, `{"facility":123,"card":4567}`, 200)
	if ev := decision("third swipe"); ev.Type != "access_denied" || ev.Reason != "passes_used_up" {
		t.Fatalf("third swipe: %+v", ev)
	}
	// A pass reset through BAS-IP opens again.
	must("POST", fmt.Sprintf("/api/v1/access/identifiers/item/%d/passes/reset", cid), tok, "", 200)
	must("POST", "/api/v1/sim/readers/1/card", native, `{"facility":123,"card":4567}`, 200)
	if ev := decision("after reset"); ev.Type != "access_granted" {
		t.Fatalf("after reset: %+v", ev)
	}

	// An identifier added as intercom provisioning adds it, an owner (the
	// flat) and no user, opens door 1 on its own lock and validity, and
	// keeps its uid and passes when attached to a user later.
	free := uint64(must("POST", "/api/v1/access/identifier", tok, `{"identifier_owner":{"name":"23","type":"owner"},
		"identifier_type":"card","identifier_number":"12-D6-87","lock":"first",
		"valid":{"time":{"is_permanent":true},"passes":{"is_permanent":false,"max_passes":5}}}`, 200)["uid"].(float64))
	must("POST", "/api/v1/sim/readers/1/card", native, `{"number":"1234567"}`, 200)
	if ev := decision("without a user, door 1"); ev.Type != "access_granted" || ev.Door != "1" || ev.UserUID != 0 {
		t.Fatalf("identifier without a user at door 1: %+v", ev)
	}
	must("POST", "/api/v1/sim/readers/2/card", native, `{"number":"1234567"}`, 200)
	if ev := decision("without a user, door 2"); ev.Type != "access_denied" || ev.Reason != "door_not_permitted" {
		t.Fatalf("identifier without a user (lock first) at door 2: %+v", ev)
	}
	must("POST", fmt.Sprintf("/api/v1/access/user/%d/identifier/%d", uid, free), tok, "", 200)
	fi := must("GET", fmt.Sprintf("/api/v1/access/identifiers/item/%d", free), tok, "", 200)
	if fi["user_uid"] != float64(uid) || fmt.Sprint(fi["additional"]) != "map[passes_left:4]" {
		t.Fatalf("attached identifier %v: want user %d, 4 passes left, its uid", fi, uid)
	}
	must("POST", "/api/v1/sim/readers/1/card", native, `{"number":"1234567"}`, 200)
	if ev := decision("attached"); ev.Type != "access_granted" || ev.UserUID != uid {
		t.Fatalf("identifier attached to %d: %+v", uid, ev)
	}

	// Remote open of lock 2 through the runtime, in the BAS-IP log.
	must("GET", "/api/v1/access/general/lock/open/remote/accepted/2", tok, "", 200)
	want := map[string]bool{"access_granted_by_api_call": false, "access_granted_by_valid_identifier": false,
		"access_denied_by_not_valid_identifier": false,
		"successful_login_api_call":             false}
	// Subscribers get an event after it is committed: once remote_open
	// arrives, the log holds everything before it.
	timeout := time.After(10 * time.Second)
	for waiting := true; waiting; {
		select {
		case ev := <-evs:
			waiting = ev.Type != "remote_open"
		case <-timeout:
			t.Fatal("no remote_open event")
		}
	}
	for _, it := range must("GET", "/api/v1/log/list?limit=100", tok, "", 200)["list_items"].([]any) {
		if _, ok := want[it.(map[string]any)["event"].(string)]; ok {
			want[it.(map[string]any)["event"].(string)] = true
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("BAS-IP log has no %s", name)
		}
	}

	// A BAS-IP calendar rule on one identifier, evaluated by the engine at
	// the door: whole days on chosen days of the month. Today and tomorrow
	// (UTC) open, so a run across midnight still opens; a day that is
	// neither is refused as outside the schedule.
	now := time.Now().UTC()
	today, tomorrow := now.Day(), now.AddDate(0, 0, 1).Day()
	other := today%28 + 10
	if other > 28 {
		other -= 27
	}
	dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).Unix()
	profile := func(days string) string {
		return fmt.Sprintf(`{"name":"Days %s","time_options":{"is_all_day":true,"date_from":%d,"date_to":%d},
			"repeat_options":{"repeat_enable":true,"repeat_format":{"repeat_type":"custom"},"repeat_end":{"format":"never"},
			"repeat_custom":{"repeat_point_type":"month","repeat_looper":1,"repeat_options":{"format":"dayNumbers","range":[%s]}}}}`,
			days, dayStart-40*86400, dayStart-40*86400+86399, days)
	}
	tp := uint64(must("POST", "/api/v1/access/timeprofile", tok, profile(fmt.Sprintf("%d,%d", today, tomorrow)), 200)["uid"].(float64))
	u2 := uint64(must("POST", "/api/v1/access/user", tok,
		`{"name":"Hopper","info":"","auth_factors":["card"],"lock_number":0,"is_custom_user_access":false}`, 200)["item_uid"].(float64))
	c2 := uint64(must("POST", "/api/v1/access/identifier", tok,
		fmt.Sprintf(`{"identifier_type":"card","identifier_number":"7654321","user_uid":%d}`, u2), 200)["uid"].(float64))
	must("POST", fmt.Sprintf("/api/v1/access/identifier/item/%d/timeProfile/%d", c2, tp), tok, "", 200)
	must("POST", "/api/v1/sim/readers/1/card", native, `{"number":"7654321"}`, 200)
	if ev := decision("calendar rule, today"); ev.Type != "access_granted" || ev.UserUID != u2 {
		t.Fatalf("on a chosen day of the month: %+v", ev)
	}
	must("PATCH", fmt.Sprintf("/api/v1/access/timeprofile/item/%d", tp), tok, profile(fmt.Sprint(other)), 200)
	must("POST", "/api/v1/sim/readers/1/card", native, `{"number":"7654321"}`, 200)
	if ev := decision("calendar rule, other day"); ev.Type != "access_denied" || ev.Reason != "outside_schedule" {
		t.Fatalf("on a day the rule does not choose (%d; today %d): %+v", other, today, ev)
	}
}
