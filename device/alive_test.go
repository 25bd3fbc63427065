package device

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
)

// Alive answers while every door loop runs, names a wedged door (its
// goroutine stuck in the decider) after the timeout and no sooner, names
// a faulted one, and answers again once the wedge clears.
func TestAliveProbesEveryDoorLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d2 := door1()
		d2.ID, d2.Readers = "2", []string{"r2"}
		r := newRig(t, door1(), d2)
		wedge := make(chan struct{})
		r.d.card = func(rd string, c uint64, m access.DoorMode, now time.Time) access.Outcome {
			switch c {
			case 777:
				<-wedge
			case 666:
				panic("bug")
			}
			return grant(1)(rd, c, m, now)
		}
		if err := r.rt.Alive(time.Second); err != nil {
			t.Fatalf("Alive with every door idle: %v", err)
		}
		r.card("r1", 777) // door 1's goroutine is now stuck
		start := time.Now()
		err := r.rt.Alive(time.Second)
		if !errors.Is(err, ErrNotAnswering) {
			t.Fatalf("Alive with door 1 wedged = %v, want ErrNotAnswering", err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("Alive gave up after %v, want the 1s timeout", waited)
		}
		close(wedge)
		synctest.Wait()
		if err := r.rt.Alive(time.Second); err != nil {
			t.Fatalf("Alive after the wedge cleared: %v", err)
		}
		r.card("r2", 666)
		if err := r.rt.Alive(time.Second); !errors.Is(err, ErrFault) {
			t.Fatalf("Alive with door 2 faulted = %v, want ErrFault", err)
		}
	})
}
