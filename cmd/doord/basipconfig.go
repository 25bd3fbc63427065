package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// BASIPConfig is what the BAS-IP compatible API says about this device
// (GET /api/info) and how BAS-IP's lock numbers name doors.
type BASIPConfig struct {
	// DeviceName is the device_name clients read and display; "doord".
	DeviceName string `toml:"device_name"`
	// Serial is the device_serial_number; "" (default): one generated
	// at the first start and kept in DATA/device-serial.
	Serial string `toml:"serial"`
	// Locks maps BAS-IP lock numbers (0 both/all, 1 first, 2 second, up
	// to 8 as Camdroid panels with an SH-42 module number them) to door
	// ids, e.g. {"1" = ["front"], "2" = ["garage"]}. Absent: lock n is
	// the doors whose lock is n, and 0 every door. Given: only the listed
	// numbers exist, and 0, unless listed, is every door listed.
	Locks map[string][]string `toml:"locks"`
}

// maxBASIPLock is the highest lock number a BAS-IP panel documents
// (camdroid-panels 1.1.0: "1..8 - indexes available").
const maxBASIPLock = 8

// serialSyntax is what a serial may be: it is shown to every client
// before login, so nothing but a plain token.
var serialSyntax = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)

func (c *Config) validateBASIP() []string {
	var errs []string
	b := c.BASIP
	if n := b.DeviceName; n != "" && (len(n) > 64 || !utf8.ValidString(n) || strings.ContainsFunc(n, func(r rune) bool { return r < ' ' || r == 0x7f })) {
		errs = append(errs, "basip.device_name: must be up to 64 printable characters")
	}
	if b.Serial != "" && !serialSyntax.MatchString(b.Serial) {
		errs = append(errs, "basip.serial: must be 1 to 32 letters, digits or dashes")
	}
	doors := map[string]bool{}
	for _, d := range c.Doors {
		doors[d.ID] = true
	}
	for k, ids := range b.Locks {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n > maxBASIPLock || strconv.Itoa(n) != k {
			errs = append(errs, fmt.Sprintf("basip.locks: key %q must be a lock number from 0 to %d", k, maxBASIPLock))
			continue
		}
		if len(ids) == 0 {
			errs = append(errs, fmt.Sprintf("basip.locks.%s: must name at least one door", k))
		}
		for _, id := range ids {
			if !doors[id] {
				errs = append(errs, fmt.Sprintf("basip.locks.%s: no [[doors]] entry with id %q", k, id))
			}
		}
	}
	slices.Sort(errs) // map order: keep the message stable
	return errs
}

// basipLocks resolves the lock map: BAS-IP lock number → door ids, in
// configuration order.
func (c *Config) basipLocks() map[int][]string {
	out := map[int][]string{}
	if len(c.BASIP.Locks) == 0 {
		for _, d := range c.Doors {
			out[d.Lock] = append(out[d.Lock], d.ID)
			out[0] = append(out[0], d.ID)
		}
		return out
	}
	listed := map[string]bool{}
	for k, ids := range c.BASIP.Locks {
		n, _ := strconv.Atoi(k) // validated
		for _, id := range ids {
			listed[id] = true
		}
		out[n] = ids
	}
	if _, ok := out[0]; !ok {
		for _, d := range c.Doors {
			if listed[d.ID] {
				out[0] = append(out[0], d.ID)
			}
		}
	}
	return out
}

// serialFile holds the serial number generated at the first start.
const serialFile = "device-serial"

// deviceSerial is the configured serial, or the one kept in dataDir,
// made at the first start: 12 random hex digits, stable for the life of
// the data directory (clients such as SmartYard keep it as the device's
// id), never derived from anything secret.
func deviceSerial(configured, dataDir string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	path := filepath.Join(dataDir, serialFile)
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if !serialSyntax.MatchString(s) {
			return "", fmt.Errorf("%s: not a serial number (delete it to have a new one made)", path)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	s := strings.ToUpper(hex.EncodeToString(r[:]))
	if err := writeFileSync(path, []byte(s+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("device serial: %w", err)
	}
	return s, nil
}

// writeFileSync writes path atomically: a temporary file, fsynced,
// renamed over path, and the directory fsynced.
func writeFileSync(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// buildCommit is the VCS revision the binary was built from (first 12
// hex digits), "" when the build did not record one.
func buildCommit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value[:min(12, len(s.Value))]
		}
	}
	return ""
}
