package auth

import (
	"testing"
	"time"

	"github.com/doord/doord/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// step is one event in a lockout scenario: a failure, a success or just a
// look at the clock, at t0+at, and what must hold afterwards.
type step struct {
	at         time.Duration
	op         string // "fail", "ok" or "check"
	lockedNow  bool   // RecordFailure's result
	locked     bool   // IsLocked after the step
	failures   int    // FailedLogins after the step
	retryAfter time.Duration
}

func runLockout(t *testing.T, p LockoutPolicy, steps []step) {
	t.Helper()
	o := &store.Operator{Username: "alice"}
	for i, s := range steps {
		now := t0.Add(s.at)
		switch s.op {
		case "fail":
			if got := p.RecordFailure(o, now); got != s.lockedNow {
				t.Errorf("step %d (%s at +%v): RecordFailure = %v, want %v", i, s.op, s.at, got, s.lockedNow)
			}
			if o.LastFailure == nil || !o.LastFailure.Equal(now) {
				t.Errorf("step %d: LastFailure = %v, want %v", i, o.LastFailure, now)
			}
		case "ok":
			p.RecordSuccess(o, now)
			if o.LastSuccess == nil || !o.LastSuccess.Equal(now) {
				t.Errorf("step %d: LastSuccess = %v, want %v", i, o.LastSuccess, now)
			}
			if o.LockStart != nil {
				t.Errorf("step %d: LockStart = %v after success, want nil", i, o.LockStart)
			}
		case "check":
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		if got := p.IsLocked(o, now); got != s.locked {
			t.Errorf("step %d (%s at +%v): IsLocked = %v, want %v", i, s.op, s.at, got, s.locked)
		}
		if o.FailedLogins != s.failures {
			t.Errorf("step %d (%s at +%v): FailedLogins = %d, want %d", i, s.op, s.at, o.FailedLogins, s.failures)
		}
		if got := p.RetryAfter(o, now); got != s.retryAfter {
			t.Errorf("step %d (%s at +%v): RetryAfter = %v, want %v", i, s.op, s.at, got, s.retryAfter)
		}
	}
}

func TestLockout(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		name  string
		p     LockoutPolicy
		steps []step
	}{
		{"threshold reached locks, expires after duration", DefaultLockout, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 1 * s, op: "fail", failures: 2},
			{at: 2 * s, op: "fail", failures: 3},
			{at: 3 * s, op: "fail", failures: 4},
			{at: 10 * s, op: "fail", lockedNow: true, locked: true, failures: 5, retryAfter: 60 * s},
			{at: 11 * s, op: "check", locked: true, failures: 5, retryAfter: 59 * s},
			{at: 69*s + 999*time.Millisecond, op: "check", locked: true, failures: 5, retryAfter: time.Millisecond},
			{at: 70 * s, op: "check", locked: false, failures: 5},
			{at: 3600 * s, op: "check", locked: false, failures: 5},
		}},
		{"failures while locked do not extend the lock", DefaultLockout, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 0, op: "fail", failures: 2},
			{at: 0, op: "fail", failures: 3},
			{at: 0, op: "fail", failures: 4},
			{at: 0, op: "fail", lockedNow: true, locked: true, failures: 5, retryAfter: 60 * s},
			{at: 30 * s, op: "fail", locked: true, failures: 6, retryAfter: 30 * s},
			{at: 59 * s, op: "fail", locked: true, failures: 7, retryAfter: 1 * s},
			{at: 60 * s, op: "check", failures: 7},
		}},
		{"counter restarts after an expired lock", LockoutPolicy{Threshold: 3, Duration: time.Minute}, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 0, op: "fail", failures: 2},
			{at: 0, op: "fail", lockedNow: true, locked: true, failures: 3, retryAfter: 60 * s},
			{at: 61 * s, op: "fail", failures: 1}, // not 4: the lock ran out
			{at: 62 * s, op: "fail", failures: 2},
			{at: 63 * s, op: "fail", lockedNow: true, locked: true, failures: 3, retryAfter: 60 * s},
			{at: 64 * s, op: "check", locked: true, failures: 3, retryAfter: 59 * s},
		}},
		{"success clears failures", DefaultLockout, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 0, op: "fail", failures: 2},
			{at: 0, op: "fail", failures: 3},
			{at: 0, op: "fail", failures: 4},
			{at: 1 * s, op: "ok", failures: 0},
			{at: 2 * s, op: "fail", failures: 1},
			{at: 2 * s, op: "fail", failures: 2},
			{at: 2 * s, op: "fail", failures: 3},
			{at: 2 * s, op: "fail", failures: 4},
			{at: 2 * s, op: "fail", lockedNow: true, locked: true, failures: 5, retryAfter: 60 * s},
		}},
		{"success clears a lock", LockoutPolicy{Threshold: 1, Duration: time.Hour}, []step{
			{at: 0, op: "fail", lockedNow: true, locked: true, failures: 1, retryAfter: time.Hour},
			{at: 1 * s, op: "ok", failures: 0}, // e.g. an admin's unlock
			{at: 2 * s, op: "fail", lockedNow: true, locked: true, failures: 1, retryAfter: time.Hour},
		}},
		{"threshold 0 never locks", LockoutPolicy{Threshold: 0, Duration: time.Minute}, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 0, op: "fail", failures: 2},
			{at: 0, op: "fail", failures: 3},
			{at: 0, op: "fail", failures: 4},
			{at: 0, op: "fail", failures: 5},
			{at: 0, op: "fail", failures: 6},
		}},
		{"negative threshold never locks", LockoutPolicy{Threshold: -1, Duration: time.Minute}, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 0, op: "fail", failures: 2},
		}},
		{"zero duration never locks", LockoutPolicy{Threshold: 1}, []step{
			{at: 0, op: "fail", failures: 1},
			{at: 0, op: "fail", failures: 2},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { runLockout(t, tc.p, tc.steps) })
	}
}

func TestLockoutStoredLock(t *testing.T) {
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	p := DefaultLockout
	for _, tc := range []struct {
		name       string
		o          *store.Operator
		p          LockoutPolicy
		retryAfter time.Duration
	}{
		{"nil operator", nil, p, 0},
		{"no lock", &store.Operator{FailedLogins: 9}, p, 0},
		{"lock started now", &store.Operator{LockStart: at(0)}, p, time.Minute},
		{"lock started 59s ago", &store.Operator{LockStart: at(-59 * time.Second)}, p, time.Second},
		{"lock started 60s ago", &store.Operator{LockStart: at(-time.Minute)}, p, 0},
		// The clock was stepped back after the lock started.
		{"lock starts in 30s", &store.Operator{LockStart: at(30 * time.Second)}, p, 90 * time.Second},
		{"lock starts in 60s", &store.Operator{LockStart: at(time.Minute)}, p, 2 * time.Minute},
		{"lock starts in 61s", &store.Operator{LockStart: at(61 * time.Second)}, p, 0},
		{"lock starts in a year", &store.Operator{LockStart: at(365 * 24 * time.Hour)}, p, 0},
		{"stored lock, policy disabled", &store.Operator{LockStart: at(0)}, LockoutPolicy{}, 0},
	} {
		if got := tc.p.RetryAfter(tc.o, t0); got != tc.retryAfter {
			t.Errorf("%s: RetryAfter = %v, want %v", tc.name, got, tc.retryAfter)
		}
		if got, want := tc.p.IsLocked(tc.o, t0), tc.retryAfter > 0; got != want {
			t.Errorf("%s: IsLocked = %v, want %v", tc.name, got, want)
		}
	}
	// A failure against a disabled policy clears a stale stored lock.
	o := &store.Operator{FailedLogins: 5, LockStart: at(0)}
	disabled := LockoutPolicy{}
	if disabled.RecordFailure(o, t0) || o.LockStart != nil || o.FailedLogins != 1 {
		t.Errorf("RecordFailure with a disabled policy left LockStart %v, FailedLogins %d; want nil, 1", o.LockStart, o.FailedLogins)
	}
}

// TestLockoutTimesNotShared checks that LockStart and LastFailure are
// separate copies: a caller changing one must not move the other.
func TestLockoutTimesNotShared(t *testing.T) {
	o := &store.Operator{}
	p := LockoutPolicy{Threshold: 1, Duration: time.Minute}
	p.RecordFailure(o, t0)
	if o.LockStart == o.LastFailure {
		t.Errorf("LockStart and LastFailure share one pointer")
	}
	*o.LastFailure = t0.Add(time.Hour)
	if !o.LockStart.Equal(t0) {
		t.Errorf("LockStart = %v after changing LastFailure, want %v", o.LockStart, t0)
	}
}
