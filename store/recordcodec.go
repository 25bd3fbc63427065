package store

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
)

// The binary stored form of users and credentials (record codec 1),
// written since schema 4. It halves the compact JSON of codec.go: a
// doordgen user 180 → ~80 bytes, a credential 60 → ~25, ~250 MB of a
// 1M-user file (BENCHMARKS.md "Stored size"), and it is read without a
// JSON scanner. Records written before (JSON, first byte '{') are still
// read: both decoders, and the start-up scanners, look at the first byte.
//
//	byte  recCodecV1
//	then fields, each a tag byte field<<3|kind and the kind's payload:
//	  recFlag    nothing (a true bool)
//	  recUvarint uvarint
//	  recBytes   uvarint length, bytes (a string; a time's MarshalBinary)
//	  recWord    uvarint index of recWords (a string held by its index)
//	  recFixed64 8 bytes little-endian (a UTC stamp in Unix nanoseconds)
//	  recUUID    16 bytes: a string that is a uuid in its canonical form
//
// A list is its field repeated, a map its key and value fields in turn
// (keys sorted). What codec.go leaves out is left out here too (defaults,
// the record's key), and absence means the same (a user without a state
// is disabled, a record without locks opens nothing). A field or kind the
// decoder does not know is a corrupt record, not skipped: a record that
// grants access must be read in full or not at all.
const recCodecV1 = 1

const (
	recFlag = iota
	recUvarint
	recBytes
	recWord
	recFixed64
	recUUID
)

// recWords are the strings written as their index. Stored records hold
// the indexes: only ever append to this list.
var recWords = [...]string{
	string(StateActive), string(StateDisabled), string(StateArchived),
	string(LocksBoth), string(LocksFirst), string(LocksSecond),
	string(OwnerOwner), string(OwnerGuest),
	string(CredCard), string(CredPIN), string(CredQR), string(CredLicensePlate), string(CredUKey), string(CredFaceID),
	"h10301", "34bit", "c1000", "h10304",
}

var recWordIndex = func() map[string]uint64 {
	m := make(map[string]uint64, len(recWords))
	for i, w := range recWords {
		m[w] = uint64(i)
	}
	return m
}()

var errRecordCodec = errors.New("malformed binary record")

// User fields.
const (
	ufID = iota + 1
	ufExtID
	ufName
	ufFirstName
	ufLastName
	ufInfo
	ufNotes
	ufTag
	ufPropKey
	ufPropValue
	ufEmail
	ufPhone
	ufState
	ufValidFrom
	ufValidTo
	ufLocks
	ufTimeProfile
	ufApartment
	ufAuthFactor
	ufCustomAccess
	ufSecurity
	ufExtendedOpen
	ufCreatedAt
	ufCreatedBy
	ufUpdatedAt
	ufUpdatedBy
	ufNameJoined // flag: Name is FirstName + " " + LastName, not written
)

// Credential fields.
const (
	cfUserUID = iota + 1
	cfType
	cfValue
	cfFormat
	cfSpelling
	cfOwner
	cfOwnerName
	cfLocks
	cfValidFrom
	cfValidTo
	cfMaxPasses
	cfPassesLeft
	cfTimeProfile
	cfApartment
	cfCreatedAt
	cfUpdatedAt
)

type recWriter struct{ b []byte }

func (w *recWriter) tag(f, kind byte) { w.b = append(w.b, f<<3|kind) }

func (w *recWriter) flag(f byte, v bool) {
	if v {
		w.tag(f, recFlag)
	}
}

func (w *recWriter) uvarint(f byte, v uint64) {
	if v != 0 {
		w.tag(f, recUvarint)
		w.b = binary.AppendUvarint(w.b, v)
	}
}

func (w *recWriter) fixed(f byte, v int64) {
	if v != 0 {
		w.tag(f, recFixed64)
		w.b = binary.LittleEndian.AppendUint64(w.b, uint64(v))
	}
}

// str writes a non-empty s as a word, a uuid or its bytes.
func (w *recWriter) str(f byte, s string) {
	if s == "" {
		return
	}
	if i, ok := recWordIndex[s]; ok {
		w.tag(f, recWord)
		w.b = binary.AppendUvarint(w.b, i)
		return
	}
	if len(s) == 36 {
		if id, err := uuid.Parse(s); err == nil && id.String() == s {
			w.tag(f, recUUID)
			w.b = append(w.b, id[:]...)
			return
		}
	}
	w.bytes(f, s)
}

func (w *recWriter) bytes(f byte, s string) {
	w.tag(f, recBytes)
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *recWriter) time(f byte, t *time.Time) error {
	if t == nil {
		return nil
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	w.bytes(f, string(b))
	return nil
}

func encodeUserBinary(u *User) ([]byte, error) {
	w := recWriter{b: make([]byte, 0, 64+len(u.Name)+len(u.Email)+len(u.Info)+len(u.Notes))}
	w.b = append(w.b, recCodecV1)
	w.str(ufID, u.ID)
	w.str(ufExtID, omitDefault(u.ExtID, u.ID))
	joined := u.FirstName != "" && u.LastName != "" && u.Name == u.FirstName+" "+u.LastName
	if !joined {
		w.str(ufName, u.Name)
	}
	w.str(ufFirstName, u.FirstName)
	w.str(ufLastName, u.LastName)
	w.flag(ufNameJoined, joined)
	w.str(ufInfo, u.Info)
	w.str(ufNotes, u.Notes)
	for _, t := range u.Tags {
		w.tag(ufTag, recBytes) // an empty tag is still a tag
		w.b = binary.AppendUvarint(w.b, uint64(len(t)))
		w.b = append(w.b, t...)
	}
	for _, k := range slices.Sorted(maps.Keys(u.Properties)) {
		w.bytes(ufPropKey, k)
		w.bytes(ufPropValue, u.Properties[k])
	}
	w.str(ufEmail, u.Email)
	w.str(ufPhone, u.Phone)
	w.str(ufState, string(u.State))
	if err := w.time(ufValidFrom, u.ValidFrom); err != nil {
		return nil, err
	}
	if err := w.time(ufValidTo, u.ValidTo); err != nil {
		return nil, err
	}
	w.str(ufLocks, string(u.Locks))
	for _, v := range u.TimeProfiles {
		w.tag(ufTimeProfile, recUvarint)
		w.b = binary.AppendUvarint(w.b, v)
	}
	for _, v := range u.Apartments {
		w.tag(ufApartment, recUvarint)
		w.b = binary.AppendUvarint(w.b, v)
	}
	for _, a := range u.AuthFactors {
		w.tag(ufAuthFactor, recBytes)
		w.b = binary.AppendUvarint(w.b, uint64(len(a)))
		w.b = append(w.b, a...)
	}
	w.flag(ufCustomAccess, u.CustomAccess)
	w.flag(ufSecurity, u.Security)
	w.flag(ufExtendedOpen, u.ExtendedOpen)
	w.fixed(ufCreatedAt, nanos(u.CreatedAt))
	w.str(ufCreatedBy, u.CreatedBy)
	w.fixed(ufUpdatedAt, updated(u.CreatedAt, u.UpdatedAt))
	w.str(ufUpdatedBy, omitDefault(u.UpdatedBy, u.CreatedBy))
	return w.b, nil
}

func encodeCredentialBinary(c *Credential) ([]byte, error) {
	w := recWriter{b: make([]byte, 0, 32+len(c.Value)+len(c.OwnerName))}
	w.b = append(w.b, recCodecV1)
	w.uvarint(cfUserUID, c.UserUID)
	w.str(cfType, string(c.Type))
	if c.Value != "" {
		w.bytes(cfValue, c.Value) // never a word: a PIN "1" is a value
	}
	w.str(cfFormat, c.Format)
	w.str(cfSpelling, c.Spelling)
	w.str(cfOwner, string(omitDefault(c.Owner, OwnerOwner)))
	w.str(cfOwnerName, c.OwnerName)
	w.str(cfLocks, string(c.Locks))
	if err := w.time(cfValidFrom, c.ValidFrom); err != nil {
		return nil, err
	}
	if err := w.time(cfValidTo, c.ValidTo); err != nil {
		return nil, err
	}
	w.uvarint(cfMaxPasses, uint64(c.MaxPasses))
	w.uvarint(cfPassesLeft, uint64(c.PassesLeft))
	for _, v := range c.TimeProfiles {
		w.tag(cfTimeProfile, recUvarint)
		w.b = binary.AppendUvarint(w.b, v)
	}
	w.uvarint(cfApartment, c.Apartment)
	w.fixed(cfCreatedAt, nanos(c.CreatedAt))
	w.fixed(cfUpdatedAt, updated(c.CreatedAt, c.UpdatedAt))
	return w.b, nil
}

// recField is one field as walkRecord hands it over: u is a uvarint's or
// fixed64's value or a word's index, b a bytes or uuid payload (a view
// into the record).
type recField struct {
	f, kind byte
	u       uint64
	b       []byte
}

// str is the field's string; words and uuids allocate nothing twice
// (a word is the table's own string).
func (r *recField) str() string {
	switch r.kind {
	case recWord:
		return recWords[r.u]
	case recUUID:
		return uuid.UUID(r.b).String()
	}
	return string(r.b)
}

// isStr says the field holds a string.
func (r *recField) isStr() bool {
	return r.kind == recBytes || r.kind == recWord || r.kind == recUUID
}

// walkRecord hands each field of a binary record to fn in order; false
// from fn, a truncated field or an unknown kind or word fails the walk.
// The field goes by value: a pointer handed to a function value escapes,
// and made the walk allocate once per record (3M times at a 1M-user
// start, 144 MB of garbage).
func walkRecord(data []byte, fn func(r recField) bool) bool {
	if len(data) == 0 || data[0] != recCodecV1 {
		return false
	}
	var r recField
	for i := 1; i < len(data); {
		t := data[i]
		i++
		r = recField{f: t >> 3, kind: t & 7}
		switch r.kind {
		case recFlag:
		case recUvarint, recWord:
			v, n := binary.Uvarint(data[i:])
			if n <= 0 {
				return false
			}
			i += n
			r.u = v
			if r.kind == recWord && v >= uint64(len(recWords)) {
				return false
			}
		case recBytes:
			l, n := binary.Uvarint(data[i:])
			if n <= 0 || l > uint64(len(data)-i-n) {
				return false
			}
			i += n
			r.b = data[i : i+int(l)]
			i += int(l)
		case recFixed64:
			if len(data)-i < 8 {
				return false
			}
			r.u = binary.LittleEndian.Uint64(data[i:])
			i += 8
		case recUUID:
			if len(data)-i < 16 {
				return false
			}
			r.b = data[i : i+16]
			i += 16
		default:
			return false
		}
		if !fn(r) {
			return false
		}
	}
	return true
}

// recTime reads a time field (MarshalBinary form) into *dst.
func recTime(r *recField, dst **time.Time) bool {
	if r.kind != recBytes {
		return false
	}
	var t time.Time
	if t.UnmarshalBinary(r.b) != nil {
		return false
	}
	*dst = &t
	return true
}

// recTimeValue is recTime for a plain time value.
func recTimeValue(r *recField, dst *time.Time) bool {
	return r.kind == recBytes && dst.UnmarshalBinary(r.b) == nil
}

// recU32 reads a uvarint field that must fit 32 bits.
func recU32(r *recField, dst *uint32) bool {
	*dst = uint32(r.u)
	return r.kind == recUvarint && r.u <= 1<<32-1
}

// recSet reads a string field into *dst.
func recSet[S ~string](r *recField, dst *S) bool {
	*dst = S(r.str())
	return r.isStr()
}

func decodeUserBinary(uid uint64, data []byte) (User, error) {
	u := User{UID: uid}
	var joined bool
	var prop string
	var hasProp bool
	ok := walkRecord(data, func(r recField) bool {
		switch r.f {
		case ufID:
			return recSet(&r, &u.ID)
		case ufExtID:
			return recSet(&r, &u.ExtID)
		case ufName:
			return recSet(&r, &u.Name)
		case ufFirstName:
			return recSet(&r, &u.FirstName)
		case ufLastName:
			return recSet(&r, &u.LastName)
		case ufNameJoined:
			joined = true
			return r.kind == recFlag
		case ufInfo:
			return recSet(&r, &u.Info)
		case ufNotes:
			return recSet(&r, &u.Notes)
		case ufTag:
			u.Tags = append(u.Tags, r.str())
			return r.isStr()
		case ufPropKey:
			prop, hasProp = r.str(), true
			return r.isStr()
		case ufPropValue:
			if !hasProp || !r.isStr() {
				return false
			}
			if u.Properties == nil {
				u.Properties = map[string]string{}
			}
			u.Properties[prop] = r.str()
			hasProp = false
			return true
		case ufEmail:
			return recSet(&r, &u.Email)
		case ufPhone:
			return recSet(&r, &u.Phone)
		case ufState:
			return recSet(&r, &u.State)
		case ufValidFrom:
			return recTime(&r, &u.ValidFrom)
		case ufValidTo:
			return recTime(&r, &u.ValidTo)
		case ufLocks:
			return recSet(&r, &u.Locks)
		case ufTimeProfile:
			u.TimeProfiles = append(u.TimeProfiles, r.u)
			return r.kind == recUvarint
		case ufApartment:
			u.Apartments = append(u.Apartments, r.u)
			return r.kind == recUvarint
		case ufAuthFactor:
			u.AuthFactors = append(u.AuthFactors, r.str())
			return r.isStr()
		case ufCustomAccess:
			u.CustomAccess = true
			return r.kind == recFlag
		case ufSecurity:
			u.Security = true
			return r.kind == recFlag
		case ufExtendedOpen:
			u.ExtendedOpen = true
			return r.kind == recFlag
		case ufCreatedAt:
			u.CreatedAt = fromNanos(int64(r.u))
			return r.kind == recFixed64
		case ufCreatedBy:
			return recSet(&r, &u.CreatedBy)
		case ufUpdatedAt:
			u.UpdatedAt = fromNanos(int64(r.u))
			return r.kind == recFixed64
		case ufUpdatedBy:
			return recSet(&r, &u.UpdatedBy)
		}
		return false
	})
	if !ok || hasProp {
		return User{}, errRecordCodec
	}
	if joined {
		u.Name = u.FirstName + " " + u.LastName
	}
	u.ExtID = orDefault(u.ExtID, u.ID)
	u.State = orDefault(u.State, StateDisabled)
	u.UpdatedAt = orDefault(u.UpdatedAt, u.CreatedAt)
	u.UpdatedBy = orDefault(u.UpdatedBy, u.CreatedBy)
	return u, nil
}

func decodeCredentialBinary(id uint64, data []byte) (Credential, error) {
	c := Credential{ID: id}
	ok := walkRecord(data, func(r recField) bool {
		switch r.f {
		case cfUserUID:
			c.UserUID = r.u
			return r.kind == recUvarint
		case cfType:
			return recSet(&r, &c.Type)
		case cfValue:
			return recSet(&r, &c.Value)
		case cfFormat:
			return recSet(&r, &c.Format)
		case cfSpelling:
			return recSet(&r, &c.Spelling)
		case cfOwner:
			return recSet(&r, &c.Owner)
		case cfOwnerName:
			return recSet(&r, &c.OwnerName)
		case cfLocks:
			return recSet(&r, &c.Locks)
		case cfValidFrom:
			return recTime(&r, &c.ValidFrom)
		case cfValidTo:
			return recTime(&r, &c.ValidTo)
		case cfMaxPasses:
			return recU32(&r, &c.MaxPasses)
		case cfPassesLeft:
			return recU32(&r, &c.PassesLeft)
		case cfTimeProfile:
			c.TimeProfiles = append(c.TimeProfiles, r.u)
			return r.kind == recUvarint
		case cfApartment:
			c.Apartment = r.u
			return r.kind == recUvarint
		case cfCreatedAt:
			c.CreatedAt = fromNanos(int64(r.u))
			return r.kind == recFixed64
		case cfUpdatedAt:
			c.UpdatedAt = fromNanos(int64(r.u))
			return r.kind == recFixed64
		}
		return false
	})
	if !ok {
		return Credential{}, errRecordCodec
	}
	c.Owner = orDefault(c.Owner, OwnerOwner)
	c.UpdatedAt = orDefault(c.UpdatedAt, c.CreatedAt)
	return c, nil
}

// scanUserBinary, scanCredentialBinary, scanListUserBinary and
// scanListCredentialBinary are access.go's and listscan.go's scanners for
// binary records: the same fields, nothing else built.
func scanUserBinary(data []byte, u *AccessUser) bool {
	u.State, u.Locks = StateDisabled, ""
	return walkRecord(data, func(r recField) bool {
		switch r.f {
		case ufState:
			ok := recSet(&r, &u.State)
			u.State = orDefault(u.State, StateDisabled)
			return ok
		case ufLocks:
			return recSet(&r, &u.Locks)
		case ufValidFrom:
			return recTimeValue(&r, &u.ValidFrom)
		case ufValidTo:
			return recTimeValue(&r, &u.ValidTo)
		case ufTimeProfile:
			u.TimeProfiles = append(u.TimeProfiles, r.u)
			return r.kind == recUvarint
		case ufAuthFactor:
			u.AuthFactors = append(u.AuthFactors, r.str())
			return r.isStr()
		case ufCustomAccess:
			u.CustomAccess = true
			return r.kind == recFlag
		case ufSecurity:
			u.Security = true
			return r.kind == recFlag
		case ufExtendedOpen:
			u.ExtendedOpen = true
			return r.kind == recFlag
		case 0:
			return false
		}
		return r.f <= ufNameJoined
	})
}

func scanCredentialBinary(data []byte, c *AccessCredential) bool {
	c.Locks = ""
	return walkRecord(data, func(r recField) bool {
		switch r.f {
		case cfUserUID:
			c.UserUID = r.u
			return r.kind == recUvarint
		case cfType:
			return recSet(&r, &c.Type)
		case cfValue:
			return recSet(&r, &c.Value)
		case cfFormat:
			return recSet(&r, &c.Format)
		case cfLocks:
			return recSet(&r, &c.Locks)
		case cfValidFrom:
			return recTimeValue(&r, &c.ValidFrom)
		case cfValidTo:
			return recTimeValue(&r, &c.ValidTo)
		case cfMaxPasses:
			return recU32(&r, &c.MaxPasses)
		case cfPassesLeft:
			return recU32(&r, &c.PassesLeft)
		case cfTimeProfile:
			c.TimeProfiles = append(c.TimeProfiles, r.u)
			return r.kind == recUvarint
		case 0:
			return false
		}
		return r.f <= cfUpdatedAt
	})
}

func scanListUserBinary(data []byte, u *ListUser) bool {
	u.State = StateDisabled
	var joined bool
	ok := walkRecord(data, func(r recField) bool {
		switch r.f {
		case ufName:
			return recSet(&r, &u.Name)
		case ufInfo:
			return recSet(&r, &u.Info)
		case ufFirstName:
			return recSet(&r, &u.FirstName)
		case ufLastName:
			return recSet(&r, &u.LastName)
		case ufNameJoined:
			joined = true
			return r.kind == recFlag
		case ufEmail:
			return recSet(&r, &u.Email)
		case ufPhone:
			return recSet(&r, &u.Phone)
		case ufExtID:
			return recSet(&r, &u.ExtID)
		case ufState:
			ok := recSet(&r, &u.State)
			u.State = orDefault(u.State, StateDisabled)
			return ok
		case ufLocks:
			return recSet(&r, &u.Locks)
		case ufCustomAccess:
			u.CustomAccess = true
			return r.kind == recFlag
		case 0:
			return false
		}
		return r.f <= ufNameJoined
	})
	if joined {
		u.Name = u.FirstName + " " + u.LastName
	}
	return ok
}

func scanListCredentialBinary(data []byte, c *ListCredential) bool {
	c.Owner = OwnerOwner
	return walkRecord(data, func(r recField) bool {
		switch r.f {
		case cfUserUID:
			c.UserUID = r.u
			return r.kind == recUvarint
		case cfType:
			return recSet(&r, &c.Type)
		case cfValue:
			return recSet(&r, &c.Value)
		case cfOwner:
			ok := recSet(&r, &c.Owner)
			c.Owner = orDefault(c.Owner, OwnerOwner)
			return ok
		case cfOwnerName:
			return recSet(&r, &c.OwnerName)
		case cfLocks:
			return recSet(&r, &c.Locks)
		case 0:
			return false
		}
		return r.f <= cfUpdatedAt
	})
}
