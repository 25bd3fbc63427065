package device

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/doord/doord/board"
)

// Learning a card: NextCard lets the API wait for the next card read on a
// reader (the console's "learn card", POST /api/v1/readers/{reader}/learn)
// without taking that read away from its door. The read goes to the door
// first, exactly as without a learner, and is decided, acted on and logged
// as usual; the dispatcher then hands a copy of the card to every learner
// of that reader with a non-blocking send into a buffer of one, so a slow
// or gone learner never holds up the door path. With no learner waiting
// the cost on the door path is one atomic load.

// cardTaps are the learners waiting for a card, by reader.
type cardTaps struct {
	waiting atomic.Int32 // learners registered, read without the lock by the dispatcher
	mu      sync.Mutex
	by      map[string]map[chan board.Card]struct{}
}

func (t *cardTaps) add(reader string, ch chan board.Card) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.by == nil {
		t.by = map[string]map[chan board.Card]struct{}{}
	}
	if t.by[reader] == nil {
		t.by[reader] = map[chan board.Card]struct{}{}
	}
	t.by[reader][ch] = struct{}{}
	t.waiting.Add(1)
}

func (t *cardTaps) remove(reader string, ch chan board.Card) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.by[reader][ch]; !ok {
		return
	}
	delete(t.by[reader], ch)
	if len(t.by[reader]) == 0 {
		delete(t.by, reader)
	}
	t.waiting.Add(-1)
}

// offer gives c to every learner of reader. It never waits: a learner
// has a buffer of one and takes only the first card it is offered.
func (t *cardTaps) offer(reader string, c board.Card) {
	if t.waiting.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for ch := range t.by[reader] {
		select {
		case ch <- c:
		default: // already has its card
		}
	}
}

// Learners is how many NextCard calls are waiting (for tests and metrics).
func (rt *Runtime) Learners() int { return int(rt.taps.waiting.Load()) }

// NextCard waits for the next good card frame read on reader (a reader
// of a configured door) and returns it, until ctx ends (its error) or
// the runtime closes (ErrClosed). Keypad keys and bad reads are not
// cards and do not end the wait. Several callers waiting on one reader
// all get the same card.
func (rt *Runtime) NextCard(ctx context.Context, reader string) (board.Card, error) {
	if _, ok := rt.readers[reader]; !ok {
		return board.Card{}, fmt.Errorf("%w %q", ErrUnknownReader, reader)
	}
	ch := make(chan board.Card, 1)
	rt.taps.add(reader, ch)
	defer rt.taps.remove(reader, ch)
	select {
	case c := <-ch:
		return c, nil
	case <-ctx.Done():
		return board.Card{}, ctx.Err()
	case <-rt.done:
		return board.Card{}, ErrClosed
	}
}
