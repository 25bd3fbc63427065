package device

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

// fakeBoard records what the runtime drives, with the (bubble) time.
type fakeBoard struct {
	reads  chan board.Read
	inputs chan board.InputEvent

	mu       sync.Mutex
	relay    map[string]bool
	relayLog []relayWrite
	led      map[string]bool
	ledLog   []ledWrite
	buzz     map[string]bool
	buzzLog  []ledWrite
	failLock map[string]int  // fail the next n lock writes
	failOpen map[string]int  // fail the next n unlock writes
	panicOn  map[string]bool // panic on an unlock write (a driver bug)
	secured  int
}

type relayWrite struct {
	door     string
	unlocked bool
	at       time.Time
	err      bool
}

type ledWrite struct {
	reader string
	on     bool
	at     time.Time
}

func newFakeBoard() *fakeBoard {
	return &fakeBoard{
		reads:    make(chan board.Read),
		inputs:   make(chan board.InputEvent),
		relay:    map[string]bool{},
		led:      map[string]bool{},
		buzz:     map[string]bool{},
		failLock: map[string]int{},
		failOpen: map[string]int{},
		panicOn:  map[string]bool{},
	}
}

func (f *fakeBoard) Reads() <-chan board.Read             { return f.reads }
func (f *fakeBoard) InputEvents() <-chan board.InputEvent { return f.inputs }

func (f *fakeBoard) SetRelay(door string, unlocked bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if door == "nosuch" {
		return &board.UnknownError{What: "door", Name: door}
	}
	if unlocked && f.panicOn[door] {
		panic("relay driver bug")
	}
	fail := f.failLock
	if unlocked {
		fail = f.failOpen
	}
	if fail[door] > 0 {
		fail[door]--
		f.relayLog = append(f.relayLog, relayWrite{door, unlocked, time.Now(), true})
		return fmt.Errorf("relay %s stuck", door)
	}
	f.relay[door] = unlocked
	f.relayLog = append(f.relayLog, relayWrite{door, unlocked, time.Now(), false})
	return nil
}

func (f *fakeBoard) SetLED(reader string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.led[reader] = on
	f.ledLog = append(f.ledLog, ledWrite{reader, on, time.Now()})
	return nil
}

func (f *fakeBoard) SetBuzzer(reader string, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buzz[reader] = on
	f.buzzLog = append(f.buzzLog, ledWrite{reader, on, time.Now()})
	return nil
}

func (f *fakeBoard) Secure() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := range f.relay {
		f.relay[d] = false
	}
	f.secured++
}

func (f *fakeBoard) unlocked(door string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.relay[door]
}

func (f *fakeBoard) anyUnlocked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for d, u := range f.relay {
		if u {
			out = append(out, d)
		}
	}
	return out
}

func (f *fakeBoard) ledOn(reader string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.led[reader]
}

func (f *fakeBoard) buzzing(reader string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buzz[reader]
}

func (f *fakeBoard) relayWrites(door string) []relayWrite {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []relayWrite
	for _, w := range f.relayLog {
		if w.door == door {
			out = append(out, w)
		}
	}
	return out
}

// fakeDecider answers from functions set per test; the zero value denies
// every card as unknown and ignores keys.
type fakeDecider struct {
	mu       sync.Mutex
	card     func(reader string, card uint64, mode access.DoorMode, now time.Time) access.Outcome
	key      func(reader string, key byte, mode access.DoorMode, now time.Time) access.Outcome
	expire   func(reader string, now time.Time) access.Outcome
	any      func(reader string, p access.Presentation, now time.Time) access.Outcome // overrides card and key
	presents []presented
	expires  []time.Time
}

type presented struct {
	reader string
	p      access.Presentation
	at     time.Time
}

func (d *fakeDecider) Present(reader string, p access.Presentation, now time.Time) access.Outcome {
	d.mu.Lock()
	d.presents = append(d.presents, presented{reader, p, now})
	card, key, any := d.card, d.key, d.any
	d.mu.Unlock()
	if any != nil {
		return any(reader, p, now)
	}
	switch p.Kind {
	case access.PresentCard:
		if card != nil {
			return card(reader, p.Card, p.DoorMode, now)
		}
		return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential}
	case access.PresentKey:
		if key != nil {
			return key(reader, p.Key, p.DoorMode, now)
		}
		return access.Outcome{}
	}
	return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonBadRead}
}

func (d *fakeDecider) Expire(reader string, now time.Time) access.Outcome {
	d.mu.Lock()
	d.expires = append(d.expires, now)
	f := d.expire
	d.mu.Unlock()
	if f != nil {
		return f(reader, now)
	}
	return access.Outcome{}
}

func (d *fakeDecider) expireTimes() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.expires)
}

func (d *fakeDecider) lastPresent() presented {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.presents[len(d.presents)-1]
}

// sink records events and, for each, whether the door's relay was
// unlocked at the moment of emission (events come after the relay).
type sink struct {
	b        *fakeBoard
	mu       sync.Mutex
	events   []Event
	relayNow []bool
}

func (s *sink) Emit(e Event) {
	u := s.b.unlocked(e.Door)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	s.relayNow = append(s.relayNow, u)
}

func (s *sink) all() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func (s *sink) types() []string {
	var out []string
	for _, e := range s.all() {
		out = append(out, e.Type)
	}
	return out
}

// find returns the events of type typ.
func (s *sink) find(typ string) []Event {
	var out []Event
	for _, e := range s.all() {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// passes records how the runtime settles the passes grants reserved.
type passes struct {
	mu       sync.Mutex
	used     []uint64 // committed
	refunded []uint64
}

func (p *passes) Commit(o access.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used = append(p.used, o.CredentialID)
}

func (p *passes) Refund(o access.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refunded = append(p.refunded, o.CredentialID)
}

// want checks the credential ids committed and refunded so far.
func (p *passes) want(t *testing.T, used, refunded []uint64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Equal(p.used, used) || !slices.Equal(p.refunded, refunded) {
		t.Errorf("Commit calls = %v, Refund calls = %v; want %v, %v", p.used, p.refunded, used, refunded)
	}
}

// rig is a runtime on fakes, inside a synctest bubble.
type rig struct {
	t      *testing.T
	b      *fakeBoard
	d      *fakeDecider
	ev     *sink
	passes *passes
	rt     *Runtime
	start  time.Time
}

// door1 is the default door: reader "r1", 5 s unlock, 15 s extended,
// 30 s held with a 10 s pre-alarm.
func door1() DoorConfig {
	return DoorConfig{
		ID: "1", Lock: 1, Readers: []string{"r1"},
		UnlockTime: 5 * time.Second, ExtendedUnlockTime: 15 * time.Second,
		HeldOpenTime: 30 * time.Second, PreAlarmTime: 10 * time.Second,
		REXUnlocks: true,
	}
}

func newRig(t *testing.T, doors ...DoorConfig) *rig {
	t.Helper()
	if len(doors) == 0 {
		doors = []DoorConfig{door1()}
	}
	return newRigConfig(t, Config{Doors: doors})
}

// newRigConfig is newRig with the rest of the Config (settings, mode
// store, schedules); Doors default to door1 and Log to discard.
func newRigConfig(t *testing.T, cfg Config) *rig {
	t.Helper()
	if len(cfg.Doors) == 0 {
		cfg.Doors = []DoorConfig{door1()}
	}
	if cfg.Log == nil {
		cfg.Log = discard()
	}
	b := newFakeBoard()
	r := &rig{t: t, b: b, d: &fakeDecider{}, ev: &sink{b: b}, passes: &passes{}, start: time.Now()}
	rt, err := New(cfg, b, r.d, r.ev, r.passes)
	if err != nil {
		t.Fatal(err)
	}
	r.rt = rt
	t.Cleanup(func() {
		rt.Close()
		if u := b.anyUnlocked(); len(u) > 0 {
			t.Errorf("after Close, relays unlocked: %v", u)
		}
	})
	synctest.Wait()
	return r
}

func (r *rig) card(reader string, value uint64) {
	r.b.reads <- board.Read{Reader: reader, At: time.Now(), Card: &board.Card{Format: "h10301", Bits: 26, Value: value}}
	synctest.Wait()
}

func (r *rig) keys(reader, keys string) {
	for i := 0; i < len(keys); i++ {
		r.b.reads <- board.Read{Reader: reader, At: time.Now(), Keys: keys[i : i+1]}
	}
	synctest.Wait()
}

func (r *rig) badRead(reader, why string) {
	r.b.reads <- board.Read{Reader: reader, At: time.Now(), Bad: why}
	synctest.Wait()
}

func (r *rig) input(door, kind string, active bool) {
	r.b.inputs <- board.InputEvent{Input: board.Name(door, kind), Door: door, Kind: kind, Active: active, At: time.Now()}
	synctest.Wait()
}

// initial sends the board's start-up report of door's inputs: closed,
// not pressed, not tampered.
func (r *rig) initial(door string) {
	r.input(door, board.KindContact, false)
	r.input(door, board.KindREX, false)
	r.input(door, board.KindTamper, false)
}

// sleep advances the bubble's clock and lets the doors catch up.
func (r *rig) sleep(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (r *rig) since() time.Duration { return time.Since(r.start) }

func (r *rig) wantRelay(door string, unlocked bool) {
	r.t.Helper()
	if got := r.b.unlocked(door); got != unlocked {
		r.t.Fatalf("at +%v door %s relay unlocked = %v, want %v", r.since(), door, got, unlocked)
	}
}

func (r *rig) wantTypes(want ...string) {
	r.t.Helper()
	if got := r.ev.types(); !slices.Equal(got, want) {
		r.t.Fatalf("at +%v events = %q, want %q", r.since(), got, want)
	}
}

func (r *rig) state(door string) DoorState {
	r.t.Helper()
	s, ok := r.rt.Door(door)
	if !ok {
		r.t.Fatalf("Door(%q) not found", door)
	}
	return s
}

func (r *rig) wantAlarms(door string, want ...string) {
	r.t.Helper()
	if got := r.state(door).Alarms; !slices.Equal(got, want) {
		r.t.Fatalf("at +%v door %s alarms = %q, want %q", r.since(), door, got, want)
	}
}

func grant(uid uint64) func(string, uint64, access.DoorMode, time.Time) access.Outcome {
	return func(string, uint64, access.DoorMode, time.Time) access.Outcome {
		return access.Outcome{Kind: access.OutcomeGranted, UserUID: uid, CredentialID: 100 + uid, CredType: 1}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
