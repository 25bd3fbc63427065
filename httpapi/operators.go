package httpapi

import (
	"regexp"
	"strconv"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
)

const opBasePath = "/api/v1/operators/"

var usernameRe = regexp.MustCompile(`^[A-Za-z0-9._@\-]{1,64}$`)

// applyOperator validates o into op. Passwords are hashed here, so the
// plain text never reaches the store. now stamps counters an admin resets.
func (s *Server) applyOperator(o *object, op *store.Operator, create bool) {
	o.readOnly(viewFields[operatorView]()...)
	if create {
		if !o.str("username", &op.Username, 64) || op.Username == "" {
			o.fail("username", "is required")
		} else if !usernameRe.MatchString(op.Username) {
			o.fail("username", "must be 1 to 64 of A-Z a-z 0-9 . _ @ -")
		}
	} else if o.has("username") {
		var u string
		if o.str("username", &u, 64) && u != op.Username {
			o.fail("username", "cannot be changed; create a new operator")
		}
	}
	var pw string
	if o.str("password", &pw, 256) {
		if err := auth.CheckPasswordPolicy(pw); err != nil {
			o.fail("password", err.Error())
		} else {
			h, err := auth.HashPassword(pw)
			if err != nil {
				o.fail("password", "could not be hashed: "+err.Error())
			}
			op.PasswordHash = h
		}
	} else if create {
		o.fail("password", "is required")
	}
	var role string
	if o.str("role", &role, 16) || create {
		if role == "" && create {
			role = string(store.RoleViewer)
		}
		if !auth.ValidRole(store.Role(role)) {
			o.fail("role", "must be admin, operator or viewer")
		} else {
			op.Role = store.Role(role)
		}
	}
	if create {
		op.Enabled = true
	}
	o.boolean("enabled", &op.Enabled)
	o.boolean("expired", &op.Expired)
	o.boolean("credentials_expired", &op.CredentialsExpired)
	o.boolean("force_password_change", &op.ForcePasswordChange)
	var failed uint64
	if o.uint("failed_logins", &failed, 1000) {
		// As Appgate: an admin writing the counter resets it (and any lock).
		op.FailedLogins = int(failed)
		if failed == 0 {
			op.LockStart = nil
		}
	}
	var locked bool
	if o.boolean("locked", &locked) {
		if locked {
			o.fail("locked", "can only be set to false (to lift a lockout); use enabled=false to block an operator")
		} else {
			op.LockStart = nil
			op.FailedLogins = 0
		}
	}
	var mfa bool
	if o.boolean("mfa", &mfa) {
		if mfa {
			o.fail("mfa", "can only be set to false; enrol with POST /api/v1/operators/{id}/totp")
		} else {
			op.TOTPSecret, op.TOTPConfirmed = "", false
		}
	}
}

func (s *Server) createOperator(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	op := store.Operator{CreatedBy: r.op.username, UpdatedBy: r.op.username}
	s.applyOperator(o, &op, true)
	if err := o.err(); err != nil {
		return err
	}
	now := s.now().UTC()
	op.CreatedAt, op.UpdatedAt = now, now
	if err := s.st.CreateOperator(&op); err != nil {
		return err
	}
	s.log.Info("operator created", "username", op.Username, "role", op.Role, "by", r.op.username)
	return created(r, opBasePath+strconv.FormatUint(op.ID, 10), s.viewOperator(&op))
}

// operatorParam resolves {id}: a number, or "me" for the caller.
func (s *Server) operatorParam(r *request) (uint64, error) {
	if id, ok := r.params.Get("id"); !ok || id == "me" {
		return r.op.opID, nil
	}
	return uintParam(r, "id")
}

func (s *Server) getOperator(r *request) error {
	id, err := s.operatorParam(r)
	if err != nil {
		return err
	}
	op, err := s.st.GetOperator(id)
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, s.viewOperator(&op))
}

func (s *Server) listOperators(r *request) error {
	ops, err := s.st.ListOperators()
	if err != nil {
		return err
	}
	out := make([]operatorView, len(ops))
	for i := range ops {
		out[i] = s.viewOperator(&ops[i])
	}
	return writeJSON(r.ctx, 200, listOut[operatorView]{Items: out})
}

func (s *Server) patchOperator(r *request) error {
	id, err := s.operatorParam(r)
	if err != nil {
		return err
	}
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	// Validate and hash on a copy first: the store's update function may run
	// twice (batched writes) and must not open a second transaction.
	cur, err := s.st.GetOperator(id)
	if err != nil {
		return err
	}
	if id == r.op.opID {
		// These need the current password or code (proveSecret); a token
		// alone, perhaps a stolen one, must not change them.
		if o.has("password") {
			o.fail("password", "change your own password at POST /api/v1/operators/me/password, with the current one")
		}
		if o.has("mfa") {
			o.fail("mfa", "remove your own second factor at DELETE /api/v1/operators/me/totp, with the current password or code")
		}
	}
	next := cur
	s.applyOperator(o, &next, false)
	if err := o.err(); err != nil {
		return err
	}
	if cur.Role == store.RoleAdmin && cur.Enabled && (next.Role != store.RoleAdmin || !next.Enabled) {
		if err := s.keepOneAdmin(id); err != nil {
			return err
		}
	}
	counters := o.has("failed_logins") || o.has("locked")
	end := endsSessions(&cur, &next)
	// Only what the body names is written: a login that upgraded the hash
	// or spent a TOTP step meanwhile keeps its write.
	op, err := s.st.UpdateOperatorEnding(id, nil, func(op *store.Operator) (bool, error) {
		op.Role, op.Enabled = next.Role, next.Enabled
		op.Expired, op.CredentialsExpired, op.ForcePasswordChange = next.Expired, next.CredentialsExpired, next.ForcePasswordChange
		if o.has("password") {
			op.PasswordHash = next.PasswordHash
		}
		if o.has("mfa") {
			op.TOTPSecret, op.TOTPConfirmed = next.TOTPSecret, next.TOTPConfirmed
		}
		if counters {
			op.FailedLogins, op.LockStart = next.FailedLogins, next.LockStart
		}
		op.UpdatedAt, op.UpdatedBy = s.now().UTC(), r.op.username
		return end, nil
	})
	if err != nil {
		return err
	}
	s.forgetOperator(id)
	s.log.Info("operator changed", "username", op.Username, "by", r.op.username)
	return writeJSON(r.ctx, 200, s.viewOperator(&op))
}

// endsSessions reports whether changing an operator from cur to next
// takes something away, so that every session it has must end for good
// (re-enabling or re-promoting it later does not revive them): disabling,
// expiring, demoting, a new password, any change to its TOTP.
func endsSessions(cur, next *store.Operator) bool {
	return cur.Enabled && !next.Enabled || !cur.Expired && next.Expired ||
		demoted(cur.Role, next.Role) || cur.PasswordHash != next.PasswordHash ||
		cur.TOTPSecret != next.TOTPSecret || cur.TOTPConfirmed != next.TOTPConfirmed
}

// demoted reports whether role to may not do something role from may.
func demoted(from, to store.Role) bool {
	for a := auth.ActRead; a <= auth.ActAdmin; a++ {
		if auth.Allowed(from, a) && !auth.Allowed(to, a) {
			return true
		}
	}
	return false
}

// keepOneAdmin refuses a change that would leave no enabled admin: nobody
// could then manage operators without deleting the database.
func (s *Server) keepOneAdmin(except uint64) error {
	ops, err := s.st.ListOperators()
	if err != nil {
		return err
	}
	for _, o := range ops {
		if o.ID != except && o.Role == store.RoleAdmin && o.Enabled {
			return nil
		}
	}
	return errStatus(409, "this is the last enabled admin; create or enable another admin first")
}

func (s *Server) deleteOperator(r *request) error {
	id, err := s.operatorParam(r)
	if err != nil {
		return err
	}
	op, err := s.st.GetOperator(id)
	if err != nil {
		return err
	}
	if op.Role == store.RoleAdmin && op.Enabled {
		if err := s.keepOneAdmin(id); err != nil {
			return err
		}
	}
	if err := s.st.DeleteOperator(id); err != nil {
		return err
	}
	s.forgetOperator(id)
	s.log.Info("operator deleted", "username", op.Username, "by", r.op.username)
	return noContent(r)
}

// changeOwnPassword is POST /api/v1/operators/me/password: any operator,
// including one that must change its password before doing anything else.
func (s *Server) changeOwnPassword(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var cur, next string
	if !o.str("current_password", &cur, 256) || cur == "" {
		o.fail("current_password", "is required")
	}
	if !o.str("new_password", &next, 256) || next == "" {
		o.fail("new_password", "is required")
	} else if err := auth.CheckPasswordPolicy(next); err != nil {
		o.fail("new_password", err.Error())
	} else if next == cur {
		o.fail("new_password", "must differ from the current password")
	}
	if err := o.err(); err != nil {
		return err
	}
	op, err := s.st.GetOperator(r.op.opID)
	if err != nil {
		return err
	}
	if err := s.proveSecret(r, &op, "current_password", cur, ""); err != nil {
		return err
	}
	h, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	// Every session of this operator ends with the old password, the one
	// this request came with too; the answer carries a new token for the
	// caller to go on with.
	op, err = s.st.UpdateOperatorEnding(op.ID, nil, func(o *store.Operator) (bool, error) {
		o.PasswordHash = h
		o.ForcePasswordChange, o.CredentialsExpired = false, false
		o.UpdatedAt, o.UpdatedBy = s.now().UTC(), r.op.username
		return true, nil
	})
	if err != nil {
		return err
	}
	s.forgetOperator(op.ID)
	sess, err := s.newSession(&op)
	if err != nil {
		return err
	}
	s.log.Info("operator password changed", "username", op.Username)
	return writeJSON(r.ctx, 200, map[string]any{"token": sess.token, "token_type": "Bearer",
		"expires_at": sess.ExpiresAt, "operator": s.viewOperator(&op)})
}

// proveOwn asks an operator changing its own second factor for proof
// beyond its token: {"current_password"} or {"code"} (a current TOTP
// code) in the body. An admin changing someone else's needs none: it may
// set their password anyway.
func (s *Server) proveOwn(r *request, op *store.Operator) error {
	if op.ID != r.op.opID {
		return nil
	}
	var pw, code string
	if len(r.ctx.PostBody()) > 0 {
		o, err := parseObject(r.ctx.PostBody())
		if err != nil {
			return err
		}
		o.str("current_password", &pw, 256)
		o.str("code", &code, 10)
		if err := o.err(); err != nil {
			return err
		}
	}
	switch {
	case pw != "":
		return s.proveSecret(r, op, "current_password", pw, "")
	case code != "" && op.TOTPSecret != "" && op.TOTPConfirmed:
		return s.proveSecret(r, op, "code", "", code)
	}
	return errField("current_password", "is required (or code, a current TOTP code) to change your own second factor")
}

// totpTarget resolves {id} for a route that replaces or removes a second
// factor: oneself with proof (proveOwn), or another operator for an admin
// (what names the refusal otherwise).
func (s *Server) totpTarget(r *request, what string) (store.Operator, error) {
	id, err := s.operatorParam(r)
	if err != nil {
		return store.Operator{}, err
	}
	if id != r.op.opID && !auth.Allowed(r.op.role, auth.ActAdmin) {
		return store.Operator{}, errStatus(403, "only an admin may "+what)
	}
	op, err := s.st.GetOperator(id)
	if err != nil {
		return store.Operator{}, err
	}
	return op, s.proveOwn(r, &op)
}

// disableTOTP is DELETE /api/v1/operators/{id}/totp: the second factor
// is removed (also a pending enrolment). Every session of the operator
// ends but the caller's own.
func (s *Server) disableTOTP(r *request) error {
	op, err := s.totpTarget(r, "remove another operator's second factor")
	if err != nil {
		return err
	}
	id := op.ID
	op, err = s.st.UpdateOperatorEnding(id, r.keepOwn(id), func(o *store.Operator) (bool, error) {
		end := o.TOTPSecret != ""
		o.TOTPSecret, o.TOTPConfirmed, o.TOTPLastStep = "", false, 0
		o.UpdatedAt, o.UpdatedBy = s.now().UTC(), r.op.username
		return end, nil
	})
	if err != nil {
		return err
	}
	s.forgetOperator(id)
	s.log.Info("operator second factor removed", "username", op.Username, "by", r.op.username)
	return writeJSON(r.ctx, 200, s.viewOperator(&op))
}

// enrolTOTP is POST /api/v1/operators/{id}/totp: a new secret, not yet in
// force until confirmed with a code, so a half-done enrolment cannot lock
// anyone out. It replaces any second factor the operator had, so for
// one's own it needs proof (proveOwn).
func (s *Server) enrolTOTP(r *request) error {
	op, err := s.totpTarget(r, "enrol another operator")
	if err != nil {
		return err
	}
	id := op.ID
	secret, url, err := auth.NewTOTPSecret("doord", op.Username)
	if err != nil {
		return err
	}
	op, err = s.st.UpdateOperatorEnding(id, r.keepOwn(id), func(o *store.Operator) (bool, error) {
		o.TOTPSecret, o.TOTPConfirmed, o.TOTPLastStep = secret, false, 0
		o.UpdatedAt, o.UpdatedBy = s.now().UTC(), r.op.username
		return true, nil
	})
	if err != nil {
		return err
	}
	s.forgetOperator(id)
	return writeJSON(r.ctx, 200, map[string]any{"secret": secret, "otpauth_url": url, "operator": s.viewOperator(&op)})
}

// confirmTOTP is POST /api/v1/operators/{id}/totp/confirm {code}.
func (s *Server) confirmTOTP(r *request) error {
	id, err := s.operatorParam(r)
	if err != nil {
		return err
	}
	if id != r.op.opID && !auth.Allowed(r.op.role, auth.ActAdmin) {
		return errStatus(403, "only an admin may confirm another operator's enrolment")
	}
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var code string
	if !o.str("code", &code, 10) || code == "" {
		o.fail("code", "is required")
	}
	if err := o.err(); err != nil {
		return err
	}
	op, err := s.st.GetOperator(id)
	if err != nil {
		return err
	}
	if op.TOTPSecret == "" {
		return errStatus(409, "no enrolment is pending; POST /api/v1/operators/{id}/totp first")
	}
	step, ok := auth.MatchTOTP(op.TOTPSecret, code, s.now())
	if !ok {
		return errField("code", "is wrong or expired")
	}
	op, err = s.st.UpdateOperatorEnding(id, r.keepOwn(id), func(o *store.Operator) (bool, error) {
		o.TOTPConfirmed = true
		o.TOTPLastStep = step // the confirming code cannot then log in
		o.UpdatedAt, o.UpdatedBy = s.now().UTC(), r.op.username
		return true, nil
	})
	if err != nil {
		return err
	}
	s.forgetOperator(id)
	return writeJSON(r.ctx, 200, s.viewOperator(&op))
}
