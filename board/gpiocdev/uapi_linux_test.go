//go:build linux

package gpiocdev

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the request types are x/sys's own, and the line info the chip
// ioctl fills is the size GPIO_V2_GET_LINEINFO_IOCTL says.
func TestUAPIIsXSys(t *testing.T) {
	var _ *unix.GPIOV2LineRequest = (*LineRequest)(nil)
	var _ *unix.GPIOV2LineValues = (*LineValues)(nil)
	if got, want := unsafe.Sizeof(unix.GPIOV2LineInfo{}), ioctlGetInfo>>16&0x3fff; got != want {
		t.Errorf("sizeof(gpio_v2_line_info) = %d, ioctl says %d", got, want)
	}
}

// The real ioctl path, on something that is not a GPIO chip: every call
// fails cleanly (ENOTTY from the kernel; qemu-user may answer ENOSYS),
// which exercises the uintptr ioctl numbers on 32-bit ARM.
func TestChipOnNonChip(t *testing.T) {
	if _, err := OpenChip("/nonexistent/gpiochip9"); err == nil {
		t.Error("OpenChip of a missing path succeeded")
	}
	c, err := OpenChip("/dev/null")
	if err != nil {
		t.Skip(err)
	}
	defer c.Close()
	if _, err := c.LineName(0); err == nil {
		t.Error("LINEINFO on /dev/null succeeded")
	}
	req := outputRequest("t", []uint32{0}, 1)
	if _, err := c.RequestLines(&req); err == nil {
		t.Error("GET_LINE on /dev/null succeeded")
	}
	if _, err := RequestOutputs(c, "t", []Output{{Line: "GPIO0"}}); err == nil {
		t.Error("RequestOutputs on /dev/null succeeded")
	}
}
