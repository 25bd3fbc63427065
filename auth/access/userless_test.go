package access

import (
	"testing"
	"time"

	"github.com/doord/doord/store"
)

// userlessFixture is the test fixture plus credentials without a user.
func userlessFixture() (*fixture, map[string]uint64) {
	f := testFixture()
	ids := map[string]uint64{}
	add := func(name string, c store.Credential) { ids[name] = f.cred(c) }
	c := card(0, "2001")
	c.Locks = store.LocksFirst
	c.OwnerName, c.Apartment = "Flat 12", 7 // metadata: not part of the decision
	add("lock 1", c)
	c = card(0, "2002")
	c.ValidTo = tptr(wed10.Add(-time.Hour))
	add("expired", c)
	c = card(0, "2003")
	c.TimeProfiles = []uint64{1}
	add("office hours", c)
	c = card(0, "2004")
	c.MaxPasses, c.PassesLeft = 2, 0
	add("used up", c)
	add("bare", card(0, "2005")) // no owner, no apartment: still valid
	add("PIN", pin(0, "4321"))
	return f, ids
}

func newUserlessEngine(t testing.TB, cfg EngineConfig) (*Engine, map[string]uint64) {
	t.Helper()
	if cfg.Readers == nil {
		cfg.Readers = testReaders
	}
	e := NewEngine(cfg)
	f, ids := userlessFixture()
	e.LoadRecords(f.profiles, f.users, f.creds)
	return e, ids
}

// A credential without a user opens on its own fields, as a BAS-IP panel
// in its normal access mode opens for a valid identifier that no user
// holds: its locks, validity, schedule and passes decide, and a reader
// that wants a second factor of the same user refuses it.
func TestUserlessCredentialDecidesOnItsOwnFields(t *testing.T) {
	tests := []struct {
		name   string
		reader string
		p      Presentation
		keys   string
		at     time.Time
		kind   OutcomeKind
		reason Reason
	}{
		{"granted at its lock", "any", cardP(2001), "", wed10, OutcomeGranted, ReasonNone},
		{"not its lock", "card2", cardP(2001), "", wed10, OutcomeDenied, ReasonDoorNotPermitted},
		{"bare identifier", "card2", cardP(2005), "", wed10, OutcomeGranted, ReasonNone},
		{"expired", "any", cardP(2002), "", wed10, OutcomeDenied, ReasonOutsideValidity},
		{"schedule open", "any", cardP(2003), "", wed10, OutcomeGranted, ReasonNone},
		{"schedule closed", "any", cardP(2003), "", sun10, OutcomeDenied, ReasonOutsideSchedule},
		{"passes used up", "any", cardP(2004), "", wed10, OutcomeDenied, ReasonPassesUsedUp},
		{"locked down: no security", "any", Presentation{Kind: PresentCard, Card: 2001, DoorMode: DoorLockedDown}, "", wed10, OutcomeDenied, ReasonDoorMode},
		{"card-and-PIN reader", "both", cardP(2001), "", wed10, OutcomeDenied, ReasonReaderMode},
		{"PIN", "pin", Presentation{}, "4321#", wed10, OutcomeGranted, ReasonNone},
		{"not another user's second factor", "both", cardP(1001), "4321#", wed10, OutcomeDenied, ReasonSecondFactorWrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newUserlessEngine(t, EngineConfig{})
			var got Outcome
			if tt.p.Kind != 0 {
				got = e.Present(tt.reader, tt.p, tt.at)
			}
			if tt.keys != "" {
				got = typeKeys(e, tt.reader, tt.keys, tt.at)
			}
			want(t, tt.name, got, tt.kind, tt.reason)
			if got.Kind == OutcomeGranted && got.UserUID != 0 {
				t.Errorf("granted to user %d, want no user", got.UserUID)
			}
		})
	}
}

// With UserlessDeny (BAS-IP's global access mode without support for
// identifiers without linkage to a user) a credential without a user is
// refused with its own reason, whatever its fields; users' credentials
// are not touched by the setting.
func TestUserlessDenied(t *testing.T) {
	e, _ := newUserlessEngine(t, EngineConfig{Userless: UserlessDeny})
	want(t, "userless card", e.Present("any", cardP(2001), wed10), OutcomeDenied, ReasonNoUser)
	want(t, "userless PIN", typeKeys(e, "pin", "4321#", wed10), OutcomeDenied, ReasonNoUser)
	want(t, "a user's card", e.Present("any", cardP(1001), wed10), OutcomeGranted, ReasonNone)
	want(t, "a disabled user's card", e.Present("any", cardP(1002), wed10), OutcomeDenied, ReasonUserDisabled)
	if ReasonNoUser.String() != "no_user" {
		t.Errorf("ReasonNoUser = %q, want no_user", ReasonNoUser)
	}
}

// A move (one credential record with a new UserUID) re-links the
// credential: it decides with its new user's fields, or none, at once,
// and its old user's later changes no longer reach it.
func TestApplyMovesCredential(t *testing.T) {
	e, ids := newUserlessEngine(t, EngineConfig{})
	cards := e.Stats(wed10).Cards
	move := func(c store.Credential, uid uint64) {
		c.UserUID = uid
		e.Apply([]store.Change{{Kind: store.KindCredential, ID: c.ID, Credential: &c}})
	}
	lock1 := card(0, "2001")
	lock1.ID, lock1.Locks = ids["lock 1"], store.LocksFirst
	move(lock1, uBob) // to a disabled user
	if o := e.Present("any", cardP(2001), wed10); o.Reason != ReasonUserDisabled || o.UserUID != uBob {
		t.Fatalf("moved to bob: %+v", o)
	}
	move(lock1, uAlice)
	if o := e.Present("any", cardP(2001), wed10); o.Kind != OutcomeGranted || o.UserUID != uAlice {
		t.Fatalf("moved to alice: %+v", o)
	}
	// Alice's own card moves off her; disabling her then leaves it open.
	alice1 := card(0, "1001")
	alice1.ID, alice1.Locks = 1, store.LocksBoth
	move(alice1, 0)
	e.Apply([]store.Change{{Kind: store.KindUser, ID: uAlice, User: &store.User{UID: uAlice, State: store.StateDisabled, Locks: store.LocksBoth}}})
	if o := e.Present("any", cardP(1001), wed10); o.Kind != OutcomeGranted || o.UserUID != 0 {
		t.Fatalf("alice's old card, now without a user, after she was disabled: %+v", o)
	}
	if o := e.Present("any", cardP(2001), wed10); o.Reason != ReasonUserDisabled {
		t.Fatalf("the card moved to alice after she was disabled: %+v", o)
	}
	// Deleting alice deletes nothing of the card that left her.
	e.Apply([]store.Change{{Kind: store.KindUser, ID: uAlice, Deleted: true}})
	if o := e.Present("any", cardP(1001), wed10); o.Kind != OutcomeGranted {
		t.Fatalf("after alice was deleted: %+v", o)
	}
	if st := e.Stats(wed10); st.Cards != cards {
		t.Errorf("Stats.Cards = %d, want %d (moves neither add nor drop cards)", st.Cards, cards)
	}
}

// A limited credential without a user spends its passes through the same
// protocol, and a move while a spend waits for the disk keeps the count:
// the store moves the record with its passes, and the engine still
// counts the unsaved spend.
func TestUserlessPassesSurviveAMove(t *testing.T) {
	r := newPassRig(t, 0, 0)
	c := store.Credential{Type: store.CredCard, Value: "5151", OwnerName: "Flat 3", MaxPasses: 2}
	if err := r.s.CreateCredential(&c); err != nil {
		t.Fatal(err)
	}
	if o := r.swipe(5151); o.Kind != OutcomeGranted || o.UserUID != 0 || !o.UsedPass {
		t.Fatalf("first swipe: %+v", o)
	}
	if _, err := r.s.MoveCredential(c.ID, r.uid, nil); err != nil {
		t.Fatal(err)
	}
	if o := r.swipe(5151); o.Kind != OutcomeGranted || o.UserUID != r.uid {
		t.Fatalf("second swipe, after the move to a user: %+v", o)
	}
	if _, err := r.s.MoveCredential(c.ID, 0, nil); err != nil {
		t.Fatal(err)
	}
	want(t, "third swipe, moved back", r.swipe(5151), OutcomeDenied, ReasonPassesUsedUp)
	r.disk.persistOne(t)
	r.disk.persistOne(t)
	if got := r.left(c.ID); got != 0 {
		t.Errorf("store passes_left = %d, want 0", got)
	}
}

// Deciding on a credential without a user allocates nothing either.
func TestUserlessZeroAllocs(t *testing.T) {
	e, _ := newUserlessEngine(t, EngineConfig{Location: mustZone(t, "Europe/Berlin")})
	for name, fn := range map[string]func(){
		"card grant":     func() { e.Present("any", cardP(2001), wed10) },
		"with schedules": func() { e.Present("any", cardP(2003), wed10) },
		"PIN grant":      func() { typeKeys(e, "pin", "4321#", wed10) },
	} {
		if n := testing.AllocsPerRun(200, fn); n != 0 {
			t.Errorf("%s: %v allocs per decision, want 0", name, n)
		}
	}
}

// A move is one record and the index applies it in one step: a card
// presented while it moves between a user and no user, back and forth,
// is always found (granted, by one owner or the other), never unknown.
func TestMoveNeverShowsCredentialMissing(t *testing.T) {
	e, _ := newUserlessEngine(t, EngineConfig{ReaderLockout: LockoutConfig{Off: true}, CardBurst: LockoutConfig{Off: true}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := card(uAlice, "1001")
		c.ID, c.Locks = 1, store.LocksBoth
		for i := range 3000 {
			c.UserUID = uint64(i%2) * uAlice // alice, none, alice, …
			cc := c
			e.Apply([]store.Change{{Kind: store.KindCredential, ID: c.ID, Credential: &cc}})
		}
	}()
	for n := 0; ; n++ {
		select {
		case <-done:
			if n == 0 {
				t.Skip("the mover finished before the first presentation")
			}
			return
		default:
		}
		if o := e.Present("any", cardP(1001), wed10); o.Kind != OutcomeGranted {
			t.Fatalf("presentation %d during moves: %+v", n, o)
		}
	}
}

// An edit of a credential that keeps its value (a PATCH of its locks, its
// name…) replaces its record in place: presented meanwhile, it is always
// found. Alice's PIN is second in her list, the case that was once
// removed and re-added on every edit.
func TestEditNeverShowsCredentialMissing(t *testing.T) {
	e, _ := newUserlessEngine(t, EngineConfig{ReaderLockout: LockoutConfig{Off: true}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := pin(uAlice, "1234")
		c.ID = 2
		for i := range 3000 {
			c.Locks = [2]store.Locks{store.LocksBoth, store.LocksFirst}[i%2]
			cc := c
			e.Apply([]store.Change{{Kind: store.KindCredential, ID: c.ID, Credential: &cc}})
		}
	}()
	for n := 0; ; n++ {
		select {
		case <-done:
			return
		default:
		}
		if o := typeKeys(e, "pin", "1234#", wed10); o.Kind != OutcomeGranted || o.UserUID != uAlice {
			t.Fatalf("PIN %d during edits: %+v", n, o)
		}
	}
}
