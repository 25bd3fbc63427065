package httpapi

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// fakeDoors records what the API asked of the door runtime.
type fakeDoors struct {
	mu    sync.Mutex
	doors map[string]*DoorView
	opens []string

	schedules   []string // who set a schedule
	failSetting bool
}

func (f *fakeDoors) List() []DoorView {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []DoorView
	for _, id := range []string{"1", "2"} {
		out = append(out, *f.doors[id])
	}
	return out
}

func (f *fakeDoors) Get(id string) (DoorView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.doors[id]
	if !ok {
		return DoorView{}, false
	}
	return *d, true
}

func (f *fakeDoors) Open(id, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.doors[id]; !ok {
		return ErrNoDoor
	}
	f.opens = append(f.opens, id+" by "+by)
	return nil
}

func (f *fakeDoors) SetMode(id, mode, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.doors[id]
	if !ok {
		return ErrNoDoor
	}
	d.Mode, d.SetMode = mode, mode
	return nil
}

func (f *fakeDoors) SetSchedule(id string, profile uint64, firstCard bool, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.doors[id]
	if !ok {
		return ErrNoDoor
	}
	if f.failSetting {
		return ErrNotPersisted
	}
	d.UnlockSchedule, d.FirstCardUnlock = nil, firstCard
	if profile != 0 {
		d.UnlockSchedule = &profile
	}
	f.schedules = append(f.schedules, by)
	return nil
}

func (f *fakeDoors) EmergencyOpen(id string, d time.Duration, by string) error { return nil }
func (f *fakeDoors) EmergencyClose(id, by string) error                        { return nil }

func TestDoorRoutes(t *testing.T) {
	fd := &fakeDoors{doors: map[string]*DoorView{
		"1": {ID: "1", Lock: 1, Readers: []string{"1"}, Mode: "normal", SetMode: "normal", Locked: true},
		"2": {ID: "2", Lock: 2, Readers: []string{"2"}, Mode: "normal", SetMode: "normal", Locked: true},
	}}
	e := newEnvStore(t, storetest.Open(t), Parts{Doors: fd})
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.login("vic", "viewer password 1")

	list := e.do("GET", "/api/v1/doors", view, "").want(200).json()
	if n := len(list["items"].([]any)); n != 2 {
		t.Fatalf("%d doors, want 2", n)
	}
	e.do("GET", "/api/v1/doors/1", view, "").want(200)
	e.do("GET", "/api/v1/doors/9", view, "").want(404)
	e.do("POST", "/api/v1/doors/1/open", view, "").want(403)
	e.do("POST", "/api/v1/doors/1/open", e.admin, "").want(202)
	e.do("POST", "/api/v1/doors/9/open", e.admin, "").want(404)
	if len(fd.opens) != 1 || fd.opens[0] != "1 by admin" {
		t.Fatalf("opens = %v, want [1 by admin]", fd.opens)
	}
	e.do("PUT", "/api/v1/doors/2/mode", e.admin, `{"mode":"party"}`).want(422)
	if got := e.do("PUT", "/api/v1/doors/2/mode", e.admin, `{"mode":"locked_down"}`).want(200).str("mode"); got != "locked_down" {
		t.Fatalf("mode = %q, want locked_down", got)
	}
	e.do("PUT", "/api/v1/doors/9/mode", e.admin, `{"mode":"normal"}`).want(404)
}

func TestPatchDoorSchedule(t *testing.T) {
	fd := &fakeDoors{doors: map[string]*DoorView{
		"1": {ID: "1", Lock: 1, Readers: []string{"1"}, Mode: "normal", SetMode: "normal", Locked: true},
		"2": {ID: "2", Lock: 2, Readers: []string{"2"}, Mode: "normal", SetMode: "normal", Locked: true},
	}}
	st := storetest.Open(t)
	tp := store.TimeProfile{Name: "office", Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "17:00"}}}
	if err := st.CreateTimeProfile(&tp); err != nil {
		t.Fatal(err)
	}
	e := newEnvStore(t, st, Parts{Doors: fd})
	e.mkOperator("vic", "viewer password 1", store.RoleViewer)
	view := e.login("vic", "viewer password 1")
	body := fmt.Sprintf(`{"unlock_schedule":%d,"first_card_unlock":true}`, tp.ID)
	e.do("PATCH", "/api/v1/doors/1", view, body).want(403)
	got := e.do("PATCH", "/api/v1/doors/1", e.admin, body).want(200).json()
	if got["unlock_schedule"] != float64(tp.ID) || got["first_card_unlock"] != true {
		t.Fatalf("door = %v", got)
	}
	if len(fd.schedules) != 1 || fd.schedules[0] != "admin" {
		t.Fatalf("schedules set by %v, want [admin]", fd.schedules)
	}
	// Absent fields keep their value; null clears the schedule.
	got = e.do("PATCH", "/api/v1/doors/1", e.admin, `{"unlock_schedule":null}`).want(200).json()
	if got["unlock_schedule"] != nil || got["first_card_unlock"] != true {
		t.Fatalf("door = %v", got)
	}
	if f := e.do("PATCH", "/api/v1/doors/1", e.admin, `{"unlock_schedule":999}`).want(422).fields(); !slices.Equal(f, []string{"unlock_schedule"}) {
		t.Fatalf("fields = %v", f)
	}
	if f := e.do("PATCH", "/api/v1/doors/1", e.admin, `{"unlock_schedul":1}`).want(422).fields(); !slices.Equal(f, []string{"unlock_schedul"}) {
		t.Fatalf("fields = %v", f)
	}
	if f := e.do("PATCH", "/api/v1/doors/1", e.admin, `{"first_card_unlock":"yes"}`).want(422).fields(); !slices.Equal(f, []string{"first_card_unlock"}) {
		t.Fatalf("fields = %v", f)
	}
	if f := e.do("PATCH", "/api/v1/doors/1", e.admin, `{"mode":"party"}`).want(422).fields(); !slices.Equal(f, []string{"mode"}) {
		t.Fatalf("fields = %v", f)
	}
	e.do("PATCH", "/api/v1/doors/9", e.admin, `{"mode":"normal"}`).want(404)
	if m := e.do("PATCH", "/api/v1/doors/2", e.admin, `{"mode":"locked_down"}`).want(200).str("mode"); m != "locked_down" {
		t.Fatalf("mode = %q", m)
	}
	fd.failSetting = true
	e.do("PATCH", "/api/v1/doors/1", e.admin, `{"first_card_unlock":false}`).want(503)
}

// A door without readers (exit only) and without alarms answers empty
// lists, not null: the API's contract (openapi.json) has them as arrays.
func TestDoorWithoutReadersShowsEmptyLists(t *testing.T) {
	fd := &fakeDoors{doors: map[string]*DoorView{
		"1": {ID: "1", Lock: 1, Mode: "normal", SetMode: "normal", Locked: true},
		"2": {ID: "2", Lock: 2, Readers: []string{"2"}, Mode: "normal", SetMode: "normal", Locked: true},
	}}
	e := newEnvStore(t, storetest.Open(t), Parts{Doors: fd})
	for _, path := range []string{"/api/v1/doors/1", "/api/v1/doors"} {
		body := string(e.do("GET", path, e.admin, "").want(200).body)
		if !strings.Contains(body, `"readers":[]`) || !strings.Contains(body, `"alarms":[]`) {
			t.Errorf("GET %s: %s, want readers and alarms as []", path, body)
		}
	}
}
