package httpapi

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/store"
)

const maxCredValue = 256

var credTypes = map[store.CredentialType]bool{
	store.CredCard: true, store.CredPIN: true, store.CredQR: true,
	store.CredLicensePlate: true, store.CredUKey: true, store.CredFaceID: true,
}

// cardFmt is a card format as a request gave it: given says the body had
// a "format" (null or "" given means no format: a plain number).
type cardFmt struct {
	name  string // canonical (store.CardFormat name), "" for none
	given bool
	ok    bool
}

// formatField reads o's "format": a format name or alias (h10301 or 26,
// 34bit or 34, c1000 or 35, h10304 or 37) as its canonical name.
func formatField(o *object) cardFmt {
	s, present, ok := field[string](o, "format", "must be a string: a card format, or null for a plain number")
	switch {
	case !present:
		return cardFmt{ok: true}
	case !ok:
		return cardFmt{given: true}
	case strings.TrimSpace(s) == "":
		return cardFmt{given: true, ok: true}
	}
	cf, found := access.LookupCardFormat(s)
	if !found {
		o.fail("format", "must be one of h10301, 34bit, c1000, h10304 (or 26, 34, 35, 37), or null for a plain number")
		return cardFmt{given: true}
	}
	return cardFmt{name: cf.Name, given: true, ok: true}
}

// cardValue reads a card number in every form the API accepts: a decimal or
// hex string, a JSON number, or a facility/card pair (in "value" or at the
// top level), and returns the canonical value so that a card typed in any
// form matches the same card read at a reader. A facility/card pair is
// read in its "format", else in layout (the card's own format on PATCH),
// else as H10301; the format it names, if any, is returned.
func cardValue(o *object, field, layout string) (string, cardFmt, bool) {
	if r, ok := o.raw(field); ok {
		var s string
		if json.Unmarshal(r, &s) == nil {
			v, err := access.ParseCardNumber(s)
			if err != nil {
				o.fail(field, err.Error())
				return "", cardFmt{}, false
			}
			return access.FormatCard(v), cardFmt{ok: true}, true
		}
		var n json.Number
		if json.Unmarshal(r, &n) == nil {
			v, err := access.ParseCardNumber(n.String())
			if err != nil {
				o.fail(field, err.Error())
				return "", cardFmt{}, false
			}
			return access.FormatCard(v), cardFmt{ok: true}, true
		}
		sub, ok := o.sub(field, r)
		if !ok {
			return "", cardFmt{}, false
		}
		v, f, ok := facilityCard(sub, layout, true)
		o.errs = append(o.errs, sub.errs...)
		return v, f, ok
	}
	if o.has("facility") || o.has("card") {
		return facilityCard(o, layout, false) // the caller reads the top-level format
	}
	o.fail(field, "is required: a card number (decimal, 0x-hex or AA:BB:CC) or {\"facility\": F, \"card\": N}")
	return "", cardFmt{}, false
}

func facilityCard(o *object, layout string, readFormat bool) (string, cardFmt, bool) {
	var fac, card uint64
	okF := o.uint("facility", &fac, 1<<32)
	okC := o.uint("card", &card, 1<<32)
	f := cardFmt{ok: true}
	if readFormat {
		f = formatField(o)
	}
	if !okF {
		o.fail("facility", "is required with card")
	}
	if !okC {
		o.fail("card", "is required with facility")
	}
	if !okF || !okC || !f.ok {
		return "", f, false
	}
	if f.given {
		layout = f.name
	}
	v, err := access.CardFromFacility(layout, fac, card)
	if err != nil {
		o.fail("facility", err.Error())
		return "", f, false
	}
	return access.FormatCard(v), f, true
}

// credentialValue validates and normalizes the value for its type; for a
// card also the format a facility/card pair named (layout: see cardValue).
func credentialValue(o *object, t store.CredentialType, layout string) (string, cardFmt, bool) {
	switch t {
	case store.CredCard, store.CredUKey:
		return cardValue(o, "value", layout)
	case store.CredPIN:
		var s string
		r, ok := o.raw("value")
		if !ok {
			o.fail("value", "is required: 4 to 12 digits")
			return "", cardFmt{}, false
		}
		if json.Unmarshal(r, &s) != nil {
			// A number would lose leading zeros: "0042" is not 42.
			o.fail("value", "must be a string of 4 to 12 digits (a number would lose leading zeros)")
			return "", cardFmt{}, false
		}
		pin, err := access.ParsePIN(s)
		if err != nil {
			o.fail("value", err.Error())
			return "", cardFmt{}, false
		}
		return pin, cardFmt{ok: true}, true
	default:
		var s string
		if !o.str("value", &s, maxCredValue) || strings.TrimSpace(s) == "" {
			o.fail("value", "is required")
			return "", cardFmt{}, false
		}
		s = strings.TrimSpace(s)
		if t == store.CredLicensePlate {
			// Plates are read by cameras in capitals, without spaces or dashes.
			s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
		}
		return s, cardFmt{ok: true}, true
	}
}

// applyFormat sets c.Format from the format a card's value object named
// (f) or else the top-level "format" (top): a card entered with a format
// is bound to it; null or "" makes it a plain number; absent leaves it as
// it is. Only cards have one.
func applyFormat(o *object, c *store.Credential, f, top cardFmt) {
	if f.given && top.given && top.ok && f.ok && top.name != f.name {
		o.fail("format", "differs from value.format; give it once")
		return
	}
	if !f.given {
		f = top
	}
	if !f.given || !f.ok {
		return
	}
	if f.name != "" && c.Type != store.CredCard {
		o.fail("format", "only a card has a format")
		return
	}
	c.Format = f.name
}

// checkFormatFit reports a card value that its format cannot carry with
// the format's limits (the store would refuse it too, less helpfully).
func checkFormatFit(o *object, c *store.Credential) {
	if c.Type != store.CredCard || c.Format == "" {
		return
	}
	f, ok := access.LookupCardFormat(c.Format)
	v, err := strconv.ParseUint(c.Value, 10, 64)
	if ok && err == nil && v > f.MaxValue() {
		o.failf("value", "does not fit %s: its payload is %d bits (facility %d + card %d), at most %d", f.Name, f.FacilityBits+f.CardBits, f.FacilityBits, f.CardBits, f.MaxValue())
	}
}

// applyCredential validates o into c. On create the type and value are
// required; on PATCH they are optional.
func applyCredential(o *object, c *store.Credential, create bool) {
	o.readOnly(viewFields[credentialOut]()...)
	var t string
	if o.str("type", &t, 32) {
		if !credTypes[store.CredentialType(t)] {
			o.fail("type", "must be one of card, pin, qr, license_plate, ukey, face_id")
		} else if !create && store.CredentialType(t) != c.Type {
			o.fail("type", "cannot be changed; delete the credential and create a new one")
		} else {
			c.Type = store.CredentialType(t)
		}
	} else if create {
		o.fail("type", "is required")
	}
	// The top-level format first: a facility/card pair is read in it.
	top := formatField(o)
	layout := c.Format
	if top.given && top.ok {
		layout = top.name
	}
	var f cardFmt
	if raw, ok := o.raw("value"); ok && !create && keepsValue(raw, c) {
		// the masked value of a GET: unchanged
	} else if c.Type != "" && (create || o.has("value") || o.has("facility") || o.has("card")) {
		var v string
		var ok bool
		if v, f, ok = credentialValue(o, c.Type, layout); ok {
			c.Value = v
		}
	}
	applyFormat(o, c, f, top)
	checkFormatFit(o, c)
	var owner string
	if o.str("owner", &owner, 16) {
		switch store.Owner(owner) {
		case store.OwnerOwner, store.OwnerGuest:
			c.Owner = store.Owner(owner)
		case "":
			c.Owner = store.OwnerOwner
		default:
			o.fail("owner", "must be owner or guest")
		}
	}
	if c.Owner == "" {
		c.Owner = store.OwnerOwner
	}
	o.str("owner_name", &c.OwnerName, maxName)
	applyLocks(o, "locks", &c.Locks, false)
	if c.Locks == "" {
		c.Locks = store.LocksBoth
	}
	o.timePtr("valid_from", &c.ValidFrom)
	o.timePtr("valid_to", &c.ValidTo)
	if c.ValidFrom != nil && c.ValidTo != nil && !c.ValidFrom.Before(*c.ValidTo) {
		o.fail("valid_to", "must be after valid_from")
	}
	var mp uint64
	if o.uint("max_passes", &mp, 99999) {
		if mp != uint64(c.MaxPasses) {
			c.MaxPasses = uint32(mp)
			c.PassesLeft = uint32(mp) // a new limit starts full, as BAS-IP's reset
		}
	}
	o.ids("time_profiles", &c.TimeProfiles)
	if len(c.TimeProfiles) > maxRefs {
		o.failf("time_profiles", "must have at most %d items", maxRefs)
	}
	o.uint("apartment", &c.Apartment, 1<<53) // null: no apartment
}

// credentialOut shows a credential with the uuid of its user, which is how
// the native API names users; null for a credential without a user.
// Its value is as role may see it (core.ShownValue); has_value says whether
// there is one behind the mask.
type credentialOut struct {
	store.Credential
	UserID   *string `json:"user_id"`
	HasValue bool    `json:"has_value"`
}

func newCredentialOut(c store.Credential, userID string, role store.Role) credentialOut {
	out := credentialOut{Credential: c, HasValue: c.Value != ""}
	if userID != "" {
		out.UserID = &userID
	}
	out.Value = shownValue(c.Type, c.Value, role)
	return out
}

func (s *Server) credOut(c store.Credential, role store.Role) credentialOut {
	var userID string
	if u, err := s.st.GetUserByUID(c.UserUID); err == nil {
		userID = u.ID
	}
	return newCredentialOut(c, userID, role)
}

func (s *Server) createCredential(r *request) error {
	u, err := s.userParam(r)
	if err != nil {
		return err
	}
	if u.State == store.StateArchived {
		return store.ErrArchived
	}
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	c := store.Credential{UserUID: u.UID}
	applyCredential(o, &c, true)
	if err := o.err(); err != nil {
		return err
	}
	if err := s.st.CreateCredential(&c); err != nil {
		return err
	}
	return created(r, credsBasePath+strconv.FormatUint(c.ID, 10), newCredentialOut(c, u.ID, r.op.role))
}

func (s *Server) listUserCredentials(r *request) error {
	u, err := s.userParam(r)
	if err != nil {
		return err
	}
	cs, err := s.st.ListCredentials(u.UID)
	if err != nil {
		return err
	}
	out := make([]credentialOut, len(cs))
	for i, c := range cs {
		out[i] = newCredentialOut(c, u.ID, r.op.role)
	}
	return writeJSON(r.ctx, 200, listOut[credentialOut]{Items: out})
}

func (s *Server) getCredential(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	c, err := s.st.GetCredential(id)
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, s.credOut(c, r.op.role))
}

func (s *Server) patchCredential(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	c, err := s.st.GetCredential(id)
	if err != nil {
		return err
	}
	if c.UserUID != 0 {
		if u, err := s.st.GetUserByUID(c.UserUID); err == nil && u.State == store.StateArchived {
			return store.ErrArchived
		}
	}
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	// user_id moves the credential (null: to no user) in the same commit
	// as the other fields: its id and passes stay (credentials_free.go).
	// A bad user_id is a field error of the edit, which then aborts the
	// move's transaction as a whole.
	to, move := s.credentialUser(o)
	userErrs := slices.Clone(o.errs)
	edit := func(c *store.Credential) error {
		o.errs = append(o.errs[:0], userErrs...)
		applyCredential(o, c, false)
		return o.err()
	}
	if move {
		c, err = s.st.MoveCredential(id, to, edit)
	} else {
		c, err = s.st.UpdateCredential(id, edit)
	}
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, s.credOut(c, r.op.role))
}

func (s *Server) deleteCredential(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.st.DeleteCredential(id); err != nil {
		return err
	}
	return noContent(r)
}

func (s *Server) resetPasses(r *request) error {
	id, err := uintParam(r, "id")
	if err != nil {
		return err
	}
	c, err := s.st.ResetPasses(id)
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, s.credOut(c, r.op.role))
}
