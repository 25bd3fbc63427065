package httpapi

import (
	"bytes"
	"context"
	"errors"
	"time"
)

// POST /api/v1/readers/{reader}/learn waits for the next card read on a
// reader and answers with its value, so that a console (or any
// integration) can enrol a card by presenting it. The read itself goes
// to its door as usual: it is decided, acted on and logged like any
// other (device.Runtime.NextCard takes a copy, after the door has it).
//
// fasthttp gives a handler no signal when its client goes away, so the
// wait is bounded three ways: its timeout (1 to 60 s), the server's
// shutdown (RequestCtx.Done), and on a TCP connection the client's
// close, seen by peeking at the socket (clientgone.go). At most
// maxLearners wait at once: each holds a connection and a handler.

// Learner is the door runtime as the learn route needs it; the daemon
// adapts device.Runtime to it.
type Learner interface {
	// NextCard waits for the next good card frame on reader until ctx
	// ends (its error). An unknown reader is ErrNoReader, at once.
	NextCard(ctx context.Context, reader string) (LearnedCard, error)
}

// LearnedCard is a card as read: Value is what the credential API
// accepts as a card number (decimal); Format the card format's name
// (h10301, 34bit, c1000, h10304), "" for a frame of no known format
// (then a plain number); Bits the frame length.
type LearnedCard struct {
	Value  string `json:"value"`
	Format string `json:"format"`
	Bits   int    `json:"bits"`
}

// ErrNoReader is the Learner's answer for a reader that does not exist.
var ErrNoReader = errors.New("no such reader")

const (
	learnDefault = 20 * time.Second
	learnMinMS   = 1000
	learnMaxMS   = 60000
	maxLearners  = 32
)

func (s *Server) learnCard(r *request) error {
	if s.learner == nil {
		return errStatus(503, "there is no board: no reader reads cards")
	}
	timeout := learnDefault
	if body := bytes.TrimSpace(r.ctx.PostBody()); len(body) > 0 {
		o, err := parseObject(body)
		if err != nil {
			return err
		}
		rejectUnknown(o, "timeout_ms")
		var ms uint64
		if o.has("timeout_ms") {
			o.uint("timeout_ms", &ms, learnMaxMS)
			if ms < learnMinMS && o.err() == nil {
				o.failf("timeout_ms", "must be from %d to %d (milliseconds)", learnMinMS, learnMaxMS)
			}
			timeout = time.Duration(ms) * time.Millisecond
		}
		if err := o.err(); err != nil {
			return err
		}
	}
	if s.learning.Add(1) > maxLearners {
		s.learning.Add(-1)
		return errStatus(429, "too many card learners are waiting; try again when one has ended")
	}
	defer s.learning.Add(-1)

	reader := r.param("reader")
	// Not context.WithTimeout(r.ctx): for a context of its own type the
	// context package reads r.ctx.Done() from a goroutine of its own,
	// which races with fasthttp's Shutdown resetting that channel. Read
	// it here, in the handler, while the connection counts as open.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if shut := r.ctx.Done(); shut != nil {
		go func() {
			select {
			case <-shut:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	stop := watchClientGone(r.ctx.Conn(), cancel)
	c, err := s.learner.NextCard(ctx, reader)
	stop()
	switch {
	case errors.Is(err, ErrNoReader):
		return errStatus(404, "reader "+reader+" does not exist")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// Nothing read in time, or the client went away (nobody reads
		// this answer then).
		return noContent(r)
	case err != nil:
		return errStatus(503, "the reader cannot be watched: "+err.Error())
	}
	return writeJSON(r.ctx, 200, struct {
		Reader string `json:"reader"`
		LearnedCard
	}{reader, c})
}
