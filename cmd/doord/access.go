package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/doord/doord/board"
)

// AccessConfig is how doors decide: the controller's time zone (schedules
// are local wall-clock time), PIN entry and brute-force settings.
type AccessConfig struct {
	TimeZone         string   `toml:"timezone"`          // IANA name; "" = the machine's local zone
	PINTimeout       duration `toml:"pin_timeout"`       // keypad silence that ends a PIN; 5s
	FactorTimeout    duration `toml:"factor_timeout"`    // card → PIN (or other factor) window; 10s
	LockoutThreshold *int     `toml:"lockout_threshold"` // wrong PINs before a reader (or a user's PIN) locks, unknown cards before an unknown_card_burst alarm; 5, 0 = no lockout
	LockoutDuration  duration `toml:"lockout_duration"`  // 60s
	Duress           string   `toml:"duress"`            // "" off, "last_digit_plus_one"
	// Userless: whether a credential without a user (a card intercom
	// provisioning adds with an owner and an apartment) opens on its own
	// fields: "allow" (the default, a BAS-IP panel's normal access mode)
	// or "deny" (BAS-IP's global access mode without
	// identifiers_without_linkage_to_user_support: denied no_user).
	Userless string `toml:"userless_credentials"`
}

// DoorRuntime is one door's behaviour; the pins are in [[board.doors]].
type DoorRuntime struct {
	ID                 string    `toml:"id"`
	Lock               int       `toml:"lock"`                 // 1 or 2: what users' and credentials' "locks" refer to
	Readers            []string  `toml:"readers"`              // reader ids at this door; default: the reader with the door's id
	UnlockTime         duration  `toml:"unlock_time"`          // 5s
	ExtendedUnlockTime duration  `toml:"extended_unlock_time"` // 15s
	HeldOpenTime       alarmTime `toml:"held_open_time"`       // 30s; "off": no held-open alarm
	PreAlarmTime       alarmTime `toml:"pre_alarm_time"`       // 10s before held-open; "off": none
	REXUnlocks         *bool     `toml:"rex_unlocks"`          // true
	RelockOnClose      *bool     `toml:"relock_on_close"`      // true
	Mode               string    `toml:"mode"`                 // normal | unlocked | locked_down | disabled
	// UnlockSchedule is a time profile id during which the door is
	// unlocked (office hours); 0 or absent: none. FirstCardUnlock keeps it
	// locked inside the window until the first granted credential.
	UnlockSchedule  uint64 `toml:"unlock_schedule"`
	FirstCardUnlock bool   `toml:"first_card_unlock"`
}

// alarmTime is a duration that can be switched off: "off" is off, a
// positive duration is itself, absent is the default. "0s" is refused as
// ambiguous (it reads as "no time at all", i.e. an immediate alarm, as
// much as "off").
type alarmTime struct {
	Duration time.Duration
	Off      bool
}

func (a *alarmTime) UnmarshalText(b []byte) error {
	if string(b) == "off" {
		a.Off = true
		return nil
	}
	v, err := time.ParseDuration(string(b))
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a duration like 30s or 1m, or \"off\"", b)
	case v <= 0:
		return fmt.Errorf("%q: must be a positive duration like 30s, or \"off\" to switch the alarm off", b)
	}
	a.Duration = v
	return nil
}

// ReaderRuntime is what a reader requires.
type ReaderRuntime struct {
	ID   string `toml:"id"`
	Mode string `toml:"mode"` // card | pin | card_and_pin | card_or_pin (default)
}

var readerModes = map[string]bool{"card": true, "pin": true, "card_and_pin": true, "card_or_pin": true}

// accessDefaults fills what the file left out, for every door and reader
// the board has.
func (c *Config) accessDefaults() {
	a := &c.Access
	if a.PINTimeout.Duration == 0 {
		a.PINTimeout.Duration = 5 * time.Second
	}
	if a.FactorTimeout.Duration == 0 {
		a.FactorTimeout.Duration = 10 * time.Second
	}
	if a.LockoutDuration.Duration == 0 {
		a.LockoutDuration.Duration = time.Minute
	}
	if a.LockoutThreshold == nil {
		n := 5
		a.LockoutThreshold = &n
	}
	have := map[string]bool{}
	for _, d := range c.Doors {
		have[d.ID] = true
	}
	for i, bd := range c.Board.Doors {
		if !have[bd.ID] {
			// Door "1" is lock 1 and "2" lock 2, as on a two-lock panel;
			// other ids take their position.
			lock, err := strconv.Atoi(bd.ID)
			if err != nil || lock < 1 || lock > 2 {
				lock = i + 1
			}
			c.Doors = append(c.Doors, DoorRuntime{ID: bd.ID, Lock: lock})
		}
	}
	boardReaders := map[string]bool{}
	noKeypad := map[string]bool{} // keypad "none" or absent: no keys ever
	for _, r := range c.Board.Readers {
		boardReaders[r.ID] = true
		noKeypad[r.ID] = r.Keypad == "" || r.Keypad == "none"
	}
	t := true
	for i := range c.Doors {
		d := &c.Doors[i]
		if d.Readers == nil && boardReaders[d.ID] {
			d.Readers = []string{d.ID}
		}
		if d.UnlockTime.Duration == 0 {
			d.UnlockTime.Duration = 5 * time.Second
		}
		if d.ExtendedUnlockTime.Duration == 0 {
			d.ExtendedUnlockTime.Duration = 15 * time.Second
		}
		if d.HeldOpenTime.Duration == 0 && !d.HeldOpenTime.Off {
			d.HeldOpenTime.Duration = 30 * time.Second
		}
		if d.PreAlarmTime.Duration == 0 && !d.PreAlarmTime.Off && !d.HeldOpenTime.Off {
			d.PreAlarmTime.Duration = 10 * time.Second
		}
		if d.REXUnlocks == nil {
			d.REXUnlocks = &t
		}
		if d.RelockOnClose == nil {
			d.RelockOnClose = &t
		}
		if d.Mode == "" {
			d.Mode = "normal"
		}
	}
	haveR := map[string]bool{}
	for _, r := range c.Readers {
		haveR[r.ID] = true
	}
	for _, br := range c.Board.Readers {
		if !haveR[br.ID] {
			c.Readers = append(c.Readers, ReaderRuntime{ID: br.ID})
		}
	}
	for i := range c.Readers {
		if c.Readers[i].Mode == "" {
			c.Readers[i].Mode = "card_or_pin"
		}
	}
}

// validateAccess reports every problem of [access], [[doors]] and
// [[readers]], each naming the door or reader.
func (c *Config) validateAccess() []string {
	var errs []string
	if c.Access.TimeZone != "" {
		if _, err := time.LoadLocation(c.Access.TimeZone); err != nil {
			errs = append(errs, fmt.Sprintf("access.timezone: %q is not a time zone (e.g. Europe/Berlin)", c.Access.TimeZone))
		}
	}
	switch c.Access.Duress {
	case "", "last_digit_plus_one":
	default:
		errs = append(errs, `access.duress: must be "" (off) or "last_digit_plus_one"`)
	}
	switch c.Access.Userless {
	case "", "allow", "deny":
	default:
		errs = append(errs, `access.userless_credentials: must be "allow" (credentials without a user open on their own fields) or "deny"`)
	}
	if t := c.Access.LockoutThreshold; t != nil && *t < 0 {
		errs = append(errs, "access.lockout_threshold: must be 0 (off) or more")
	}
	boardDoors := map[string]board.DoorConfig{}
	for _, d := range c.Board.Doors {
		boardDoors[d.ID] = d
	}
	boardReaders := map[string]bool{}
	noKeypad := map[string]bool{} // keypad "none" or absent: no keys ever
	for _, r := range c.Board.Readers {
		boardReaders[r.ID] = true
		noKeypad[r.ID] = r.Keypad == "" || r.Keypad == "none"
	}
	readerDoor := map[string]string{}
	seen := map[string]bool{}
	for _, d := range c.Doors {
		where := fmt.Sprintf("doors[id=%q]", d.ID)
		if _, ok := boardDoors[d.ID]; !ok && c.Board.Kind != "" {
			errs = append(errs, where+": no [[board.doors]] entry with this id")
		}
		if seen[d.ID] {
			errs = append(errs, where+": listed twice")
		}
		seen[d.ID] = true
		if d.Lock != 1 && d.Lock != 2 {
			errs = append(errs, where+".lock: must be 1 or 2")
		}
		switch d.Mode {
		case "normal", "unlocked", "locked_down", "disabled":
		default:
			errs = append(errs, where+".mode: must be normal, unlocked, locked_down or disabled")
		}
		for _, r := range d.Readers {
			if !boardReaders[r] && c.Board.Kind != "" {
				errs = append(errs, fmt.Sprintf("%s.readers: no [[board.readers]] entry with id %q", where, r))
			}
			if other, ok := readerDoor[r]; ok && other != d.ID {
				errs = append(errs, fmt.Sprintf("%s.readers: reader %q is already at door %q", where, r, other))
			}
			readerDoor[r] = d.ID
		}
		switch {
		case d.HeldOpenTime.Off && d.PreAlarmTime.Duration > 0:
			errs = append(errs, where+`.pre_alarm_time: held_open_time is "off", so there is nothing to warn of; remove it or write "off"`)
		case !d.HeldOpenTime.Off && !d.PreAlarmTime.Off && d.PreAlarmTime.Duration >= d.HeldOpenTime.Duration:
			errs = append(errs, where+".pre_alarm_time: must be shorter than held_open_time")
		}
	}
	seenR := map[string]bool{}
	for _, r := range c.Readers {
		where := fmt.Sprintf("readers[id=%q]", r.ID)
		if !boardReaders[r.ID] && c.Board.Kind != "" {
			errs = append(errs, where+": no [[board.readers]] entry with this id")
		}
		if seenR[r.ID] {
			errs = append(errs, where+": listed twice")
		}
		seenR[r.ID] = true
		if !readerModes[r.Mode] {
			errs = append(errs, where+".mode: must be card, pin, card_and_pin or card_or_pin")
		}
		if (r.Mode == "pin" || r.Mode == "card_and_pin") && c.Board.Kind != "" && noKeypad[r.ID] {
			// Without a keypad every key is a bad read: nobody could
			// ever open this door. Keypad "none" is also the default.
			errs = append(errs, fmt.Sprintf(`%s.mode: %s needs a keypad, but [[board.readers]] id %q has keypad "none" (the default when absent); set keypad = "4bit", "8bit" or "auto"`, where, r.Mode, r.ID))
		}
	}
	return errs
}
