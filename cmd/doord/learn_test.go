package main

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// Learning a card on the simulated board: the swipe goes through the
// board's Wiegand encoder and decoder and the door runtime; every waiting
// learner gets the card's value, which the credential API takes as is,
// and the read is still decided and logged (unknown card: denied).
func TestLearnCardOnTheSimulatedBoard(t *testing.T) {
	d, tok := startSim(t)
	evs, cancel := d.events.Subscribe()
	defer cancel()

	const learners = 3
	var wg sync.WaitGroup
	got := make([]map[string]any, learners)
	status := make([]int, learners)
	for i := range learners {
		wg.Go(func() { status[i], got[i] = call(t, d, "POST", "/api/v1/readers/1/learn", tok, `{"timeout_ms":30000}`) })
	}
	for deadline := time.Now().Add(10 * time.Second); d.doors.Learners() != learners; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("%d learners waiting, want %d", d.doors.Learners(), learners)
		}
	}
	if st, m := call(t, d, "POST", "/api/v1/sim/readers/1/card", tok, `{"facility":123,"card":4567}`); st != 200 {
		t.Fatalf("sim card: %d %v", st, m)
	}
	wg.Wait()
	for i := range learners {
		if status[i] != 200 || got[i]["reader"] != "1" || got[i]["value"] != "8065495" || got[i]["format"] != "h10301" || got[i]["bits"] != float64(26) {
			t.Errorf("learner %d: %d %v, want reader 1 value 8065495 h10301 26 bits", i, status[i], got[i])
		}
	}
	if ev := nextDecision(t, evs, "the learned swipe"); ev.Type != store.EventAccessDenied || ev.Reader != "1" {
		t.Errorf("the learned swipe was logged as %+v, want access_denied at reader 1", ev)
	}

	// What was learned enrols the card: the next swipe opens.
	st, u := call(t, d, "POST", "/api/v1/users", tok, `{"name":"Ada","locks":"both"}`)
	if st != 201 {
		t.Fatalf("create user: %d %v", st, u)
	}
	body := `{"type":"card","value":"` + got[0]["value"].(string) + `","format":"` + got[0]["format"].(string) + `"}`
	if st, m := call(t, d, "POST", "/api/v1/users/"+u["id"].(string)+"/credentials", tok, body); st != 201 {
		t.Fatalf("create the learned card %s: %d %v", body, st, m)
	}
	call(t, d, "POST", "/api/v1/sim/readers/1/card", tok, `{"facility":123,"card":4567}`)
	if ev := nextDecision(t, evs, "the enrolled swipe"); ev.Type != store.EventAccessGranted {
		t.Errorf("the enrolled card: %+v, want access_granted", ev)
	}
	if n := d.doors.Learners(); n != 0 {
		t.Errorf("%d learners left waiting", n)
	}
	if st, _ := call(t, d, "POST", "/api/v1/readers/9/learn", tok, ""); st != 404 {
		t.Errorf("unknown reader: %d, want 404", st)
	}
}
