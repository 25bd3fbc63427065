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
	replies := make([]chan error, len(rt.doors))
	for i, d := range rt.doors {
		m := msg{kind: msgPing, reply: make(chan error, 1)}
		select {
		case d.in <- m:
		case <-d.dead:
			return fmt.Errorf("door %q: %w", d.cfg.ID, ErrFault)
		case <-rt.done:
			return ErrClosed
		case <-t.C:
			return fmt.Errorf("%w: door %q: inbox full for %v", ErrNotAnswering, d.cfg.ID, timeout)
		}
		replies[i] = m.reply
	}
	for i, ch := range replies {
		d := rt.doors[i]
		select {
		case <-ch:
		case <-d.dead:
			return fmt.Errorf("door %q: %w", d.cfg.ID, ErrFault)
		case <-rt.done:
			return ErrClosed
		case <-t.C:
			return fmt.Errorf("%w: door %q: no answer within %v", ErrNotAnswering, d.cfg.ID, timeout)
		}
	}
	return nil
}
