package device

import (
	"testing"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

// signalSink tells the benchmark when a decision's event is out (which
// is after the relay was driven).
type signalSink chan struct{}

func (s signalSink) Emit(e Event) {
	if e.Type == EventAccessGranted || e.Type == EventAccessDenied {
		s <- struct{}{}
	}
}

// BenchmarkReadToEvent is a card read from the board's channel through
// dispatch, decision, relay, feedback and event: an upper bound on
// read-to-relay latency, goroutine hops included (real time, no bubble).
func BenchmarkReadToEvent(b *testing.B) {
	fb := newFakeBoard()
	sig := make(signalSink, 1)
	d := &fakeDecider{any: func(_ string, p access.Presentation, _ time.Time) access.Outcome {
		if p.Card%2 == 0 {
			return access.Outcome{Kind: access.OutcomeGranted}
		}
		return access.Outcome{Kind: access.OutcomeDenied, Reason: access.ReasonUnknownCredential}
	}}
	rt, err := New(Config{Doors: []DoorConfig{door1()}, Log: discard()}, fb, d, sig, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	card := &board.Card{Format: "h10301", Bits: 26}
	b.ResetTimer()
	for i := range b.N {
		c := *card
		c.Value = uint64(i)
		fb.reads <- board.Read{Reader: "r1", Card: &c}
		<-sig
		if i%1024 == 0 { // keep the fakes' logs from growing without end
			fb.mu.Lock()
			fb.relayLog, fb.ledLog, fb.buzzLog = fb.relayLog[:0], fb.ledLog[:0], fb.buzzLog[:0]
			fb.mu.Unlock()
			d.mu.Lock()
			d.presents = d.presents[:0]
			d.mu.Unlock()
		}
	}
}
