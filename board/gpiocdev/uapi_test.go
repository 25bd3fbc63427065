package gpiocdev

import (
	"testing"
	"unsafe"
)

// The structs handed to the kernel must have the layout of <linux/gpio.h>
// on every architecture doord builds for. The kernel pins it with
// __aligned_u64 and explicit padding; Go aligns uint64 to 4 bytes on
// 32-bit ARM, so this only holds because every uint64 already sits at a
// multiple of 8 — which is what this test checks, under qemu for arm and
// arm64 too. Offsets and sizes are worked out from the header:
//
//	struct gpio_v2_line_values { __aligned_u64 bits, mask; }             16
//	struct gpio_v2_line_attribute { __u32 id, padding; union { __aligned_u64 flags, values; __u32 debounce_period_us; }; }  16
//	struct gpio_v2_line_config_attribute { attr; __aligned_u64 mask; }   24
//	struct gpio_v2_line_config { __aligned_u64 flags; __u32 num_attrs, padding[5]; attrs[10]; }  8+4+20+240 = 272
//	struct gpio_v2_line_request { __u32 offsets[64]; char consumer[32]; config; __u32 num_lines, event_buffer_size, padding[5]; __s32 fd; }  256+32+272+4+4+20+4 = 592
func TestUAPILayout(t *testing.T) {
	var req LineRequest
	var v LineValues
	for _, c := range []struct {
		what      string
		got, want uintptr
	}{
		{"sizeof(gpio_v2_line_values)", unsafe.Sizeof(v), 16},
		{"gpio_v2_line_values.mask", unsafe.Offsetof(v.Mask), 8},
		{"sizeof(gpio_v2_line_attribute)", unsafe.Sizeof(LineAttribute{}), 16},
		{"gpio_v2_line_attribute.values", unsafe.Offsetof(req.Config.Attrs[0].Attr.Flags), 8},
		{"sizeof(gpio_v2_line_config_attribute)", unsafe.Sizeof(LineConfigAttribute{}), 24},
		{"gpio_v2_line_config_attribute.mask", unsafe.Offsetof(req.Config.Attrs[0].Mask), 16},
		{"sizeof(gpio_v2_line_config)", unsafe.Sizeof(LineConfig{}), 272},
		{"gpio_v2_line_config.num_attrs", unsafe.Offsetof(req.Config.Num_attrs), 8},
		{"gpio_v2_line_config.attrs", unsafe.Offsetof(req.Config.Attrs), 32},
		{"sizeof(gpio_v2_line_request)", unsafe.Sizeof(req), 592},
		{"gpio_v2_line_request.consumer", unsafe.Offsetof(req.Consumer), 256},
		{"gpio_v2_line_request.config", unsafe.Offsetof(req.Config), 288},
		{"gpio_v2_line_request.num_lines", unsafe.Offsetof(req.Num_lines), 560},
		{"gpio_v2_line_request.event_buffer_size", unsafe.Offsetof(req.Event_buffer_size), 564},
		{"gpio_v2_line_request.fd", unsafe.Offsetof(req.Fd), 588},
		// The ioctl numbers carry the size of their argument
		// (_IOWR(0xB4, nr, type): bits 16-29).
		{"GPIO_V2_GET_LINE_IOCTL size", ioctlGetLine >> 16 & 0x3fff, unsafe.Sizeof(req)},
		{"GPIO_V2_LINE_SET_VALUES_IOCTL size", ioctlSetValues >> 16 & 0x3fff, unsafe.Sizeof(v)},
		{"GPIO_V2_GET_LINE_IOCTL", ioctlGetLine, 0xc0000000 | 592<<16 | 0xb4<<8 | 0x07},
		{"GPIO_V2_LINE_SET_VALUES_IOCTL", ioctlSetValues, 0xc0000000 | 16<<16 | 0xb4<<8 | 0x0f},
		{"GPIO_V2_GET_LINEINFO_IOCTL", ioctlGetInfo, 0xc0000000 | 256<<16 | 0xb4<<8 | 0x05},
		{"GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES", attrOutputValue, 2},
		{"GPIO_V2_LINE_FLAG_OUTPUT", flagOutput, 1 << 3},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d (%#x), want %d (%#x)", c.what, c.got, c.got, c.want, c.want)
		}
	}
}
