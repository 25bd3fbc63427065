package device

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotAnswering: a door goroutine did not answer a liveness probe in
// time (it is wedged, or its inbox has been full for that long).
var ErrNotAnswering = errors.New("device: door not answering")

// Alive probes every door goroutine through its inbox (the path reads,
// inputs and commands take) and returns nil when all of them answered
// within timeout, or an error naming the first that did not, or that
// faulted. It changes nothing. doord's systemd watchdog heartbeat is sent
// only while Alive succeeds, so a wedged door loop ends in a restart.
func (rt *Runtime) Alive(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	// stuck names why door d did not answer, or is nil when it did.
	stuck := func(d *door, wait <-chan error, send chan<- msg, m msg) error {
		select {
		case send <- m:
			return nil
		case <-wait:
			return nil
		case <-d.dead:
			return fmt.Errorf("door %q: %w", d.cfg.ID, ErrFault)
		case <-rt.done:
			return ErrClosed
		case <-t.C:
			return fmt.Errorf("%w: door %q: no answer within %v", ErrNotAnswering, d.cfg.ID, timeout)
		}
	}
	replies := make([]chan error, len(rt.doors))
	for i, d := range rt.doors { // every probe out first: they run concurrently
		m := msg{kind: msgPing, reply: make(chan error, 1)}
		if err := stuck(d, nil, d.in, m); err != nil {
			return err
		}
		replies[i] = m.reply
	}
	for i, d := range rt.doors {
		if err := stuck(d, replies[i], nil, msg{}); err != nil {
			return err
		}
	}
	return nil
}
