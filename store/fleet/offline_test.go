package fleet

import (
	"testing"
	"time"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/storetest"
)

// With the server down a record write is refused with ErrFleetOffline
// and nothing changes locally; local records (door settings) still
// write; once the server is back the controller resyncs by itself and
// takes what was written elsewhere meanwhile.
func TestOfflineRefusesRecordWritesAndRecovers(t *testing.T) {
	t.Parallel() // waits out an outage (OpTimeout, reconnects)
	n := startNATS(t)
	a := join(t, n, "a")
	u := store.User{Name: "Before"}
	if _, err := a.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	n.stop()
	a.waitFor("offline", func() bool { return a.f.live() == nil })
	x := store.User{Name: "During"}
	if _, err := a.st.CreateUser(&x, "test"); !isOffline(err) {
		t.Fatalf("create while offline: %v, want ErrFleetOffline", err)
	}
	if _, err := a.st.UpdateUser(u.ID, "test", func(u *store.User) error { u.Name = "Changed"; return nil }); !isOffline(err) {
		t.Fatalf("update while offline: %v, want ErrFleetOffline", err)
	}
	if got, _ := a.st.GetUser(u.ID); got.Name != "Before" {
		t.Errorf("local copy changed while offline: %q", got.Name)
	}
	if err := a.st.PutDoorSetting("front", store.DoorSetting{}); err != nil {
		t.Errorf("a local door setting while offline: %v", err)
	}
	if s := a.f.Stats(); s.Live || s.OfflineSeconds <= 0 || s.OfflineRefusals < 2 {
		t.Errorf("stats while offline: %+v", s)
	}

	n.start()
	b := join(t, n, "b") // writes while a is still reconnecting
	y := store.User{Name: "Elsewhere"}
	if _, err := b.st.CreateUser(&y, "test"); err != nil {
		t.Fatal(err)
	}
	a.waitLive()
	a.waitRev(b.f.rev())
	if !a.hasUser(y.ID) {
		t.Error("a did not get the user written while it was away")
	}
	if _, err := a.st.UpdateUser(u.ID, "test", func(u *store.User) error { u.Name = "After"; return nil }); err != nil {
		t.Errorf("update after the server came back: %v", err)
	}
}

// A controller stopped and started again resumes after the revision its
// store recorded: it applies only what changed meanwhile.
func TestRestartResumesFromRevision(t *testing.T) {
	n := startNATS(t)
	a, b := join(t, n, "a"), join(t, n, "b")
	for range 20 {
		u := store.User{Name: "Early"}
		if _, err := a.st.CreateUser(&u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	b.waitRev(a.f.rev())
	b.leave()
	rev, err := b.st.FleetRev()
	if err != nil || rev != a.f.rev() {
		t.Fatalf("b's stored revision %d (%v), want %d", rev, err, a.f.rev())
	}
	late := store.User{Name: "Late"}
	if _, err := a.st.CreateUser(&late, "test"); err != nil {
		t.Fatal(err)
	}
	b2 := joinStore(t, n, "b", b.st)
	b2.waitRev(a.f.rev())
	if !b2.hasUser(late.ID) {
		t.Fatal("b missed the user created while it was stopped")
	}
	if got := b2.f.Stats().Applied; got != 1 {
		t.Errorf("b applied %d records on restart, want 1 (the one it missed)", got)
	}
}

// An empty controller joining a fleet loads the bucket with the bulk
// loader; deleted records stay out, and its own ids start in its range.
func TestColdStartLoadsInBulk(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	tp := store.TimeProfile{Name: "Office", Intervals: []store.Interval{{Days: []time.Weekday{1}, Start: "08:00", End: "18:00"}}}
	if err := a.st.CreateTimeProfile(&tp); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 50 {
		u := store.User{Name: "P", TimeProfiles: []uint64{tp.ID}}
		if _, err := a.st.CreateUser(&u, "test"); err != nil {
			t.Fatal(err)
		}
		c := store.Credential{UserUID: u.UID, Type: store.CredCard, Value: "9000" + string(rune('0'+i/10)) + string(rune('0'+i%10))}
		if err := a.st.CreateCredential(&c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	if err := a.st.DeleteUser(ids[0]); err != nil {
		t.Fatal(err)
	}
	c := join(t, n, "c")
	c.waitRev(a.f.rev())
	st, err := c.st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Users != 49 || st.Credentials != 49 || st.TimeProfiles != 1 {
		t.Errorf("cold start loaded %+v, want 49 users, 49 credentials, 1 profile", st)
	}
	if c.hasUser(ids[0]) {
		t.Error("a deleted user was loaded")
	}
	if c.f.Stats().ColdLoadSeconds <= 0 {
		t.Error("the cold load was not measured")
	}
	u := store.User{Name: "Mine"}
	if _, err := c.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	if u.UID>>32 != 2 {
		t.Errorf("c's new uid %d is not in c's range (controller 2)", u.UID)
	}
}

// A store that has records but no fleet revision (one that had records
// before it joined, or a cold load cut short) is brought to the bucket:
// the bucket's records applied, and records it does not have deleted.
func TestRejoinPrunesWhatTheFleetLacks(t *testing.T) {
	n := startNATS(t)
	a := join(t, n, "a")
	u := store.User{Name: "Fleet"}
	if _, err := a.st.CreateUser(&u, "test"); err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	local := store.User{Name: "Stale"}
	if _, err := st.CreateUser(&local, "test"); err != nil {
		t.Fatal(err)
	}
	b := joinStore(t, n, "b", st)
	b.waitRev(a.f.rev())
	if b.hasUser(local.ID) {
		t.Error("a record the fleet does not have survived the rejoin")
	}
	if !b.hasUser(u.ID) {
		t.Error("the fleet's record is missing after the rejoin")
	}
}

// Past max_offline with deny_non_security the engine is restricted and
// OnStale (the daemon's fleet_offline_policy event) is told, and both
// lift by themselves when the watch is live again.
func TestOfflinePolicyAppliesAndLifts(t *testing.T) {
	t.Parallel() // waits out an outage (OpTimeout, reconnects)
	n := startNATS(t)
	told := make(chan bool, 4)
	a := joinHooked(t, n, "a", storetest.Open(t), func(m *member) {
		m.f.opt.OnStale = func(stale bool, _ time.Duration) { told <- stale }
	})
	n.stop()
	a.waitFor("offline", func() bool { return a.f.live() == nil })
	a.f.checkStale(time.Now().Add(30 * time.Minute))
	select {
	case r := <-a.restricted:
		t.Fatalf("restricted (%v) before max_offline", r)
	default:
	}
	a.f.checkStale(time.Now().Add(2 * time.Hour))
	if r := <-a.restricted; !r {
		t.Fatal("not restricted after max_offline")
	}
	if s := a.f.Stats(); !s.Stale || s.StaleEpisodes != 1 {
		t.Errorf("stats: %+v", s)
	}
	if stale := <-told; !stale {
		t.Error("OnStale(false) at max_offline, want true")
	}
	n.start()
	if r := <-a.restricted; r {
		t.Fatal("restricted again instead of lifted")
	}
	if stale := <-told; stale {
		t.Error("OnStale(true) again on reconnect, want false")
	}
	if a.f.Stats().Stale {
		t.Error("still stale after the watch came back")
	}
}

// The offline clock survives a restart: a controller restarted without
// NATS counts from the last moment it was live, not from its start, so
// restarts cannot keep it from reaching max_offline.
func TestOfflineClockSurvivesRestart(t *testing.T) {
	t.Parallel() // waits out an outage (OpTimeout)
	n := startNATS(t)
	a := join(t, n, "a")
	n.stop()
	a.waitFor("offline", func() bool { return a.f.live() == nil })
	went := time.Unix(0, a.f.offlineSince.Load())
	a.leave()
	nc, err := Dial(a.cfg) // the server is down: a connection that keeps trying
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	f, err := New(a.cfg, nc, a.st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Unix(0, f.offlineSince.Load()); !got.Equal(went) {
		t.Errorf("after a restart the offline clock starts at %v, want %v (when the watch was last live)", got, went)
	}
	f.checkStale(went.Add(2 * time.Hour))
	if !f.stale.Load() {
		t.Error("not stale max_offline after the last live moment")
	}
}
