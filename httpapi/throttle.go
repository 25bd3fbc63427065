package httpapi

import (
	"sync"
	"time"
)

// loginThrottle limits failed logins per client address. The per-operator
// lockout protects known accounts; this also slows password spraying across
// many usernames, including ones that do not exist, and it answers those
// the same 429 so the lockout does not tell which usernames exist.
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

// blocked reports whether addr is over the limit, and for how long.
func (l *loginThrottle) blocked(addr string, now time.Time) (bool, time.Duration) {
	if l.max <= 0 {
		return false, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.m[addr]
	if f == nil || now.Sub(f.start) >= l.window {
		return false, 0
	}
	if f.n >= l.max {
		return true, f.start.Add(l.window).Sub(now)
	}
	return false, 0
}

func (l *loginThrottle) fail(addr string, now time.Time) {
	if l.max <= 0 {
		return
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
				return
			}
		}
		f = &ipFailures{start: now}
		l.m[addr] = f
	}
	f.n++
}
