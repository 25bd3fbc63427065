package device

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
)

// The LED signals "waiting for PIN" for the whole factor window: an
// unfinished PIN entry that times out inside the window (Expire answers
// OutcomeNone with the window's deadline) does not end the blink.
func TestBlinkLastsTheFactorWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = func(_ string, _ uint64, _ access.DoorMode, now time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomePending, UserUID: 4, CredType: 1, Deadline: now.Add(10 * time.Second)}
		}
		r.d.key = func(_ string, _ byte, _ access.DoorMode, now time.Time) access.Outcome {
			return access.Outcome{Deadline: now.Add(5 * time.Second)} // the PIN entry's own timeout
		}
		window := r.start.Add(10 * time.Second)
		r.d.expire = func(_ string, now time.Time) access.Outcome {
			if now.Before(window) {
				return access.Outcome{Deadline: window} // the entry dropped, the card still pending
			}
			return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonSecondFactorTimeout, UserUID: 4, CredType: 1}
		}
		r.card("r1", 1)
		r.sleep(time.Second)
		r.keys("r1", "1")
		r.sleep(5 * time.Second) // +6 s: the entry timed out
		if n := len(r.d.expireTimes()); n != 1 {
			t.Fatalf("Expire called %d times, want 1 (the entry's timeout)", n)
		}
		r.b.mu.Lock()
		before := len(r.b.ledLog)
		r.b.mu.Unlock()
		r.sleep(3 * time.Second) // +9 s, inside the window
		r.b.mu.Lock()
		toggles := len(r.b.ledLog) - before
		r.b.mu.Unlock()
		if toggles < 10 {
			t.Fatalf("%d LED writes between +6 s and +9 s, want a blink (12)", toggles)
		}
		r.sleep(time.Second) // +10 s: the window ends
		r.wantTypes(EventAccessDenied)
		if r.b.ledOn("r1") {
			t.Error("LED still on after the window")
		}
	})
}
