//go:build !linux

package gpiocdev

// Copies of golang.org/x/sys/unix's GPIO v2 structs (Linux only there),
// field for field, so the request-building code and its fakes build and
// test on any OS. uapi_test.go checks them against <linux/gpio.h>.
type (
	LineValues struct {
		Bits uint64
		Mask uint64
	}
	LineAttribute struct {
		Id    uint32
		_     uint32
		Flags uint64
	}
	LineConfigAttribute struct {
		Attr LineAttribute
		Mask uint64
	}
	LineConfig struct {
		Flags     uint64
		Num_attrs uint32
		_         [5]uint32
		Attrs     [10]LineConfigAttribute
	}
	LineRequest struct {
		Offsets           [64]uint32
		Consumer          [32]byte
		Config            LineConfig
		Num_lines         uint32
		Event_buffer_size uint32
		_                 [5]uint32
		Fd                int32
	}
)

const (
	ioctlGetLine    uintptr = 0xc250b407
	ioctlGetInfo    uintptr = 0xc100b405
	ioctlSetValues  uintptr = 0xc010b40f
	attrOutputValue         = 0x2
)
