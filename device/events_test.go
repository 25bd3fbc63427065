package device

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

// An unknown card's denial says which card it was, masked, so that an
// operator can enrol it; a PIN's says nothing of its digits.
func TestDenialCarriesMaskedCard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.b.reads <- board.Read{Reader: "r1", At: time.Now(), Bits: 26,
			Card: &board.Card{Format: "h10301", Bits: 26, Facility: 123, Number: 4567, Value: 8065495}}
		synctest.Wait()
		ev := r.ev.find(EventAccessDenied)[0]
		if ev.CredentialType != "card" || ev.Credential != "••••495" || ev.CredentialFormat != "h10301" || ev.CredentialBits != 26 {
			t.Fatalf("denied = %+v, want card ••••495 h10301 26", ev)
		}
		r.d.key = func(string, byte, access.DoorMode, time.Time) access.Outcome {
			return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential, CredType: 2}
		}
		r.keys("r1", "1")
		ev = r.ev.find(EventAccessDenied)[1]
		if ev.CredentialType != "pin" || ev.Credential != "" || ev.CredentialFormat != "" {
			t.Fatalf("PIN denial = %+v, want type pin and nothing else", ev)
		}
	})
}

// The door decides on the time of the edge, not of its processing: an
// exit button press authorizes an opening for the unlock time, and a door
// contact that opened within it is not forced even when its report
// arrives after the unlock time ended.
func TestDoorDecidesOnEventTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.input("1", board.KindREX, true)
		edge := time.Now().Add(4900 * time.Millisecond)
		r.sleep(5200 * time.Millisecond)
		r.b.inputs <- board.InputEvent{Input: "1.contact", Door: "1", Kind: board.KindContact, Active: true, At: edge}
		synctest.Wait()
		if f := r.ev.find(EventDoorForced); len(f) != 0 {
			t.Fatalf("door_forced %+v for an opening inside the unlock time", f)
		}
		if o := r.ev.find(EventDoorOpened); len(o) != 1 || !o[0].At.Equal(edge) {
			t.Fatalf("door_opened = %+v, want one at the edge time", o)
		}
		// An opening whose edge is after the window is forced.
		r.input("1", board.KindContact, false)
		r.input("1", board.KindContact, true)
		r.wantAlarms("1", AlarmForced)
	})
}

// blockingDecider holds every presentation at reader "r1" until release
// is closed; other readers grant at once.
type blockingDecider struct {
	fakeDecider
	release chan struct{}
	held    sync.WaitGroup
}

func (d *blockingDecider) Present(reader string, p access.Presentation, now time.Time) access.Outcome {
	d.fakeDecider.Present(reader, p, now)
	if reader == "r1" {
		<-d.release
		return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential}
	}
	return access.Outcome{Kind: access.OutcomeGranted, UserUID: 1, CredType: 1}
}

// One door stuck in a decision cannot stall another: a flood of reads at
// the stuck door's reader (far more than a door queues) is absorbed, and
// a card at the other door opens it at once.
func TestBlockedDoorDoesNotStallOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2 := door1()
		d2.ID, d2.Lock, d2.Readers = "2", 2, []string{"r2"}
		b := newFakeBoard()
		dec := &blockingDecider{release: make(chan struct{})}
		ev := &sink{b: b}
		rt, err := New(Config{Doors: []DoorConfig{door1(), d2}, Log: discard()}, b, dec, ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close()
		defer close(dec.release)
		for range 3 * inboxSize {
			b.reads <- board.Read{Reader: "r1", At: time.Now(), Card: &board.Card{Format: "h10301", Bits: 26, Value: 1}}
		}
		b.reads <- board.Read{Reader: "r2", At: time.Now(), Card: &board.Card{Format: "h10301", Bits: 26, Value: 2}}
		synctest.Wait()
		if !b.unlocked("2") {
			t.Fatal("door 2 did not open while door 1 was stuck")
		}
	})
}

// Reads and input changes of one door are handled in the order of their
// times, whatever order they arrived in: a grant whose card was read just
// before the door opened authorizes that opening even when the contact's
// report was queued first.
func TestReadsAndInputsInTimeOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		r.initial("1")
		r.d.card = grant(1)
		// Door 1 is busy with a command while both arrive.
		hold := make(chan struct{})
		r.d.mu.Lock()
		r.d.any = func(reader string, p access.Presentation, now time.Time) access.Outcome {
			if p.Card == 9 {
				<-hold
				return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential}
			}
			return grant(1)(reader, p.Card, p.DoorMode, now)
		}
		r.d.mu.Unlock()
		go func() {
			r.b.reads <- board.Read{Reader: "r1", At: time.Now(), Card: &board.Card{Format: "h10301", Bits: 26, Value: 9}}
		}()
		synctest.Wait() // the door is stuck deciding card 9
		t0 := time.Now()
		r.b.inputs <- board.InputEvent{Input: "1.contact", Door: "1", Kind: board.KindContact, Active: true, At: t0.Add(2 * time.Millisecond)}
		r.b.reads <- board.Read{Reader: "r1", At: t0.Add(time.Millisecond), Card: &board.Card{Format: "h10301", Bits: 26, Value: 1}}
		synctest.Wait() // both queued at door 1
		close(hold)
		synctest.Wait()
		if f := r.ev.find(EventDoorForced); len(f) != 0 {
			t.Fatalf("door_forced: the contact was handled before the earlier read")
		}
		r.wantTypes(EventAccessDenied, EventAccessGranted, EventDoorOpened)
	})
}

func TestEventTimeBounds(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"none", time.Time{}, now},
		{"future", now.Add(time.Second), now},
		{"recent", now.Add(-time.Second), now.Add(-time.Second)},
		{"at the bound", now.Add(-maxEventLag), now.Add(-maxEventLag)},
		{"too old", now.Add(-maxEventLag - 1), now},
	} {
		if got := eventTime(c.at, now); !got.Equal(c.want) {
			t.Errorf("%s: eventTime = %v, want %v", c.name, got, c.want)
		}
	}
}
