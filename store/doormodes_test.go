package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

func TestDoorSettingsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	want := store.DoorSetting{Mode: "locked_down", ModeBy: "alice", ModeAt: at,
		Schedule: &store.DoorSchedule{ProfileID: 3, FirstCardUnlock: true, By: "bob", At: at}}
	if err := st.PutDoorSetting("1", want); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSetting("door/2", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := st.PutDoorSetting("", want); err == nil {
		t.Fatal("empty door id accepted")
	}
	st.Close()
	st, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, bad, err := st.DoorSettings()
	if err != nil {
		t.Fatal(err)
	}
	g := got["1"]
	if len(got) != 1 || g.Mode != want.Mode || g.ModeBy != "alice" || !g.ModeAt.Equal(at) || g.Schedule == nil || *g.Schedule != *want.Schedule {
		t.Fatalf("settings = %+v", got)
	}
	if len(bad) != 1 || bad[0] != "2" {
		t.Fatalf("bad = %v, want [2]", bad)
	}
}
