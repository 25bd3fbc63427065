//go:build linux

package gpiocdev

import "golang.org/x/sys/unix"

// The kernel's structs, as golang.org/x/sys/unix spells them; the ioctl
// layer hands pointers to these straight to the kernel. uapi_test.go
// checks their layout against <linux/gpio.h> on every architecture.
type (
	LineRequest         = unix.GPIOV2LineRequest
	LineConfig          = unix.GPIOV2LineConfig
	LineConfigAttribute = unix.GPIOV2LineConfigAttribute
	LineAttribute       = unix.GPIOV2LineAttribute
	LineValues          = unix.GPIOV2LineValues
)

// ioctl numbers and attribute ids. The ioctl numbers are above 1<<31:
// they stay uintptr all the way to the system call (as int they overflow
// on 32-bit ARM).
const (
	ioctlGetLine    uintptr = unix.GPIO_V2_GET_LINE_IOCTL
	ioctlGetInfo    uintptr = unix.GPIO_V2_GET_LINEINFO_IOCTL
	ioctlSetValues  uintptr = unix.GPIO_V2_LINE_SET_VALUES_IOCTL
	attrOutputValue         = unix.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES
)
