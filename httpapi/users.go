package httpapi

import (
	"encoding/json"
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
)

// Limits follow BAS-IP where it has one (name ≤ 100, info ≤ 255) so that a
// user written through either API fits the other.
const (
	maxNotes      = 4096
	maxTags       = 32
	maxTagLen     = 64
	maxProps      = 64
	maxPropKey    = 64
	maxPropValue  = 1024
	maxExtID      = 128
	maxEmail      = 254
	maxPhone      = 32
	defaultLimit  = 50
	userBasePath  = "/api/v1/users/"
	credsBasePath = "/api/v1/credentials/"
)

var (
	propKeyRe = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
	phoneRe   = regexp.MustCompile(`^\+?[0-9 ()\-.]{3,32}$`)
	extIDRe   = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

var authFactorTypes = map[string]bool{
	string(store.CredCard): true, string(store.CredPIN): true, string(store.CredQR): true,
	string(store.CredLicensePlate): true, string(store.CredUKey): true, string(store.CredFaceID): true,
}

// userMode says how a body applies to a user.
type userMode int

const (
	modeCreate  userMode = iota // POST: absent fields take defaults
	modeReplace                 // PUT: absent fields are reset
	modePatch                   // PATCH: absent fields are kept, null resets
)

// applyUser validates o and writes its fields into u. Every bad field is
// recorded in o; the caller checks o.err() once at the end.
func applyUser(o *object, u *store.User, mode userMode) {
	o.readOnly(viewFields[userOut]()...)
	if mode == modeReplace {
		keep := *u
		*u = store.User{ID: keep.ID, UID: keep.UID, ExtID: keep.ExtID, State: keep.State,
			CreatedAt: keep.CreatedAt, CreatedBy: keep.CreatedBy}
	}
	o.str("name", &u.Name, maxName)
	o.str("first_name", &u.FirstName, maxName)
	o.str("last_name", &u.LastName, maxName)
	o.str("info", &u.Info, maxInfo)
	o.str("notes", &u.Notes, maxNotes)
	if o.str("email", &u.Email, maxEmail) && u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			o.fail("email", "must be a plain e-mail address like name@example.com")
		}
	}
	if o.str("phone", &u.Phone, maxPhone) && u.Phone != "" && !phoneRe.MatchString(u.Phone) {
		o.fail("phone", "may hold only digits, spaces, + ( ) - and .")
	}
	o.strs("tags", &u.Tags, maxTags, maxTagLen)
	applyProperties(o, u, mode)
	if mode == modeCreate {
		if o.str("id", &u.ID, 36) && u.ID != "" {
			id, err := uuid.Parse(u.ID)
			if err != nil || len(u.ID) != 36 {
				o.fail("id", "must be a UUID like 3f2c1a9e-5b7d-4c1e-9a0b-2d4e6f8a1c3e")
			} else {
				u.ID = id.String()
			}
		}
	}
	if mode != modePatch || o.has("ext_id") {
		var ext string
		if o.str("ext_id", &ext, maxExtID) {
			switch {
			case ext == "" && mode != modeCreate:
				o.fail("ext_id", "cannot be cleared; it identifies the user to other systems")
			case ext != "" && !extIDRe.MatchString(ext):
				o.fail("ext_id", "must be printable ASCII without spaces")
			default:
				if ext != "" {
					u.ExtID = ext
				}
			}
		}
	}
	applyState(o, u, mode)
	o.timePtr("valid_from", &u.ValidFrom)
	o.timePtr("valid_to", &u.ValidTo)
	// locks is required on POST and PUT: a user made without it would
	// open every door, so a client that misspelt it (BAS-IP's
	// lock_number) or forgot it must hear so instead.
	// In a fleet with door rights, door_rights may stand for it: a
	// user created with rights in other groups only has none in the
	// home group (a PUT without locks keeps it).
	rights := applyDoorRights(o, u)
	switch _, set := o.raw("locks"); {
	case set:
		applyLocks(o, "locks", &u.Locks, true)
	case mode == modePatch && !o.has("locks"): // kept
	case rights && !o.has("locks"):
		if mode == modeCreate {
			u.Locks = store.LocksNone
		}
	default: // absent from POST or PUT, or null
		o.fail("locks", `is required: "both", "1", "2" or "none" (the doors this user may open)`)
	}
	o.ids("time_profiles", &u.TimeProfiles)
	o.ids("apartments", &u.Apartments)
	if len(u.TimeProfiles) > maxRefs {
		o.failf("time_profiles", "must have at most %d items", maxRefs)
	}
	if len(u.Apartments) > maxRefs {
		o.failf("apartments", "must have at most %d items", maxRefs)
	}
	if o.strs("auth_factors", &u.AuthFactors, len(authFactorTypes), 16) {
		for i, f := range u.AuthFactors {
			if !authFactorTypes[f] {
				o.fail("auth_factors["+strconv.Itoa(i)+"]", "must be one of card, pin, qr, license_plate, ukey, face_id")
			}
		}
	}
	o.boolean("custom_access", &u.CustomAccess)
	o.boolean("security", &u.Security)
	o.boolean("extended_unlock", &u.ExtendedOpen)

	// Cross-field rules, checked on the result so PATCH sees the whole user.
	if strings.TrimSpace(u.Name) == "" {
		if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" && !o.has("name") {
			u.Name = n
		} else {
			o.fail("name", "is required (or give first_name/last_name)")
		}
	}
	if u.ValidFrom != nil && u.ValidTo != nil && !u.ValidFrom.Before(*u.ValidTo) {
		o.fail("valid_to", "must be after valid_from")
	}
	if u.CustomAccess && len(u.AuthFactors) == 0 {
		o.fail("auth_factors", "must contain at least one item when custom_access is true")
	}
}

func applyProperties(o *object, u *store.User, mode userMode) {
	r, ok := o.lookup("properties")
	if !ok {
		return
	}
	if isNull(r) {
		u.Properties = nil
		return
	}
	var m map[string]*string
	if err := json.Unmarshal(r, &m); err != nil {
		o.fail("properties", "must be an object of string values")
		return
	}
	// PATCH merges (RFC 7396: null deletes a key); POST and PUT replace.
	props := map[string]string{}
	if mode == modePatch {
		for k, v := range u.Properties {
			props[k] = v
		}
	}
	for k, v := range m {
		switch {
		case len(k) > maxPropKey || !propKeyRe.MatchString(k):
			o.failf("properties."+k, "keys are 1 to %d of A-Z a-z 0-9 _ . -", maxPropKey)
		case v == nil:
			delete(props, k)
		case len(*v) > maxPropValue:
			o.failf("properties."+k, "must be at most %d bytes", maxPropValue)
		default:
			props[k] = *v
		}
	}
	if len(props) > maxProps {
		o.failf("properties", "must have at most %d keys", maxProps)
	}
	if len(props) == 0 {
		props = nil
	}
	u.Properties = props
}

func applyState(o *object, u *store.User, mode userMode) {
	var st string
	if !o.str("state", &st, 16) {
		if mode == modeCreate {
			u.State = store.StateActive
		}
		return
	}
	switch store.UserState(st) {
	case store.StateActive, store.StateDisabled:
		u.State = store.UserState(st)
	case store.StateArchived:
		if mode == modeCreate {
			o.fail("state", "a new user cannot be archived")
			return
		}
		u.State = store.StateArchived
	case "":
		if mode == modeCreate {
			u.State = store.StateActive
			return
		}
		o.fail("state", "must be active, disabled or archived")
	default:
		o.fail("state", "must be active, disabled or archived")
	}
}

// applyDoorRights reads door_rights (fleet mode with groups: group →
// "both", "1", "2" or "none" to revoke) into u; it reports whether the
// body has them. The store refuses them outside a fleet with groups.
func applyDoorRights(o *object, u *store.User) bool {
	r, ok := o.raw("door_rights")
	if !ok {
		return false
	}
	var m map[string]string
	if err := json.Unmarshal(r, &m); err != nil {
		o.fail("door_rights", `must be an object of door group → "both", "1", "2" or "none"`)
		return true
	}
	u.DoorRights = make(map[string]store.Locks, len(m))
	for g, l := range m {
		switch store.Locks(l) {
		case store.LocksBoth, store.LocksFirst, store.LocksSecond, store.LocksNone:
			u.DoorRights[g] = store.Locks(l)
		default:
			o.fail("door_rights."+g, `must be "both", "1", "2" or "none"`)
		}
	}
	return true
}

// applyLocks accepts "both", "1", "2" and, for clients used to BAS-IP's
// lock_number, the integers 0 (both), 1 and 2; a user's also "none".
func applyLocks(o *object, name string, dst *store.Locks, none bool) {
	r, ok := o.lookup(name)
	if !ok {
		return
	}
	if isNull(r) {
		*dst = store.LocksBoth
		return
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		var n int
		if err := json.Unmarshal(r, &n); err != nil {
			o.fail(name, `must be "both", "1" or "2"`)
			return
		}
		s = strconv.Itoa(n)
	}
	switch s {
	case "both", "0", "all":
		*dst = store.LocksBoth
	case "1", "first":
		*dst = store.LocksFirst
	case "2", "second":
		*dst = store.LocksSecond
	case "none":
		if none {
			*dst = store.LocksNone
			return
		}
		o.fail(name, `must be "both", "1" or "2"`)
	default:
		o.fail(name, `must be "both", "1" or "2"`)
	}
}

// userOut is a user as the create call answers it.
type userOut struct {
	store.User
	DuplicateName bool `json:"duplicate_name"`
}

func (s *Server) createUser(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var u store.User
	applyUser(o, &u, modeCreate)
	if err := o.err(); err != nil {
		return err
	}
	dup, err := s.st.CreateUser(&u, r.op.username)
	if err != nil {
		return err
	}
	return created(r, userBasePath+u.ID, userOut{User: u, DuplicateName: dup})
}

// userParam resolves {id}: the uuid, or the numeric uid that BAS-IP
// clients know the same user by.
func (s *Server) userParam(r *request) (store.User, error) {
	id := r.param("id")
	if uid, err := strconv.ParseUint(id, 10, 64); err == nil {
		return s.st.GetUserByUID(uid)
	}
	if _, err := uuid.Parse(id); err != nil {
		return store.User{}, errStatus(404, "user "+strconv.Quote(id)+" does not exist")
	}
	return s.st.GetUser(id)
}

func (s *Server) getUser(r *request) error {
	key := r.param("id")
	if body := s.users.get(key); body != nil {
		r.ctx.SetContentType("application/json")
		r.ctx.SetBody(body)
		return nil
	}
	gen := s.users.gen.Load()
	u, err := s.userParam(r)
	if err != nil {
		return err
	}
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	s.users.put(gen, &u, body)
	r.ctx.SetContentType("application/json")
	r.ctx.SetBody(body)
	return nil
}

func (s *Server) updateUser(mode userMode) handlerFunc {
	return func(r *request) error {
		cur, err := s.userParam(r)
		if err != nil {
			return err
		}
		o, err := parseObject(r.ctx.PostBody())
		if err != nil {
			return err
		}
		u, err := s.st.UpdateUser(cur.ID, r.op.username, func(u *store.User) error {
			o.errs = o.errs[:0]
			applyUser(o, u, mode)
			return o.err()
		})
		if err != nil {
			return err
		}
		return writeJSON(r.ctx, 200, u)
	}
}

func (s *Server) deleteUser(r *request) error {
	u, err := s.userParam(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteUser(u.ID); err != nil {
		return err
	}
	return noContent(r)
}

// listOut is every native list's answer (the event log's has its own
// encoder). next_cursor is always there: the cursor of the next page, or
// null on the last one (lists without pages have only a last one).
type listOut[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// nextCursor is a store's next cursor ("" after the last page) as
// listOut.NextCursor.
func nextCursor(next string) *string {
	if next == "" {
		return nil
	}
	return &next
}

// listLimit reads ?limit, reporting a bad one as a 422 on the field.
func listLimit(r *request) (int, error) {
	v := r.ctx.QueryArgs().Peek("limit")
	if len(v) == 0 {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 || n > maxListLimit {
		return 0, errField("limit", "must be an integer from 1 to "+strconv.Itoa(maxListLimit))
	}
	return n, nil
}

func (s *Server) listUsers(r *request) error {
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	args := r.ctx.QueryArgs()
	f := store.UserFilter{
		Cursor: string(args.Peek("cursor")),
		Limit:  limit,
		Q:      string(args.Peek("q")),
		State:  store.UserState(args.Peek("state")),
		Tag:    string(args.Peek("tag")),
	}
	var errs []FieldError
	switch f.State {
	case "", store.StateActive, store.StateDisabled, store.StateArchived:
	default:
		errs = append(errs, FieldError{Field: "state", Message: "must be active, disabled or archived"})
	}
	for _, p := range []struct {
		name string
		dst  *uint64
	}{{"apartment", &f.Apartment}, {"time_profile", &f.TimeProfile}} {
		if v := args.Peek(p.name); len(v) > 0 {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil || n == 0 {
				errs = append(errs, FieldError{Field: p.name, Message: "must be a positive integer id"})
			}
			*p.dst = n
		}
	}
	if len(errs) > 0 {
		return errValidation(errs)
	}
	users, next, err := s.listOrSearchUsers(f)
	if err != nil {
		return err
	}
	if users == nil {
		users = []store.User{}
	}
	return writeJSON(r.ctx, 200, listOut[store.User]{Items: users, NextCursor: nextCursor(next)})
}

// attach is POST/DELETE /users/{id}/time-profiles/{ref} and
// /users/{id}/apartments/{ref}: a shortcut for editing the user's list.
func (s *Server) attach(kind string, add bool) handlerFunc {
	return func(r *request) error {
		cur, err := s.userParam(r)
		if err != nil {
			return err
		}
		ref, err := uintParam(r, "ref")
		if err != nil {
			return err
		}
		u, err := s.st.UpdateUser(cur.ID, r.op.username, func(u *store.User) error {
			list := &u.TimeProfiles
			if kind == "apartments" {
				list = &u.Apartments
			}
			*list = editIDs(*list, ref, add)
			if len(*list) > maxRefs {
				return errField(kind, "must have at most "+strconv.Itoa(maxRefs)+" items")
			}
			return nil
		})
		if err != nil {
			return err
		}
		return writeJSON(r.ctx, 200, u)
	}
}
