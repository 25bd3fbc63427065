package httpapi

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/httpapi/basip"
	"github.com/doord/doord/httpapi/core"
	"github.com/doord/doord/store"
	"github.com/valyala/fasthttp"
)

// The server's side of the BAS-IP dialect (package basip): what the
// dialect gets from the server (basipDeps), who is calling a BAS-IP route
// (a bearer token of either login, or HTTP Basic: basicauth.go), and
// which requests the server's own errors answer in BAS-IP's shape.

// basipScope is store.Session.Scope for tokens from GET /api/v1/login.
const basipScope = "basip"

var errScope = errStatus(403, "this token comes from the BAS-IP login (GET /api/v1/login) and works only on the BAS-IP routes; log in at POST /api/v1/session")

func (s *Server) basipDeps() basip.Deps {
	d := basip.Deps{
		Store:    s.st,
		Log:      s.log,
		Location: s.cfg.Location,
		Locks:    s.cfg.BASIPLocks,
		Info:     s.cfg.BASIPInfo,
		Events: func() (basip.EventLog, error) {
			src, err := s.eventSource()
			if err != nil {
				return nil, err
			}
			return src, nil
		},
		Authenticate: s.authenticateBasip,
		CheckLogin: func(addr, username, md5hex, totp string) (*store.Operator, error) {
			return s.checkLogin(addr, username, loginSecret{md5hex: md5hex}, totp, true)
		},
		NewSession: func(op *store.Operator, ttl time.Duration) (string, error) {
			sess, err := s.newScopedSession(op, basipScope, ttl)
			if err != nil {
				return "", err
			}
			return sess.token, nil
		},
		CredentialValue: basipCredentialValue,
		Audit:           s.audit,
	}
	d.Info.Version = s.cfg.Version
	if s.doors != nil {
		d.Doors = s.doors
	}
	return d
}

// basipCredentialValue is the native validation of a credential value
// (credentialValue) for the dialect.
func basipCredentialValue(t store.CredentialType, raw json.RawMessage) (value, format string, given bool, problem string) {
	o := &object{fields: map[string]json.RawMessage{"value": raw}}
	v, f, ok := credentialValue(o, t, "")
	switch {
	case ok:
		return v, f.name, f.given, ""
	case len(o.errs) > 0:
		return "", "", false, o.errs[0].Message
	}
	return "", "", false, "is not a valid value"
}

// authenticateBasip is the caller of a BAS-IP route: HTTP Basic
// (basicauth.go) or a bearer token of either login.
func (s *Server) authenticateBasip(ctx *fasthttp.RequestCtx) (*core.Caller, error) {
	if user, pw, ok := basicCredentials(ctx); ok {
		return s.authenticateBasic(ctx, user, pw)
	}
	si, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return &core.Caller{ID: si.opID, Username: si.username, Role: si.role, MustChange: si.mustChange}, nil
}

// basipAsks reports whether the server's own error for this request (no
// such route, wrong method, body too large) is answered in BAS-IP's
// shape: on a BAS-IP path (basip.IsPath), or with BAS-IP credentials
// (HTTP Basic, or a cached token from the BAS-IP login; an uncached
// token is not loaded from the store for an error).
func (s *Server) basipAsks(ctx *fasthttp.RequestCtx) bool {
	if basip.IsPath(string(ctx.Path())) {
		return true
	}
	h := ctx.Request.Header.Peek("Authorization")
	if len(h) > 6 && bytes.EqualFold(h[:6], []byte("basic ")) {
		return true
	}
	tok, ok := bearer(ctx)
	if !ok {
		return false
	}
	hash := auth.HashToken(tok)
	s.mu.RLock()
	si := s.sessions[hash]
	s.mu.RUnlock()
	return si != nil && si.scope == basipScope
}
