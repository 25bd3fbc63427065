package access

import (
	"fmt"
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// Wednesday 2025-03-12 10:00 UTC; Sunday is 2025-03-16.
var (
	wed10 = time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)
	sun10 = time.Date(2025, 3, 16, 10, 0, 0, 0, time.UTC)
)

func tptr(t time.Time) *time.Time { return &t }

type fixture struct {
	profiles []store.TimeProfile
	users    []store.User
	creds    []store.Credential
}

func (f *fixture) user(u store.User) uint64 {
	u.UID = uint64(len(f.users) + 1)
	if u.State == "" {
		u.State = store.StateActive
	}
	if u.Locks == "" {
		u.Locks = store.LocksBoth
	}
	f.users = append(f.users, u)
	return u.UID
}

func (f *fixture) cred(c store.Credential) uint64 {
	c.ID = uint64(len(f.creds) + 1)
	if c.Locks == "" {
		c.Locks = store.LocksBoth
	}
	f.creds = append(f.creds, c)
	return c.ID
}

func card(uid uint64, v string) store.Credential {
	return store.Credential{UserUID: uid, Type: store.CredCard, Value: v}
}

func pin(uid uint64, v string) store.Credential {
	return store.Credential{UserUID: uid, Type: store.CredPIN, Value: v}
}

// The fixture people, by UID.
const (
	uAlice = iota + 1 // active, card 1001, PIN 1234
	uBob              // disabled, card 1002
	uCarol            // archived, card 1003
	uDave             // valid_to in the past, card 1004
	uErin             // card valid from the future, card 1005
	uFrank            // user profile office hours, card 1006
	uGina             // card profile office hours, card 1007
	uHank             // locks 2, card 1008
	uIvy              // card locks 2, card 1009
	uJack             // card 1010: max 2 passes, none left
	uKim              // security, card 1011
	uLeo              // custom access card+pin, card 1012, PIN 5555
	uMia              // PIN 0007
	uNed              // card 1014: 2 passes
	uOla              // PIN 1235 (alice's duress variant with offset 1)
	uPia              // two profiles: office OR weekend, card 1016
)

func testFixture() *fixture {
	f := &fixture{profiles: []store.TimeProfile{
		{ID: 1, Name: "office", Intervals: []store.Interval{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: "08:00", End: "18:00"}}},
		{ID: 2, Name: "weekend", Intervals: []store.Interval{{Days: []time.Weekday{0, 6}, Start: "00:00", End: "24:00"}}},
	}}
	f.user(store.User{Name: "alice"})
	f.user(store.User{Name: "bob", State: store.StateDisabled})
	f.user(store.User{Name: "carol", State: store.StateArchived})
	f.user(store.User{Name: "dave", ValidTo: tptr(wed10.Add(-time.Hour))})
	f.user(store.User{Name: "erin"})
	f.user(store.User{Name: "frank", TimeProfiles: []uint64{1}})
	f.user(store.User{Name: "gina"})
	f.user(store.User{Name: "hank", Locks: store.LocksSecond})
	f.user(store.User{Name: "ivy"})
	f.user(store.User{Name: "jack"})
	f.user(store.User{Name: "kim", Security: true})
	f.user(store.User{Name: "leo", CustomAccess: true, AuthFactors: []string{"card", "pin"}})
	f.user(store.User{Name: "mia"})
	f.user(store.User{Name: "ned"})
	f.user(store.User{Name: "ola"})
	f.user(store.User{Name: "pia", TimeProfiles: []uint64{1, 2}})
	f.cred(card(uAlice, "1001"))
	f.cred(pin(uAlice, "1234"))
	for uid := uint64(uBob); uid <= uKim; uid++ {
		c := card(uid, fmt.Sprint(1000+uid))
		switch uid {
		case uErin:
			c.ValidFrom = tptr(wed10.Add(time.Hour))
		case uGina:
			c.TimeProfiles = []uint64{1}
		case uIvy:
			c.Locks = store.LocksSecond
		case uJack:
			c.MaxPasses, c.PassesLeft = 2, 0
		}
		f.cred(c)
	}
	f.cred(card(uLeo, "1012"))
	f.cred(pin(uLeo, "5555"))
	f.cred(pin(uMia, "0007"))
	c := card(uNed, "1014")
	c.MaxPasses, c.PassesLeft = 2, 2
	f.cred(c)
	f.cred(pin(uOla, "1235"))
	f.cred(card(uPia, "1016"))
	return f
}

var testReaders = []ReaderConfig{
	{ID: "any", Lock: 1, Mode: ModeCardOrPIN},
	{ID: "card", Lock: 1, Mode: ModeCard},
	{ID: "card2", Lock: 2, Mode: ModeCard},
	{ID: "pin", Lock: 1, Mode: ModePIN},
	{ID: "both", Lock: 1, Mode: ModeCardAndPIN, FactorTimeout: 10 * time.Second, PINTimeout: 5 * time.Second},
}

func newTestEngine(t testing.TB, cfg EngineConfig) *Engine {
	t.Helper()
	if cfg.Readers == nil {
		cfg.Readers = testReaders
	}
	e := NewEngine(cfg)
	f := testFixture()
	e.LoadRecords(f.profiles, f.users, f.creds)
	return e
}

func cardP(v uint64) Presentation { return Presentation{Kind: PresentCard, Card: v} }

// typeKeys presents each key and returns the last outcome.
func typeKeys(e *Engine, reader, keys string, now time.Time) Outcome {
	var o Outcome
	for i := 0; i < len(keys); i++ {
		o = e.Present(reader, Presentation{Kind: PresentKey, Key: keys[i]}, now)
	}
	return o
}

func want(t *testing.T, what string, got Outcome, kind OutcomeKind, reason Reason) {
	t.Helper()
	if got.Kind != kind || got.Reason != reason {
		t.Errorf("%s: got kind %d reason %q, want kind %d reason %q (%+v)", what, got.Kind, got.Reason, kind, reason, got)
	}
}

func TestReasons(t *testing.T) {
	tests := []struct {
		name   string
		reader string
		p      Presentation
		at     time.Time
		kind   OutcomeKind
		reason Reason
		uid    uint64
	}{
		{"granted", "any", cardP(1001), wed10, OutcomeGranted, ReasonNone, uAlice},
		{"unknown card", "any", cardP(999999), wed10, OutcomeDenied, ReasonUnknownCredential, 0},
		{"disabled", "any", cardP(1002), wed10, OutcomeDenied, ReasonUserDisabled, uBob},
		{"archived", "any", cardP(1003), wed10, OutcomeDenied, ReasonUserDisabled, uCarol},
		{"user validity over", "any", cardP(1004), wed10, OutcomeDenied, ReasonOutsideValidity, uDave},
		{"card not yet valid", "any", cardP(1005), wed10, OutcomeDenied, ReasonOutsideValidity, uErin},
		{"card valid later", "any", cardP(1005), wed10.Add(2 * time.Hour), OutcomeGranted, ReasonNone, uErin},
		{"user schedule open", "any", cardP(1006), wed10, OutcomeGranted, ReasonNone, uFrank},
		{"user schedule closed", "any", cardP(1006), sun10, OutcomeDenied, ReasonOutsideSchedule, uFrank},
		{"card schedule closed", "any", cardP(1007), sun10, OutcomeDenied, ReasonOutsideSchedule, uGina},
		{"card schedule open", "any", cardP(1007), wed10, OutcomeGranted, ReasonNone, uGina},
		{"any of two profiles, weekday", "any", cardP(1016), wed10, OutcomeGranted, ReasonNone, uPia},
		{"any of two profiles, sunday", "any", cardP(1016), sun10, OutcomeGranted, ReasonNone, uPia},
		{"any of two profiles, weeknight", "any", cardP(1016), wed10.Add(12 * time.Hour), OutcomeDenied, ReasonOutsideSchedule, uPia},
		{"no profiles, sunday", "any", cardP(1001), sun10, OutcomeGranted, ReasonNone, uAlice},
		{"user lock 2 at door 1", "any", cardP(1008), wed10, OutcomeDenied, ReasonDoorNotPermitted, uHank},
		{"user lock 2 at door 2", "card2", cardP(1008), wed10, OutcomeGranted, ReasonNone, uHank},
		{"card lock 2 at door 1", "any", cardP(1009), wed10, OutcomeDenied, ReasonDoorNotPermitted, uIvy},
		{"both locks at door 2", "card2", cardP(1001), wed10, OutcomeGranted, ReasonNone, uAlice},
		{"passes used up", "any", cardP(1010), wed10, OutcomeDenied, ReasonPassesUsedUp, uJack},
		{"door disabled", "any", Presentation{Kind: PresentCard, Card: 1001, DoorMode: DoorDisabled}, wed10, OutcomeDenied, ReasonDoorMode, 0},
		{"door disabled, security", "any", Presentation{Kind: PresentCard, Card: 1011, DoorMode: DoorDisabled}, wed10, OutcomeDenied, ReasonDoorMode, 0},
		{"locked down", "any", Presentation{Kind: PresentCard, Card: 1001, DoorMode: DoorLockedDown}, wed10, OutcomeDenied, ReasonDoorMode, uAlice},
		{"locked down, security", "any", Presentation{Kind: PresentCard, Card: 1011, DoorMode: DoorLockedDown}, wed10, OutcomeGranted, ReasonNone, uKim},
		{"unlocked door decides normally", "any", Presentation{Kind: PresentCard, Card: 1002, DoorMode: DoorUnlocked}, wed10, OutcomeDenied, ReasonUserDisabled, uBob},
		{"unlocked door grants normally", "any", Presentation{Kind: PresentCard, Card: 1001, DoorMode: DoorUnlocked}, wed10, OutcomeGranted, ReasonNone, uAlice},
		{"bad read", "any", Presentation{Kind: PresentBadRead}, wed10, OutcomeDenied, ReasonBadRead, 0},
		{"card zero", "any", cardP(0), wed10, OutcomeDenied, ReasonBadRead, 0},
		{"unknown reader", "nope", cardP(1001), wed10, OutcomeDenied, ReasonDoorNotPermitted, 0},
		{"card at PIN reader", "pin", cardP(1001), wed10, OutcomeDenied, ReasonReaderMode, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, EngineConfig{})
			got := e.Present(tt.reader, tt.p, tt.at)
			want(t, tt.name, got, tt.kind, tt.reason)
			if got.UserUID != tt.uid {
				t.Errorf("UserUID = %d, want %d", got.UserUID, tt.uid)
			}
		})
	}
}

func TestPINReasons(t *testing.T) {
	tests := []struct {
		name, reader, keys string
		kind               OutcomeKind
		reason             Reason
		uid                uint64
	}{
		{"PIN at PIN reader", "pin", "1234#", OutcomeGranted, ReasonNone, uAlice},
		{"PIN at card-or-PIN reader", "any", "1234#", OutcomeGranted, ReasonNone, uAlice},
		{"leading zeros kept", "pin", "0007#", OutcomeGranted, ReasonNone, uMia},
		{"leading zeros matter", "pin", "007#", OutcomeDenied, ReasonUnknownCredential, 0},
		{"unknown PIN", "pin", "9999#", OutcomeDenied, ReasonUnknownCredential, 0},
		{"too long", "pin", "1234567890123#", OutcomeDenied, ReasonUnknownCredential, 0},
		{"star clears", "pin", "99*1234#", OutcomeGranted, ReasonNone, uAlice},
		{"hash alone does nothing", "pin", "#", OutcomeNone, ReasonNone, 0},
		{"PIN at card reader", "card", "1234#", OutcomeDenied, ReasonReaderMode, 0},
		{"PIN first at card-and-PIN reader", "both", "1234#", OutcomeDenied, ReasonReaderMode, 0},
		{"multi-factor user: PIN first waits for card", "any", "5555#", OutcomePending, ReasonNone, uLeo},
		{"bad key", "pin", "12x", OutcomeDenied, ReasonBadRead, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, EngineConfig{})
			got := typeKeys(e, tt.reader, tt.keys, wed10)
			want(t, tt.name, got, tt.kind, tt.reason)
			if got.UserUID != tt.uid {
				t.Errorf("UserUID = %d, want %d", got.UserUID, tt.uid)
			}
		})
	}
}

func TestCardAndPIN(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	o := e.Present("both", cardP(1001), wed10)
	want(t, "card", o, OutcomePending, ReasonNone)
	if !o.Deadline.Equal(wed10.Add(10*time.Second)) || o.UserUID != uAlice {
		t.Errorf("pending deadline, uid = %v, %d", o.Deadline, o.UserUID)
	}
	o = typeKeys(e, "both", "12", wed10.Add(time.Second))
	want(t, "digits", o, OutcomeNone, ReasonNone)
	if !o.Deadline.Equal(wed10.Add(6 * time.Second)) {
		t.Errorf("PIN deadline = %v, want +6s (the PIN timeout after the last key)", o.Deadline)
	}
	o = typeKeys(e, "both", "34#", wed10.Add(2*time.Second))
	want(t, "card then PIN", o, OutcomeGranted, ReasonNone)
	if o.CredentialID != 1 || o.CredType != 1 || o.UserUID != uAlice {
		t.Errorf("granted %+v, want alice's card", o)
	}

	// Another user's PIN is wrong, even though it is valid.
	e.Present("both", cardP(1001), wed10)
	want(t, "other user's PIN", typeKeys(e, "both", "0007#", wed10), OutcomeDenied, ReasonSecondFactorWrong)
	e.Present("both", cardP(1001), wed10)
	want(t, "wrong PIN", typeKeys(e, "both", "9999#", wed10), OutcomeDenied, ReasonSecondFactorWrong)
	// The pending card is gone after a wrong PIN.
	want(t, "PIN after wrong PIN", typeKeys(e, "both", "1234#", wed10), OutcomeDenied, ReasonReaderMode)

	// Timeout through Expire.
	e.Present("both", cardP(1001), wed10)
	want(t, "early expire", e.Expire("both", wed10.Add(9*time.Second)), OutcomeNone, ReasonNone)
	o = e.Expire("both", wed10.Add(10*time.Second))
	want(t, "expire", o, OutcomeDenied, ReasonSecondFactorTimeout)
	if o.UserUID != uAlice {
		t.Errorf("timeout uid = %d", o.UserUID)
	}
	// Timeout noticed on the next key when Expire came late.
	e.Present("both", cardP(1001), wed10)
	want(t, "late key", typeKeys(e, "both", "1", wed10.Add(11*time.Second)), OutcomeDenied, ReasonSecondFactorTimeout)

	// A disabled user's card is refused before any PIN.
	want(t, "disabled card", e.Present("both", cardP(1002), wed10), OutcomeDenied, ReasonUserDisabled)
}

func TestMultiFactorUser(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	// Leo needs card and PIN everywhere, even at a card-or-PIN reader.
	want(t, "card", e.Present("any", cardP(1012), wed10), OutcomePending, ReasonNone)
	want(t, "then PIN", typeKeys(e, "any", "5555#", wed10), OutcomeGranted, ReasonNone)
	want(t, "PIN", typeKeys(e, "any", "5555#", wed10), OutcomePending, ReasonNone)
	o := e.Present("any", cardP(1012), wed10)
	want(t, "then card", o, OutcomeGranted, ReasonNone)
	if o.CredType != 2 {
		t.Errorf("CredType = %d, want the PIN that started it", o.CredType)
	}
	want(t, "PIN", typeKeys(e, "any", "5555#", wed10), OutcomePending, ReasonNone)
	want(t, "then someone else's card", e.Present("any", cardP(1001), wed10), OutcomeDenied, ReasonSecondFactorWrong)
	// At a card-only reader the PIN is still required.
	want(t, "card at card reader", e.Present("card", cardP(1012), wed10), OutcomePending, ReasonNone)
	want(t, "then PIN at card reader", typeKeys(e, "card", "5555#", wed10), OutcomeGranted, ReasonNone)
	// Alice (no custom access) passes with her card alone.
	want(t, "alice", e.Present("any", cardP(1001), wed10), OutcomeGranted, ReasonNone)
}

func TestPINEntry(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	o := typeKeys(e, "pin", "12", wed10)
	if !o.Deadline.Equal(wed10.Add(DefaultPINTimeout)) {
		t.Errorf("deadline = %v", o.Deadline)
	}
	// The entry times out: dropped, not submitted.
	o = e.Expire("pin", wed10.Add(DefaultPINTimeout))
	want(t, "expire", o, OutcomeNone, ReasonNone)
	if !o.Deadline.IsZero() {
		t.Errorf("deadline after expiry = %v", o.Deadline)
	}
	want(t, "rest after timeout", typeKeys(e, "pin", "34#", wed10.Add(6*time.Second)), OutcomeDenied, ReasonUnknownCredential)
	// Late keys start a new entry even without Expire.
	typeKeys(e, "pin", "99", wed10)
	want(t, "new entry after silence", typeKeys(e, "pin", "1234#", wed10.Add(time.Minute)), OutcomeGranted, ReasonNone)
	// Each key restarts the timeout.
	typeKeys(e, "pin", "1", wed10)
	typeKeys(e, "pin", "2", wed10.Add(4*time.Second))
	typeKeys(e, "pin", "3", wed10.Add(8*time.Second))
	want(t, "slow typist", typeKeys(e, "pin", "4#", wed10.Add(12*time.Second)), OutcomeGranted, ReasonNone)
}

// Unknown cards never lock a reader (anyone with a cheap card could lock
// it for everyone): a valid card opens right after a burst of them, and
// the burst raises one alarm per window.
func TestUnknownCardBurst(t *testing.T) {
	e := newTestEngine(t, EngineConfig{
		ReaderLockout: LockoutConfig{Threshold: 3, Duration: time.Minute},
		CardBurst:     LockoutConfig{Threshold: 3, Duration: time.Minute},
	})
	bursts := 0
	for i := range 8 {
		o := e.Present("any", cardP(uint64(5000+i)), wed10.Add(time.Duration(i)*time.Second))
		want(t, "unknown", o, OutcomeDenied, ReasonUnknownCredential)
		if o.LockedOut {
			t.Errorf("unknown card %d locked the reader", i+1)
		}
		if o.CardBurst {
			bursts++
			if i != 2 {
				t.Errorf("burst raised at unknown card %d, want at the 3rd", i+1)
			}
		}
		// Throttled: after the alarm, the window's further unknown cards
		// are still denied, but quietly (no event each), so a card
		// emulator cannot flood the event log; they are counted.
		if o.Quiet != (i > 2) {
			t.Errorf("unknown card %d: Quiet = %v, want %v", i+1, o.Quiet, i > 2)
		}
	}
	if bursts != 1 {
		t.Errorf("burst alarms in one window = %d, want 1", bursts)
	}
	if s := e.Stats(wed10.Add(8 * time.Second)); s.QuietDenials != 5 {
		t.Errorf("QuietDenials = %d, want 5", s.QuietDenials)
	}
	want(t, "valid card right after the burst", e.Present("any", cardP(1001), wed10.Add(8*time.Second)), OutcomeGranted, ReasonNone)
	want(t, "valid PIN right after the burst", typeKeys(e, "any", "1234#", wed10.Add(8*time.Second)), OutcomeGranted, ReasonNone)
	if s := e.Stats(wed10.Add(8 * time.Second)); s.LockedReaders != 0 {
		t.Errorf("LockedReaders = %d", s.LockedReaders)
	}
	// The next window's burst is a new alarm; a grant in between does
	// not hide it.
	later := wed10.Add(2 * time.Minute)
	bursts = 0
	for i := range 4 {
		if e.Present("any", cardP(uint64(6000+i)), later).CardBurst {
			bursts++
		}
	}
	if bursts != 1 {
		t.Errorf("burst alarms in the next window = %d, want 1", bursts)
	}
	// Unknown cards do not add to the PIN-guessing count either.
	want(t, "one wrong PIN after the burst", typeKeys(e, "any", "9990#", later), OutcomeDenied, ReasonUnknownCredential)
	want(t, "valid card", e.Present("any", cardP(1001), later), OutcomeGranted, ReasonNone)
}

func TestReaderLockout(t *testing.T) {
	e := newTestEngine(t, EngineConfig{ReaderLockout: LockoutConfig{Threshold: 3, Duration: time.Minute}})
	for i := range 3 {
		o := typeKeys(e, "any", fmt.Sprintf("999%d#", i), wed10)
		want(t, "unknown PIN", o, OutcomeDenied, ReasonUnknownCredential)
		if o.LockedOut != (i == 2) {
			t.Errorf("attempt %d: LockedOut = %v", i+1, o.LockedOut)
		}
	}
	// The lock is on PIN entry: guessing PINs must not let anyone lock a
	// reader's cards for everyone (the denial of service the unknown-card
	// lockout had).
	want(t, "good card while PIN entry is locked", e.Present("any", cardP(1001), wed10.Add(59*time.Second)), OutcomeGranted, ReasonNone)
	want(t, "key while locked", typeKeys(e, "any", "1", wed10), OutcomeDenied, ReasonLockedOut)
	want(t, "good PIN while locked", typeKeys(e, "any", "1234#", wed10.Add(59*time.Second)), OutcomeDenied, ReasonLockedOut)
	want(t, "other reader", e.Present("card", cardP(1001), wed10), OutcomeGranted, ReasonNone)
	if s := e.Stats(wed10); s.LockedReaders != 1 {
		t.Errorf("LockedReaders = %d", s.LockedReaders)
	}
	want(t, "after the lock", e.Present("any", cardP(1001), wed10.Add(time.Minute)), OutcomeGranted, ReasonNone)
	// Unknown PINs count too; a grant resets the count.
	typeKeys(e, "any", "9990#", wed10.Add(2*time.Minute))
	typeKeys(e, "any", "9991#", wed10.Add(2*time.Minute))
	e.Present("any", cardP(1001), wed10.Add(2*time.Minute))
	o := typeKeys(e, "any", "9992#", wed10.Add(2*time.Minute))
	if o.LockedOut {
		t.Error("a grant did not reset the failure count")
	}
	typeKeys(e, "any", "9993#", wed10.Add(2*time.Minute))
	o = typeKeys(e, "any", "9994#", wed10.Add(2*time.Minute))
	if !o.LockedOut {
		t.Error("three unknown PINs did not lock the reader")
	}
	e.ResetLockouts()
	want(t, "after reset", e.Present("any", cardP(1001), wed10.Add(2*time.Minute)), OutcomeGranted, ReasonNone)
}

func TestPINLockout(t *testing.T) {
	e := newTestEngine(t, EngineConfig{
		ReaderLockout: LockoutConfig{Off: true},
		PINLockout:    LockoutConfig{Threshold: 3, Duration: time.Minute},
	})
	for i := range 3 {
		e.Present("both", cardP(1001), wed10)
		o := typeKeys(e, "both", "0000#", wed10)
		want(t, "wrong", o, OutcomeDenied, ReasonSecondFactorWrong)
		if o.LockedOut != (i == 2) {
			t.Errorf("attempt %d: LockedOut = %v", i+1, o.LockedOut)
		}
	}
	want(t, "card of a PIN-locked user", e.Present("both", cardP(1001), wed10), OutcomeDenied, ReasonLockedOut)
	want(t, "the PIN alone", typeKeys(e, "pin", "1234#", wed10), OutcomeDenied, ReasonLockedOut)
	want(t, "card alone where no PIN is needed", e.Present("card", cardP(1001), wed10), OutcomeGranted, ReasonNone)
	want(t, "another user", typeKeys(e, "pin", "0007#", wed10), OutcomeGranted, ReasonNone)
	if s := e.Stats(wed10); s.LockedPINs != 1 {
		t.Errorf("LockedPINs = %d", s.LockedPINs)
	}
	later := wed10.Add(time.Minute)
	e.Present("both", cardP(1001), later)
	want(t, "after the lock", typeKeys(e, "both", "1234#", later), OutcomeGranted, ReasonNone)
}

func TestDuress(t *testing.T) {
	e := newTestEngine(t, EngineConfig{DuressOffset: 1})
	o := typeKeys(e, "pin", "1234#", wed10)
	if o.Kind != OutcomeGranted || o.Duress {
		t.Errorf("real PIN: %+v", o)
	}
	// 1235 is ola's real PIN and alice's duress PIN: real PINs win.
	o = typeKeys(e, "pin", "1235#", wed10)
	if o.Kind != OutcomeGranted || o.Duress || o.UserUID != uOla {
		t.Errorf("1235 alone: %+v, want ola without duress", o)
	}
	// After alice's card, 1235 can only be alice's duress PIN.
	e.Present("both", cardP(1001), wed10)
	o = typeKeys(e, "both", "1235#", wed10)
	if o.Kind != OutcomeGranted || !o.Duress || o.UserUID != uAlice {
		t.Errorf("alice's card + 1235: %+v, want alice under duress", o)
	}
	// Wrap: 0007 → 0008; mia.
	o = typeKeys(e, "pin", "0008#", wed10)
	if o.Kind != OutcomeGranted || !o.Duress || o.UserUID != uMia {
		t.Errorf("0008: %+v, want mia under duress", o)
	}
	e2 := newTestEngine(t, EngineConfig{DuressOffset: 3})
	if o := typeKeys(e2, "pin", "1237#", wed10); !o.Duress || o.UserUID != uAlice {
		t.Errorf("offset 3: %+v", o)
	}
	// Without duress configured the variant is just unknown.
	e3 := newTestEngine(t, EngineConfig{})
	want(t, "no duress", typeKeys(e3, "pin", "0008#", wed10), OutcomeDenied, ReasonUnknownCredential)
	// Duress does not bypass policy.
	e4 := newTestEngine(t, EngineConfig{DuressOffset: 1})
	want(t, "duress at a locked-down door", typeKeys(e4, "pin", "0008#", wed10), OutcomeGranted, ReasonNone)
	o = e4.Present("pin", Presentation{Kind: PresentKey, Key: '0'}, wed10)
	typeKeys(e4, "pin", "008", wed10)
	o = e4.Present("pin", Presentation{Kind: PresentKey, Key: '#', DoorMode: DoorDisabled}, wed10)
	want(t, "duress at a disabled door", o, OutcomeDenied, ReasonDoorMode)
}

func TestPasses(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	for i := range 2 {
		o := e.Present("any", cardP(1014), wed10)
		if o.Kind != OutcomeGranted || !o.UsedPass {
			t.Fatalf("pass %d: %+v", i+1, o)
		}
	}
	want(t, "third", e.Present("any", cardP(1014), wed10), OutcomeDenied, ReasonPassesUsedUp)
	var c store.Credential
	for _, fc := range testFixture().creds {
		if fc.Value == "1014" {
			c = fc
		}
	}
	// A record from before the spends reached the store does not give
	// them back; the store's records of the two spends (PassSpent)
	// confirm them.
	c.PassesLeft = 2
	e.Apply([]store.Change{{Seq: 4, Kind: store.KindCredential, ID: c.ID, Credential: &c}})
	want(t, "a record without the spends", e.Present("any", cardP(1014), wed10), OutcomeDenied, ReasonPassesUsedUp)
	for seq, left := range []uint32{1, 0} {
		c.PassesLeft = left
		e.Apply([]store.Change{{Seq: uint64(5 + seq), Kind: store.KindCredential, ID: c.ID, Credential: &c, PassSpent: true}})
		want(t, "a spend confirmed", e.Present("any", cardP(1014), wed10), OutcomeDenied, ReasonPassesUsedUp)
	}
	// Then the store's value is the count: a reset gives one back.
	c.PassesLeft = 1
	e.Apply([]store.Change{{Seq: 7, Kind: store.KindCredential, ID: c.ID, Credential: &c}})
	if o := e.Present("any", cardP(1014), wed10); o.Kind != OutcomeGranted || !o.UsedPass {
		t.Errorf("after the store's reset: %+v", o)
	}
	want(t, "then none", e.Present("any", cardP(1014), wed10), OutcomeDenied, ReasonPassesUsedUp)
	// An unlimited credential never reports a used pass.
	if o := e.Present("any", cardP(1001), wed10); o.UsedPass {
		t.Errorf("unlimited: %+v", o)
	}
	if e.Stats(wed10).Seq != 7 {
		t.Errorf("Seq = %d", e.Stats(wed10).Seq)
	}
}

func TestApplyUpdatesDecisions(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	f := testFixture()
	alice := f.users[uAlice-1]
	alice.State = store.StateDisabled
	e.Apply([]store.Change{{Seq: 1, Kind: store.KindUser, ID: uAlice, User: &alice}})
	want(t, "disabled", e.Present("any", cardP(1001), wed10), OutcomeDenied, ReasonUserDisabled)
	// A card moved to a new value: the old one is gone.
	c := f.creds[0]
	c.Value = "7777"
	alice.State = store.StateActive
	e.Apply([]store.Change{{Seq: 2, Kind: store.KindUser, ID: uAlice, User: &alice}, {Seq: 3, Kind: store.KindCredential, ID: c.ID, Credential: &c}})
	want(t, "old value", e.Present("any", cardP(1001), wed10), OutcomeDenied, ReasonUnknownCredential)
	want(t, "new value", e.Present("any", cardP(7777), wed10), OutcomeGranted, ReasonNone)
	// The office profile becomes weekend-only.
	p := f.profiles[0]
	p.Intervals = []store.Interval{{Days: []time.Weekday{0}, Start: "00:00", End: "24:00"}}
	e.Apply([]store.Change{{Seq: 4, Kind: store.KindTimeProfile, ID: 1, TimeProfile: &p}})
	want(t, "frank on wednesday", e.Present("any", cardP(1006), wed10), OutcomeDenied, ReasonOutsideSchedule)
	want(t, "frank on sunday", e.Present("any", cardP(1006), sun10), OutcomeGranted, ReasonNone)
	// A deleted profile grants nothing.
	e.Apply([]store.Change{{Seq: 5, Kind: store.KindTimeProfile, ID: 1, Deleted: true}})
	want(t, "frank, profile gone", e.Present("any", cardP(1006), sun10), OutcomeDenied, ReasonOutsideSchedule)
	// Deleting the user's credentials and the user.
	e.Apply([]store.Change{
		{Seq: 6, Kind: store.KindCredential, ID: c.ID, Deleted: true},
		{Seq: 7, Kind: store.KindCredential, ID: f.creds[1].ID, Deleted: true},
		{Seq: 8, Kind: store.KindUser, ID: uAlice, Deleted: true},
	})
	want(t, "deleted card", e.Present("any", cardP(7777), wed10), OutcomeDenied, ReasonUnknownCredential)
	want(t, "deleted PIN", typeKeys(e, "pin", "1234#", wed10), OutcomeDenied, ReasonUnknownCredential)
	s := e.Stats(wed10)
	if s.Users != len(f.users)-1 || s.Seq != 8 {
		t.Errorf("stats %+v", s)
	}
	// A credential whose user is unknown is denied as unknown.
	orphan := card(999, "4242")
	orphan.ID, orphan.Locks = 999, store.LocksBoth
	e.Apply([]store.Change{{Seq: 9, Kind: store.KindCredential, ID: 999, Credential: &orphan}})
	want(t, "orphan", e.Present("any", cardP(4242), wed10), OutcomeDenied, ReasonUnknownCredential)
	u := store.User{UID: 999, State: store.StateActive, Locks: store.LocksBoth}
	e.Apply([]store.Change{{Seq: 10, Kind: store.KindUser, ID: 999, User: &u}})
	want(t, "orphan's user arrives", e.Present("any", cardP(4242), wed10), OutcomeGranted, ReasonNone)
}

func TestZeroAllocs(t *testing.T) {
	e := newTestEngine(t, EngineConfig{DuressOffset: 1, Location: mustZone(t, "Europe/Berlin")})
	cases := map[string]func(){
		"card grant":          func() { e.Present("any", cardP(1001), wed10) },
		"card with schedules": func() { e.Present("any", cardP(1016), wed10) },
		"unknown card": func() {
			e.Present("card", cardP(424242), wed10)
			e.ResetLockouts()
		},
		"PIN grant": func() { typeKeys(e, "pin", "1234#", wed10) },
		"duress":    func() { typeKeys(e, "pin", "1235#", wed10) },
		"card and PIN": func() {
			e.Present("both", cardP(1001), wed10)
			typeKeys(e, "both", "1234#", wed10)
		},
		"expire": func() { e.Expire("both", wed10) },
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(200, fn); n != 0 {
			t.Errorf("%s: %v allocs per decision, want 0", name, n)
		}
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("zone %s: %v", name, err)
	}
	return loc
}

// A user's extended-unlock option reaches the door runtime with the grant,
// follows the user's edits, and holds for card-then-PIN grants too.
func TestExtendedOpen(t *testing.T) {
	e := newTestEngine(t, EngineConfig{})
	f := testFixture()
	o := e.Present("any", cardP(1001), wed10)
	if o.Kind != OutcomeGranted || o.ExtendedOpen {
		t.Fatalf("alice before: %+v, want a plain grant", o)
	}
	alice := f.users[uAlice-1]
	alice.ExtendedOpen = true
	e.Apply([]store.Change{{Seq: 1, Kind: store.KindUser, ID: uAlice, User: &alice}})
	if o := e.Present("any", cardP(1001), wed10); o.Kind != OutcomeGranted || !o.ExtendedOpen {
		t.Fatalf("alice with extended_unlock: %+v, want ExtendedOpen", o)
	}
	if o := typeKeys(e, "pin", "1234#", wed10); o.Kind != OutcomeGranted || !o.ExtendedOpen {
		t.Fatalf("alice's PIN with extended_unlock: %+v, want ExtendedOpen", o)
	}
}

// The first factor is checked again, in full, when the last one arrives:
// a card revoked during the factor window does not open the door.
func TestFirstFactorRecheckedAtSecond(t *testing.T) {
	at := wed10
	tests := []struct {
		name   string
		change func(f *fixture) store.Change
		reason Reason
	}{
		{"card deleted", func(f *fixture) store.Change {
			return store.Change{Kind: store.KindCredential, ID: f.creds[0].ID, Deleted: true}
		}, ReasonUnknownCredential},
		{"card given to another user", func(f *fixture) store.Change {
			c := f.creds[0]
			c.UserUID = uMia
			return store.Change{Kind: store.KindCredential, ID: c.ID, Credential: &c}
		}, ReasonUnknownCredential},
		{"user disabled", func(f *fixture) store.Change {
			u := f.users[uAlice-1]
			u.State = store.StateDisabled
			return store.Change{Kind: store.KindUser, ID: u.UID, User: &u}
		}, ReasonUserDisabled},
		{"card expired", func(f *fixture) store.Change {
			c := f.creds[0]
			c.ValidTo = tptr(at.Add(-time.Minute))
			return store.Change{Kind: store.KindCredential, ID: c.ID, Credential: &c}
		}, ReasonOutsideValidity},
		{"card moved off the lock", func(f *fixture) store.Change {
			c := f.creds[0]
			c.Locks = store.LocksSecond
			return store.Change{Kind: store.KindCredential, ID: c.ID, Credential: &c}
		}, ReasonDoorNotPermitted},
		{"card outside its schedule", func(f *fixture) store.Change {
			c := f.creds[0]
			c.TimeProfiles = []uint64{2} // weekends only
			return store.Change{Kind: store.KindCredential, ID: c.ID, Credential: &c}
		}, ReasonOutsideSchedule},
		{"card's passes used up", func(f *fixture) store.Change {
			c := f.creds[0]
			c.MaxPasses, c.PassesLeft = 3, 0
			return store.Change{Kind: store.KindCredential, ID: c.ID, Credential: &c}
		}, ReasonPassesUsedUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, EngineConfig{})
			want(t, "card", e.Present("both", cardP(1001), at), OutcomePending, ReasonNone)
			ch := tt.change(testFixture())
			ch.Seq = 1
			e.Apply([]store.Change{ch})
			o := typeKeys(e, "both", "1234#", at.Add(time.Second))
			want(t, tt.name+", then the PIN", o, OutcomeDenied, tt.reason)
		})
	}
	// And the PIN first, then the card: the PIN is checked again too.
	e := newTestEngine(t, EngineConfig{})
	want(t, "leo's PIN", typeKeys(e, "any", "5555#", at), OutcomePending, ReasonNone)
	f := testFixture()
	var p store.Credential
	for _, c := range f.creds {
		if c.Value == "5555" {
			p = c
		}
	}
	p.ValidTo = tptr(at.Add(-time.Minute))
	e.Apply([]store.Change{{Seq: 1, Kind: store.KindCredential, ID: p.ID, Credential: &p}})
	want(t, "expired PIN, then leo's card", e.Present("any", cardP(1012), at.Add(time.Second)), OutcomeDenied, ReasonOutsideValidity)
}

// Validity is exact to the stored instant, whatever its fraction of a
// second: never valid after valid_to, never before valid_from (a bound
// with a fraction may end validity up to a second early, never late).
func TestValidityBoundsExact(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		from, to time.Time
		at       time.Time
		kind     OutcomeKind
	}{
		{"1ns after a whole-second valid_to", time.Time{}, wed10, wed10.Add(1), OutcomeDenied},
		{"0.7s after a whole-second valid_to", time.Time{}, wed10, wed10.Add(700 * ms), OutcomeDenied},
		{"1ns before a whole-second valid_to", time.Time{}, wed10, wed10.Add(-1), OutcomeGranted},
		{"0.2s after valid_to .5", time.Time{}, wed10.Add(500 * ms), wed10.Add(700 * ms), OutcomeDenied},
		{"1ns after valid_to .5", time.Time{}, wed10.Add(500 * ms), wed10.Add(500*ms + 1), OutcomeDenied},
		{"a second before valid_to .5", time.Time{}, wed10.Add(500 * ms), wed10.Add(-500 * ms), OutcomeGranted},
		{"1ns after valid_to .999999999", time.Time{}, wed10.Add(time.Second - 1), wed10.Add(time.Second), OutcomeDenied},
		{"1ns before a whole-second valid_from", wed10, time.Time{}, wed10.Add(-1), OutcomeDenied},
		{"at a whole-second valid_from", wed10, time.Time{}, wed10, OutcomeGranted},
		{"0.2s before valid_from .5", wed10.Add(500 * ms), time.Time{}, wed10.Add(300 * ms), OutcomeDenied},
		{"1ns before valid_from .5", wed10.Add(500 * ms), time.Time{}, wed10.Add(500*ms - 1), OutcomeDenied},
	}
	for _, tt := range tests {
		for _, who := range []string{"user", "card"} {
			t.Run(tt.name+", "+who, func(t *testing.T) {
				f := &fixture{}
				u := store.User{Name: "v"}
				c := card(1, "77")
				var from, to *time.Time
				if !tt.from.IsZero() {
					from = tptr(tt.from)
				}
				if !tt.to.IsZero() {
					to = tptr(tt.to)
				}
				if who == "user" {
					u.ValidFrom, u.ValidTo = from, to
				} else {
					c.ValidFrom, c.ValidTo = from, to
				}
				f.user(u)
				f.cred(c)
				e := NewEngine(EngineConfig{Readers: testReaders})
				e.LoadRecords(nil, f.users, f.creds)
				o := e.Present("card", cardP(77), tt.at)
				if o.Kind != tt.kind {
					t.Errorf("got %+v, want kind %d", o, tt.kind)
				}
			})
		}
	}
}
