package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Door settings made over the API (a mode, an unlock schedule) survive a
// restart and a crash: they are settings under doorSettingPrefix+door id,
// written in a transaction of their own (one fsync) before the API
// answers, and read by the daemon before any door runs.
const doorSettingPrefix = "door/"

// DoorSetting is what an operator set on one door. Mode is the API name
// ("normal", "unlocked", "locked_down", "disabled"); "" when no mode was
// ever set (the configured mode applies). Schedule, when not nil,
// replaces the configured unlock schedule.
type DoorSetting struct {
	Mode     string        `json:"mode,omitempty"`
	ModeBy   string        `json:"mode_by,omitempty"`
	ModeAt   time.Time     `json:"mode_at,omitzero"`
	Schedule *DoorSchedule `json:"schedule,omitempty"`
	// Emergency, when not nil, is an emergency open that may still be in
	// effect (emergency.go).
	Emergency *DoorEmergency `json:"emergency,omitempty"`
}

// DoorSchedule is a door's scheduled unlocked mode: the door is unlocked
// while time profile ProfileID is open (0: no schedule, which overrides a
// configured one); with FirstCardUnlock only after the first granted
// credential inside the window.
type DoorSchedule struct {
	ProfileID       uint64    `json:"profile_id"`
	FirstCardUnlock bool      `json:"first_card_unlock,omitempty"`
	By              string    `json:"by,omitempty"`
	At              time.Time `json:"at,omitzero"`
}

// PutDoorSetting stores door's setting durably (the commit fsyncs before
// it returns).
func (s *Store) PutDoorSetting(door string, v DoorSetting) error {
	if door == "" {
		return &InvalidError{Field: "door", Reason: "empty"}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.PutSetting(doorSettingPrefix+door, b)
}

// DoorSettings reads every door's stored setting. A record that cannot be
// decoded is returned in bad (door ids) rather than failing the whole
// read: the caller decides what a door whose setting is unreadable does.
func (s *Store) DoorSettings() (settings map[string]DoorSetting, bad []string, err error) {
	settings = map[string]DoorSetting{}
	prefix := []byte(doorSettingPrefix)
	err = s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSettings).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			door := strings.TrimPrefix(string(k), doorSettingPrefix)
			var ds DoorSetting
			if json.Unmarshal(v, &ds) != nil {
				bad = append(bad, door)
				continue
			}
			settings[door] = ds
		}
		return nil
	})
	return settings, bad, err
}
