package httpapi

import (
	"encoding/json"

	"github.com/doord/doord/store"
)

// What each role reads of a credential's value, in every view of both
// dialects (native credentials, BAS-IP identifiers and the identifiers
// inside a BAS-IP user). A PIN is a shared secret that the person keys in
// at the door: no one reads it back, whatever their role; it shows as
// "••••" (and has_value in the native view), and only a backup carries
// it. A card number is printed on the card and needed to find one, so
// operators and admins see it; viewers (read-only accounts, dashboards)
// see it masked as the event log shows it.

// shownValue is credential value v of type t as role sees it.
func shownValue(t store.CredentialType, v string, role store.Role) string {
	if t == store.CredPIN || role != store.RoleAdmin && role != store.RoleOperator {
		return store.MaskCredential(string(t), v)
	}
	return v
}

// keepsValue reports whether raw, the value a write sent, is the masked
// form a GET of c shows (to any role): a GET → PATCH round trip sends it
// back, and it must leave the value as it is rather than be taken as a
// new one.
func keepsValue(raw json.RawMessage, c *store.Credential) bool {
	var s string
	if c.Value == "" || json.Unmarshal(raw, &s) != nil {
		return false
	}
	return s != c.Value && s == store.MaskCredential(string(c.Type), c.Value)
}
