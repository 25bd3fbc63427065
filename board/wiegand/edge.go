package wiegand

import (
	"errors"
	"time"
)

// Line says which data line fell: a low pulse on D0 is a 0 bit, on D1 a 1.
type Line uint8

const (
	D0 Line = 0
	D1 Line = 1
)

// Edge is one falling edge on D0 or D1 with the time the hardware saw it.
//
// At is what the decoder splits frames on, so it must come from the place the
// edge was observed (the kernel's interrupt timestamp for the character
// device), not from when a goroutine got round to reading it.
type Edge struct {
	Line Line
	At   time.Time
	// Seq is the source's event sequence number, counting from 1 with no
	// gaps; 0 means the source has none. A jump in Seq means the source
	// dropped events (kernel buffer overflow), so the frame is damaged.
	Seq uint64
}

// ErrClosed is returned by a Source after Close.
var ErrClosed = errors.New("wiegand: source closed")

// Source is where the hardware begins for a reader: it yields the falling
// edges of one reader's D0 and D1 in the order they happened.
//
// ReadEdges appends at least one edge to buf and returns it, or returns
// buf unchanged with a nil error once deadline has passed (a zero deadline
// means wait for ever), or ErrClosed after Close. Implementations must block
// without burning CPU.
type Source interface {
	ReadEdges(buf []Edge, deadline time.Time) ([]Edge, error)
	Close() error
}
