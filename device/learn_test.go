package device

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/board"
)

type learned struct {
	c   board.Card
	err error
}

// learn starts n NextCard calls on reader and waits until they are
// registered.
func (r *rig) learn(ctx context.Context, reader string, n int) []chan learned {
	out := make([]chan learned, n)
	for i := range out {
		out[i] = make(chan learned, 1)
		go func() {
			c, err := r.rt.NextCard(ctx, reader)
			out[i] <- learned{c, err}
		}()
	}
	synctest.Wait()
	return out
}

func TestNextCardGivesEveryLearnerTheReadAndTheDoorStillDecides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		second := door1()
		second.ID, second.Lock, second.Readers = "2", 2, []string{"r2"}
		r := newRig(t, door1(), second)
		r.d.card = grant(7)
		ls := r.learn(t.Context(), "r1", 3)
		other := r.learn(t.Context(), "r2", 1)[0]
		if n := r.rt.Learners(); n != 4 {
			t.Fatalf("Learners() = %d, want 4", n)
		}

		// Keys and bad reads are not cards: the wait goes on.
		r.keys("r1", "12")
		r.badRead("r1", "parity")
		for _, l := range ls {
			select {
			case got := <-l:
				t.Fatalf("a key or bad read ended the wait: %+v", got)
			default:
			}
		}

		r.card("r1", 8065495)
		for i, l := range ls {
			got := <-l
			if got.err != nil || got.c.Value != 8065495 || got.c.Format != "h10301" || got.c.Bits != 26 {
				t.Errorf("learner %d got %+v, want card 8065495 h10301 26 bits", i, got)
			}
		}
		// The read was not taken from its door: decided, acted on, logged.
		r.wantRelay("1", true)
		if p := r.d.lastPresent(); p.reader != "r1" || p.p.Card != 8065495 {
			t.Errorf("engine was presented %+v, want the learned card at r1", p)
		}
		if evs := r.ev.find(EventAccessGranted); len(evs) != 1 || evs[0].Reader != "r1" {
			t.Errorf("access_granted events = %+v, want one at r1", evs)
		}
		select {
		case got := <-other:
			t.Fatalf("a card at r1 ended a wait on r2: %+v", got)
		default:
		}
		if n := r.rt.Learners(); n != 1 {
			t.Errorf("Learners() = %d after the read, want 1 (r2's)", n)
		}
		r.card("r2", 5)
		if got := <-other; got.err != nil || got.c.Value != 5 {
			t.Errorf("r2 learner got %+v", got)
		}
		if n := r.rt.Learners(); n != 0 {
			t.Errorf("Learners() = %d, want 0", n)
		}
	})
}

func TestNextCardEndsAtItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		l := r.learn(ctx, "r1", 1)[0]
		r.sleep(20*time.Second - time.Nanosecond)
		select {
		case got := <-l:
			t.Fatalf("ended before its deadline: %+v", got)
		default:
		}
		r.sleep(time.Nanosecond)
		if got := <-l; !errors.Is(got.err, context.DeadlineExceeded) {
			t.Errorf("at the deadline: %+v, want DeadlineExceeded", got)
		}
		if n := r.rt.Learners(); n != 0 {
			t.Errorf("Learners() = %d after the timeout, want 0", n)
		}
		// A card after the learner left is decided as usual, offered to no one.
		r.card("r1", 42)
		r.wantTypes(EventAccessDenied)
	})
}

func TestNextCardUnknownReaderAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		if _, err := r.rt.NextCard(t.Context(), "r9"); !errors.Is(err, ErrUnknownReader) {
			t.Errorf("unknown reader: %v, want ErrUnknownReader", err)
		}
		l := r.learn(t.Context(), "r1", 1)[0]
		r.rt.Close()
		if got := <-l; !errors.Is(got.err, ErrClosed) {
			t.Errorf("after Close: %+v, want ErrClosed", got)
		}
	})
}
