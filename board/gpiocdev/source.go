package gpiocdev

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/doord/doord/board/wiegand"
)

// EventFile is what a line request looks like to the source: the request's
// fd as an *os.File on Linux (non-blocking, so reads park in the runtime
// poller and deadlines work), a pipe in tests, a Queue in the simulator.
type EventFile interface {
	Read(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

// Source reads one reader's D0/D1 events from an EventFile. It implements
// wiegand.Source.
type Source struct {
	f      EventFile
	d0, d1 uint32 // line offsets
	clock  Clock

	mu  sync.Mutex // one reader at a time; guards buf and the seqno state
	buf []byte
	// The kernel's seqno is a u32 that wraps to 0 after 2^32-1 events;
	// the decoder gets it extended to 64 bits (wraps counted here), so a
	// wrap is one step, not "-4294967295 edges lost", and 0 never shows
	// up as "no seqno".
	lastSeq uint32
	wraps   uint64
	seen    bool
	closed  chan struct{}
	once    sync.Once
}

// batch is how many events one read asks for: a whole 37-bit frame and
// then some, so a stalled goroutine catches up in one system call.
const batch = 64

// drainGrace is how long the last look for queued events may wait.
const drainGrace = time.Millisecond

// NewSource reads events for lines d0 and d1 from f, converting kernel
// timestamps with clock.
func NewSource(f EventFile, d0, d1 uint32, clock Clock) *Source {
	return &Source{f: f, d0: d0, d1: d1, clock: clock, buf: make([]byte, 0, batch*EventSize), closed: make(chan struct{})}
}

// ReadEdges implements wiegand.Source.
func (s *Source) ReadEdges(buf []wiegand.Edge, deadline time.Time) ([]wiegand.Edge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.f.SetReadDeadline(deadline); err != nil && !s.isClosed() {
		return buf, fmt.Errorf("gpiocdev: set deadline: %w", err)
	}
	start := len(buf)
	drained := false
	for len(buf) == start {
		// Keep any partial record from the last read (a pipe may split
		// records; the kernel never does).
		have := len(s.buf)
		n, err := s.f.Read(s.buf[have:cap(s.buf)])
		s.buf = s.buf[:have+n]
		buf = s.parse(buf)
		if err != nil {
			if s.isClosed() || errors.Is(err, os.ErrClosed) || errors.Is(err, io.EOF) {
				return buf, wiegand.ErrClosed
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if drained || len(buf) > start {
					return buf, nil
				}
				// The poller reports an expired deadline without
				// reading, but events stamped before the deadline may
				// be queued (this goroutine was late). Read once more
				// with a short grace, so "no edges" really means none
				// happened before the deadline and the caller may
				// close the frame.
				drained = true
				if err := s.f.SetReadDeadline(time.Now().Add(drainGrace)); err != nil {
					return buf, nil
				}
				continue
			}
			return buf, fmt.Errorf("gpiocdev: read events: %w", err)
		}
	}
	return buf, nil
}

// parse converts whole records in s.buf to edges, keeping the remainder.
func (s *Source) parse(out []wiegand.Edge) []wiegand.Edge {
	b := s.buf
	for len(b) >= EventSize {
		ev := ParseEvent(b)
		b = b[EventSize:]
		if ev.ID != EventFalling {
			continue // we ask for falling edges only; ignore anything else
		}
		var line wiegand.Line
		switch ev.Offset {
		case s.d0:
			line = wiegand.D0
		case s.d1:
			line = wiegand.D1
		default:
			continue
		}
		out = append(out, wiegand.Edge{Line: line, At: s.clock.At(ev.TimestampNS), Seq: s.extend(ev.Seqno)})
	}
	s.buf = append(s.buf[:0], b...)
	return out
}

// extend maps the kernel's wrapping u32 seqno onto a 64-bit count that
// starts at the first seqno seen and never wraps: a smaller seqno than the
// last one means the counter wrapped (the kernel never goes back; events
// lost across the wrap still show as a jump). A request's seqnos start at
// 1, so the extended value is never 0, which the decoder reads as "no
// seqno" (a first seqno of 0 counts as already wrapped).
func (s *Source) extend(seq uint32) uint64 {
	if s.seen && seq < s.lastSeq || !s.seen && seq == 0 {
		s.wraps++
	}
	s.seen, s.lastSeq = true, seq
	return s.wraps<<32 | uint64(seq)
}

func (s *Source) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// Close releases the line request; a blocked ReadEdges returns ErrClosed.
func (s *Source) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		err = s.f.Close()
	})
	return err
}

var _ wiegand.Source = (*Source)(nil)
