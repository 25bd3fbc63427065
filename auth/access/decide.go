package access

import "time"

// This file is the contract between the access engine (auth) and the door
// runtime (device): what a reader presents, what the engine answers. The
// engine is pure — no I/O, no clock of its own — so that every rule is a
// table test and every timer a synctest.

// Reason is a stable denial code. The strings are part of the API (events,
// logs); never renumber or rename.
type Reason uint8

const (
	ReasonNone Reason = iota
	ReasonUnknownCredential
	ReasonUserDisabled // also archived
	ReasonOutsideValidity
	ReasonOutsideSchedule
	ReasonDoorNotPermitted
	ReasonPassesUsedUp
	ReasonLockedOut
	ReasonDoorMode
	ReasonSecondFactorWrong
	ReasonSecondFactorTimeout
	ReasonBadRead
	// ReasonReaderMode: the reader's mode does not take this as a first
	// factor (a card at a PIN reader, a PIN at a card reader or before the
	// card at a card-and-PIN reader). Nothing was looked up.
	ReasonReaderMode
	// ReasonPassQueueFull: a limited credential whose pass could not be
	// queued for the disk (thousands of spends already wait for it): the
	// door denies rather than grant a pass it cannot record.
	ReasonPassQueueFull
	// ReasonNoUser: a credential without a user, at an engine that
	// refuses them (EngineConfig.Userless; BAS-IP's global access mode
	// without identifiers_without_linkage_to_user_support, whose log
	// calls it identifiers_without_linkage_to_user_access_denied).
	ReasonNoUser
	// ReasonFleetStale: the controller has been away from its fleet for
	// longer than max_offline with offline_policy deny_non_security
	// (Engine.SetRestricted): its copy of the list may miss a revocation,
	// so only users with Security pass, as at a locked-down door.
	ReasonFleetStale
	// ReasonNoDoorRight: the user's locks are store.LocksNone: in a fleet
	// with door rights, no right in any of this controller's door groups
	// (and no site-wide grant); otherwise a user given no door.
	ReasonNoDoorRight
)

var reasonNames = [...]string{
	ReasonNone:                "",
	ReasonUnknownCredential:   "unknown_credential",
	ReasonUserDisabled:        "user_disabled",
	ReasonOutsideValidity:     "outside_validity",
	ReasonOutsideSchedule:     "outside_schedule",
	ReasonDoorNotPermitted:    "door_not_permitted",
	ReasonPassesUsedUp:        "passes_used_up",
	ReasonLockedOut:           "locked_out",
	ReasonDoorMode:            "door_mode",
	ReasonSecondFactorWrong:   "second_factor_wrong",
	ReasonSecondFactorTimeout: "second_factor_timeout",
	ReasonBadRead:             "bad_read",
	ReasonReaderMode:          "reader_mode",
	ReasonPassQueueFull:       "pass_queue_full",
	ReasonNoUser:              "no_user",
	ReasonFleetStale:          "fleet_stale",
	ReasonNoDoorRight:         "no_door_right",
}

// NumReasons is how many Reason values there are, ReasonNone included:
// the length of an array indexed by Reason (Engine.Decisions).
const NumReasons = len(reasonNames)

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// ReaderMode is what a reader requires.
type ReaderMode uint8

const (
	ModeCardOrPIN ReaderMode = iota // the zero value: either opens
	ModeCard
	ModePIN
	ModeCardAndPIN
)

// DoorMode is a door's operating mode (ONVIF/Axis access point states).
type DoorMode uint8

const (
	DoorNormal     DoorMode = iota // locked; access by credential
	DoorUnlocked                   // held open (e.g. office hours)
	DoorLockedDown                 // only security users
	DoorDisabled                   // nobody
)

// PresentKind is what arrived from a reader.
type PresentKind uint8

const (
	PresentCard PresentKind = iota + 1
	PresentKey              // one keypad key: '0'-'9', '*', '#'
	PresentBadRead
)

// Presentation is one thing a reader delivered, with the door's current
// mode (runtime state the device layer owns).
type Presentation struct {
	Kind     PresentKind
	Card     uint64 // canonical card value (Wiegand payload without parity)
	Key      byte
	DoorMode DoorMode
	// Format is the card frame's format code (FrameFormat): a card bound
	// to a format opens only for frames of that format; 0 (raw, unknown)
	// matches plain card numbers only.
	Format uint8
}

// OutcomeKind says what the device layer should do.
type OutcomeKind uint8

const (
	OutcomeNone    OutcomeKind = iota // nothing yet (a key was buffered)
	OutcomePending                    // a first factor was accepted; call Expire at Deadline
	OutcomeGranted
	OutcomeDenied
)

// Outcome is the engine's answer. It is a plain value: deciding allocates
// nothing.
type Outcome struct {
	Kind         OutcomeKind
	Reason       Reason // for OutcomeDenied
	UserUID      uint64 // 0 when unknown
	CredentialID uint64 // the credential that decided, 0 when none
	CredType     uint8  // 1 card, 2 pin (see CredTypeName)
	Duress       bool   // granted with a duress PIN: raise a silent alarm
	// UsedPass: the grant reserved a limited credential's pass. The door
	// runtime must settle it: Engine.Commit when it acted on the grant
	// (the pass is then persisted), Engine.Refund when it did not. Until
	// then the pass and a slot of the spend queue stay taken.
	UsedPass     bool
	ExtendedOpen bool // the user has the extended unlock time option
	LockedOut    bool // this denial started a reader or PIN lockout
	CardBurst    bool // this unknown card made a burst at the reader: raise the alarm (once per window)
	// Quiet: an unknown card after its window's burst alarm. Denied like
	// any other, but the door logs no event for it (it is counted in
	// Stats.QuietDenials): a card emulator must not flood the event log.
	Quiet bool
	// Deadline, when not zero, is when the device layer must call Expire
	// for this reader (PIN entry or second-factor timeout).
	Deadline time.Time
}

// CredTypeName names Outcome.CredType for events.
func CredTypeName(t uint8) string {
	switch t {
	case 1:
		return "card"
	case 2:
		return "pin"
	}
	return ""
}
