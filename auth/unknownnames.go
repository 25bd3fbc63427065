package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/doord/doord/store"
)

// UnknownNames keeps the failed-login record of usernames that are not
// operators, in memory, so that the lockout answers for them are the same
// as for a real operator: the same count of failures before a 429, the
// same Retry-After, the same end of the lock. Without it, six wrong
// guesses tell which usernames exist (a real one locks, an unknown one
// never does).
//
// Names are kept only as a salted SHA-256 (the salt is random per process):
// people type passwords into the username field. The table is bounded;
// when full, records whose lock and failures have run out are swept and,
// failing that, the oldest failure makes room.
type UnknownNames struct {
	mu   sync.Mutex
	max  int
	salt [16]byte
	m    map[[32]byte]*store.Operator // only FailedLogins, LockStart, LastFailure are used
}

// NewUnknownNames makes a table of at most max names (10,000 if max <= 0).
func NewUnknownNames(max int) *UnknownNames {
	if max <= 0 {
		max = 10000
	}
	u := &UnknownNames{max: max, m: map[[32]byte]*store.Operator{}}
	rand.Read(u.salt[:])
	return u
}

func (u *UnknownNames) key(name string) [32]byte {
	h := sha256.New()
	h.Write(u.salt[:])
	h.Write([]byte(name))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// RetryAfter is LockoutPolicy.RetryAfter for the unknown name.
func (u *UnknownNames) RetryAfter(p LockoutPolicy, name string, now time.Time) time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	return p.RetryAfter(u.m[u.key(name)], now)
}

// RecordFailure is LockoutPolicy.RecordFailure for the unknown name.
func (u *UnknownNames) RecordFailure(p LockoutPolicy, name string, now time.Time) (lockedNow bool) {
	k := u.key(name)
	u.mu.Lock()
	defer u.mu.Unlock()
	o := u.m[k]
	if o == nil {
		if len(u.m) >= u.max {
			u.makeRoom(p, now)
		}
		o = &store.Operator{}
		u.m[k] = o
	}
	return p.RecordFailure(o, now)
}

// Len is how many names are tracked.
func (u *UnknownNames) Len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.m)
}

// makeRoom drops records that no longer matter (not locked, last failure
// more than a lock duration ago), else the one with the oldest failure.
func (u *UnknownNames) makeRoom(p LockoutPolicy, now time.Time) {
	var oldest [32]byte
	var oldestAt time.Time
	for k, o := range u.m {
		if !p.IsLocked(o, now) && o.LastFailure != nil && now.Sub(*o.LastFailure) > p.Duration {
			delete(u.m, k)
			continue
		}
		if o.LastFailure != nil && (oldestAt.IsZero() || o.LastFailure.Before(oldestAt)) {
			oldest, oldestAt = k, *o.LastFailure
		}
	}
	if len(u.m) >= u.max {
		delete(u.m, oldest)
	}
}
