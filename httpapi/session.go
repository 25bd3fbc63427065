package httpapi

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
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
	return bearerOf(ctx.Request.Header.Peek("Authorization"))
}

// bearerOf is the token of an Authorization header's value.
func bearerOf(h []byte) (string, bool) {
	const p = "bearer "
	if len(h) <= len(p) || !bytes.EqualFold(h[:len(p)], []byte(p)) {
		return "", false
	}
	return string(bytes.TrimSpace(h[len(p):])), true
}

var errUnauthorized = &apiError{Status: 401, Detail: "a valid bearer token is required; log in at POST /api/v1/session"}

func (s *Server) authenticate(ctx *fasthttp.RequestCtx) (*sessionInfo, error) {
	tok, ok := bearer(ctx)
	if !ok || !auth.TokenLooksValid(tok) {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="doord"`)
		return nil, errUnauthorized
	}
	si, ok := s.session(tok)
	if !ok {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="doord", error="invalid_token"`)
		return nil, errUnauthorized
	}
	return si, nil
}

// session is the live session of a well-formed token.
func (s *Server) session(tok string) (*sessionInfo, bool) {
	h := auth.HashToken(tok)
	now := s.now()
	s.mu.RLock()
	si := s.sessions[h]
	s.mu.RUnlock()
	if si == nil {
		var err error
		if si, err = s.loadSession(h); err != nil {
			return nil, false
		}
	}
	// The map lookup already matched the hash; the constant-time compare
	// keeps that true even if the cache is ever keyed differently.
	if subtle.ConstantTimeCompare(si.hash[:], h[:]) != 1 || !now.Before(si.expires) {
		s.dropSession(h)
		return nil, false
	}
	return si, true
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

// forgetOperator drops every cached session (and Basic credential) of an operator after it changed
// (role, enabled, password): the next request reloads or fails.
func (s *Server) forgetOperator(id uint64) {
	s.mu.Lock()
	for h, si := range s.sessions {
		if si.opID == id {
			delete(s.sessions, h)
		}
	}
	s.mu.Unlock()
	s.basic.forget(id) // and its verified HTTP Basic credentials (basicauth.go)
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
	if !core.Allowed(si.role, a) {
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
	evicted, err := s.st.AddSession(sess, s.cfg.MaxSessionsPerOperator, op)
	if errors.Is(err, store.ErrOperatorInactive) {
		return nil, errStatus(403, "this operator is disabled or expired")
	}
	if errors.Is(err, store.ErrOperatorChanged) {
		return nil, errStatus(409, "the operator was changed while logging in; log in again")
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
