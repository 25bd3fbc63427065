// Package gpiocdev is the Wiegand edge source on the Linux GPIO character
// device (uAPI v2), talking to the kernel through golang.org/x/sys/unix.
//
// periph's gpioioctl (host v3.8.5) throws the kernel's edge timestamps away
// and cannot size the event buffer, and a Wiegand frame is only as good as
// its timestamps: frames are split on silence measured in the interrupt
// handler, not on when a goroutine happened to be scheduled. So D0 and D1
// are requested together in ONE line request (one kernel queue, one order),
// falling edges only, pulled up, with an enlarged event buffer, and events
// are read many at a time. The kernel's sequence numbers are passed on so
// the decoder can throw away a frame the kernel dropped events from.
//
// The request's file descriptor is hidden behind EventFile so tests (a
// pipe) and the simulator (an in-memory Queue) feed the very same parsing
// code with encoded struct gpio_v2_line_event records.
package gpiocdev
