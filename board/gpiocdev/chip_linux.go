//go:build linux

package gpiocdev

import (
	"bytes"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenChip opens a GPIO character device ("/dev/gpiochip0") for output
// requests.
func OpenChip(path string) (Chip, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gpiocdev: open %s: %w", path, err)
	}
	return &fdChip{fd: fd}, nil
}

// fdChip is a chip file descriptor. Plain fds, not *os.File: these ioctls
// never block, and an *os.File would be put in the poller for nothing.
type fdChip struct{ fd int }

// ioctl passes req, an ioctl number above 1<<31, as a uintptr: never
// through an int (it overflows on 32-bit ARM).
func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

func (c *fdChip) LineName(offset uint32) (string, error) {
	var info unix.GPIOV2LineInfo
	info.Offset = offset
	if err := ioctl(c.fd, ioctlGetInfo, unsafe.Pointer(&info)); err != nil {
		return "", err
	}
	name := info.Name[:]
	if n := bytes.IndexByte(name, 0); n >= 0 {
		name = name[:n]
	}
	return string(name), nil
}

func (c *fdChip) RequestLines(req *LineRequest) (LineHandle, error) {
	if err := ioctl(c.fd, ioctlGetLine, unsafe.Pointer(req)); err != nil {
		return nil, err
	}
	return &fdLines{fd: int(req.Fd)}, nil
}

func (c *fdChip) Close() error { return unix.Close(c.fd) }

// fdLines is a line request's file descriptor.
type fdLines struct {
	mu sync.Mutex // Close must not free the fd number under a SetValues
	fd int        // -1 once closed
}

func (l *fdLines) SetValues(v *LineValues) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fd < 0 {
		return unix.EBADF
	}
	return ioctl(l.fd, ioctlSetValues, unsafe.Pointer(v))
}

func (l *fdLines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fd < 0 {
		return nil
	}
	fd := l.fd
	l.fd = -1
	return unix.Close(fd)
}
