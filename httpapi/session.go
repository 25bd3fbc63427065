package httpapi

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// need is what a route needs from the caller.
type need int

const (
	accPublic need = iota // no token (health, login)
	accLogin              // any valid session, even one that must change its password
	accRead
	accPeople
	accDoors
	accAdmin
)

// sessionInfo is the cached view of a valid token: enough to authorize a
// request without touching the disk. Entries are dropped when the token is
// deleted, expires, or its operator changes.
type sessionInfo struct {
	hash       [32]byte
	opID       uint64
	username   string
	role       store.Role
	expires    time.Time
	mustChange bool
	scope      string // store.Session.Scope: "" everywhere, "basip" on BAS-IP routes only
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// bearer extracts the token from "Authorization: Bearer <token>".
func bearer(ctx *fasthttp.RequestCtx) (string, bool) {
	h := ctx.Request.Header.Peek("Authorization")
	const p = "bearer "
	if len(h) <= len(p) || !bytes.EqualFold(h[:len(p)], []byte(p)) {
		return "", false
	}
	return string(bytes.TrimSpace(h[len(p):])), true
}

var errUnauthorized = &apiError{status: 401, detail: "a valid bearer token is required; log in at POST /api/v1/session"}

func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (*sessionInfo, error) {
	tok, ok := bearer(ctx)
	if !ok || !auth.TokenLooksValid(tok) {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="doord"`)
		return nil, errUnauthorized
	}
	h := auth.HashToken(tok)
	now := s.now()
	s.mu.RLock()
	si := s.sessions[h]
	s.mu.RUnlock()
	if si == nil {
		var err error
		si, err = s.loadSession(h)
		if err != nil {
			ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="doord", error="invalid_token"`)
			return nil, errUnauthorized
		}
	}
	// The map lookup already matched the hash; the constant-time compare
	// keeps that true even if the cache is ever keyed differently.
	if subtle.ConstantTimeCompare(si.hash[:], h[:]) != 1 || !now.Before(si.expires) {
		s.dropSession(h)
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="doord", error="invalid_token"`)
		return nil, errUnauthorized
	}
	return si, nil
}

// loadSession fills the cache from the store, so sessions survive a restart
// without the cache having to be loaded up front.
func (s *Server) loadSession(h [32]byte) (*sessionInfo, error) {
	sess, err := s.st.GetSession(h)
	if err != nil {
		return nil, err
	}
	op, err := s.st.GetOperator(sess.OperatorID)
	if err != nil {
		return nil, err
	}
	if !op.Enabled || op.Expired {
		return nil, errUnauthorized
	}
	si := &sessionInfo{hash: h, opID: op.ID, username: op.Username, role: op.Role, expires: sess.ExpiresAt,
		mustChange: op.ForcePasswordChange || op.CredentialsExpired, scope: sess.Scope}
	s.mu.Lock()
	s.sessions[h] = si
	s.mu.Unlock()
	return si, nil
}

func (s *Server) dropSession(h [32]byte) {
	s.mu.Lock()
	delete(s.sessions, h)
	s.mu.Unlock()
}

// forgetOperator drops every cached session of an operator after it changed
// (role, enabled, password): the next request reloads or fails.
func (s *Server) forgetOperator(id uint64) {
	s.mu.Lock()
	for h, si := range s.sessions {
		if si.opID == id {
			delete(s.sessions, h)
		}
	}
	s.mu.Unlock()
}

// keepOwn is the session a change to operator id leaves alive: the
// caller's own when it changes itself (it goes on working, every other
// session of it ends), none when an admin changes someone else.
func (r *request) keepOwn(id uint64) *[32]byte {
	if r.op != nil && r.op.opID == id {
		h := r.op.hash
		return &h
	}
	return nil
}

func authorize(si *sessionInfo, a need) error {
	if a == accLogin {
		return nil
	}
	if si.mustChange {
		return errStatus(403, "this operator must change its password first: POST /api/v1/operators/me/password")
	}
	var act auth.Action
	switch a {
	case accRead:
		act = auth.ActRead
	case accPeople:
		act = auth.ActWritePeople
	case accDoors:
		act = auth.ActDoors
	default:
		act = auth.ActAdmin
	}
	if !auth.Allowed(si.role, act) {
		return errStatus(403, "the role "+string(si.role)+" may not do this")
	}
	return nil
}

// operatorView is an operator as the API shows it: never the hash or the
// TOTP secret; "locked" is computed from the lockout policy.
type operatorView struct {
	ID                  uint64     `json:"id"`
	Username            string     `json:"username"`
	Role                store.Role `json:"role"`
	Enabled             bool       `json:"enabled"`
	Locked              bool       `json:"locked"`
	Expired             bool       `json:"expired"`
	CredentialsExpired  bool       `json:"credentials_expired"`
	ForcePasswordChange bool       `json:"force_password_change"`
	MFA                 bool       `json:"mfa"`
	MFAPending          bool       `json:"mfa_pending,omitempty"`
	FailedLogins        int        `json:"failed_logins"`
	LockStart           *time.Time `json:"lock_start,omitempty"`
	LastSuccess         *time.Time `json:"last_success,omitempty"`
	LastFailure         *time.Time `json:"last_failure,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	CreatedBy           string     `json:"created_by,omitempty"`
	UpdatedAt           time.Time  `json:"updated_at"`
	UpdatedBy           string     `json:"updated_by,omitempty"`
}

func (s *Server) viewOperator(o *store.Operator) operatorView {
	return operatorView{
		ID: o.ID, Username: o.Username, Role: o.Role, Enabled: o.Enabled,
		Locked:  s.cfg.Lockout.IsLocked(o, s.now()),
		Expired: o.Expired, CredentialsExpired: o.CredentialsExpired, ForcePasswordChange: o.ForcePasswordChange,
		MFA: o.TOTPSecret != "" && o.TOTPConfirmed, MFAPending: o.TOTPSecret != "" && !o.TOTPConfirmed,
		FailedLogins: o.FailedLogins, LockStart: o.LockStart, LastSuccess: o.LastSuccess, LastFailure: o.LastFailure,
		CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy, UpdatedAt: o.UpdatedAt, UpdatedBy: o.UpdatedBy,
	}
}

// login is POST /api/v1/session.
func (s *Server) login(r *request) error {
	o, err := parseObject(r.ctx.PostBody())
	if err != nil {
		return err
	}
	var username, password, code string
	if !o.str("username", &username, 64) || username == "" {
		o.fail("username", "is required")
	}
	if !o.str("password", &password, 256) || password == "" {
		o.fail("password", "is required")
	}
	o.str("totp", &code, 10)
	if err := o.err(); err != nil {
		return err
	}
	op, err := s.checkLogin(r.ctx.RemoteIP().String(), username, loginSecret{password: password}, code, true)
	if err != nil {
		return err
	}
	sess, err := s.newSession(op)
	if err != nil {
		return err
	}
	return created(r, "/api/v1/session", map[string]any{
		"token": sess.token, "token_type": "Bearer", "expires_at": sess.ExpiresAt, "operator": s.viewOperator(op),
	})
}

var errBadLogin = &apiError{status: 401, detail: "wrong username or password"}

// loginSecret is what a login proves: the password (native login) or only
// its hex MD5 (BAS-IP login). Both are checked against the one stored hash
// (auth.HashPassword).
type loginSecret struct {
	password string
	md5hex   string
}

func (l loginSecret) verify(hash string) (bool, error) {
	if l.md5hex != "" {
		return auth.VerifyPasswordMD5(hash, l.md5hex)
	}
	return auth.VerifyPassword(hash, l.password)
}

// rehash makes a hash with the current parameters from what was proven.
func (l loginSecret) rehash() (string, error) {
	if l.md5hex != "" {
		return auth.HashPasswordMD5(l.md5hex)
	}
	return auth.HashPassword(l.password)
}

// checkLogin verifies a password login and applies the lockout policy. It is
// apart from the handler so that other login dialects (BAS-IP) share every
// check and the same failure counter.
func (s *Server) checkLogin(addr, username string, secret loginSecret, code string, wantTOTP bool) (*store.Operator, error) {
	now := s.now()
	if blocked, wait := s.throttle.blocked(addr, now); blocked {
		s.log.Warn("login refused: too many failures from this address", "remote", addr)
		return nil, &apiError{status: 429, retryAfter: int(wait.Seconds() + 0.999),
			detail: "too many failed logins from this address; try again in " + wait.Round(time.Second).String()}
	}
	op, err := s.st.GetOperatorByUsername(username)
	if errors.Is(err, store.ErrNotFound) {
		auth.DummyVerify(secret.password + secret.md5hex) // same time as a real check: no username probing
		s.throttle.fail(addr, now)
		// The name is neither logged nor put in the event: people type
		// their password into the username field.
		s.audit("operator_login_failed", "", "unknown operator")
		s.log.Info("login failed", "reason", "unknown operator", "remote", addr)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if s.cfg.Lockout.IsLocked(&op, now) {
		wait := s.cfg.Lockout.RetryAfter(&op, now)
		s.log.Warn("login refused: operator locked out", "username", username)
		return nil, &apiError{status: 429, retryAfter: int(wait.Seconds() + 0.999),
			detail: "too many failed logins; this operator is locked for " + wait.Round(time.Second).String()}
	}
	ok, err := secret.verify(op.PasswordHash)
	if errors.Is(err, auth.ErrNoMD5Form) {
		// Not a wrong password: the hash predates MD5 logins. It does not
		// count towards the operator's lockout (an integration retrying
		// would lock the operator out of the native API too), only
		// towards the address throttle.
		s.throttle.fail(addr, now)
		s.audit("operator_login_failed", username, "password hash predates md5 logins")
		s.log.Warn("BAS-IP login refused: the operator's password hash predates md5 logins; log in once at POST /api/v1/session to upgrade it", "username", username)
		return nil, errBadLogin
	}
	if err != nil {
		s.log.Error("operator password hash unreadable", "username", username, "err", err)
	}
	reason := ""
	var step uint64
	mfa := op.TOTPSecret != "" && op.TOTPConfirmed && wantTOTP
	switch {
	case !ok:
		reason = "wrong password"
	case mfa && code == "":
		reason = "totp missing"
	case mfa:
		var good bool
		step, good = auth.MatchTOTP(op.TOTPSecret, code, now)
		if !good {
			reason = "wrong totp"
		} else if step <= op.TOTPLastStep {
			reason = "totp reused" // a code seen once is spent, even if still in its window
		}
	}
	if reason != "" {
		s.throttle.fail(addr, now)
		s.audit("operator_login_failed", username, reason)
		var locked bool
		op, _ = s.st.UpdateOperator(op.ID, func(o *store.Operator) error {
			locked = s.cfg.Lockout.RecordFailure(o, now)
			return nil
		})
		s.log.Warn("login failed", "username", username, "reason", reason, "failed_logins", op.FailedLogins, "locked", locked)
		if reason == "totp missing" {
			return nil, &apiError{status: 401, detail: "this operator uses two-factor login: send the current code as totp",
				errs: []FieldError{{Field: "totp", Message: "is required for this operator"}}}
		}
		return nil, errBadLogin
	}
	// A correct password does not open a disabled or expired account; saying
	// so is safe now that the caller proved it knows the password.
	if !op.Enabled {
		return nil, errStatus(403, "this operator is disabled")
	}
	if op.Expired {
		return nil, errStatus(403, "this operator account has expired")
	}
	// Hashes made with older, weaker parameters, or of the plain password
	// rather than its MD5 (which BAS-IP logins need), are upgraded while
	// the password is at hand: the only moment doord ever has it. A BAS-IP
	// login can upgrade the parameters of an MD5-form hash, nothing else
	// (it never gets here with a plain-password hash).
	var rehash string
	if auth.NeedsRehash(op.PasswordHash) {
		if h, err := secret.rehash(); err == nil {
			rehash = h
		}
	}
	op, err = s.st.UpdateOperator(op.ID, func(o *store.Operator) error {
		s.cfg.Lockout.RecordSuccess(o, now)
		if rehash != "" {
			o.PasswordHash = rehash
		}
		if step > o.TOTPLastStep {
			o.TOTPLastStep = step
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("login", "username", username, "role", op.Role)
	s.audit(store.EventOperatorLogin, username, "")
	return &op, nil
}

// issued is a session just created, with the only copy of its token.
type issued struct {
	token string
	store.Session
}

func (s *Server) newSession(op *store.Operator) (*issued, error) {
	return s.newScopedSession(op, "", s.cfg.TokenTTL)
}

// newScopedSession issues a token that lasts ttl and works where scope
// says (store.Session.Scope).
func (s *Server) newScopedSession(op *store.Operator, scope string, ttl time.Duration) (*issued, error) {
	tok, h, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	now := s.now()
	sess := store.Session{TokenHash: h, OperatorID: op.ID, CreatedAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC(), Scope: scope}
	evicted, err := s.st.AddSession(sess, s.cfg.MaxSessionsPerOperator)
	if errors.Is(err, store.ErrOperatorInactive) {
		return nil, errStatus(403, "this operator is disabled or expired")
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, h := range evicted {
		delete(s.sessions, h)
	}
	s.sessions[h] = &sessionInfo{hash: h, opID: op.ID, username: op.Username, role: op.Role, expires: sess.ExpiresAt,
		mustChange: op.ForcePasswordChange || op.CredentialsExpired, scope: scope}
	s.mu.Unlock()
	return &issued{token: tok, Session: sess}, nil
}

// logout is DELETE /api/v1/session: the presented token stops working.
func (s *Server) logout(r *request) error {
	if err := s.st.DeleteSession(r.op.hash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.dropSession(r.op.hash)
	return noContent(r)
}

// whoami is GET /api/v1/session.
func (s *Server) whoami(r *request) error {
	op, err := s.st.GetOperator(r.op.opID)
	if err != nil {
		return err
	}
	return writeJSON(r.ctx, 200, map[string]any{"expires_at": r.op.expires, "operator": s.viewOperator(&op)})
}
