package device

import (
	"errors"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
	"github.com/doord/doord/store"
)

// Board is where the hardware begins: what the runtime reads from and
// drives. *board.Board satisfies it; tests use a fake.
type Board interface {
	Reads() <-chan board.Read
	InputEvents() <-chan board.InputEvent
	SetRelay(door string, unlocked bool) error
	SetLED(reader string, on bool) error
	SetBuzzer(reader string, on bool) error
	// Secure drives every relay locked. It must be safe to call from a
	// recover and must not panic.
	Secure()
}

var _ Board = (*board.Board)(nil)

// Decider is where the access engine begins. Calls for one reader come
// from one goroutine (its door's), in order; calls for readers of
// different doors may be concurrent. Expire may be called when nothing is
// pending for the reader (a deadline that a later key made moot); it must
// then return an Outcome of kind OutcomeNone. Neither call may block on
// disk or network.
type Decider interface {
	Present(reader string, p access.Presentation, now time.Time) access.Outcome
	Expire(reader string, now time.Time) access.Outcome
}

// ModeStore persists door settings; *store.Store satisfies it.
// PutDoorSetting is called from the API's goroutine (never a door's) and
// must be durable when it returns.
type ModeStore interface {
	PutDoorSetting(door string, v store.DoorSetting) error
}

// Schedules resolves a time profile id to its compiled schedule, nil when
// unknown; *access.Engine satisfies it. It must not block.
type Schedules interface {
	Schedule(id uint64) *access.Schedule
}

var (
	_ ModeStore = (*store.Store)(nil)
	_ Schedules = (*access.Engine)(nil)
)

// EventSink receives the runtime's events. Emit is called from door
// goroutines, after the relay has been driven, and must never block (the
// event log is asynchronous).
type EventSink interface{ Emit(Event) }

// PassRecorder settles the pass a grant of a limited credential reserved
// (Outcome.UsedPass): Commit when the door acted on the grant (the spend
// is then persisted), Refund when it did not (a refused grant spends
// nothing). *access.Engine is one. Neither may block.
type PassRecorder interface {
	Commit(o access.Outcome)
	Refund(o access.Outcome)
}

// Event is something that happened at a door. Events carry no credential
// values: a card is described by its masked value (store.MaskCredential:
// the last digits only), format and bit length; a PIN by nothing at all.
type Event struct {
	At             time.Time
	Type           string // one of the Event* constants
	Door           string
	Reader         string
	UserUID        uint64
	CredentialType string // "card", "pin" or ""
	// Credential is a card's masked canonical value (e.g. "••••495"),
	// so that an operator can tell which unknown card was presented.
	Credential       string
	CredentialFormat string // the card's Wiegand format, e.g. "h10301"
	CredentialBits   int    // the frame's bit length (cards and bad reads)
	Reason           string // access.Reason string, for access_denied
	Detail           string
	Operator         string // who, for remote_open and mode_changed
}

// Event types. The strings are part of the API (event log, HTTP); never
// rename. An alarm is raised by one event and cleared by another:
// door_forced/door_forced_cleared, door_held_prealarm and
// door_held/door_held_cleared, tamper/tamper_cleared,
// relay_fault/relay_fault_cleared. door_fault is final for the process.
const (
	EventAccessGranted = "access_granted"
	EventAccessDenied  = "access_denied"
	EventDuress        = "duress"
	EventLockout       = "lockout"
	// EventUnknownCardBurst: a burst of unknown cards at a reader (the
	// engine's CardBurst; once per window). Unknown cards never lock a
	// reader: this alarm is what they raise instead.
	EventUnknownCardBurst  = "unknown_card_burst"
	EventREX               = "rex"
	EventRemoteOpen        = "remote_open"
	EventModeChanged       = "mode_changed"
	EventDoorOpened        = "door_opened"
	EventDoorClosed        = "door_closed"
	EventDoorForced        = "door_forced"
	EventDoorForcedCleared = "door_forced_cleared"
	EventDoorHeldPrealarm  = "door_held_prealarm"
	EventDoorHeld          = "door_held"
	EventDoorHeldCleared   = "door_held_cleared"
	EventTamper            = "tamper"
	EventTamperCleared     = "tamper_cleared"
	EventRelayFault        = "relay_fault"
	EventRelayFaultCleared = "relay_fault_cleared"
	EventDoorFault         = "door_fault"
	// EventEmergencyOpen: an emergency open started (Operator, Detail
	// with its end), or was resumed at start; EventEmergencyClosed: it
	// ended (expired, closed early by Operator, or by a lockdown).
	EventEmergencyOpen   = "emergency_open"
	EventEmergencyClosed = "emergency_closed"
)

// Alarm names in DoorState.Alarms, in this order when several are active.
const (
	AlarmForced     = "door_forced"
	AlarmPrealarm   = "door_held_prealarm"
	AlarmHeld       = "door_held"
	AlarmTamper     = "tamper"
	AlarmRelayFault = "relay_fault"
	AlarmFault      = "door_fault"
)

// DoorState is a door's live state, for the API.
type DoorState struct {
	ID      string
	Lock    uint8
	Readers []string
	Mode    string // effective: "normal", "unlocked", "locked_down", "disabled"
	// SetMode is the operator's (or configured) mode; Mode differs from
	// it when an unlock schedule holds the door unlocked. ModeBy and
	// ModeAt say who set it over the API and when (empty: configured).
	SetMode         string
	ModeBy          string
	ModeAt          time.Time
	UnlockSchedule  uint64 // time profile id; 0: none
	FirstCardUnlock bool
	ScheduleOpen    bool // the unlock schedule's window is open now
	// Locked is the relay as last driven successfully; false while a
	// lock command is failing (deny on doubt: unknown is not locked).
	Locked bool
	Open   bool // the door contact says open
	// EmergencyUntil: an emergency open holds the door unlocked until
	// then (zero: none).
	EmergencyUntil time.Time
	Alarms         []string // active alarms, Alarm* names
	LastEvent      Event    // zero until the door's first event
	UpdatedAt      time.Time
}

// Errors returned by SetMode and Open.
var (
	ErrUnknownDoor = errors.New("device: unknown door")
	// ErrUnknownReader: NextCard on a reader no door uses.
	ErrUnknownReader = errors.New("device: unknown reader")
	ErrClosed        = errors.New("device: runtime closed")
	// ErrFault: the door's goroutine panicked; the door stays locked
	// until the process restarts.
	ErrFault = errors.New("device: door out of service after an internal fault")
	// ErrModeRefuses: a remote or emergency open of a door that is
	// locked down or disabled. Release the mode first.
	ErrModeRefuses = errors.New("device: door mode refuses remote open")
)
