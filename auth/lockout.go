package auth

import (
	"time"

	"github.com/doord/doord/store"
)

// LockoutPolicy locks an operator out for Duration after Threshold failed
// logins in a row, as Appgate does (seed 002: lockout threshold and
// duration). A lock that has run out is forgotten on the next failure, so an
// attacker gets Threshold guesses per Duration and a legitimate operator is
// never locked for good. A policy with Threshold <= 0 or Duration <= 0 never
// locks (failures are still counted, for the record).
//
// The methods are pure functions of the operator record and the time; the
// caller loads the operator, applies them and stores it, and checks IsLocked
// before it even verifies the password (a locked account answers 429 with
// Retry-After whether or not the password is right).
type LockoutPolicy struct {
	Threshold int
	Duration  time.Duration
}

// DefaultLockout is Appgate's default: 5 failures, locked for 1 minute.
var DefaultLockout = LockoutPolicy{Threshold: 5, Duration: time.Minute}

func (p LockoutPolicy) enabled() bool { return p.Threshold > 0 && p.Duration > 0 }

// RetryAfter is how long o stays locked after now; 0 if it is not locked.
//
// A lock lasts from LockStart to LockStart+Duration. A LockStart up to one
// Duration in the future (the clock was stepped back, as happens when a
// board without a real-time clock corrects its time) is honoured, so the
// lock lasts at most twice as long; one further in the future is not
// believable and is ignored rather than locking the operator out for as long
// as the clock was wrong.
func (p LockoutPolicy) RetryAfter(o *store.Operator, now time.Time) time.Duration {
	if !p.enabled() || o == nil || o.LockStart == nil {
		return 0
	}
	left := o.LockStart.Add(p.Duration).Sub(now)
	if left <= 0 || left > 2*p.Duration {
		return 0
	}
	return left
}

// IsLocked reports whether o is locked out at now: LockStart+Duration > now.
func (p LockoutPolicy) IsLocked(o *store.Operator, now time.Time) bool {
	return p.RetryAfter(o, now) > 0
}

// RecordFailure notes a failed login: it counts the failure, sets
// LastFailure, and starts a lock when the count reaches Threshold. It
// reports whether this failure started a lock (to log it once). Failures
// while locked are counted but do not extend the lock.
func (p LockoutPolicy) RecordFailure(o *store.Operator, now time.Time) (lockedNow bool) {
	if o.LockStart != nil && !p.IsLocked(o, now) {
		// The lock ran out: count afresh.
		o.FailedLogins = 0
		o.LockStart = nil
	}
	o.FailedLogins++
	failure := now
	o.LastFailure = &failure
	if p.enabled() && o.LockStart == nil && o.FailedLogins >= p.Threshold {
		start := now
		o.LockStart = &start
		return true
	}
	return false
}

// RecordSuccess notes a successful login: the failure count and any lock are
// cleared and LastSuccess is set. The caller must have checked IsLocked.
func (p LockoutPolicy) RecordSuccess(o *store.Operator, now time.Time) {
	o.FailedLogins = 0
	o.LockStart = nil
	success := now
	o.LastSuccess = &success
}
