package gpiocdev

import (
	"os"
	"sync"
	"time"
)

// Queue is an in-memory EventFile: the simulator writes encoded events into
// it the way the kernel fills a line request's buffer, and a Source reads
// them out. Blocking is on channels and timers only, so it behaves under
// testing/synctest (a pipe would not: I/O is never "durably blocked").
type Queue struct {
	mu       sync.Mutex
	data     []byte
	ready    chan struct{} // has a token while data is non-empty
	closed   chan struct{}
	once     sync.Once
	deadline time.Time
}

// NewQueue returns an empty queue.
func NewQueue() *Queue {
	return &Queue{ready: make(chan struct{}, 1), closed: make(chan struct{})}
}

// Write appends encoded events. It never blocks.
func (q *Queue) Write(b []byte) (int, error) {
	select {
	case <-q.closed:
		return 0, os.ErrClosed
	default:
	}
	q.mu.Lock()
	q.data = append(q.data, b...)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return len(b), nil
}

// SetReadDeadline implements EventFile.
func (q *Queue) SetReadDeadline(t time.Time) error {
	q.mu.Lock()
	q.deadline = t
	q.mu.Unlock()
	return nil
}

// Read implements EventFile: it waits for data, the deadline or Close.
func (q *Queue) Read(p []byte) (int, error) {
	q.mu.Lock()
	deadline := q.deadline
	q.mu.Unlock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return q.take(p, os.ErrDeadlineExceeded)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	for {
		if n, _ := q.take(p, nil); n > 0 {
			return n, nil
		}
		select {
		case <-q.ready:
		case <-timeout:
			return q.take(p, os.ErrDeadlineExceeded)
		case <-q.closed:
			return 0, os.ErrClosed
		}
	}
}

// take copies out what fits; err is returned only if nothing was there.
func (q *Queue) take(p []byte, err error) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := copy(p, q.data)
	q.data = q.data[n:]
	if len(q.data) > 0 {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	if n == 0 {
		return 0, err
	}
	return n, nil
}

// Close implements EventFile.
func (q *Queue) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}
