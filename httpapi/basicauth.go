package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doord/doord/httpapi/core"
	"github.com/valyala/fasthttp"
)

// HTTP Basic on the BAS-IP routes. Some BAS-IP panel firmwares and the
// clients written for them send "Authorization: Basic
// base64(username:password)" with the operator's plain password on every
// call instead of logging in. doord accepts it there (never on the native
// routes, which stay Bearer-only) and checks it exactly as a login:
// checkLogin, with the same per-address throttle and lockout, and a wrong
// password counts as a failed login. Every failure answers the same 401,
// a locked operator and a throttled address included, so Basic reveals
// nothing a wrong password would not. An operator with two-factor login
// cannot use it: there is no code to send, so it fails as a login
// without the code does (and counts).
//
// Cost. A password check is an argon2id hash (tens of milliseconds, 19
// MiB), too much for every call of a client that sends Basic each time.
// A credential that passed is remembered for basicTTL: the cache is keyed
// by an HMAC of username and password under a key drawn at start (the
// password itself is never kept, nor a fast hash anyone could look up),
// compared in constant time, and emptied of an operator's entries
// whenever the operator changes (forgetOperator: password, role,
// enabled, deletion), like its sessions. Only successes are cached, so
// failures cannot fill it; it holds at most basicMax entries. A hit
// answers only where a login could: not to an address out of attempts,
// not for a locked operator (else guesses checked against the cache would
// escape both the throttle and the lockout).

const (
	basicTTL = time.Minute
	basicMax = 1024
)

var errBasicFailed = &apiError{Status: 401, Detail: "wrong username or password"}

type basicEntry struct {
	mac     [32]byte
	caller  core.Caller
	expires time.Time
}

type basicCache struct {
	key [32]byte      // read-only after newBasicCache
	gen atomic.Uint64 // bumped by forget; see put
	mu  sync.Mutex
	m   map[[32]byte]*basicEntry
}

func newBasicCache() *basicCache {
	c := &basicCache{m: map[[32]byte]*basicEntry{}}
	rand.Read(c.key[:]) // never fails (crypto/rand since Go 1.24)
	return c
}

func (c *basicCache) mac(username, password string) [32]byte {
	h := hmac.New(sha256.New, c.key[:])
	h.Write([]byte(username))
	h.Write([]byte{0})
	h.Write([]byte(password))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func (c *basicCache) get(mac [32]byte, now time.Time) (core.Caller, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[mac]
	if e == nil || subtle.ConstantTimeCompare(e.mac[:], mac[:]) != 1 || !now.Before(e.expires) {
		return core.Caller{}, false
	}
	return e.caller, true
}

// put remembers a verified credential unless an operator was forgotten
// since gen was read (before the check that verified it): a check racing
// a password change, disabling or demotion must not cache what it read
// before the change for a whole basicTTL after forget ran.
func (c *basicCache) put(gen uint64, mac [32]byte, caller core.Caller, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if len(c.m) >= basicMax {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < basicMax {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[mac] = &basicEntry{mac: mac, caller: caller, expires: now.Add(basicTTL)}
}

// forget drops every entry of operator id.
func (c *basicCache) forget(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	for k, e := range c.m {
		if e.caller.ID == id {
			delete(c.m, k)
		}
	}
}

// basicCredentials parses "Authorization: Basic base64(user:password)".
func basicCredentials(ctx *fasthttp.RequestCtx) (username, password string, ok bool) {
	h := ctx.Request.Header.Peek("Authorization")
	const p = "basic "
	if len(h) <= len(p) || !bytes.EqualFold(h[:len(p)], []byte(p)) {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(h[len(p):])))
	if err != nil {
		return "", "", false
	}
	u, pw, found := bytes.Cut(dec, []byte(":"))
	if !found {
		return "", "", false
	}
	return string(u), string(pw), true
}

// authenticateBasic checks HTTP Basic credentials (see above). Its only
// errors are errBasicFailed and, for an operator that proved its password
// but is disabled or expired, the login's 403.
func (s *Server) authenticateBasic(ctx *fasthttp.RequestCtx, username, password string) (*core.Caller, error) {
	if username == "" || password == "" || len(username) > 64 || len(password) > 256 {
		return nil, errBasicFailed
	}
	now := s.now()
	addr := ctx.RemoteIP().String()
	mac := s.basic.mac(username, password)
	if c, ok := s.basic.get(mac, now); ok {
		// A hit is a password check too: it must not answer where a
		// login would not, or an address out of attempts (or anyone,
		// once the operator is locked) could go on guessing, unthrottled
		// and unhashed, at a credential a panel keeps in the cache.
		if s.throttle.blocked(addr, now) || s.basicLocked(c.ID, now) {
			return nil, errBasicFailed
		}
		return &c, nil
	}
	gen := s.basic.gen.Load()
	op, err := s.checkLogin(addr, username, loginSecret{password: password}, "", true)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == 403 {
			return nil, err
		}
		return nil, errBasicFailed
	}
	c := core.Caller{ID: op.ID, Username: op.Username, Role: op.Role,
		MustChange: op.ForcePasswordChange || op.CredentialsExpired}
	s.basic.put(gen, mac, c, now)
	return &c, nil
}

// basicLocked reports whether operator id is locked out (or gone).
func (s *Server) basicLocked(id uint64, now time.Time) bool {
	op, err := s.st.GetOperator(id)
	return err != nil || s.cfg.Lockout.RetryAfter(&op, now) > 0
}
