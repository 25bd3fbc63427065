package httpapi

import (
	"errors"
	"hash/fnv"
	"sync"
	"time"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/store"
)

var errBadLogin = &apiError{Status: 401, Detail: "wrong username or password"}

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

// errThrottled is the answer for an address out of attempts.
func errThrottled(wait time.Duration) error {
	return &apiError{Status: 429, RetryAfter: retrySeconds(wait),
		Detail: "too many failed logins from this address; try again in " + wait.Round(time.Second).String()}
}

// errLocked is the answer for a locked operator, and, word for word, for
// a username that is not an operator after as many failures.
func errLocked(wait time.Duration) error {
	return &apiError{Status: 429, RetryAfter: retrySeconds(wait),
		Detail: "too many failed logins; this operator is locked for " + wait.Round(time.Second).String()}
}

func retrySeconds(d time.Duration) int { return int(d.Seconds() + 0.999) }

// checkLogin verifies a password login and applies the lockout policy. It is
// apart from the handler so that other login dialects (BAS-IP) share every
// check and the same failure counter.
//
// The address's attempt is reserved before anything is hashed and given
// back only on success (loginThrottle). A username that is not an
// operator goes through the same steps as a wrong password for one: a
// hash, a failure record (auth.UnknownNames, in memory) with the same
// lockout, a durable write, the same answers.
func (s *Server) checkLogin(addr, username string, secret loginSecret, code string, wantTOTP bool) (*store.Operator, error) {
	now := s.now()
	ok, wait, release := s.throttle.reserve(addr, now)
	if !ok {
		s.log.Warn("login refused: too many failures from this address", "remote", addr)
		return nil, errThrottled(wait)
	}
	// Checks for one name run one at a time, each after the failures
	// before it were recorded: simultaneous guesses cannot all pass the
	// lockout check before the first failure counts.
	nl := s.nameLocks.lock(username)
	defer nl.Unlock()
	op, err := s.st.GetOperatorByUsername(username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.unknownLogin(addr, username, secret, now, release)
	}
	if err != nil {
		release()
		return nil, err
	}
	if wait := s.cfg.Lockout.RetryAfter(&op, now); wait > 0 {
		release() // no password was checked
		s.log.Warn("login refused: operator locked out", "username", username)
		return nil, errLocked(wait)
	}
	ok, err = secret.verify(op.PasswordHash)
	if errors.Is(err, auth.ErrNoMD5Form) {
		// Not a wrong password: the hash predates MD5 logins. It does not
		// count towards the operator's lockout (an integration retrying
		// would lock the operator out of the native API too), only
		// towards the address throttle (the reservation is kept).
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
		op, locked := s.recordFailure(op.ID, now)
		s.audit("operator_login_failed", username, reason)
		s.log.Warn("login failed", "username", username, "reason", reason, "failed_logins", op.FailedLogins, "locked", locked)
		if reason == "totp missing" {
			return nil, &apiError{Status: 401, Detail: "this operator uses two-factor login: send the current code as totp",
				Errs: []FieldError{{Field: "totp", Message: "is required for this operator"}}}
		}
		return nil, errBadLogin
	}
	release()
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

// nameLocks serialises the password checks for one username (striped:
// names sharing a stripe wait for each other, which costs little with
// at most two hashes running at once anyway).
type nameLocks [64]sync.Mutex

func (n *nameLocks) lock(name string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(name))
	m := &n[h.Sum32()%uint32(len(n))]
	m.Lock()
	return m
}

// recordFailure counts a failed password or code check against the
// operator's lockout, durably.
func (s *Server) recordFailure(id uint64, now time.Time) (store.Operator, bool) {
	var locked bool
	op, err := s.st.UpdateOperator(id, func(o *store.Operator) error {
		locked = s.cfg.Lockout.RecordFailure(o, now)
		return nil
	})
	if err != nil {
		s.log.Error("recording a failed login", "err", err)
	}
	return op, locked
}

// unknownLogin answers a login for a username that is not an operator as
// a wrong password for one is answered, at the same cost.
func (s *Server) unknownLogin(addr, username string, secret loginSecret, now time.Time, release func()) error {
	if wait := s.unknown.RetryAfter(s.cfg.Lockout, username, now); wait > 0 {
		release()
		return errLocked(wait)
	}
	auth.DummyVerify(secret.password + secret.md5hex) // the hash a real check costs
	s.unknown.RecordFailure(s.cfg.Lockout, username, now)
	if _, err := s.st.NoteUnknownLoginFailure(); err != nil { // the write a real failure costs
		s.log.Error("recording a failed login", "err", err)
	}
	// The name is neither logged nor put in the event: people type
	// their password into the username field.
	s.audit("operator_login_failed", "", "unknown operator")
	s.log.Info("login failed", "reason", "unknown operator", "remote", addr)
	return errBadLogin
}

// proveSecret checks a password or TOTP code that an operator already
// logged in presents to change its own password or second factor, as a
// login checks it: the address's attempts and the operator's lockout
// apply, and a wrong one counts toward both. field names the body field
// for the 422.
func (s *Server) proveSecret(r *request, op *store.Operator, field, password, code string) error {
	now := s.now()
	ok, wait, release := s.throttle.reserve(r.ctx.RemoteIP().String(), now)
	if !ok {
		return errThrottled(wait)
	}
	// As at login: one check per name at a time, on the record as the
	// failures before it left it.
	nl := s.nameLocks.lock(op.Username)
	defer nl.Unlock()
	cur, err := s.st.GetOperator(op.ID)
	if err != nil {
		release()
		return err
	}
	op = &cur
	if wait := s.cfg.Lockout.RetryAfter(op, now); wait > 0 {
		release()
		return errLocked(wait)
	}
	var good bool
	if password != "" {
		good, _ = auth.VerifyPassword(op.PasswordHash, password)
	} else if op.TOTPSecret != "" && op.TOTPConfirmed {
		step, match := auth.MatchTOTP(op.TOTPSecret, code, now)
		good = match && step > op.TOTPLastStep
	}
	if !good {
		_, locked := s.recordFailure(op.ID, now)
		s.log.Warn("password check failed", "username", op.Username, "field", field, "locked", locked)
		return errField(field, "is wrong")
	}
	release()
	return nil
}
