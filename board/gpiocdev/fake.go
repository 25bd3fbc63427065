package gpiocdev

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// FakeChip is a Chip in memory: named lines, line ownership like the
// kernel's (a requested line is busy until its request is closed), and a
// record of every request and value write, byte for byte what the kernel
// would have been handed. Tests use it to see which levels a line was
// ever given, in order, from the moment it became an output.
type FakeChip struct {
	mu       sync.Mutex
	names    []string
	owner    map[uint32]*fakeLines // offset → live request
	requests []LineRequest
	writes   []FakeWrite
	levels   map[uint32][]bool
	closed   bool
	// FailRequest, if set, is returned by the next RequestLines.
	FailRequest error
}

// FakeWrite is one GPIO_V2_LINE_SET_VALUES_IOCTL.
type FakeWrite struct {
	Fd     int32
	Values LineValues
}

// NewFakeChip returns a chip with one line per name (offset = index; ""
// for an unnamed line).
func NewFakeChip(names ...string) *FakeChip {
	return &FakeChip{names: names, owner: map[uint32]*fakeLines{}, levels: map[uint32][]bool{}}
}

// errNoLine is the fake's EINVAL for an offset past the last line.
var errNoLine = errors.New("no such line")

// LineName implements Chip.
func (c *FakeChip) LineName(offset uint32) (string, error) {
	if int(offset) >= len(c.names) {
		return "", errNoLine
	}
	return c.names[offset], nil
}

// RequestLines implements Chip. Like the kernel it refuses bad counts,
// unknown offsets and busy lines, then sets each output line to the value
// the request's output-values attribute gives it (0 if none does).
func (c *FakeChip) RequestLines(req *LineRequest) (LineHandle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.FailRequest; err != nil {
		c.FailRequest = nil
		return nil, err
	}
	n := int(req.Num_lines)
	if n < 1 || n > len(req.Offsets) || req.Config.Num_attrs > uint32(len(req.Config.Attrs)) {
		return nil, fmt.Errorf("fake chip: bad request (%d lines, %d attrs): %w", n, req.Config.Num_attrs, os.ErrInvalid)
	}
	for _, off := range req.Offsets[:n] {
		if int(off) >= len(c.names) {
			return nil, fmt.Errorf("fake chip: line %d: %w", off, errNoLine)
		}
		if c.owner[off] != nil {
			return nil, fmt.Errorf("fake chip: line %d is busy", off)
		}
	}
	req.Fd = int32(100 + len(c.requests))
	c.requests = append(c.requests, *req)
	l := &fakeLines{chip: c, fd: req.Fd, offsets: append([]uint32(nil), req.Offsets[:n]...)}
	for i, off := range l.offsets {
		c.owner[off] = l
		if req.Config.Flags&flagOutput != 0 {
			c.levels[off] = append(c.levels[off], outputValue(&req.Config, i))
		}
	}
	return l, nil
}

// outputValue is the kernel's gpio_v2_line_config_output_value: the last
// output-values attribute whose mask covers line i.
func outputValue(lc *LineConfig, i int) bool {
	for j := int(lc.Num_attrs) - 1; j >= 0; j-- {
		a := lc.Attrs[j]
		if a.Attr.Id == attrOutputValue && a.Mask&(1<<i) != 0 {
			return a.Attr.Flags&(1<<i) != 0
		}
	}
	return false
}

// Close implements Chip.
func (c *FakeChip) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// Requests returns copies of every line request, in order.
func (c *FakeChip) Requests() []LineRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]LineRequest(nil), c.requests...)
}

// Writes returns every value write, in order.
func (c *FakeChip) Writes() []FakeWrite {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]FakeWrite(nil), c.writes...)
}

// Levels returns every level line offset was given as an output: the
// request's initial value, then one entry per write whose mask covered it.
func (c *FakeChip) Levels(offset uint32) []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bool(nil), c.levels[offset]...)
}

// Busy reports whether line offset is held by an open request.
func (c *FakeChip) Busy(offset uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owner[offset] != nil
}

// Closed reports whether Close was called.
func (c *FakeChip) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

type fakeLines struct {
	chip    *FakeChip
	fd      int32
	offsets []uint32
	closed  bool
}

func (l *fakeLines) SetValues(v *LineValues) error {
	c := l.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.closed {
		return os.ErrClosed
	}
	if v.Mask == 0 || len(l.offsets) < 64 && v.Mask>>len(l.offsets) != 0 {
		return fmt.Errorf("fake chip: mask %#x for %d lines: %w", v.Mask, len(l.offsets), os.ErrInvalid)
	}
	c.writes = append(c.writes, FakeWrite{Fd: l.fd, Values: *v})
	for i, off := range l.offsets {
		if v.Mask&(1<<i) != 0 {
			c.levels[off] = append(c.levels[off], v.Bits&(1<<i) != 0)
		}
	}
	return nil
}

func (l *fakeLines) Close() error {
	c := l.chip
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.closed {
		return os.ErrClosed
	}
	l.closed = true
	for _, off := range l.offsets {
		delete(c.owner, off)
	}
	return nil
}
