package basip

// Identifier numbers as clients wrote them. BAS-IP clients compare
// identifier_number (and identifier_owner.name) byte for byte with what
// they sent: SmartYard-Server (server/hw/ip/domophone/basip/Basip.php,
// getUidByIdentifierNumber) sends a card as dash-separated hex pairs
// ("00-00-00-1A-2B-3C-4D") and looks it up by that string; a number shown
// in another form is a card it re-adds on every run and never deletes.
// So the credential keeps the spelling it was given (store
// Credential.Spelling) beside the canonical value the reader matches,
// answers show the spelling, and a filter on identifier_number compares
// the canonical value of what it was given.

import (
	"bytes"
	"encoding/json"

	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
)

// spellingOf is the spelling to keep for a number raw of type t whose
// canonical value is v: "" when it is v, for a PIN (its digits are its
// only form), or for a facility/card object.
func spellingOf(t store.CredentialType, raw json.RawMessage, v string) string {
	raw = bytes.TrimSpace(raw)
	if t == store.CredPIN || len(raw) == 0 || raw[0] == '{' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw) // a JSON number: its digits as written
	}
	if s == v {
		return ""
	}
	return s
}

// shownNumber is identifier_number as role sees c: its spelling, unless
// role sees the value masked (core.ShownValue).
func shownNumber(c *store.Credential, role store.Role) string {
	shown := core.ShownValue(c.Type, c.Value, role)
	if shown != c.Value || c.Spelling == "" {
		return shown
	}
	return c.Spelling
}

// numberForms rewrites each `identifier_number eq|nq V` of x to compare
// V's canonical value as a card number when it is one (the list index
// holds canonical values): "439041101", "00-00-00-1A-2B-3C-4D" and
// "1A:2B:3C:4D" find the same card. canon gives V's canonical card value,
// "" when V is none.
func numberForms(x *filterExpr, canon func(string) string) {
	var walk func(n *fnode)
	walk = func(n *fnode) {
		if n == nil {
			return
		}
		if n.kind != nCmp {
			walk(n.l)
			walk(n.r)
			return
		}
		if n.field == "identifier_number" && n.val.kind == fText && (n.op == opEq || n.op == opNq) {
			if c := canon(n.val.s); c != "" {
				n.val = ftext(c)
			}
		}
	}
	walk(x.root)
}

// canonicalCard is v's canonical value as a card number, "" if it is not
// one.
func (s *Dialect) canonicalCard(v string) string {
	if s.deps.CredentialValue == nil {
		return "" // a dialect built for a list test only
	}
	raw, _ := json.Marshal(v)
	c, _, _, problem := s.deps.CredentialValue(store.CredCard, raw)
	if problem != "" {
		return ""
	}
	return c
}
