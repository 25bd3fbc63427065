package auth

import (
	"fmt"
	"testing"
	"time"
)

// TestUnknownNamesLockLikeOperatorsAndStayBounded: an unknown name locks
// after Threshold failures for Duration, as an operator does, and the
// table never holds more than its bound, however many names are tried.
func TestUnknownNamesLockLikeOperatorsAndStayBounded(t *testing.T) {
	p := LockoutPolicy{Threshold: 3, Duration: time.Minute}
	u := NewUnknownNames(100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range p.Threshold {
		if w := u.RetryAfter(p, "ghost", now); w != 0 {
			t.Fatalf("locked after %d failures", i)
		}
		u.RecordFailure(p, "ghost", now)
	}
	if w := u.RetryAfter(p, "ghost", now.Add(10*time.Second)); w != 50*time.Second {
		t.Errorf("RetryAfter = %v, want 50s", w)
	}
	if w := u.RetryAfter(p, "ghost", now.Add(p.Duration)); w != 0 {
		t.Errorf("still locked after Duration: %v", w)
	}
	for i := range 1000 {
		u.RecordFailure(p, fmt.Sprint("name", i), now.Add(time.Duration(i)*time.Millisecond))
		if n := u.Len(); n > 100 {
			t.Fatalf("%d names tracked, bound 100", n)
		}
	}
}
