package device

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// openStore opens a bbolt store under dir (closed by the caller).
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "doord.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// restartFrom builds the Config a daemon builds at start: the stored
// settings, read before the doors run.
func restartFrom(t *testing.T, st *store.Store) Config {
	t.Helper()
	settings, bad, err := st.DoorSettings()
	if err != nil {
		t.Fatal(err)
	}
	return Config{Settings: settings, BadSettings: bad, Modes: st}
}

// A mode set over the API is in the store when SetMode returns (no clean
// shutdown needed: the store is reopened as after a SIGKILL, the runtime
// never closed), and the next runtime starts in it, with an audit event
// naming who set it.
func TestModePersistsAcrossStoreReopen(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []access.DoorMode{access.DoorLockedDown, access.DoorDisabled, access.DoorUnlocked, access.DoorNormal} {
		t.Run(ModeName(mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := openStore(t, dir)
				r := newRigConfig(t, Config{Modes: st})
				r.initial("1")
				if err := r.rt.SetMode("1", mode, "alice"); err != nil {
					t.Fatal(err)
				}
				// "Crash": reopen the file without stopping the runtime first.
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
				st = openStore(t, dir)
				defer st.Close()
				r2 := newRigConfig(t, restartFrom(t, st))
				s := r2.state("1")
				if s.Mode != ModeName(mode) || s.SetMode != ModeName(mode) || s.ModeBy != "alice" {
					t.Fatalf("after restart state = %+v, want mode %s set by alice", s, ModeName(mode))
				}
				r2.wantRelay("1", mode == access.DoorUnlocked)
				evs := r2.ev.find(EventModeChanged)
				if len(evs) != 1 || evs[0].Operator != "alice" || evs[0].Detail != ModeName(mode)+" (was normal); restored at start" {
					t.Fatalf("mode_changed events at start = %+v", evs)
				}
			})
		})
	}
}

// A door restored in unlocked mode unlocks only once the runtime is up:
// its first relay write is the lock New drives, and the unlock comes
// from the door goroutine after New returned.
func TestRestoredUnlockedUnlocksOnlyWhenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Settings: map[string]store.DoorSetting{"1": {Mode: "unlocked", ModeBy: "bob"}}}
		r := newRigConfig(t, cfg)
		w := r.b.relayWrites("1")
		if len(w) != 2 || w[0].unlocked || !w[1].unlocked {
			t.Fatalf("relay writes = %+v, want lock then unlock", w)
		}
	})
}

// An unreadable stored setting starts the door locked_down (deny on
// doubt), never in whatever the configuration says.
func TestBadSettingStartsLockedDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := door1()
		d.Mode = access.DoorUnlocked
		r := newRigConfig(t, Config{Doors: []DoorConfig{d}, BadSettings: []string{"1"},
			Settings: map[string]store.DoorSetting{}})
		r.wantRelay("1", false)
		if s := r.state("1"); s.Mode != "locked_down" {
			t.Fatalf("mode = %s, want locked_down", s.Mode)
		}
	})
}

type failingModes struct {
	mu  sync.Mutex
	err error
	n   int
}

func (f *failingModes) PutDoorSetting(string, store.DoorSetting) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return f.err
}

// A setting the store refused is not applied (the API would answer an
// error and a restart would forget it) — except a lockdown or disable,
// which applies anyway: deny on doubt beats durability.
func TestModeNotPersisted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fm := &failingModes{err: errors.New("disk full")}
		r := newRigConfig(t, Config{Modes: fm})
		r.initial("1")
		if err := r.rt.SetMode("1", access.DoorUnlocked, "alice"); !errors.Is(err, ErrNotPersisted) {
			t.Fatalf("SetMode unlocked = %v, want ErrNotPersisted", err)
		}
		r.wantRelay("1", false)
		if s := r.state("1"); s.Mode != "normal" {
			t.Fatalf("mode = %s after a failed write, want normal", s.Mode)
		}
		if err := r.rt.SetMode("1", access.DoorLockedDown, "alice"); !errors.Is(err, ErrNotPersisted) {
			t.Fatalf("SetMode locked_down = %v, want ErrNotPersisted", err)
		}
		if s := r.state("1"); s.Mode != "locked_down" {
			t.Fatalf("mode = %s, want locked_down applied despite the failed write", s.Mode)
		}
	})
}

// A mode the door refused (its goroutine faulted: ErrFault) is not left
// in the store either: the operator was told it failed, so the next
// start must not unlock the door on it. A lockdown or disable stays
// stored (deny on doubt).
func TestRefusedModeNotStored(t *testing.T) {
	for _, tc := range []struct {
		mode access.DoorMode
		want string // mode after restart
	}{
		{access.DoorUnlocked, "normal"},
		{access.DoorLockedDown, "locked_down"},
	} {
		t.Run(ModeName(tc.mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := openStore(t, t.TempDir())
				defer st.Close()
				r := newRigConfig(t, Config{Modes: st})
				r.initial("1")
				r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome { panic("engine bug") }
				r.card("r1", 1)
				if err := r.rt.SetMode("1", tc.mode, "alice"); !errors.Is(err, ErrFault) {
					t.Fatalf("SetMode on a faulted door = %v, want ErrFault", err)
				}
				r2 := newRigConfig(t, restartFrom(t, st))
				if s := r2.state("1"); s.Mode != tc.want {
					t.Fatalf("after restart mode = %s, want %s", s.Mode, tc.want)
				}
				r2.wantRelay("1", false)
			})
		})
	}
}

// modePanicSink panics on the first mode change after start: the door
// dies while SetMode waits for it.
type modePanicSink struct{ started bool }

func (s *modePanicSink) Emit(e Event) {
	if e.Type != EventModeChanged {
		return
	}
	if s.started {
		panic("sink bug")
	}
	s.started = true
}

// A door that dies while applying an unlocked mode answers ErrFault, and
// the setting already written is taken back: the next start is not
// unlocked on a change the operator was told failed.
func TestModeFaultedWhileApplyingNotStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		d := door1()
		d.Mode = access.DoorLockedDown // a mode_changed at start
		b := newFakeBoard()
		rt, err := New(Config{Doors: []DoorConfig{d}, Modes: st, Log: discard()}, b, &fakeDecider{}, &modePanicSink{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		synctest.Wait()
		if err := rt.SetMode("1", access.DoorUnlocked, "alice"); !errors.Is(err, ErrFault) {
			t.Fatalf("SetMode = %v, want ErrFault", err)
		}
		settings, _, err := st.DoorSettings()
		if err != nil {
			t.Fatal(err)
		}
		if m := settings["1"].Mode; m == "unlocked" {
			t.Fatalf("stored mode = %q after the door refused it", m)
		}
	})
}
