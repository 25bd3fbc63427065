package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func twoDoors() Config {
	c := defaultConfig()
	c.Doors = []DoorRuntime{{ID: "front", Lock: 1}, {ID: "garage", Lock: 2}, {ID: "side", Lock: 1}}
	return c
}

// Without a map, lock n is the doors whose lock is n and 0 every door
// (android-panels remote-access-server: "0 - both locks, 1 - first
// lock, 2 - second lock").
func TestBASIPLocksDefault(t *testing.T) {
	c := twoDoors()
	want := map[int][]string{0: {"front", "garage", "side"}, 1: {"front", "side"}, 2: {"garage"}}
	if got := c.basipLocks(); !reflect.DeepEqual(got, want) {
		t.Fatalf("basipLocks = %v, want %v", got, want)
	}
}

// A map names exactly the lock numbers that exist; 0, unless listed, is
// every door the map lists.
func TestBASIPLocksMapped(t *testing.T) {
	c := twoDoors()
	c.BASIP.Locks = map[string][]string{"1": {"garage"}, "8": {"front"}}
	if errs := c.validateBASIP(); len(errs) != 0 {
		t.Fatal(errs)
	}
	want := map[int][]string{0: {"front", "garage"}, 1: {"garage"}, 8: {"front"}}
	if got := c.basipLocks(); !reflect.DeepEqual(got, want) {
		t.Fatalf("basipLocks = %v, want %v", got, want)
	}
	c.BASIP.Locks["0"] = []string{"side"}
	if got := c.basipLocks()[0]; !reflect.DeepEqual(got, []string{"side"}) {
		t.Fatalf("lock 0 listed: %v", got)
	}
}

func TestBASIPConfigErrors(t *testing.T) {
	c := twoDoors()
	c.BASIP = BASIPConfig{DeviceName: "bad\nname", Serial: "no spaces", Locks: map[string][]string{
		"9": {"front"}, "01": {"front"}, "x": {"front"}, "2": {}, "1": {"nope"},
	}}
	got := strings.Join(c.validateBASIP(), "\n")
	for _, want := range []string{
		"basip.device_name: must be up to 64 printable characters",
		"basip.serial: must be 1 to 32 letters, digits or dashes",
		`basip.locks: key "9" must be a lock number from 0 to 8`,
		`basip.locks: key "01" must be a lock number from 0 to 8`,
		`basip.locks: key "x" must be a lock number from 0 to 8`,
		"basip.locks.2: must name at least one door",
		`basip.locks.1: no [[doors]] entry with id "nope"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors:\n%s\nwant %q", got, want)
		}
	}
	// The config file's own validation reports them too.
	if err := c.validate(); err == nil || !strings.Contains(err.Error(), "basip.serial") {
		t.Errorf("validate = %v", err)
	}
}

// The [basip] section parses from TOML as the example shows it.
func TestBASIPConfigFromTOML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doord.toml")
	os.WriteFile(path, []byte("[basip]\ndevice_name = \"Entrance\"\nserial = \"ABC-1\"\nlocks = { \"1\" = [\"1\"], \"2\" = [\"2\"] }\n"), 0o600)
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	want := BASIPConfig{DeviceName: "Entrance", Serial: "ABC-1", Locks: map[string][]string{"1": {"1"}, "2": {"2"}}}
	if !reflect.DeepEqual(c.BASIP, want) {
		t.Fatalf("BASIP = %+v, want %+v", c.BASIP, want)
	}
}

// The serial is made once and then read back: the same across starts,
// different between data directories; a configured one wins; a damaged
// file is an error naming it, not a silent new serial.
func TestDeviceSerialStable(t *testing.T) {
	dir := t.TempDir()
	s1, err := deviceSerial("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !serialSyntax.MatchString(s1) || len(s1) != 12 || strings.ToUpper(s1) != s1 {
		t.Fatalf("serial %q, want 12 upper-case hex digits", s1)
	}
	s2, err := deviceSerial("", dir)
	if err != nil || s2 != s1 {
		t.Fatalf("second start: %q, %v; want %q", s2, err, s1)
	}
	other, _ := deviceSerial("", t.TempDir())
	if other == s1 {
		t.Fatalf("two data directories share serial %q", s1)
	}
	if s, _ := deviceSerial("CONF-1", dir); s != "CONF-1" {
		t.Fatalf("configured serial: %q", s)
	}
	os.WriteFile(filepath.Join(dir, serialFile), []byte("not a serial!\n"), 0o644)
	if _, err := deviceSerial("", dir); err == nil || !strings.Contains(err.Error(), serialFile) {
		t.Fatalf("damaged serial file: %v", err)
	}
}
