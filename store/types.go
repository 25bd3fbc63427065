package store

import "time"

// UserState is the lifecycle of a user: active ⇄ disabled → archived.
// Archived is final (nevisIDM semantics): an archived user can only be read
// or deleted.
type UserState string

const (
	StateActive   UserState = "active"
	StateDisabled UserState = "disabled"
	StateArchived UserState = "archived"
)

// Locks says which doors a user or credential may open. BAS-IP calls these
// lock 1 ("first"), lock 2 ("second") and both ("all", lock_number 0).
type Locks string

const (
	LocksBoth   Locks = "both"
	LocksFirst  Locks = "1"
	LocksSecond Locks = "2"
	// LocksNone: no door. In a fleet with door rights it is what a
	// user's locks are on a controller where they hold no right in any
	// of its door groups (rights.go); a user may also be given it.
	LocksNone Locks = "none"
)

// User is a person or technical account that opens doors.
type User struct {
	ID           string            `json:"id"`  // uuid, client may supply one
	UID          uint64            `json:"uid"` // integer key, also the BAS-IP item_uid
	ExtID        string            `json:"ext_id"`
	Name         string            `json:"name"`
	FirstName    string            `json:"first_name,omitempty"`
	LastName     string            `json:"last_name,omitempty"`
	Info         string            `json:"info,omitempty"`
	Notes        string            `json:"notes,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	Properties   map[string]string `json:"properties,omitempty"`
	Email        string            `json:"email,omitempty"`
	Phone        string            `json:"phone,omitempty"`
	State        UserState         `json:"state"`
	ValidFrom    *time.Time        `json:"valid_from,omitempty"`
	ValidTo      *time.Time        `json:"valid_to,omitempty"`
	Locks        Locks             `json:"locks"`
	TimeProfiles []uint64          `json:"time_profiles,omitempty"`
	Apartments   []uint64          `json:"apartments,omitempty"`
	AuthFactors  []string          `json:"auth_factors,omitempty"` // credential types that must all be presented when CustomAccess
	CustomAccess bool              `json:"custom_access"`
	Security     bool              `json:"security"`        // may pass locked-down doors
	ExtendedOpen bool              `json:"extended_unlock"` // doors stay unlocked for their extended_unlock_time (e.g. wheelchair users)
	CreatedAt    time.Time         `json:"created_at"`
	CreatedBy    string            `json:"created_by,omitempty"`
	UpdatedAt    time.Time         `json:"updated_at"`
	UpdatedBy    string            `json:"updated_by,omitempty"`
	// DoorRights are the user's rights per door group in a fleet with
	// door rights (rights.go): group → the locks granted on that group's
	// controllers. Never stored in the user's record (the rights are
	// records of their own); a read fills in this controller's groups, a
	// write sets the groups it names (LocksNone revokes).
	DoorRights map[string]Locks `json:"door_rights,omitempty"`
}

// CredentialType is what is presented at a reader. BAS-IP calls credentials
// identifiers and uses "inputCode"/"input_code" for PINs.
type CredentialType string

const (
	CredCard         CredentialType = "card"
	CredPIN          CredentialType = "pin"
	CredQR           CredentialType = "qr"
	CredLicensePlate CredentialType = "license_plate"
	CredUKey         CredentialType = "ukey"
	CredFaceID       CredentialType = "face_id"
)

// Owner says whether a credential belongs to its user or is a guest's.
type Owner string

const (
	OwnerOwner Owner = "owner"
	OwnerGuest Owner = "guest"
)

// Credential is something that opens a door for its user, or on its own:
// UserUID 0 is a credential without a user (a BAS-IP identifier that
// intercom provisioning binds to an apartment), which the door engine
// decides on its own fields (owner, apartment, locks, validity, passes,
// time profiles). Apartment, when not 0, is the apartment it belongs to
// (it must exist; deleting the apartment clears it). Value is the
// canonical form: for a card the decimal string of the Wiegand payload
// without parity bits (see access.ParseCardNumber), for a PIN its digits.
// Format, for a card only, binds it to one card format (a CardFormat name):
// it then matches only frames of that format and bit length. Without a
// format a card is a plain number and matches a frame of any format with
// that payload.
//
// Spelling is the value as a client wrote it when that differs from Value
// ("00-00-00-1A-2B-3C-4D" for 439041101): BAS-IP clients compare
// identifier_number byte for byte with what they sent. Never for a PIN; a
// new Value written without a new Spelling forgets it. It is no field of
// the native API's JSON (which shows Value, masked as the role requires).
type Credential struct {
	ID           uint64         `json:"id"`
	UserUID      uint64         `json:"user_uid"`
	Type         CredentialType `json:"type"`
	Value        string         `json:"value"`
	Format       string         `json:"format,omitempty"`
	Spelling     string         `json:"-"` // Value as a client wrote it, if not so (see below)
	Owner        Owner          `json:"owner"`
	OwnerName    string         `json:"owner_name,omitempty"`
	Locks        Locks          `json:"locks"`
	ValidFrom    *time.Time     `json:"valid_from,omitempty"`
	ValidTo      *time.Time     `json:"valid_to,omitempty"`
	MaxPasses    uint32         `json:"max_passes,omitempty"` // 0 = unlimited
	PassesLeft   uint32         `json:"passes_left,omitempty"`
	TimeProfiles []uint64       `json:"time_profiles,omitempty"`
	Apartment    uint64         `json:"apartment,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// Interval is one daily window, Start to End ("HH:MM" local time; End
// "24:00" is midnight at the end of the day; End before Start wraps past
// midnight), on the days its rule selects.
//
// Without Repeat it is the weekly window it always was: every week on
// Days (0 = Sunday, as time.Weekday). Repeat chooses a calendar rule in
// the manner of iCalendar's RRULE (RFC 5545):
//
//   - "day":   every Every-th day counted from Anchor. Days, MonthDays,
//     Nth, DayType and Months are not used.
//   - "week":  on Days, in every Every-th week (weeks start on Monday)
//     counted from the week of Anchor.
//   - "month": in every Every-th month counted from Anchor's month, on
//     MonthDays (1..31, -1 the last day; a month without the 31st has no
//     occurrence, as in RRULE), or on the Nth (1..5, -1 the last) of Days
//     or of DayType ("weekday" Monday–Friday, "weekend" Saturday–Sunday)
//     in the month: {nth 1, days [mon]} is the first Monday, {nth -1,
//     day_type weekday} the last working day. With several Days, Nth
//     applies to each (the first Monday and the first Thursday, RRULE's
//     BYDAY=1MO,1TH); with DayType it counts within the set (the first
//     day that is a working day, RRULE's BYSETPOS). Months, when given,
//     limits the rule to those months.
//   - "year":  in every Every-th year counted from Anchor's year, in
//     Months (required), on MonthDays or the Nth as for "month".
//
// Every 0 means 1. Anchor ("YYYY-MM-DD") is needed when Every > 1; the
// rule selects no day before it. The after-midnight part of a wrapping
// window belongs to the day the rule selected (a Friday night shift runs
// into Saturday morning). The profile's DateFrom, DateTo and Holidays
// apply to the calendar date of the instant, whatever the rule: a
// holiday is shut from 00:00 to 24:00, and a night shift selected on the
// eve of a holiday stops at midnight.
type Interval struct {
	Days      []time.Weekday `json:"days,omitempty"`
	Start     string         `json:"start"`
	End       string         `json:"end"`
	Repeat    string         `json:"repeat,omitempty"` // "", "day", "week", "month", "year"
	Every     int            `json:"every,omitempty"`
	Anchor    string         `json:"anchor,omitempty"`
	MonthDays []int          `json:"month_days,omitempty"`
	Nth       int            `json:"nth,omitempty"`
	DayType   string         `json:"day_type,omitempty"` // "weekday" or "weekend", with Nth
	Months    []time.Month   `json:"months,omitempty"`
}

// The values of Interval.Repeat and Interval.DayType.
const (
	RepeatWeekly   = ""
	RepeatDay      = "day"
	RepeatWeek     = "week"
	RepeatMonth    = "month"
	RepeatYear     = "year"
	DayTypeWork    = "weekday"
	DayTypeWeekend = "weekend"
)

// TimeProfile is a schedule: its Intervals (weekly windows or calendar
// rules) within an optional date range, except its holidays (dates,
// "YYYY-MM-DD", on which the profile grants nothing). It is open when any
// interval is.
type TimeProfile struct {
	ID        uint64     `json:"id"`
	Name      string     `json:"name"`
	Intervals []Interval `json:"intervals"`
	DateFrom  string     `json:"date_from,omitempty"` // "YYYY-MM-DD", inclusive
	DateTo    string     `json:"date_to,omitempty"`   // "YYYY-MM-DD", inclusive
	Holidays  []string   `json:"holidays,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Address is an apartment's logical address (BAS-IP apartment_address).
type Address struct {
	Building int `json:"building"`
	Unit     int `json:"unit"`
	Floor    int `json:"floor"`
	Room     int `json:"room"`
}

// Apartment groups residents under an address. Residents are derived from
// users' Apartments lists; the store does not keep a second copy.
type Apartment struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Address   Address   `json:"address"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Role is what an operator may do over HTTP.
type Role string

const (
	RoleAdmin    Role = "admin"    // everything
	RoleOperator Role = "operator" // people, credentials, doors
	RoleViewer   Role = "viewer"   // read only
)

// Operator is a person or program that manages doord over HTTP. Field names
// follow seeds 002 (Appgate) and 004 (VikingCloud).
type Operator struct {
	ID                  uint64     `json:"id"`
	Username            string     `json:"username"`
	PasswordHash        string     `json:"password_hash"` // PHC string, never returned by the API
	Role                Role       `json:"role"`
	Enabled             bool       `json:"enabled"`
	Expired             bool       `json:"expired"`
	CredentialsExpired  bool       `json:"credentials_expired"`
	ForcePasswordChange bool       `json:"force_password_change"`
	TOTPSecret          string     `json:"totp_secret,omitempty"` // base32; empty = no MFA
	TOTPConfirmed       bool       `json:"totp_confirmed"`
	TOTPLastStep        uint64     `json:"totp_last_step,omitempty"` // last accepted 30 s step: a code works once (RFC 6238 §5.2)
	FailedLogins        int        `json:"failed_logins"`
	LockStart           *time.Time `json:"lock_start,omitempty"`
	LastSuccess         *time.Time `json:"last_success,omitempty"`
	LastFailure         *time.Time `json:"last_failure,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	CreatedBy           string     `json:"created_by,omitempty"`
	UpdatedAt           time.Time  `json:"updated_at"`
	UpdatedBy           string     `json:"updated_by,omitempty"`
}

// Session is a login token, stored by the SHA-256 of the token so that a
// copy of the database does not hand out working tokens.
type Session struct {
	TokenHash  [32]byte  `json:"token_hash"`
	OperatorID uint64    `json:"operator_id"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Scope limits where the token works: "" everywhere (native login),
	// "basip" only on the BAS-IP compatible routes (a BAS-IP login, which
	// proves only the password's MD5).
	Scope string `json:"scope,omitempty"`
}

// ChangeKind names the entity a change record is about.
type ChangeKind string

const (
	KindUser        ChangeKind = "user"
	KindCredential  ChangeKind = "credential"
	KindTimeProfile ChangeKind = "time_profile"
	KindApartment   ChangeKind = "apartment"
	KindOperator    ChangeKind = "operator"
	KindSetting     ChangeKind = "setting"
	// KindRight is a user's right in one door group (a fleet with door
	// rights, rights.go): ID is the user's uid, Key the group, Right the
	// right (nil when Deleted).
	KindRight ChangeKind = "right"
)

// Change is one committed write. Seq is the store sequence number, strictly
// increasing across commits; the in-memory index and the event stream follow
// this one feed. Exactly one of the pointers is set for an upsert; all are
// nil for a delete (Deleted is true and ID names the key).
type Change struct {
	Seq         uint64       `json:"seq"`
	Kind        ChangeKind   `json:"kind"`
	ID          uint64       `json:"id"`
	Key         string       `json:"key,omitempty"` // settings are keyed by name, not id
	Deleted     bool         `json:"deleted,omitempty"`
	User        *User        `json:"user,omitempty"`
	Credential  *Credential  `json:"credential,omitempty"`
	TimeProfile *TimeProfile `json:"time_profile,omitempty"`
	Apartment   *Apartment   `json:"apartment,omitempty"`
	Right       *Right       `json:"right,omitempty"`
	// siteLocks, for a user written in a fleet with door rights, is the
	// locks its bucket record carries (rights.go): the user's site-wide
	// grant, or LocksNone; "" writes the user's Locks as they are.
	siteLocks Locks
	// PassSpent marks the record of a UsePass: it accounts for one pass
	// the door engine spent (written, or refused because none was left).
	// The engine counts a spend as unsaved until this record arrives.
	PassSpent bool `json:"pass_spent,omitempty"`
	// Reset is the one record of a commit that replaced the users and
	// credentials whole (a large import's swap: importstage.go), in
	// place of a record per user and credential. The store resyncs every
	// Follower (Sync) instead of handing it this commit; a plain
	// subscriber gets it and must take whatever it knows of users and
	// credentials as stale.
	Reset bool `json:"reset,omitempty"`
}
