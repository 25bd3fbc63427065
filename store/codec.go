package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/doord/doord/store/internal/keys"
)

// Users and credentials are stored in their own compact JSON form, not as
// the API structs: at a million of each the file must stay well inside
// the 2 GB map that 32-bit ARM allows, and decoding them is what start-up
// (ForEachUser, ForEachCredential) spends its time on. So: one- or
// two-letter keys, every field omitempty, the record's key (UID, ID) left
// out, defaults left out (owner owner, ext_id equal to the id, updated_at
// equal to created_at), and the store's own
// UTC stamps as Unix nanoseconds rather than RFC 3339 strings, which are
// both shorter and several times cheaper to parse. valid_from/valid_to stay
// time values: they are the client's and keep the client's offset.
//
// Except the fields that grant access: a user's state and locks and a
// credential's locks are always written, and a record without them reads
// as disabled and opening no door (fail closed: a damaged or hand-made
// record must not open doors by omission). Schema 2 wrote them into the
// records of schema 1, where absent meant active and both
// (migrate_explicit.go).
//
// Time profiles, apartments, operators and sessions are few and stored as
// their plain JSON.

type userRec struct {
	ID           string            `json:"i"`
	ExtID        string            `json:"x,omitempty"`
	Name         string            `json:"n,omitempty"`
	FirstName    string            `json:"fn,omitempty"`
	LastName     string            `json:"ln,omitempty"`
	Info         string            `json:"in,omitempty"`
	Notes        string            `json:"no,omitempty"`
	Tags         []string          `json:"t,omitempty"`
	Properties   map[string]string `json:"p,omitempty"`
	Email        string            `json:"e,omitempty"`
	Phone        string            `json:"ph,omitempty"`
	State        UserState         `json:"s,omitempty"`
	ValidFrom    *time.Time        `json:"vf,omitempty"`
	ValidTo      *time.Time        `json:"vt,omitempty"`
	Locks        Locks             `json:"l,omitempty"`
	TimeProfiles []uint64          `json:"tp,omitempty"`
	Apartments   []uint64          `json:"a,omitempty"`
	AuthFactors  []string          `json:"af,omitempty"`
	CustomAccess bool              `json:"c,omitempty"`
	Security     bool              `json:"sec,omitempty"`
	ExtendedOpen bool              `json:"xo,omitempty"`
	CreatedAt    int64             `json:"ca,omitempty"`
	CreatedBy    string            `json:"cb,omitempty"`
	UpdatedAt    int64             `json:"ua,omitempty"`
	UpdatedBy    string            `json:"ub,omitempty"`
}

type credRec struct {
	UserUID      uint64         `json:"u"`
	Type         CredentialType `json:"t"`
	Value        string         `json:"v"`
	Format       string         `json:"f,omitempty"` // absent in records written before formats: plain
	Spelling     string         `json:"sp,omitempty"`
	Owner        Owner          `json:"o,omitempty"`
	OwnerName    string         `json:"on,omitempty"`
	Locks        Locks          `json:"l,omitempty"`
	ValidFrom    *time.Time     `json:"vf,omitempty"`
	ValidTo      *time.Time     `json:"vt,omitempty"`
	MaxPasses    uint32         `json:"m,omitempty"`
	PassesLeft   uint32         `json:"pl,omitempty"`
	TimeProfiles []uint64       `json:"tp,omitempty"`
	Apartment    uint64         `json:"ap,omitempty"`
	CreatedAt    int64          `json:"ca,omitempty"`
	UpdatedAt    int64          `json:"ua,omitempty"`
}

// nanos and fromNanos map the zero time to 0 (UnixNano of the zero time is
// undefined) and everything else to UTC nanoseconds.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// updated stores UpdatedAt only when it differs from CreatedAt.
func updated(created, upd time.Time) int64 {
	if upd.Equal(created) {
		return 0
	}
	return nanos(upd)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func omitDefault[T comparable](v, def T) T {
	var zero T
	if v == def {
		return zero
	}
	return v
}

// isJSONRecord says a stored user or credential is in the compact JSON
// form (written before schema 4) rather than the binary one
// (recordcodec.go).
func isJSONRecord(data []byte) bool { return len(data) > 0 && data[0] == '{' }

// encodeUser is a user's stored form (the binary one since schema 4).
func encodeUser(u *User) ([]byte, error) { return encodeUserBinary(u) }

// decodeUser reads a stored user in either form.
func decodeUser(uid uint64, data []byte) (User, error) {
	if !isJSONRecord(data) {
		return decodeUserBinary(uid, data)
	}
	return decodeUserJSON(uid, data)
}

// encodeCredential is a credential's stored form (binary since schema 4).
func encodeCredential(c *Credential) ([]byte, error) { return encodeCredentialBinary(c) }

// decodeCredential reads a stored credential in either form.
func decodeCredential(id uint64, data []byte) (Credential, error) {
	if !isJSONRecord(data) {
		return decodeCredentialBinary(id, data)
	}
	return decodeCredentialJSON(id, data)
}

// encodeUserJSON is the stored form of schemas 1 to 3 (tests write it to
// check that such records are still read).
func encodeUserJSON(u *User) ([]byte, error) {
	return json.Marshal(userRec{
		ID: u.ID, ExtID: omitDefault(u.ExtID, u.ID), Name: u.Name, FirstName: u.FirstName,
		LastName: u.LastName, Info: u.Info, Notes: u.Notes, Tags: u.Tags, Properties: u.Properties,
		Email: u.Email, Phone: u.Phone, State: u.State,
		ValidFrom: u.ValidFrom, ValidTo: u.ValidTo, Locks: u.Locks,
		TimeProfiles: u.TimeProfiles, Apartments: u.Apartments, AuthFactors: u.AuthFactors,
		CustomAccess: u.CustomAccess, Security: u.Security, ExtendedOpen: u.ExtendedOpen,
		CreatedAt: nanos(u.CreatedAt), CreatedBy: u.CreatedBy,
		UpdatedAt: updated(u.CreatedAt, u.UpdatedAt), UpdatedBy: omitDefault(u.UpdatedBy, u.CreatedBy),
	})
}

func decodeUserJSON(uid uint64, data []byte) (User, error) {
	var r userRec
	if err := json.Unmarshal(data, &r); err != nil {
		return User{}, err
	}
	created := fromNanos(r.CreatedAt)
	return User{
		ID: r.ID, UID: uid, ExtID: orDefault(r.ExtID, r.ID), Name: r.Name, FirstName: r.FirstName,
		LastName: r.LastName, Info: r.Info, Notes: r.Notes, Tags: r.Tags, Properties: r.Properties,
		Email: r.Email, Phone: r.Phone, State: orDefault(r.State, StateDisabled),
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Locks: r.Locks,
		TimeProfiles: r.TimeProfiles, Apartments: r.Apartments, AuthFactors: r.AuthFactors,
		CustomAccess: r.CustomAccess, Security: r.Security, ExtendedOpen: r.ExtendedOpen,
		CreatedAt: created, CreatedBy: r.CreatedBy,
		UpdatedAt: orDefault(fromNanos(r.UpdatedAt), created), UpdatedBy: orDefault(r.UpdatedBy, r.CreatedBy),
	}, nil
}

func encodeCredentialJSON(c *Credential) ([]byte, error) {
	return json.Marshal(credRec{
		UserUID: c.UserUID, Type: c.Type, Value: c.Value, Format: c.Format, Spelling: c.Spelling, Owner: omitDefault(c.Owner, OwnerOwner),
		OwnerName: c.OwnerName, Locks: c.Locks, ValidFrom: c.ValidFrom,
		ValidTo: c.ValidTo, MaxPasses: c.MaxPasses, PassesLeft: c.PassesLeft, TimeProfiles: c.TimeProfiles,
		Apartment: c.Apartment, CreatedAt: nanos(c.CreatedAt), UpdatedAt: updated(c.CreatedAt, c.UpdatedAt),
	})
}

func decodeCredentialJSON(id uint64, data []byte) (Credential, error) {
	var r credRec
	if err := json.Unmarshal(data, &r); err != nil {
		return Credential{}, err
	}
	created := fromNanos(r.CreatedAt)
	return Credential{
		ID: id, UserUID: r.UserUID, Type: r.Type, Value: r.Value, Format: r.Format, Spelling: r.Spelling, Owner: orDefault(r.Owner, OwnerOwner),
		OwnerName: r.OwnerName, Locks: r.Locks, ValidFrom: r.ValidFrom,
		ValidTo: r.ValidTo, MaxPasses: r.MaxPasses, PassesLeft: r.PassesLeft, TimeProfiles: r.TimeProfiles,
		Apartment: r.Apartment, CreatedAt: created, UpdatedAt: orDefault(fromNanos(r.UpdatedAt), created),
	}, nil
}

// encode is a record's stored form.
func encode(v any) ([]byte, error) {
	switch r := v.(type) {
	case *User:
		return encodeUser(r)
	case *Credential:
		return encodeCredential(r)
	}
	return json.Marshal(v)
}

// decode reads a record stored under key k.
func decode[T any](k, data []byte) (T, error) {
	var v T
	var err error
	switch p := any(&v).(type) {
	case *User:
		uid, _ := keys.ParseU64(k)
		*p, err = decodeUser(uid, data)
	case *Credential:
		id, _ := keys.ParseU64(k)
		*p, err = decodeCredential(id, data)
	default:
		err = json.Unmarshal(data, &v)
	}
	if err != nil {
		return v, fmt.Errorf("corrupt record [%x]: %w", k, err)
	}
	return v, nil
}
