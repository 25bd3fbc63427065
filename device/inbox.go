package device

import (
	"sync"
	"time"
)

// inbox is a door's one stream of reads and input changes, ordered by
// the time of the read or edge (board.Read.At, board.InputEvent.At), not
// by arrival: the board reports reads and inputs on separate channels,
// through separate dispatchers, so a contact edge can arrive before the
// card read that authorized it. The dispatchers never wait for a door:
// push takes a mutex for a few instructions and returns, so a door stuck
// in a decision cannot stall any other door's reads or inputs.
//
// The inbox is bounded (inboxLimit). When it is full the oldest read is
// dropped (a card can be presented again; deny on doubt), or, with no
// read queued, the oldest input change; the door logs how many it lost.
type inbox struct {
	mu      sync.Mutex
	q       []msg // ordered by at
	dropped int
	ready   chan struct{} // capacity 1: "q has something"
}

// inboxLimit: a door that has this many reads and input changes waiting
// is stuck; far more than any burst of keys and edges.
const inboxLimit = 256

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// push queues m in time order (after every message of the same time).
func (b *inbox) push(m msg) {
	b.mu.Lock()
	if len(b.q) >= inboxLimit {
		b.dropOldest()
	}
	i := len(b.q)
	for i > 0 && m.at.Before(b.q[i-1].at) {
		i--
	}
	b.q = append(b.q, msg{})
	copy(b.q[i+1:], b.q[i:])
	b.q[i] = m
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *inbox) dropOldest() {
	k := 0
	for i := range b.q {
		if b.q[i].kind == msgRead {
			k = i
			break
		}
	}
	b.q = append(b.q[:k], b.q[k+1:]...)
	b.dropped++
}

// take returns everything queued, in time order, and how many messages
// were dropped since the last take.
func (b *inbox) take() ([]msg, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q, n := b.q, b.dropped
	b.q, b.dropped = nil, 0
	return q, n
}

// maxEventLag bounds how far in the past a door judges a read or edge:
// a timestamp older than this is taken as a clock problem, not as a
// report that was late (the board delivers within milliseconds), and the
// door uses now instead, so that a bad clock cannot make the engine judge
// validity windows and schedules at some other time.
const maxEventLag = 5 * time.Second

// eventTime is when m happened, for the door's decisions: the read's or
// edge's timestamp, never later than now (a clock step must not put an
// event in the future) nor older than maxEventLag; now when the board
// gave none.
func eventTime(at, now time.Time) time.Time {
	if at.IsZero() || at.After(now) || now.Sub(at) > maxEventLag {
		return now
	}
	return at
}
