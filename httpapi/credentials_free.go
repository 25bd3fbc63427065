package httpapi

import (
	"errors"
	"strconv"

	"github.com/doord/doord/store"
	"github.com/google/uuid"
)

// Credentials on their own: created with or without a user, listed across
// users, moved between users (or to none) by a PATCH of user_id. A
// credential without a user opens doors on its own fields (the access
// engine's EngineConfig.Userless), as a BAS-IP identifier that intercom
// provisioning binds to an apartment does.

// credentialUser reads o's "user_id": a user's uuid, or null for no user.
// present is whether the body has it; a user that does not exist or is
// archived is a field error on o (and present is true).
func (s *Server) credentialUser(o *object) (uid uint64, present bool) {
	r, present := o.lookup("user_id")
	if !present || isNull(r) {
		return 0, present
	}
	id, _, ok := field[string](o, "user_id", "must be a user's id (a uuid), or null for no user")
	if !ok {
		return 0, true
	}
	if _, err := uuid.Parse(id); err != nil {
		o.fail("user_id", "must be a user's id (a uuid), or null for no user")
		return 0, true
	}
	u, err := s.st.GetUser(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		o.failf("user_id", "user %q does not exist", id)
	case err != nil:
		o.fail("user_id", "could not be read: "+err.Error())
	case u.State == store.StateArchived:
		o.fail("user_id", "the user is archived; archived is final")
	}
	return u.UID, true
}

// createFreeCredential is POST /api/v1/credentials: a credential for the
// user named by user_id, or without a user when user_id is absent or null.
func (s *Server) createFreeCredential(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	uid, _ := s.credentialUser(o)
	c := store.Credential{UserUID: uid}
	applyCredential(o, &c, true)
	if err := o.err(); err != nil {
		return err
	}
	if err := s.st.CreateCredential(&c); err != nil {
		return err
	}
	return created(r, credsBasePath+strconv.FormatUint(c.ID, 10), s.credOut(c, r.op.role))
}

// listCredentials is GET /api/v1/credentials: every credential in id
// order, paged by cursor, filtered by user_id (a uuid, or "none" for the
// credentials without a user) and apartment. Each filter walks an index.
func (s *Server) listCredentials(r *request) error {
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	args := r.ctx.QueryArgs()
	f := store.CredentialFilter{Cursor: string(args.Peek("cursor")), Limit: limit}
	var errs []FieldError
	var userID string
	switch v := string(args.Peek("user_id")); v {
	case "":
	case "none":
		f.NoUser = true
	default:
		u, err := s.st.GetUser(v)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs = append(errs, FieldError{Field: "user_id", Message: "must be a user's id (a uuid) or none; " + strconv.Quote(v) + " is no user"})
		case err != nil:
			return err
		}
		f.User, userID = u.UID, u.ID
	}
	if v := args.Peek("apartment"); len(v) > 0 {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil || n == 0 {
			errs = append(errs, FieldError{Field: "apartment", Message: "must be a positive integer id"})
		}
		f.Apartment = n
	}
	if len(errs) > 0 {
		return errValidation(errs)
	}
	cs, next, err := s.st.ListCredentialPage(f)
	if err != nil {
		return err
	}
	out := make([]credentialOut, 0, len(cs))
	ids := map[uint64]string{0: ""}
	if f.User != 0 {
		ids[f.User] = userID
	}
	for _, c := range cs {
		id, ok := ids[c.UserUID]
		if !ok {
			if u, err := s.st.GetUserByUID(c.UserUID); err == nil {
				id = u.ID
			}
			ids[c.UserUID] = id
		}
		out = append(out, newCredentialOut(c, id, r.op.role))
	}
	return writeJSON(r.ctx, 200, listOut[credentialOut]{Items: out, NextCursor: nextCursor(next)})
}
