// Package gpiocdev talks to the Linux GPIO character device (uAPI v2)
// through golang.org/x/sys/unix: the Wiegand edge source, and output line
// requests for relays, LEDs and buzzers.
//
// # Edges
//
// periph's gpioioctl (host v3.8.5) throws the kernel's edge timestamps away
// and cannot size the event buffer, and a Wiegand frame is only as good as
// its timestamps: frames are split on silence measured in the interrupt
// handler, not on when a goroutine happened to be scheduled. So D0 and D1
// are requested together in ONE line request (one kernel queue, one order),
// falling edges only, pulled up, with an enlarged event buffer, and events
// are read many at a time. The kernel's sequence numbers are passed on so
// the decoder can throw away a frame the kernel dropped events from; they
// are u32 and wrap at 2^32, so the source extends them to 64 bits (a wrap
// is one step, never "-4294967295 edges lost").
//
// The request's file descriptor is hidden behind EventFile so tests (a
// pipe) and the simulator (an in-memory Queue) feed the very same parsing
// code with encoded struct gpio_v2_line_event records.
//
// # Outputs
//
// periph (host v3.8.5) makes a line an output and then writes the value,
// so a fresh line may sit low for a moment first: on an active-low relay
// board, an unlock at boot. RequestOutputs instead puts each line's
// initial level in the request itself (GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES),
// and the kernel sets it as the line becomes an output. OutputLines.Set
// writes with GPIO_V2_LINE_SET_VALUES_IOCTL, masked to the one line;
// levels are kept in software, never read back.
//
// The ioctls sit behind Chip and LineHandle: OpenChip is the kernel,
// FakeChip records every request and write (byte for byte what the kernel
// would read) so tests can prove which levels a line was ever given. On
// Linux the request structs are x/sys's own (LineRequest =
// unix.GPIOV2LineRequest); elsewhere identical copies, so the fakes and
// the board build everywhere.
//
// # Lines
//
// Outputs and the Wiegand D0/D1 lines are found on the chip by one rule,
// ResolveLine (lines.go): a plain number is an offset that must exist, a
// name is the kernel's line name, and "GPIO<n>" falls back to offset n
// only on a chip whose line n has no name. A name that does not match the
// chip is refused with an error naming the chip and the line, never
// guessed. (Door contacts, exit buttons and tamper loops are periph pins,
// looked up by periph's registry, not on the chip.)
package gpiocdev
