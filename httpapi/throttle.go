package httpapi

import (
	"sync"
	"time"
)

// loginThrottle limits failed password checks per client address. The
// per-operator lockout protects known accounts; this also slows password
// spraying across many usernames, including ones that do not exist.
//
// An attempt is reserved before its password is hashed and given back only
// if it succeeds, so the limit holds under concurrency: a flood of
// simultaneous guesses gets at most max password checks per window, not
// as many as arrive before the first failure is recorded.
type loginThrottle struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	m      map[string]*ipFailures
}

type ipFailures struct {
	n     int
	start time.Time
}

// maxTracked bounds the table so a flood of spoofed sources cannot grow it
// without limit; when full, expired entries are swept and, failing that,
// the newest address is not tracked (the per-operator lockout still holds).
const maxTracked = 10000

func newLoginThrottle(max int, window time.Duration) *loginThrottle {
	return &loginThrottle{max: max, window: window, m: map[string]*ipFailures{}}
}

// reserve takes one attempt for addr. It reports false and how long to
// wait when addr has no attempt left in this window; otherwise the
// attempt counts as a failure until release gives it back.
func (l *loginThrottle) reserve(addr string, now time.Time) (ok bool, wait time.Duration, release func()) {
	if l.max <= 0 {
		return true, 0, func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[addr]
	if f == nil || now.Sub(f.start) >= l.window {
		if f == nil && len(l.m) >= maxTracked {
			for k, v := range l.m {
				if now.Sub(v.start) >= l.window {
					delete(l.m, k)
				}
			}
			if len(l.m) >= maxTracked {
				return true, 0, func() {}
			}
		}
		f = &ipFailures{start: now}
		l.m[addr] = f
	}
	if f.n >= l.max {
		return false, f.start.Add(l.window).Sub(now), func() {}
	}
	f.n++
	var once sync.Once
	return true, 0, func() {
		once.Do(func() {
			l.mu.Lock()
			// Only this window's count: a new window started meanwhile
			// does not owe this attempt.
			if l.m[addr] == f && f.n > 0 {
				f.n--
			}
			l.mu.Unlock()
		})
	}
}

// blocked reports, without taking an attempt, whether addr has none left
// in this window (a cached HTTP Basic credential is then refused too).
func (l *loginThrottle) blocked(addr string, now time.Time) bool {
	if l.max <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[addr]
	return f != nil && now.Sub(f.start) < l.window && f.n >= l.max
}
