package core

import (
	"errors"
	"time"
)

// ErrDoorNotPersisted: the store refused a door setting (a mode, a
// schedule, an emergency open). Either dialect answers it as the store
// being unavailable.
var ErrDoorNotPersisted = errors.New("door setting not persisted")

// DoorView is a door's configuration and live state, as the door runtime
// hands it to either dialect.
type DoorView struct {
	ID      string   `json:"id"`
	Lock    int      `json:"lock"`
	Readers []string `json:"readers"`
	// Mode is the mode the door is in now; SetMode the one an operator
	// set (or the configuration's): they differ while an unlock schedule
	// holds a door in normal mode unlocked.
	Mode    string     `json:"mode"`
	SetMode string     `json:"set_mode"`
	ModeBy  string     `json:"mode_by,omitempty"`
	ModeAt  *time.Time `json:"mode_at,omitempty"`
	// UnlockSchedule is the time profile during which the door is
	// unlocked (null: none); with FirstCardUnlock only after the first
	// granted credential inside the window. ScheduleOpen: the window is
	// open now.
	UnlockSchedule  *uint64  `json:"unlock_schedule"`
	FirstCardUnlock bool     `json:"first_card_unlock"`
	ScheduleOpen    bool     `json:"schedule_open"`
	Locked          bool     `json:"locked"`
	Open            bool     `json:"open"`
	Alarms          []string `json:"alarms"`
	// EmergencyUntil: an emergency open holds the door unlocked until
	// then (absent: none).
	EmergencyUntil *time.Time `json:"emergency_until,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}
