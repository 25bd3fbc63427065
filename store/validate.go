package store

import (
	"maps"
	"slices"
	"time"
)

// MaxKeyLen bounds every string the store indexes (name, ext_id, tag,
// credential value, username, setting key). bbolt refuses keys over 32 KiB
// and long keys bloat branch pages; no real value comes near this.
const MaxKeyLen = 1024

func checkLen(field, v string) error {
	if len(v) > MaxKeyLen {
		return &InvalidError{Field: field, Reason: "longer than 1024 bytes"}
	}
	return nil
}

func validState(s UserState) bool {
	return s == StateActive || s == StateDisabled || s == StateArchived
}

func validLocks(l Locks) bool { return l == LocksBoth || l == LocksFirst || l == LocksSecond }

func validCredType(t CredentialType) bool {
	switch t {
	case CredCard, CredPIN, CredQR, CredLicensePlate, CredUKey, CredFaceID:
		return true
	}
	return false
}

// dedupe keeps the first of each value, in order: a list like [3, 3] would
// otherwise yield two identical index keys for one record.
func dedupe[T comparable](xs []T) []T {
	if len(xs) < 2 {
		return xs
	}
	seen := make(map[T]bool, len(xs))
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// Clones keep callers, the store and OnChange receivers from sharing
// slices and maps: a change record handed to the in-memory index must not
// change when an HTTP handler later edits its own copy.

func cloneUser(u *User) User {
	c := *u
	c.Tags = slices.Clone(u.Tags)
	c.Properties = maps.Clone(u.Properties)
	c.TimeProfiles = slices.Clone(u.TimeProfiles)
	c.Apartments = slices.Clone(u.Apartments)
	c.AuthFactors = slices.Clone(u.AuthFactors)
	c.ValidFrom = cloneTime(u.ValidFrom)
	c.ValidTo = cloneTime(u.ValidTo)
	c.DoorRights = maps.Clone(u.DoorRights)
	return c
}

func cloneCredential(x *Credential) Credential {
	c := *x
	c.TimeProfiles = slices.Clone(x.TimeProfiles)
	c.ValidFrom = cloneTime(x.ValidFrom)
	c.ValidTo = cloneTime(x.ValidTo)
	return c
}

func cloneTimeProfile(p *TimeProfile) TimeProfile {
	c := *p
	c.Intervals = make([]Interval, len(p.Intervals))
	for i, iv := range p.Intervals {
		c.Intervals[i] = iv
		c.Intervals[i].Days = slices.Clone(iv.Days)
		c.Intervals[i].MonthDays = slices.Clone(iv.MonthDays)
		c.Intervals[i].Months = slices.Clone(iv.Months)
	}
	if p.Intervals == nil {
		c.Intervals = nil
	}
	c.Holidays = slices.Clone(p.Holidays)
	return c
}

func cloneOperator(o *Operator) Operator {
	c := *o
	c.LockStart = cloneTime(o.LockStart)
	c.LastSuccess = cloneTime(o.LastSuccess)
	c.LastFailure = cloneTime(o.LastFailure)
	return c
}

// checkSpelling: a PIN has no spelling (its digits are its only form, and
// a secret kept out of every other field); a spelling is as long as a
// value may be.
func checkSpelling(c *Credential) error {
	if c.Spelling == "" {
		return nil
	}
	if c.Type == CredPIN {
		return &InvalidError{Field: "spelling", Reason: "a PIN has no spelling"}
	}
	if c.Spelling == c.Value {
		c.Spelling = ""
		return nil
	}
	return checkLen("spelling", c.Spelling)
}
