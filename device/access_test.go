package device

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
)

func TestGrantUnlocksForUnlockTime(t *testing.T) {
	for _, tc := range []struct {
		name     string
		extended bool
		want     time.Duration
	}{
		{"normal", false, 5 * time.Second},
		{"extended", true, 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t)
				r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome {
					return access.Outcome{Kind: access.OutcomeGranted, UserUID: 7, CredType: 1, ExtendedOpen: tc.extended}
				}
				r.card("r1", 42)
				r.wantRelay("1", true)
				if p := r.d.lastPresent(); p.reader != "r1" || p.p.Kind != access.PresentCard || p.p.Card != 42 || p.p.DoorMode != access.DoorNormal {
					t.Errorf("presented %+v", p)
				}
				r.wantTypes(EventAccessGranted)
				ev := r.ev.find(EventAccessGranted)[0]
				if ev.Door != "1" || ev.Reader != "r1" || ev.UserUID != 7 || ev.CredentialType != "card" || ev.Detail != "h10301 26 bits" {
					t.Errorf("event = %+v", ev)
				}
				if !r.ev.relayNow[0] {
					t.Error("access_granted emitted before the relay was unlocked")
				}
				if s := r.state("1"); s.Locked || s.LastEvent.Type != EventAccessGranted {
					t.Errorf("state = %+v", s)
				}
				r.sleep(tc.want - time.Nanosecond)
				r.wantRelay("1", true)
				r.sleep(time.Nanosecond)
				r.wantRelay("1", false)
				if !r.state("1").Locked {
					t.Error("state not locked after relock")
				}
				w := r.b.relayWrites("1")
				// start lock, unlock, relock: no extra writes
				if len(w) != 3 || !w[1].unlocked || w[2].unlocked || w[2].at.Sub(w[1].at) != tc.want {
					t.Errorf("relay writes = %+v", w)
				}
			})
		})
	}
}

func TestSecondGrantExtendsUnlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = grant(1)
		r.card("r1", 1)
		r.sleep(3 * time.Second)
		r.card("r1", 1)
		r.sleep(4 * time.Second) // 7 s after the first, 4 after the second
		r.wantRelay("1", true)
		r.sleep(time.Second)
		r.wantRelay("1", false)
	})
}

func TestGrantFeedback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = grant(1)
		r.card("r1", 1)
		if !r.b.ledOn("r1") || !r.b.buzzing("r1") {
			t.Fatal("grant: want LED on and buzzer on")
		}
		r.sleep(GrantBeep)
		if !r.b.ledOn("r1") || r.b.buzzing("r1") {
			t.Fatalf("after %v: want LED still on, buzzer off", GrantBeep)
		}
		r.sleep(5*time.Second - GrantBeep)
		if r.b.ledOn("r1") {
			t.Fatal("LED still on after relock")
		}
	})
}

func TestDenied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.card("r1", 99) // the fake denies unknown cards
		r.wantRelay("1", false)
		r.wantTypes(EventAccessDenied)
		ev := r.ev.find(EventAccessDenied)[0]
		if ev.Reason != "unknown_credential" || ev.Reader != "r1" || ev.Door != "1" {
			t.Errorf("event = %+v", ev)
		}
		if r.b.ledOn("r1") || !r.b.buzzing("r1") {
			t.Fatal("denial: want LED off (red), long beep")
		}
		r.sleep(DenyTime - time.Nanosecond)
		if !r.b.buzzing("r1") {
			t.Fatal("long beep ended early")
		}
		r.sleep(time.Nanosecond)
		if r.b.buzzing("r1") {
			t.Fatal("long beep did not end")
		}
		for _, w := range r.b.relayWrites("1") {
			if w.unlocked {
				t.Fatalf("relay unlocked on a denial: %+v", w)
			}
		}
	})
}

func TestDeniedWhileUnlockedTurnsLEDRedForASecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		if err := r.rt.SetMode("1", access.DoorUnlocked, "op"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if !r.b.ledOn("r1") {
			t.Fatal("unlocked mode: LED should be on (green)")
		}
		r.card("r1", 99)
		if r.b.ledOn("r1") {
			t.Fatal("denial: LED should be off")
		}
		r.sleep(DenyTime)
		if !r.b.ledOn("r1") {
			t.Fatal("LED should be back on after the denial")
		}
		r.wantRelay("1", true)
	})
}

func TestBadRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = grant(1)
		r.badRead("r1", "parity")
		if p := r.d.lastPresent(); p.p.Kind != access.PresentBadRead {
			t.Errorf("presented %+v, want a bad read", p)
		}
		r.wantRelay("1", false)
		ev := r.ev.find(EventAccessDenied)
		if len(ev) != 1 || ev[0].Reason != "bad_read" || ev[0].Detail != "parity" {
			t.Fatalf("events = %+v", r.ev.all())
		}
	})
}

func TestLockout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential, LockedOut: true}
		}
		r.card("r1", 5)
		r.wantTypes(EventAccessDenied, EventLockout)
		if ev := r.ev.find(EventLockout)[0]; ev.Reader != "r1" || ev.Reason != "locked_out" {
			t.Errorf("lockout event = %+v", ev)
		}
	})
}

// An unknown-card burst is an alarm event after the denial, once per
// outcome that carries it.
func TestUnknownCardBurstEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		burst, quiet := false, false
		r.d.card = func(string, uint64, access.DoorMode, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential, CredType: 1, CardBurst: burst, Quiet: quiet}
		}
		r.card("r1", 5)
		burst = true
		r.card("r1", 6)
		burst, quiet = false, true
		r.card("r1", 7) // after the alarm: denied without an event
		r.wantRelay("1", false)
		if !r.b.buzzing("r1") {
			t.Error("a quiet denial shows no denial at the reader")
		}
		quiet = false
		r.sleep(DenyTime)
		r.card("r1", 8)
		r.wantTypes(EventAccessDenied, EventAccessDenied, EventUnknownCardBurst, EventAccessDenied)
		if ev := r.ev.find(EventUnknownCardBurst)[0]; ev.Reader != "r1" || ev.Door != "1" {
			t.Errorf("burst event = %+v", ev)
		}
	})
}

func TestDuress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.key = func(_ string, k byte, _ access.DoorMode, _ time.Time) access.Outcome {
			if k == '#' {
				return access.Outcome{Kind: access.OutcomeGranted, UserUID: 3, CredType: 2, Duress: true}
			}
			return access.Outcome{}
		}
		r.keys("r1", "9999#")
		r.wantRelay("1", true)
		r.wantTypes(EventAccessGranted, EventDuress)
		d := r.ev.find(EventDuress)[0]
		if d.UserUID != 3 || d.CredentialType != "pin" || d.Reader != "r1" {
			t.Errorf("duress event = %+v", d)
		}
		// Silent: the reader shows an ordinary grant.
		if !r.b.ledOn("r1") || !r.b.buzzing("r1") {
			t.Error("duress feedback differs from a grant")
		}
		r.sleep(GrantBeep)
		if r.b.buzzing("r1") {
			t.Error("duress: beep longer than a grant's")
		}
	})
}

func TestKeysArePresentedOneByOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var got []byte
		r.d.key = func(_ string, k byte, _ access.DoorMode, _ time.Time) access.Outcome {
			got = append(got, k)
			return access.Outcome{}
		}
		r.keys("r1", "12*#")
		if string(got) != "12*#" {
			t.Errorf("keys presented = %q", got)
		}
		r.wantTypes() // nothing decided yet
	})
}

func TestUsedPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = func(_ string, c uint64, _ access.DoorMode, _ time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeGranted, CredentialID: c, UsedPass: c == 8}
		}
		r.card("r1", 8)
		r.card("r1", 9)
		r.passes.want(t, []uint64{8}, nil)
	})
}

// A grant the door does not act on spends nothing: the pass it reserved
// is refunded, never committed (a disabled door overruling the engine, a
// relay that would not unlock).
func TestRefusedGrantRefundsPass(t *testing.T) {
	grantPass := func(_ string, c uint64, _ access.DoorMode, _ time.Time) access.Outcome {
		return access.Outcome{Kind: access.OutcomeGranted, CredentialID: c, UsedPass: true}
	}
	t.Run("disabled door", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t)
			r.initial("1")
			r.rt.SetMode("1", access.DoorDisabled, "op")
			r.d.card = grantPass
			r.card("r1", 8)
			r.wantRelay("1", false)
			r.passes.want(t, nil, []uint64{8})
		})
	})
	t.Run("relay does not unlock", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t)
			r.initial("1")
			r.b.mu.Lock()
			r.b.failOpen["1"] = 1
			r.b.mu.Unlock()
			r.d.card = grantPass
			r.card("r1", 8)
			r.wantRelay("1", false)
			r.passes.want(t, nil, []uint64{8})
			// The next grant opens and spends.
			r.card("r1", 8)
			r.wantRelay("1", true)
			r.passes.want(t, []uint64{8}, []uint64{8})
		})
	})
}

// A door that faults between a grant and acting on it (here the relay
// driver panics on the unlock) refunds the pass the grant reserved: the
// door did not open (every relay was secured), and a pass left reserved
// would stay spent in memory, with its queue slot, until a restart.
func TestFaultAfterGrantRefundsPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.b.mu.Lock()
		r.b.panicOn["1"] = true
		r.b.mu.Unlock()
		r.d.card = func(_ string, c uint64, _ access.DoorMode, _ time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeGranted, CredentialID: c, UsedPass: true}
		}
		r.card("r1", 8)
		r.wantAlarms("1", AlarmFault)
		r.wantRelay("1", false)
		r.passes.want(t, nil, []uint64{8})
	})
}

// Card then PIN: the engine answers Pending with a deadline; the runtime
// calls Expire then, and emits what Expire returns.
func TestPendingExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = func(_ string, _ uint64, _ access.DoorMode, now time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomePending, UserUID: 4, CredType: 1, Deadline: now.Add(10 * time.Second)}
		}
		r.d.expire = func(string, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonSecondFactorTimeout, UserUID: 4, CredType: 1}
		}
		r.card("r1", 1)
		r.wantRelay("1", false)
		r.wantTypes()
		// LED blinks while the PIN is awaited.
		if !r.b.ledOn("r1") {
			t.Fatal("pending: LED should start a blink (on)")
		}
		r.sleep(BlinkHalf)
		if r.b.ledOn("r1") {
			t.Fatal("pending: LED should blink off")
		}
		r.sleep(BlinkHalf)
		if !r.b.ledOn("r1") {
			t.Fatal("pending: LED should blink on again")
		}
		r.sleep(10*time.Second - 2*BlinkHalf - time.Nanosecond)
		if n := len(r.d.expireTimes()); n != 0 {
			t.Fatalf("Expire called %d times before the deadline", n)
		}
		r.sleep(time.Nanosecond)
		if got := r.d.expireTimes(); len(got) != 1 || got[0].Sub(r.start) != 10*time.Second {
			t.Fatalf("Expire calls at %v, want one at +10s", got)
		}
		r.wantTypes(EventAccessDenied)
		if ev := r.ev.find(EventAccessDenied)[0]; ev.Reason != "second_factor_timeout" || ev.UserUID != 4 {
			t.Errorf("event = %+v", ev)
		}
		if r.b.ledOn("r1") {
			t.Error("LED should stop blinking (off) on the timeout")
		}
		r.sleep(time.Minute)
		if n := len(r.d.expireTimes()); n != 1 {
			t.Errorf("Expire called %d times, want 1", n)
		}
		r.wantRelay("1", false)
	})
}

func TestPendingThenGranted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = func(_ string, _ uint64, _ access.DoorMode, now time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomePending, Deadline: now.Add(10 * time.Second)}
		}
		r.d.key = func(_ string, k byte, _ access.DoorMode, now time.Time) access.Outcome {
			if k == '#' {
				return access.Outcome{Kind: access.OutcomeGranted, UserUID: 4, CredType: 2}
			}
			// each key restarts the inter-key timeout
			return access.Outcome{Deadline: now.Add(10 * time.Second)}
		}
		r.card("r1", 1)
		r.sleep(2 * time.Second)
		r.keys("r1", "1234#")
		r.wantRelay("1", true)
		r.wantTypes(EventAccessGranted)
		r.sleep(time.Minute)
		if n := len(r.d.expireTimes()); n != 0 {
			t.Errorf("Expire called %d times after the grant", n)
		}
	})
}

// A PIN typed without '#': every key moves the deadline; Expire comes
// once, at the last key's deadline.
func TestKeyDeadlineRearms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.key = func(_ string, _ byte, _ access.DoorMode, now time.Time) access.Outcome {
			return access.Outcome{Deadline: now.Add(5 * time.Second)}
		}
		r.d.expire = func(string, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential, CredType: 2}
		}
		r.keys("r1", "1")
		r.sleep(3 * time.Second)
		r.keys("r1", "2")
		r.sleep(3 * time.Second) // 6 s after the first key
		if n := len(r.d.expireTimes()); n != 0 {
			t.Fatalf("Expire at the first key's deadline")
		}
		r.sleep(2 * time.Second)
		if got := r.d.expireTimes(); len(got) != 1 || got[0].Sub(r.start) != 8*time.Second {
			t.Fatalf("Expire calls at %v, want one at +8s", got)
		}
		r.wantTypes(EventAccessDenied)
	})
}

func TestUnknownReaderIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = grant(1)
		r.card("r9", 1)
		r.wantTypes()
		r.card("r1", 1) // the runtime still works
		r.wantRelay("1", true)
	})
}

// Expire that finds nothing pending (OutcomeNone) still ends the blink.
func TestExpireNoneEndsBlink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.d.card = func(_ string, _ uint64, _ access.DoorMode, now time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomePending, Deadline: now.Add(BlinkHalf * 3)}
		}
		r.card("r1", 1)
		r.sleep(3 * BlinkHalf) // LED would be off..on..off: the deadline lands on "off"
		r.sleep(BlinkHalf)     // ...and on again, if still blinking
		if r.b.ledOn("r1") {
			t.Fatal("LED still blinking after Expire")
		}
		r.wantTypes()
	})
}
