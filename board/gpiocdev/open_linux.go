//go:build linux

package gpiocdev

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Line flags from <linux/gpio.h> (enum gpio_v2_line_flag); x/sys does not
// export them.
const (
	flagInput       = 1 << 2
	flagEdgeFalling = 1 << 5
	flagBiasPullUp  = 1 << 8
)

// DefaultBuffer is the event buffer asked for: room for several 37-bit
// frames (the kernel default is 16 events per line — not even one frame —
// and on overflow it silently drops the oldest).
const DefaultBuffer = 256

// Request holds D0 and D1 of one reader in a single line request.
type Request struct {
	Chip     string // e.g. /dev/gpiochip0
	D0, D1   string // line names ("GPIO5") or offsets ("5")
	Consumer string // shows in gpioinfo; default "doord-wiegand"
	Buffer   uint32 // event_buffer_size; 0 means DefaultBuffer
}

// Open requests the lines and returns a Source reading them.
func Open(r Request) (*Source, error) {
	chip, err := os.OpenFile(r.Chip, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gpiocdev: open %s: %w", r.Chip, err)
	}
	defer chip.Close()
	cfd := chip.Fd()
	// The same lookup as the outputs' (lines.go): a name that does not
	// match the chip is an error, not a guess. The fdChip borrows the
	// descriptor; chip.Close above closes it.
	d0, d1, err := wiegandLines(&fdChip{fd: int(cfd)}, r)
	if err != nil {
		return nil, err
	}
	var req unix.GPIOV2LineRequest
	req.Offsets[0], req.Offsets[1] = d0, d1
	req.Num_lines = 2
	consumer := r.Consumer
	if consumer == "" {
		consumer = "doord-wiegand"
	}
	copy(req.Consumer[:len(req.Consumer)-1], consumer)
	req.Config.Flags = flagInput | flagEdgeFalling | flagBiasPullUp
	req.Event_buffer_size = r.Buffer
	if req.Event_buffer_size == 0 {
		req.Event_buffer_size = DefaultBuffer
	}
	// GPIO_V2_GET_LINE_IOCTL (0xc250b407) does not fit in a 32-bit int:
	// it is passed as a uintptr straight to the system call, never
	// through unix.IoctlSetInt and friends.
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, cfd, uintptr(unix.GPIO_V2_GET_LINE_IOCTL), uintptr(unsafe.Pointer(&req))); errno != 0 {
		return nil, fmt.Errorf("gpiocdev: %s: request lines %d,%d: %w", r.Chip, d0, d1, errno)
	}
	fd := int(req.Fd)
	// Non-blocking, so *os.File parks reads in the runtime poller:
	// no thread per reader, deadlines and Close work.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("gpiocdev: set non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(fd), fmt.Sprintf("%s:%d,%d", r.Chip, d0, d1))
	return NewSource(f, d0, d1, MonotonicClock()), nil
}

// MonotonicClock pairs time.Now with CLOCK_MONOTONIC, the kernel's default
// event clock.
func MonotonicClock() Clock {
	var ts unix.Timespec
	now := time.Now()
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return Clock{Base: now, BaseNS: ts.Nano()}
}
