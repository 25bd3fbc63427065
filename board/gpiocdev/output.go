package gpiocdev

import (
	"fmt"
	"os"
	"sync"
)

// flagOutput is GPIO_V2_LINE_FLAG_OUTPUT (enum gpio_v2_line_flag; x/sys
// does not export the flags). Output requests set no other flag: no
// ACTIVE_LOW (polarity is the caller's business, values are physical
// levels), no bias, push-pull.
const flagOutput = 1 << 3

// Chip is an open GPIO chip as output requests use it: the two chip
// ioctls they make. OpenChip returns the real one (Linux); FakeChip
// records every call for tests.
type Chip interface {
	// LineName returns the kernel's name of the line at offset ("" if
	// it has none) via GPIO_V2_GET_LINEINFO_IOCTL; an error means there
	// is no such line.
	LineName(offset uint32) (string, error)
	// RequestLines issues GPIO_V2_GET_LINE_IOCTL with req, which the
	// kernel completes (req.Fd), and returns the new line request.
	RequestLines(req *LineRequest) (LineHandle, error)
	// Close closes the chip. Line requests outlive it.
	Close() error
}

// LineHandle is a line request's file descriptor.
type LineHandle interface {
	// SetValues issues GPIO_V2_LINE_SET_VALUES_IOCTL: the lines whose
	// bit is set in v.Mask are driven to their bit in v.Bits (bit i is
	// line i of the request, not its offset on the chip).
	SetValues(v *LineValues) error
	// Close releases the lines.
	Close() error
}

// Output is one line of an output request.
type Output struct {
	Line  string // the line: its name on the chip ("GPIO26") or its offset ("26"); see ResolveLine
	Level bool   // the physical level it has from the moment it is an output
}

// OutputLines is one output line request. Levels are kept in software and
// never read back.
type OutputLines struct {
	h       LineHandle
	offsets []uint32

	mu     sync.Mutex
	bits   uint64 // level of line i at bit i, as last driven
	closed bool
}

// RequestOutputs resolves the lines on chip and requests them as outputs
// in one GPIO_V2_GET_LINE_IOCTL whose config carries each line's initial
// level (GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES). The kernel sets that value
// as it switches the line to output, so the line never shows any other
// level on the way — unlike requesting the line first and writing the
// value after, which is where periph's brief low comes from.
func RequestOutputs(chip Chip, consumer string, lines []Output) (*OutputLines, error) {
	if len(lines) == 0 || len(lines) > len(LineRequest{}.Offsets) {
		return nil, fmt.Errorf("gpiocdev: an output request has 1 to %d lines, not %d", len(LineRequest{}.Offsets), len(lines))
	}
	names := make([]string, len(lines))
	var bits uint64
	for i, l := range lines {
		names[i] = l.Line
		if l.Level {
			bits |= 1 << i
		}
	}
	offsets, err := ResolveLines(chip, names...)
	if err != nil {
		return nil, err
	}
	req := outputRequest(consumer, offsets, bits)
	h, err := chip.RequestLines(&req)
	if err != nil {
		return nil, fmt.Errorf("gpiocdev: request output lines %v: %w", offsets, err)
	}
	return &OutputLines{h: h, offsets: offsets, bits: bits}, nil
}

// outputRequest builds the GPIO_V2_GET_LINE_IOCTL argument: every line an
// output, with one output-values attribute covering all of them.
func outputRequest(consumer string, offsets []uint32, bits uint64) LineRequest {
	var req LineRequest
	copy(req.Offsets[:], offsets)
	req.Num_lines = uint32(len(offsets))
	if consumer == "" {
		consumer = "doord"
	}
	copy(req.Consumer[:len(req.Consumer)-1], consumer) // NUL-terminated
	all := uint64(1)<<len(offsets) - 1                 // len ≤ 64: 1<<64 is 0 in Go, 0-1 is all ones
	req.Config.Flags = flagOutput
	req.Config.Num_attrs = 1
	req.Config.Attrs[0].Attr.Id = attrOutputValue
	req.Config.Attrs[0].Attr.Flags = bits & all // the union's "values" member
	req.Config.Attrs[0].Mask = all
	return req
}

// Len returns the number of lines.
func (o *OutputLines) Len() int { return len(o.offsets) }

// Offset returns line i's offset on the chip.
func (o *OutputLines) Offset(i int) uint32 { return o.offsets[i] }

// Set drives line i to level: one GPIO_V2_LINE_SET_VALUES_IOCTL with only
// bit i in the mask, so the other lines of the request are untouched. It
// always writes, even if the software level already matches: that is
// what makes securing a relay trustworthy.
func (o *OutputLines) Set(i int, level bool) error {
	if i < 0 || i >= len(o.offsets) {
		return fmt.Errorf("gpiocdev: no output line %d (have %d)", i, len(o.offsets))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("gpiocdev: line %d: %w", o.offsets[i], os.ErrClosed)
	}
	v := LineValues{Mask: 1 << i}
	if level {
		v.Bits = 1 << i
	}
	if err := o.h.SetValues(&v); err != nil {
		return fmt.Errorf("gpiocdev: set line %d: %w", o.offsets[i], err)
	}
	o.bits = o.bits&^(1<<i) | v.Bits
	return nil
}

// Level returns the level line i was last driven to (never read back:
// the kernel would report it, but the software copy is what doord asked
// for and needs no system call).
func (o *OutputLines) Level(i int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bits&(1<<i) != 0
}

// Line returns line i as an OutputLine.
func (o *OutputLines) Line(i int) OutputLine { return OutputLine{o, i} }

// Close releases the lines: what they do then is up to the GPIO driver
// (most leave the last level; some return the pin to an input). Setting
// a level after Close is an error.
func (o *OutputLines) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	return o.h.Close()
}

// OutputLine is one line of an OutputLines.
type OutputLine struct {
	lines *OutputLines
	i     int
}

// Set drives the line to level.
func (l OutputLine) Set(level bool) error { return l.lines.Set(l.i, level) }

// Level returns the level the line was last driven to.
func (l OutputLine) Level() bool { return l.lines.Level(l.i) }

// Offset returns the line's offset on the chip.
func (l OutputLine) Offset() uint32 { return l.lines.Offset(l.i) }
