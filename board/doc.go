// Package board owns the physical world of a doord controller: Wiegand card
// readers and keypads, lock relays, door contacts, exit (REX) buttons and
// tamper switches, reader LEDs and buzzers, the board profile that says
// which pin is which, and a simulated board that runs the same code on a
// laptop.
//
// It decodes and drives; it does not decide. Reads and input events go up
// to the device layer through channels; relay and LED commands come back
// down. Nothing here knows about users, schedules or HTTP.
//
// # Layout
//
//   - wiegand: the pure decoder (edges → frames → card, key or bad read),
//     the card formats with their parity definitions and sources, pulse
//     trains for the simulator, and the Source interface where the
//     hardware begins.
//   - gpiocdev: the Linux GPIO character device v2: the Wiegand edge
//     source (kernel timestamps and seqnos, one request for D0+D1,
//     enlarged event buffer; injectable EventFile, in-memory Queue) and
//     output line requests that carry their initial level (injectable
//     Chip, FakeChip).
//   - fakepin: a recording periph gpio.PinIO for tests and the simulator.
//   - fault: how every long-lived goroutine of doord (board, doors, event
//     log, change feed) starts and where its panic goes: one handler, the
//     daemon's supervisor, which drives the relays to their secure level.
//     It lives here because its job is the physical world's safety; it
//     imports nothing of doord, so store and device use it too.
//   - this package: Config and Validate (reader timing in readertiming.go),
//     Open/Close/Secure, relays, debounced inputs, reader goroutines, the
//     Sim (swipes, keys and raw edge replays).
//
// # Names
//
// Pins are named in the profile ([board.pins], name → periph pin name) and
// doors and readers refer to those names. Inputs and outputs are named
// "<door>.<kind>" and "<reader>.<kind>": "1.contact", "1.rex", "1.tamper",
// "1.relay", "1.led", "1.buzzer". The example profile (example.toml,
// SimExample) uses these pins, BCM numbering on a Raspberry Pi:
//
//	relay1        GPIO26   door 1 lock relay (relay HAT CH1, active-low, fail-secure)
//	relay2        GPIO20   door 2 lock relay (relay HAT CH2, active-low, fail-secure)
//	door1_contact GPIO17   door 1 contact (normally closed, to ground, pull-up)
//	door1_rex     GPIO27   door 1 exit button (normally open, pull-up)
//	door1_tamper  GPIO22   door 1 reader tamper loop (normally closed, pull-up)
//	door2_contact GPIO23   door 2 contact (normally closed, pull-up)
//	door2_rex     GPIO24   door 2 exit button (normally open, pull-up)
//	reader1_d0    GPIO5    reader 1 Wiegand D0 (format h10301)
//	reader1_d1    GPIO6    reader 1 Wiegand D1
//	reader1_led   GPIO13   reader 1 LED (active-low)
//	reader2_d0    GPIO12   reader 2 Wiegand D0 (format auto)
//	reader2_d1    GPIO16   reader 2 Wiegand D1
//	reader2_led   GPIO25   reader 2 LED (active-low)
//
// # Inputs
//
// Each door input (contact, REX, tamper) has its own wiring
// (normally_closed / normally_open) and bias (pull_up / pull_down /
// none), in [[board.doors]] inputs.<kind> (wiring.go). The active level
// follows from the two: the loop opening reads the bias level, so on a
// normally-closed loop a cut wire reads as active (door open: forced;
// tampered) — Validate refuses an explicit level that would make it read
// inactive. A cut normally-open loop reads inactive, which no GPIO can
// detect; Warnings (logged by Open) names such contact and tamper
// inputs. The deprecated per-door keys (contact, rex, tamper,
// input_active) are read as the normally-open wiring they always were.
// The simulator keeps each input's switch and wire (Sim.SetInput,
// Sim.CutWire) and derives the line level from the same wiring.
//
// # Relays
//
// relay_active is the level that energises the coil; fail says whether the
// lock is locked without power ("secure": energise to unlock) or open
// without power ("safe", e.g. maglocks: energise to lock). Open takes each
// relay at its locked level, before any other pin is touched and before
// any goroutine starts; Close and Secure drive every relay locked again —
// for fail-safe doors too: doord never unlocks on shutdown. Close
// closes the board before it takes each relay's write lock to drive it
// locked, and a relay write checks for that under the same lock, so an
// unlock not yet written when Close begins is refused, never written
// after Close's locked level. Relay state is
// kept in software; output lines are never read back (in periph host
// v3.8.5 that turns them into inputs).
//
// On kind "gpio", relays, LEDs and buzzers are character-device line
// requests on [board] chip by default (output_source = "cdev"): the
// locked or off level is in the request (GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)
// and the kernel sets it as the line becomes an output, so there is no
// moment at which the line shows anything else. periph (output_source =
// "periph") makes the line an output first and writes the level after;
// host v3.8.5 may drive it low in between, which on an active-low relay
// board is a short unlock at boot. Output pin names are resolved on the
// chip by the kernel's line names ("GPIO26"; a bare "26" is an offset),
// not through periph: see gpiocdev.ResolveLine. A name that does not
// resolve stops Open with an error naming the door or reader, the profile
// pin, the line and the chip. The requests are held until the process
// exits (Close does not release them).
//
// Close is prompt: it halts the input pins, and halts them again every
// 10 ms until their goroutines are gone (periph's Halt wakes only a wait
// already in progress; one that lands between two waits is lost).
//
// # Frames
//
// A reader with a fixed format completes a frame after a confirmation
// silence of 3 bit intervals (at most 10 ms); an auto-detecting reader
// after frame_gap of silence (default 25 ms, which must exceed the reader's
// slowest bit interval, 20 ms at the edge of the Wiegand envelope; refused
// below 8 ms, warned below 15 ms). Keypad bursts (4 or 8 bits) end on the
// gap and are held one more gap. A damaged frame is a bad read, never a
// card: a kernel seqno gap, an interval below min_interval (150 µs), an
// interval out of the frame's rhythm, an edge inside the confirmation
// window, an edge within the gap after a closed frame, or a piece that
// continues a damaged piece (see wiegand.Decoder). One Read carries one
// key; collecting a PIN is the device layer's. Readers take their edges
// from the character device only: the periph source (one goroutine per
// line, user-space timestamps) cannot keep D0 and D1 in order and is
// refused by Validate.
//
// # Simulator
//
// Kind "sim" replaces every pin with a fakepin wired as the profile says.
// See Sim for how swipes are timed.
package board
