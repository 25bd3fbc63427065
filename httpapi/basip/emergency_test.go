package basip_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/httpapi"
	"github.com/doord/doord/store"
)

// emergencyDoors is fakeDoors that records emergency opens and closes;
// refuse makes a door refuse them.
type emergencyDoors struct {
	*fakeDoors
	emu    sync.Mutex
	calls  []string
	refuse map[string]error
}

func (f *emergencyDoors) EmergencyOpen(id string, d time.Duration, by string) error {
	f.emu.Lock()
	defer f.emu.Unlock()
	if err := f.refuse[id]; err != nil {
		return err
	}
	f.calls = append(f.calls, fmt.Sprintf("open %s %v by %s", id, d, by))
	return nil
}

func (f *emergencyDoors) EmergencyClose(id, by string) error {
	f.emu.Lock()
	defer f.emu.Unlock()
	f.calls = append(f.calls, "close "+id+" by "+by)
	return nil
}

func (f *emergencyDoors) took() string {
	f.emu.Lock()
	defer f.emu.Unlock()
	s := strings.Join(f.calls, "; ")
	f.calls = nil
	return s
}

func newEmergencyEnv(t *testing.T, opts ...func(*httpapi.Config)) (*env, *emergencyDoors) {
	t.Helper()
	fd := &emergencyDoors{fakeDoors: &fakeDoors{doors: map[string]*httpapi.DoorView{
		"1": {ID: "1", Lock: 1, Mode: "normal", Locked: true},
		"2": {ID: "2", Lock: 2, Mode: "normal", Locked: true},
	}}, refuse: map[string]error{}}
	return newEnvParts(t, httpapi.Parts{Doors: fd}, opts...), fd
}

// Emergency open as android-panels 2.9.0/2.10.0 and camdroid-panels 1.0.7
// document it ("Start emergency mode and open the locks") and ha-av03bd
// sends it (NagibinA/BAS-IP_AV-03BD coordinator.py: lock 1, 10000 s), and
// its stop as only ha-av03bd sends it (const.py API_LOCK_EMERGENCY_CLOSE,
// {"locks":[1]}).
func TestBasipEmergencyOpenAndClose(t *testing.T) {
	e, fd := newEmergencyEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.do("POST", "/api/v1/access/general/lock/open/emergency", tok, `{"locks":[{"lock_number":1,"unlock_time":10000}]}`).bwant(200, bodyEmpty)
	if got := fd.took(); got != "open 1 2h46m40s by admin" {
		t.Fatalf("runtime calls %q", got)
	}
	e.do("POST", "/api/v1/access/general/lock/close/emergency", tok, `{"locks":[1]}`).bwant(200, bodyEmpty)
	if got := fd.took(); got != "close 1 by admin" {
		t.Fatalf("runtime calls %q", got)
	}
	// Lock 0 is both locks; several entries each get their own time; the
	// range ends are accepted; HTTP Basic works as on any route.
	e.do("POST", "/api/v1/access/general/lock/open/emergency", "", `{"locks":[{"lock_number":0,"unlock_time":1},{"lock_number":2,"unlock_time":604800}]}`,
		basicAuth("admin", adminPW)).bwant(200, bodyEmpty)
	if got := fd.took(); got != "open 1 1s by admin; open 2 1s by admin; open 2 168h0m0s by admin" {
		t.Fatalf("runtime calls %q", got)
	}
	e.do("POST", "/api/v1/access/general/lock/close/emergency", tok, `{"locks":[0]}`).bwant(200, bodyEmpty)
	e.do("POST", "/api/v1/access/general/lock/close/emergency", tok, `{"locks":[{"lock_number":2}]}`).bwant(200, bodyEmpty)
	if got := fd.took(); got != "close 1 by admin; close 2 by admin; close 2 by admin" {
		t.Fatalf("runtime calls %q", got)
	}
}

// BAS-IP's 400 texts (android-panels 2.9.0 examples; the lock-number
// text is camdroid-panels 1.0.7's, whose 0..8 doord accepts), and the
// whole body is checked before any door moves.
func TestBasipEmergencyErrors(t *testing.T) {
	e, fd := newEmergencyEnv(t)
	tok := e.basipLogin("admin", adminPW)
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.basipLogin("vic", "viewer password 1")
	const open = "/api/v1/access/general/lock/open/emergency"
	for _, tc := range []struct{ body, want string }{
		{`nope`, bodyWrongB},
		{`{}`, "{\"error\":\"Wrong JSON body: no value for `locks`\"}"},
		{`{"locks":{"lock_number":1}}`, "{\"error\":\"Wrong JSON body: value `locks` was of the wrong type\"}"},
		{`{"locks":[1]}`, "{\"error\":\"Wrong JSON body: value `locks` was of the wrong type\"}"},
		{`{"locks":[]}`, `{"error":"locks must contain at least one item"}`},
		{`{"locks":[{"unlock_time":10}]}`, "{\"error\":\"Wrong JSON body: no value for `lock_number`\"}"},
		{`{"locks":[{"lock_number":1}]}`, "{\"error\":\"Wrong JSON body: no value for `unlock_time`\"}"},
		{`{"locks":[{"lock_number":"1","unlock_time":10}]}`, "{\"error\":\"Wrong JSON body: value `lock_number` was of the wrong type\"}"},
		{`{"locks":[{"lock_number":1,"unlock_time":1.5}]}`, "{\"error\":\"Wrong JSON body: value `unlock_time` was of the wrong type\"}"},
		{`{"locks":[{"lock_number":9,"unlock_time":10}]}`, `{"error":"Only 0, 1..8 indexes available for the lock number"}`},
		{`{"locks":[{"lock_number":-1,"unlock_time":10}]}`, `{"error":"Only 0, 1..8 indexes available for the lock number"}`},
		{`{"locks":[{"lock_number":1,"unlock_time":0}]}`, `{"error":"Unlock time should be in range [1, 604800] seconds"}`},
		{`{"locks":[{"lock_number":1,"unlock_time":604801}]}`, `{"error":"Unlock time should be in range [1, 604800] seconds"}`},
		{`{"locks":[{"lock_number":1,"unlock_time":10},{"lock_number":1,"unlock_time":0}]}`, `{"error":"Unlock time should be in range [1, 604800] seconds"}`},
	} {
		e.do("POST", open, tok, tc.body).bwant(400, tc.want)
	}
	// A lock number no door has (doors are on locks 1 and 2).
	e.do("POST", open, tok, `{"locks":[{"lock_number":3,"unlock_time":10}]}`).bwant(404, `{"error":"Lock not found"}`)
	e.do("POST", "/api/v1/access/general/lock/close/emergency", tok, `{"locks":["1"]}`).bwant(400, "{\"error\":\"Wrong JSON body: value `locks` was of the wrong type\"}")
	e.do("POST", "/api/v1/access/general/lock/close/emergency", tok, `{"locks":[9]}`).bwant(400, `{"error":"Only 0, 1..8 indexes available for the lock number"}`)
	if got := fd.took(); got != "" {
		t.Fatalf("a refused body moved doors: %q", got)
	}
	// Roles and credentials.
	e.do("POST", open, view, `{"locks":[{"lock_number":1,"unlock_time":10}]}`).bwant(403, bodyAdmin)
	e.do("POST", open, "", `{"locks":[{"lock_number":1,"unlock_time":10}]}`).bwant(401, `{"error":"Log In"}`)
	// A door that refuses (locked down) does not stop the others, and the
	// answer names it.
	fd.refuse["2"] = errors.New("device: door mode refuses remote open: door \"2\" is locked_down")
	e.do("POST", open, tok, `{"locks":[{"lock_number":0,"unlock_time":60}]}`).
		bwant(400, `{"error":"Lock cannot be opened: lock 0 door \"2\": device: door mode refuses remote open: door \"2\" is locked_down"}`)
	if got := fd.took(); got != "open 1 1m0s by admin" {
		t.Fatalf("runtime calls %q", got)
	}
}

// Lock numbers through the [basip] locks map: up to 8 as Camdroid panels
// number them (camdroid-panels 1.1.0 remote access: "1..8 - indexes
// available"), for remote and emergency open alike.
func TestBasipLockMap(t *testing.T) {
	e, fd := newEmergencyEnv(t, func(c *httpapi.Config) {
		c.BASIPLocks = map[int][]string{8: {"2"}, 1: {"1"}, 0: {"1", "2"}}
	})
	tok := e.basipLogin("admin", adminPW)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/8", tok, "").bwant(200, bodyEmpty)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/2", tok, "").bwant(404, `{"error":"Lock not found"}`)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/9", tok, "").bwant(400, `{"error":"Only 0, 1..8 indexes available for the lock number"}`)
	e.do("GET", "/api/v1/access/general/lock/open/remote/accepted/0", tok, "").bwant(200, bodyEmpty)
	if fmt.Sprint(fd.opens) != "[2 by admin 1 by admin 2 by admin]" {
		t.Fatalf("opens %v", fd.opens)
	}
	e.do("POST", "/api/v1/access/general/lock/open/emergency", tok, `{"locks":[{"lock_number":8,"unlock_time":5}]}`).bwant(200, bodyEmpty)
	if got := fd.took(); got != "open 2 5s by admin" {
		t.Fatalf("runtime calls %q", got)
	}
}
