package core

import (
	"encoding/json"
	"strconv"

	"github.com/doord/doord/store"
)

// Limits both dialects apply to the same fields. They follow BAS-IP where
// it has one (name ≤ 100, info ≤ 255) so that a record written through
// either API fits the other.
const (
	MaxName      = 100
	MaxInfo      = 255
	MaxRefs      = 64   // time profiles or apartments one record refers to
	MaxListLimit = 1000 // items one page may carry
)

// EditIDs returns ids with id added (add) or removed, without repeats; nil
// when none is left.
func EditIDs(ids []uint64, id uint64, add bool) []uint64 {
	out := make([]uint64, 0, len(ids)+1)
	for _, v := range ids {
		if v != id {
			out = append(out, v)
		}
	}
	if add {
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// What each role reads of a credential's value, in every view of both
// dialects (native credentials, BAS-IP identifiers and the identifiers
// inside a BAS-IP user). A PIN is a shared secret that the person keys in
// at the door: no one reads it back, whatever their role; it shows as
// "••••" (and has_value in the native view), and only a backup carries
// it. A card number is printed on the card and needed to find one, so
// operators and admins see it; viewers (read-only accounts, dashboards)
// see it masked as the event log shows it.

// ShownValue is credential value v of type t as role sees it.
func ShownValue(t store.CredentialType, v string, role store.Role) string {
	if t == store.CredPIN || role != store.RoleAdmin && role != store.RoleOperator {
		return store.MaskCredential(string(t), v)
	}
	return v
}

// KeepsValue reports whether raw, the value a write sent, is the masked
// form a GET of c shows (to any role): a GET → PATCH round trip sends it
// back, and it must leave the value as it is rather than be taken as a
// new one.
func KeepsValue(raw json.RawMessage, c *store.Credential) bool {
	var s string
	if c.Value == "" || json.Unmarshal(raw, &s) != nil {
		return false
	}
	return s != c.Value && s == store.MaskCredential(string(c.Type), c.Value)
}

// ParseClock reads "HH:MM" (00:00–24:00) into minutes after midnight.
func ParseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// ValidEventType reports whether t is an event type's syntax: 1 to 64 of
// a-z, 0-9 and _.
func ValidEventType(t string) bool {
	if t == "" || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
