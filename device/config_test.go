package device

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(c *Config)
		want string // substring of the error; "" for valid
	}{
		{"ok", func(c *Config) {}, ""},
		{"defaults", func(c *Config) { c.Doors[0] = DoorConfig{ID: "1", Lock: 2} }, ""},
		{"empty id", func(c *Config) { c.Doors[0].ID = "" }, "id is empty"},
		{"duplicate id", func(c *Config) { c.Doors[1].ID = "1" }, "duplicate id"},
		{"lock 0", func(c *Config) { c.Doors[0].Lock = 0 }, "lock must be 1 or 2"},
		{"lock 3", func(c *Config) { c.Doors[0].Lock = 3 }, "lock must be 1 or 2"},
		{"shared reader", func(c *Config) { c.Doors[1].Readers = []string{"r1"} }, `reader "r1" belongs to door "1" and door "2"`},
		{"empty reader", func(c *Config) { c.Doors[0].Readers = []string{""} }, "empty reader"},
		{"negative unlock", func(c *Config) { c.Doors[0].UnlockTime = -1 }, "negative"},
		{"extended shorter", func(c *Config) { c.Doors[0].ExtendedUnlockTime = time.Second }, "extended unlock time"},
		{"pre-alarm too long", func(c *Config) { c.Doors[0].PreAlarmTime = 30 * time.Second }, "pre-alarm"},
		{"held off, pre-alarm ignored", func(c *Config) { c.Doors[0].HeldOpenTime = -1 }, ""},
		{"bad mode", func(c *Config) { c.Doors[0].Mode = 7 }, "unknown mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d2 := door1()
			d2.ID, d2.Lock, d2.Readers = "2", 2, []string{"r2"}
			c := Config{Doors: []DoorConfig{door1(), d2}}
			tc.mod(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if tc.want != "" {
				if _, err := New(c, newFakeBoard(), &fakeDecider{}, nil, nil); err == nil {
					t.Error("New accepted an invalid config")
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	d := DoorConfig{ID: "1", Lock: 1}.withDefaults()
	if d.UnlockTime != DefaultUnlockTime || d.ExtendedUnlockTime != DefaultUnlockTime || d.HeldOpenTime != DefaultHeldOpenTime || d.PreAlarmTime != 0 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestReaderLocks(t *testing.T) {
	d2 := door1()
	d2.ID, d2.Lock, d2.Readers = "2", 2, []string{"r2", "r3"}
	got := Config{Doors: []DoorConfig{door1(), d2}}.ReaderLocks()
	if want := map[string]uint8{"r1": 1, "r2": 2, "r3": 2}; !maps.Equal(got, want) {
		t.Errorf("ReaderLocks = %v, want %v", got, want)
	}
}

func TestModeNames(t *testing.T) {
	for m, name := range map[access.DoorMode]string{
		access.DoorNormal: "normal", access.DoorUnlocked: "unlocked",
		access.DoorLockedDown: "locked_down", access.DoorDisabled: "disabled",
	} {
		if got := ModeName(m); got != name {
			t.Errorf("ModeName(%d) = %q, want %q", m, got, name)
		}
		if got, err := ParseMode(name); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", name, got, err)
		}
	}
	if _, err := ParseMode("open"); err == nil {
		t.Error("ParseMode(open) accepted")
	}
	if ModeName(9) != "unknown" {
		t.Error("ModeName(9)")
	}
}
