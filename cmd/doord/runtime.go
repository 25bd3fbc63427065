package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/device"
	"github.com/doord/doord/store"
)

// engineConfig turns [access] and [[readers]]/[[doors]] into the access
// engine's configuration.
func engineConfig(cfg Config) (access.EngineConfig, error) {
	ec := access.EngineConfig{Location: time.Local}
	if cfg.Access.TimeZone != "" {
		loc, err := time.LoadLocation(cfg.Access.TimeZone)
		if err != nil {
			return ec, fmt.Errorf("access.timezone: %w", err)
		}
		ec.Location = loc
	}
	if t := *cfg.Access.LockoutThreshold; t == 0 {
		ec.ReaderLockout.Off, ec.PINLockout.Off = true, true
	} else {
		ec.ReaderLockout = access.LockoutConfig{Threshold: t, Duration: cfg.Access.LockoutDuration.Duration}
		ec.PINLockout = ec.ReaderLockout
		// Unknown cards alarm (unknown_card_burst) at the same count
		// within the same time; they never lock. With the lockout off the
		// alarm keeps its defaults.
		ec.CardBurst = ec.ReaderLockout
	}
	ec.DuressOffset = duressOffset(cfg)
	if cfg.Access.Userless == "deny" {
		ec.Userless = access.UserlessDeny
	}
	lockOf := map[string]uint8{}
	for _, d := range cfg.Doors {
		for _, r := range d.Readers {
			lockOf[r] = uint8(d.Lock)
		}
	}
	for _, r := range cfg.Readers {
		ec.Readers = append(ec.Readers, access.ReaderConfig{
			ID: r.ID, Lock: lockOf[r.ID], Mode: readerMode(r.Mode),
			PINTimeout: cfg.Access.PINTimeout.Duration, FactorTimeout: cfg.Access.FactorTimeout.Duration,
		})
	}
	return ec, nil
}

// duressOffset is [access] duress as the engine's and the store's
// DuressOffset: the store refuses PINs that would collide with a duress
// PIN, so both must agree.
func duressOffset(cfg Config) uint8 {
	if cfg.Access.Duress == "last_digit_plus_one" {
		return 1
	}
	return 0
}

func readerMode(s string) access.ReaderMode {
	switch s {
	case "card":
		return access.ModeCard
	case "pin":
		return access.ModePIN
	case "card_and_pin":
		return access.ModeCardAndPIN
	}
	return access.ModeCardOrPIN
}

func deviceConfig(cfg Config, log *slog.Logger) (device.Config, error) {
	dc := device.Config{Log: log}
	for _, d := range cfg.Doors {
		mode, err := device.ParseMode(d.Mode)
		if err != nil {
			return dc, fmt.Errorf("doors[id=%q].mode: %w", d.ID, err)
		}
		held := d.HeldOpenTime.Duration
		if d.HeldOpenTime.Off {
			held = device.Off
		}
		dc.Doors = append(dc.Doors, device.DoorConfig{
			ID: d.ID, Lock: uint8(d.Lock), Readers: d.Readers,
			UnlockTime: d.UnlockTime.Duration, ExtendedUnlockTime: d.ExtendedUnlockTime.Duration,
			HeldOpenTime: held, PreAlarmTime: d.PreAlarmTime.Duration, // 0 when off: no pre-alarm
			REXUnlocks: *d.REXUnlocks, RelockOnClose: *d.RelockOnClose, Mode: mode,
			UnlockSchedule: d.UnlockSchedule, FirstCardUnlock: d.FirstCardUnlock,
		})
	}
	return dc, dc.Validate()
}

// eventSink feeds the door runtime's events into the event log. Append
// never blocks and keeps the order of the doors' events; the log's writer
// fills in the user's uuid (userIDs), off the door path.
type eventSink struct{ log *store.EventLog }

func (s eventSink) Emit(ev device.Event) {
	s.log.Append(store.Event{
		At: ev.At, Type: ev.Type, Door: ev.Door, Reader: ev.Reader, UserUID: ev.UserUID,
		CredentialType: ev.CredentialType, Credential: ev.Credential, CredentialFormat: ev.CredentialFormat,
		CredentialBits: ev.CredentialBits, Reason: ev.Reason, Detail: ev.Detail, Operator: ev.Operator,
	})
}

// userIDs resolves a user's uid to their uuid for the event log's writer
// (store.EventOptions.UserID), with a cache: a uid is never reused. The
// writer goroutine is the only caller, so the cache needs no lock.
func userIDs(st *store.Store) func(uid uint64) string {
	ids := map[uint64]string{}
	return func(uid uint64) string {
		if id, ok := ids[uid]; ok {
			return id
		}
		u, err := st.GetUserByUID(uid)
		if err != nil {
			return "" // deleted, or a read error: the uid is there
		}
		if len(ids) > 10000 {
			clear(ids)
		}
		ids[uid] = u.ID
		return u.ID
	}
}
