package gpiocdev

import (
	"encoding/binary"
	"time"
)

// EventSize is sizeof(struct gpio_v2_line_event) in <linux/gpio.h>:
//
//	__aligned_u64 timestamp_ns; __u32 id; __u32 offset;
//	__u32 seqno; __u32 line_seqno; __u32 padding[6];
//
// The same on every architecture (it is made of fixed-size fields and
// padded to 8 bytes), which is why 32-bit ARM needs no special case here.
const EventSize = 48

// Event ids (enum gpio_v2_line_event_id).
const (
	EventRising  = 1
	EventFalling = 2
)

// Event is one decoded struct gpio_v2_line_event.
type Event struct {
	TimestampNS uint64 // CLOCK_MONOTONIC unless the request asked otherwise
	ID          uint32 // EventRising or EventFalling
	Offset      uint32 // line offset on the chip
	Seqno       uint32 // per request, from 1, no gaps unless the kernel dropped events
	LineSeqno   uint32 // per line
}

// The kernel writes events in the CPU's byte order; every target doord
// builds for is little-endian, and NativeEndian keeps that honest.
var order = binary.NativeEndian

// Marshal appends the kernel's binary form of e to b.
func (e Event) Marshal(b []byte) []byte {
	var r [EventSize]byte
	order.PutUint64(r[0:], e.TimestampNS)
	order.PutUint32(r[8:], e.ID)
	order.PutUint32(r[12:], e.Offset)
	order.PutUint32(r[16:], e.Seqno)
	order.PutUint32(r[20:], e.LineSeqno)
	return append(b, r[:]...)
}

// ParseEvent decodes one record; b must hold at least EventSize bytes.
func ParseEvent(b []byte) Event {
	return Event{
		TimestampNS: order.Uint64(b[0:]),
		ID:          order.Uint32(b[8:]),
		Offset:      order.Uint32(b[12:]),
		Seqno:       order.Uint32(b[16:]),
		LineSeqno:   order.Uint32(b[20:]),
	}
}

// Clock maps kernel timestamps onto time.Time: At(ns) = Base + (ns - BaseNS).
// Base should carry a monotonic reading (time.Now()), so differences between
// edges stay exact and wall-clock steps do not split frames.
type Clock struct {
	Base   time.Time
	BaseNS int64
}

// At converts a kernel timestamp.
func (c Clock) At(ns uint64) time.Time {
	return c.Base.Add(time.Duration(int64(ns) - c.BaseNS))
}

// NS is the inverse of At, for whoever plays the kernel (tests, the sim).
func (c Clock) NS(t time.Time) uint64 {
	return uint64(c.BaseNS + int64(t.Sub(c.Base)))
}
