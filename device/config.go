package device

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

// Off, as HeldOpenTime, switches the held-open alarm off.
const Off time.Duration = -1

// Defaults applied by New for zero durations.
const (
	DefaultUnlockTime   = 5 * time.Second
	DefaultHeldOpenTime = 30 * time.Second
)

// Feedback timing at the reader (see doc.go).
const (
	GrantBeep  = 200 * time.Millisecond // short beep on a grant
	DenyTime   = time.Second            // long beep, LED held off, on a denial
	BlinkHalf  = 250 * time.Millisecond // LED blink half-period while a second factor is awaited
	retryFirst = 100 * time.Millisecond // first relay retry
	retryMax   = 5 * time.Second        // relay retry backoff cap
)

// DoorConfig is one door as the runtime sees it. The board config says
// which pins; this says how the door behaves.
type DoorConfig struct {
	ID string
	// Lock is the BAS-IP lock number (1 or 2) a user's or credential's
	// "locks" refer to; the engine matches it through ReaderLocks.
	Lock    uint8
	Readers []string // reader ids whose reads open this door
	// UnlockTime is the momentary unlock for a grant, REX or remote
	// open; zero means DefaultUnlockTime.
	UnlockTime time.Duration
	// ExtendedUnlockTime is used for users with the extended-open option
	// (Outcome.ExtendedOpen); zero means UnlockTime. The held-open time
	// grows by the difference.
	ExtendedUnlockTime time.Duration
	// HeldOpenTime is how long the door may stay open after an
	// authorized opening before door_held; zero means
	// DefaultHeldOpenTime, Off (any negative value) turns the held alarm
	// and its pre-alarm off.
	HeldOpenTime time.Duration
	// PreAlarmTime raises door_held_prealarm this long before door_held;
	// zero means no pre-alarm. It must be less than HeldOpenTime.
	PreAlarmTime time.Duration
	// REXUnlocks: the exit button unlocks the relay for UnlockTime. The
	// exit button always masks the forced-door alarm for UnlockTime
	// (free mechanical egress), whether or not it unlocks.
	REXUnlocks bool
	// RelockOnClose relocks a momentary unlock as soon as the door closes
	// after having opened, instead of waiting out UnlockTime.
	RelockOnClose bool
	// Mode is the mode at start (access.DoorNormal by default) unless an
	// operator set one over the API (Config.Settings), which wins. A door
	// that starts unlocked unlocks once the whole runtime is up.
	Mode access.DoorMode
	// UnlockSchedule names a time profile during which the door is in
	// unlocked mode (office hours); 0 for none. An operator's schedule
	// (Config.Settings) replaces it. See modes.go for precedence.
	UnlockSchedule uint64
	// FirstCardUnlock keeps a scheduled unlock locked until the first
	// granted credential inside the window.
	FirstCardUnlock bool
}

// Config is the door runtime's configuration.
type Config struct {
	Doors []DoorConfig
	Log   *slog.Logger // nil: slog.Default()

	// Settings are the door settings operators made over the API, as
	// persisted (store.DoorSettings), loaded before New so that no door
	// runs a moment in a mode it should not have. BadSettings names doors
	// whose stored setting could not be read: they start locked_down
	// (deny on doubt; egress and security users still pass) until an
	// operator sets a mode.
	Settings    map[string]store.DoorSetting
	BadSettings []string
	// Modes persists what SetMode and SetSchedule change; nil keeps them
	// in memory only (tests, no store).
	Modes ModeStore
	// Schedules resolves UnlockSchedule profile ids (the access engine);
	// nil: no door has a schedule. Location is the zone the profiles are
	// read in (nil: UTC).
	Schedules Schedules
	Location  *time.Location
}

// Validate checks ids, reader assignment and durations.
func (c Config) Validate() error {
	doors := map[string]bool{}
	readers := map[string]string{}
	for i, d := range c.Doors {
		if d.ID == "" {
			return fmt.Errorf("device: door %d: id is empty", i)
		}
		if doors[d.ID] {
			return fmt.Errorf("device: door %q: duplicate id", d.ID)
		}
		doors[d.ID] = true
		if d.Lock != 1 && d.Lock != 2 {
			return fmt.Errorf("device: door %q: lock must be 1 or 2, not %d", d.ID, d.Lock)
		}
		for _, r := range d.Readers {
			if r == "" {
				return fmt.Errorf("device: door %q: empty reader id", d.ID)
			}
			if other, ok := readers[r]; ok {
				return fmt.Errorf("device: reader %q belongs to door %q and door %q", r, other, d.ID)
			}
			readers[r] = d.ID
		}
		if d.UnlockTime < 0 || d.ExtendedUnlockTime < 0 || d.PreAlarmTime < 0 {
			return fmt.Errorf("device: door %q: negative duration", d.ID)
		}
		d = d.withDefaults()
		if d.ExtendedUnlockTime < d.UnlockTime {
			return fmt.Errorf("device: door %q: extended unlock time %v is shorter than unlock time %v", d.ID, d.ExtendedUnlockTime, d.UnlockTime)
		}
		if d.PreAlarmTime > 0 && d.HeldOpenTime > 0 && d.PreAlarmTime >= d.HeldOpenTime {
			return fmt.Errorf("device: door %q: pre-alarm time %v must be less than held-open time %v", d.ID, d.PreAlarmTime, d.HeldOpenTime)
		}
		if d.Mode > access.DoorDisabled {
			return fmt.Errorf("device: door %q: unknown mode %d", d.ID, d.Mode)
		}
	}
	return nil
}

func (d DoorConfig) withDefaults() DoorConfig {
	if d.UnlockTime == 0 {
		d.UnlockTime = DefaultUnlockTime
	}
	if d.ExtendedUnlockTime == 0 {
		d.ExtendedUnlockTime = d.UnlockTime
	}
	if d.HeldOpenTime == 0 {
		d.HeldOpenTime = DefaultHeldOpenTime
	}
	return d
}

// ReaderLocks maps each reader to its door's lock number, for wiring the
// engine (which matches a user's locks against the reader's door).
func (c Config) ReaderLocks() map[string]uint8 {
	m := map[string]uint8{}
	for _, d := range c.Doors {
		for _, r := range d.Readers {
			m[r] = d.Lock
		}
	}
	return m
}

var modeNames = [...]string{
	access.DoorNormal:     "normal",
	access.DoorUnlocked:   "unlocked",
	access.DoorLockedDown: "locked_down",
	access.DoorDisabled:   "disabled",
}

// ModeName is the API name of a door mode.
func ModeName(m access.DoorMode) string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "unknown"
}

// ParseMode parses an API mode name.
func ParseMode(s string) (access.DoorMode, error) {
	for m, n := range modeNames {
		if n == s {
			return access.DoorMode(m), nil
		}
	}
	return 0, fmt.Errorf("device: unknown door mode %q (want normal, unlocked, locked_down or disabled)", s)
}
