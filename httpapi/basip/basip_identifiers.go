package basip

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/doord/doord/httpapi/core"

	"github.com/doord/doord/store"
	"github.com/doord/doord/store/listing"
)

// BAS-IP identifiers are native credentials. Two things differ:
//
//   - Types: BAS-IP's inputCode (input_code) is the native "pin".
//   - Ownership: a BAS-IP identifier may exist without a user, as a
//     native credential may (UserUID 0; user_uid -1 here): intercom
//     provisioning adds keys with an owner's name and no user, and they
//     open doors on their own fields, as on a panel in its normal access
//     mode (the engine's access.userless_credentials can refuse them,
//     which the log shows as identifiers_without_linkage_to_user_access_denied).
//     Attaching (POST /access/user/{uid}/identifier/{id}) and detaching
//     (DELETE) move it with store.MoveCredential: one commit that keeps
//     its uid, value and passes. A create may name its user at once with
//     "user_uid" (a doord extension).
//
// An identifier's uid is its native credential id.

const basipNoIdent = "Identifier not found"

var basipToCredType = map[string]store.CredentialType{
	"card": store.CredCard, "ukey": store.CredUKey, "inputCode": store.CredPIN, "input_code": store.CredPIN,
	"face_id": store.CredFaceID, "qr": store.CredQR, "license_plate": store.CredLicensePlate,
}

func credTypeToBasip(t store.CredentialType) string {
	if t == store.CredPIN {
		return "inputCode"
	}
	return string(t)
}

func locksToBasip(l store.Locks) string {
	switch l {
	case store.LocksFirst:
		return "first"
	case store.LocksSecond:
		return "second"
	}
	return "all"
}

var basipToLocks = map[string]store.Locks{"first": store.LocksFirst, "second": store.LocksSecond, "all": store.LocksBoth}

// identifierParam resolves {id}, a BAS-IP identifier uid, to its
// credential.
func (s *Dialect) identifierParam(r *core.Request) (store.Credential, error) {
	id, err := basipID(r, "id", basipNoIdent)
	if err != nil {
		return store.Credential{}, err
	}
	return s.identifierByUID(id)
}

// identifierByUID is the credential BAS-IP clients know by uid: the
// credential id.
func (s *Dialect) identifierByUID(id uint64) (store.Credential, error) {
	c, err := s.st.GetCredential(id)
	if errors.Is(err, store.ErrNotFound) {
		return c, bErr(404, basipNoIdent)
	}
	return c, err
}

type basipOwner struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type basipValidTime struct {
	IsPermanent bool  `json:"is_permanent"`
	From        int64 `json:"from"`
	To          int64 `json:"to"`
}

type basipValidPasses struct {
	IsPermanent bool   `json:"is_permanent"`
	MaxPasses   uint32 `json:"max_passes"`
	PassesLeft  uint32 `json:"passes_left"`
}

type basipValid struct {
	Time   basipValidTime   `json:"time"`
	Passes basipValidPasses `json:"passes"`
}

// basipRefs is BAS-IP's list of references to other entities (time
// profiles, apartments, identifiers): {count, uid_items}.
type basipRefs struct {
	Count    int      `json:"count"`
	UIDItems []uint64 `json:"uid_items"`
}

func newBasipRefs(ids []uint64) basipRefs {
	return basipRefs{Count: len(ids), UIDItems: append([]uint64{}, ids...)}
}

// basipIdentApt is an identifier's apartment: the credential's own
// (its Apartment field), else its user's first apartment, or uid -1 (BAS-IP's "no entity reference") without one. link_id is
// BAS-IP's link to a remote management system; doord has none (null).
type basipIdentApt struct {
	UID            int64         `json:"uid"`
	LinkID         *string       `json:"link_id"`
	LogicalAddress *basipAddress `json:"logical_address,omitempty"`
}

var basipNoApt = basipIdentApt{UID: -1}

type basipAdditional struct {
	PassesLeft int64 `json:"passes_left"` // -1 when passes are permanent
}

// basipIdentifier is an identifier as BAS-IP shows it (android-panels "Get
// Identifier Entity"). identifier_number is the canonical value (a card as
// the decimal of its Wiegand payload, however it was written). Two doord
// extensions: identifier_uid (as in the user entity's identifiers) and
// user_uid, -1 without a user; valid.passes.passes_left repeats
// additional.passes_left (0, not -1, when passes are permanent).
type basipIdentifier struct {
	IdentifierUID    uint64          `json:"identifier_uid"`
	IdentifierOwner  basipOwner      `json:"identifier_owner"`
	IdentifierType   string          `json:"identifier_type"`
	IdentifierNumber string          `json:"identifier_number"`
	Lock             string          `json:"lock"`
	Valid            basipValid      `json:"valid"`
	Apartment        basipIdentApt   `json:"apartment"`
	TimeProfiles     basipRefs       `json:"time_profiles"`
	LinkID           *string         `json:"link_id"`
	Additional       basipAdditional `json:"additional"`
	UserUID          int64           `json:"user_uid"`
	Base             *basipIdentBase `json:"base,omitempty"` // /api/v0 only (identifier_v0.go)
}

// basipUserApt is the apartment a user's identifiers show: the user's
// first apartment.
func (s *Dialect) basipUserApt(u *store.User) (basipIdentApt, error) {
	if len(u.Apartments) == 0 {
		return basipNoApt, nil
	}
	return s.basipAptRef(u.Apartments[0])
}

// basipAptRef is apartment id as an identifier shows it; basipNoApt when
// it was deleted since its referrer was read.
func (s *Dialect) basipAptRef(id uint64) (basipIdentApt, error) {
	a, err := s.st.GetApartment(id)
	if errors.Is(err, store.ErrNotFound) {
		return basipNoApt, nil
	}
	if err != nil {
		return basipNoApt, err
	}
	addr := basipAddress(a.Address)
	return basipIdentApt{UID: int64(a.ID), LogicalAddress: &addr}, nil
}

// basipCredApt is the apartment credential c shows: its own, else its
// user's first. seen caches the user's by user for a list page (nil: no
// cache).
func (s *Dialect) basipCredApt(c *store.Credential, seen map[uint64]basipIdentApt) (basipIdentApt, error) {
	if c.Apartment != 0 {
		return s.basipAptRef(c.Apartment)
	}
	if c.UserUID == 0 {
		return basipNoApt, nil
	}
	if a, ok := seen[c.UserUID]; ok {
		return a, nil
	}
	u, err := s.st.GetUserByUID(c.UserUID)
	if errors.Is(err, store.ErrNotFound) {
		return basipNoApt, nil // deleted since the credential was read
	}
	if err != nil {
		return basipNoApt, err
	}
	a, err := s.basipUserApt(&u)
	if err == nil && seen != nil {
		seen[c.UserUID] = a
	}
	return a, err
}

// basipIdentView shows credential c, whose user's apartment is apt, with
// its number as role may see it (core.ShownValue).
func (s *Dialect) basipIdentView(c *store.Credential, apt basipIdentApt, role store.Role) basipIdentifier {
	out := basipIdentifier{
		IdentifierUID:    c.ID,
		IdentifierOwner:  basipOwner{Name: c.OwnerName, Type: string(c.Owner)},
		IdentifierType:   credTypeToBasip(c.Type),
		IdentifierNumber: shownNumber(c, role),
		Lock:             locksToBasip(c.Locks),
		Apartment:        apt,
		TimeProfiles:     newBasipRefs(c.TimeProfiles),
		Additional:       basipAdditional{PassesLeft: -1},
		UserUID:          int64(c.UserUID),
	}
	out.LinkID = s.linkOf(out.IdentifierUID)
	if c.UserUID == 0 {
		out.UserUID = -1
	}
	out.Valid.Time.IsPermanent = c.ValidFrom == nil && c.ValidTo == nil
	if c.ValidFrom != nil {
		out.Valid.Time.From = c.ValidFrom.Unix()
	}
	if c.ValidTo != nil {
		out.Valid.Time.To = c.ValidTo.Unix()
	}
	out.Valid.Passes = basipValidPasses{IsPermanent: c.MaxPasses == 0, MaxPasses: c.MaxPasses, PassesLeft: c.PassesLeft}
	if c.MaxPasses != 0 {
		out.Additional.PassesLeft = int64(c.PassesLeft)
	}
	return out
}

// basipIdentAnswer is the answer showing credential c alone.
func (s *Dialect) basipIdentAnswer(r *core.Request, c *store.Credential) error {
	apt, err := s.basipCredApt(c, nil)
	if err != nil {
		return err
	}
	v := s.basipIdentView(c, apt, r.Op.Role)
	withBase(r, &v)
	return basipOK(r, v)
}

// applyBasipIdentifier reads an identifier body into c. On create
// identifier_type and identifier_number are required and the rest takes
// defaults (owner, lock all, permanent); on PATCH every field is optional.
func (s *Dialect) applyBasipIdentifier(b *bbody, c *store.Credential, create bool) {
	var typ string
	if b.str("identifier_type", &typ, create) {
		t, ok := basipToCredType[typ]
		switch {
		case !ok:
			b.failf("identifier_type must be one of card, ukey, inputCode, face_id, qr, license_plate")
		case !create && t != c.Type:
			b.failf("identifier_type cannot be changed; delete the identifier and create a new one")
		default:
			c.Type = t
		}
	}
	if r, ok := b.raw("identifier_number", create); ok && b.err == nil && (create || !core.KeepsValue(r, c)) {
		// The native validation, so that both APIs store one canonical
		// value: a card in decimal or AA:BB:CC bytes, a PIN of 4-12 digits.
		// A BAS-IP number is a plain card (it matches frames of every
		// format) unless a facility/card object names its format: a new
		// number without one makes the card plain again. The same number
		// keeps its format, so that a GET→PATCH round trip of a card bound
		// through the native API does not widen it to every format.
		if v, format, given, problem := s.deps.CredentialValue(c.Type, r); problem == "" {
			if given || v != c.Value {
				c.Format = format
			}
			c.Value = v
			c.Spelling = spellingOf(c.Type, r, v)
		} else {
			b.failf("identifier_number: %s", problem)
		}
	}
	if ow, ok := b.obj("identifier_owner", false); ok {
		var name, typ string
		if ow.str("name", &name, false) {
			if utf8.RuneCountInString(name) > core.MaxName {
				ow.failf("identifier_owner.name must be at most %d characters", core.MaxName)
			}
			c.OwnerName = name
		}
		if ow.str("type", &typ, false) {
			switch store.Owner(typ) {
			case store.OwnerOwner, store.OwnerGuest:
				c.Owner = store.Owner(typ)
			default:
				ow.failf("identifier_owner.type must be owner or guest")
			}
		}
		b.merge(ow)
	}
	var lock string
	var lockN int64
	if b.str("lock", &lock, false) {
		l, ok := basipToLocks[lock]
		if !ok {
			b.failf("lock must be first, second or all")
		}
		c.Locks = l
	} else if b.integer("lock_number", &lockN, false) {
		// The users' and emergency bodies' field, sent for identifiers
		// by pin-rotator's flat fallback bodies (issue 12 item 5).
		if lockN < 0 || lockN > 2 {
			b.failf("lock_number must be 0 (both locks), 1 or 2")
		}
		c.Locks = numberToLocks(lockN)
	}
	if v, ok := b.obj("valid", false); ok {
		applyBasipValid(v, c)
		b.merge(v)
	} else {
		applyBasipValid(b, c) // camdroid-panels 0.5.0/0.6.0: time and passes at the top
	}
	if c.Owner == "" {
		c.Owner = store.OwnerOwner
	}
	if c.Locks == "" {
		c.Locks = store.LocksBoth
	}
}

func applyBasipValid(v *bbody, c *store.Credential) {
	t, ok := v.obj("time", false)
	if !ok {
		// SmartYard-Server's Android models nest time inside passes
		// (Basip.php: "valid":{"passes":{…,"time":{…}}}); the documented
		// shape has it beside passes.
		if p, has := v.obj("passes", false); has {
			t, ok = p.obj("time", false)
			v.merge(p)
		}
	}
	if ok {
		var perm bool
		var from, to int64
		t.boolean("is_permanent", &perm, false)
		hasFrom := t.integer("from", &from, false)
		hasTo := t.integer("to", &to, false)
		switch {
		case t.err != nil:
		case perm:
			c.ValidFrom, c.ValidTo = nil, nil
		case from < 0 || to < 0:
			t.failf("valid.time: from and to are unix seconds")
		default:
			c.ValidFrom, c.ValidTo = nil, nil
			if hasFrom && from > 0 {
				f := time.Unix(from, 0).UTC()
				c.ValidFrom = &f
			}
			if hasTo && to > 0 {
				x := time.Unix(to, 0).UTC()
				c.ValidTo = &x
			}
			if c.ValidFrom != nil && c.ValidTo != nil && !c.ValidFrom.Before(*c.ValidTo) {
				t.failf("valid.time.to must be after valid.time.from")
			}
		}
		v.merge(t)
	}
	if p, ok := v.obj("passes", false); ok {
		var perm bool
		var n int64
		p.boolean("is_permanent", &perm, false)
		has := p.integer("max_passes", &n, false)
		switch {
		case p.err != nil:
		case perm:
			c.MaxPasses, c.PassesLeft = 0, 0
		case !has || n < 1 || n > 99999:
			p.failf("valid.passes.max_passes must be 1 to 99999 when is_permanent is false")
		case uint32(n) != c.MaxPasses:
			c.MaxPasses, c.PassesLeft = uint32(n), uint32(n)
		}
		v.merge(p)
	}
}

// identifierConflict turns the store's duplicate into BAS-IP's words. A
// duress conflict is no duplicate BAS-IP knows of: a 409 that names it
// (never the other PIN).
func identifierConflict(err error) error {
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		if ce.Reason == store.ReasonDuressOfOther || ce.Reason == store.ReasonDuressIsOther {
			return bErr(409, "identifier_number "+ce.Reason)
		}
		return bErr(400, basipDupIdent)
	}
	return err
}

func (s *Dialect) basipCreateIdentifier(r *core.Request) error {
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	c, err := s.createIdentifier(b)
	if err != nil {
		return err
	}
	return basipOK(r, createdUID{c.ID})
}

// createIdentifier creates the identifier body b describes.
func (s *Dialect) createIdentifier(b *bbody) (store.Credential, error) {
	var c store.Credential
	s.applyBasipIdentifier(b, &c, true)
	var userUID int64
	hasUser := b.integer("user_uid", &userUID, false) && userUID > 0
	if err := b.error(); err != nil {
		return c, err
	}
	if hasUser {
		u, err := s.st.GetUserByUID(uint64(userUID))
		if errors.Is(err, store.ErrNotFound) {
			return c, bErr(404, basipNoUser)
		}
		if err != nil {
			return c, err
		}
		if u.State == store.StateArchived {
			return c, store.ErrArchived
		}
		c.UserUID = u.UID
	}
	if err := s.st.CreateCredential(&c); err != nil {
		return c, identifierConflict(err)
	}
	return c, nil
}

func (s *Dialect) basipGetIdentifier(r *core.Request) error {
	c, err := s.identifierParam(r)
	if err != nil {
		return err
	}
	return s.basipIdentAnswer(r, &c)
}

func (s *Dialect) basipPatchIdentifier(r *core.Request) error {
	c, err := s.identifierParam(r)
	if err != nil {
		return err
	}
	b, err := parseBasipBody(r.Ctx.PostBody())
	if err != nil {
		return err
	}
	b.liftBase()
	c, err = s.st.UpdateCredential(c.ID, func(c *store.Credential) error {
		b.err = nil
		s.applyBasipIdentifier(b, c, false)
		return b.error()
	})
	if err != nil {
		return identifierConflict(err)
	}
	return s.basipIdentAnswer(r, &c)
}

func (s *Dialect) basipDeleteIdentifier(r *core.Request) error {
	c, err := s.identifierParam(r)
	if err != nil {
		return err
	}
	if err := s.deleteIdentifier(c); err != nil {
		return err
	}
	return basipOK(r, basipEmpty)
}

func (s *Dialect) basipResetPasses(r *core.Request) error {
	c, err := s.identifierParam(r)
	if err != nil {
		return err
	}
	c, err = s.st.ResetPasses(c.ID)
	if err != nil {
		return err
	}
	return s.basipIdentAnswer(r, &c)
}

// basipAttachIdentifier is POST (attach) and DELETE (detach: to no user)
// /api/v1/access/user/{uid}/identifier/{id}: one store commit that keeps
// the identifier's uid, value and passes.
func (s *Dialect) basipAttachIdentifier(attach bool) core.Handler {
	return func(r *core.Request) error {
		u, err := s.basipUserParam(r)
		if err != nil {
			return err
		}
		if u.State == store.StateArchived {
			return store.ErrArchived
		}
		c, err := s.identifierParam(r)
		if err != nil {
			return err
		}
		to := u.UID
		if !attach {
			if c.UserUID != u.UID {
				return bErr(404, "Identifier is not attached to this user")
			}
			to = 0
		}
		if c.UserUID == to {
			return basipOK(r, basipEmpty)
		}
		if _, err := s.st.MoveCredential(c.ID, to, nil); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return bErr(404, basipNoIdent) // deleted meanwhile
			}
			return err
		}
		return basipOK(r, basipEmpty)
	}
}

var basipIdentSortFields = []string{"identifier_uid", "identifier_number", "owner_name"}

// basipListIdentifiers is GET /api/v1/access/identifiers/list, a page of
// the list index (lists.go: identWhere, identSort); user_uid (a doord
// extension) lists one user's identifiers (-1: those without a user).
// Only the page's credentials are read from the store. identifier_uid
// is the credential id, kept when an identifier moves.
func (s *Dialect) basipListIdentifiers(r *core.Request) error {
	q, err := parseListQuery(r, basipIdentSortFields, "identifier_uid")
	if err != nil {
		return err
	}
	where, err := s.identWhere(q.filter, r.Op.Role)
	if err != nil {
		return err
	}
	if v := string(r.Ctx.QueryArgs().Peek("user_uid")); v != "" {
		uid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || uid == 0 || uid < -1 {
			return bErr(400, "Wrong query parameter `user_uid`")
		}
		if uid == -1 {
			uid = 0 // no user
		}
		where = and(where, listing.Cmp{Col: listing.Int(listing.CredUser), Op: listing.Eq, Num: uid})
	}
	lq := identSort(q.field, r.Op.Role)
	lq.Where = where
	ids, total, err := s.page(listing.Credentials, q, lq)
	if err != nil {
		return err
	}
	items := make([]basipIdentifier, 0, len(ids))
	apts := map[uint64]basipIdentApt{}
	for _, id := range ids {
		c, err := s.st.GetCredential(id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the walk
		}
		if err != nil {
			return err
		}
		apt, err := s.basipCredApt(&c, apts)
		if err != nil {
			return err
		}
		items = append(items, s.basipIdentView(&c, apt, r.Op.Role))
		withBase(r, &items[len(items)-1])
	}
	return basipOK(r, newBasipList(q, total, basipIdentSortFields, items))
}
