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
//   - gpiocdev: the Wiegand edge source on the Linux GPIO character device
//     v2 (kernel timestamps and seqnos, one request for D0+D1, enlarged
//     event buffer), with an injectable EventFile and an in-memory Queue.
//   - fakepin: a recording periph gpio.PinIO for tests and the simulator.
//   - this package: Config and Validate, Open/Close/Secure, relays,
//     debounced inputs, reader goroutines, the periph edge source, the Sim.
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
//	door1_contact GPIO17   door 1 contact (active-low, pull-up)
//	door1_rex     GPIO27   door 1 exit button
//	door1_tamper  GPIO22   door 1 reader tamper switch
//	door2_contact GPIO23   door 2 contact
//	door2_rex     GPIO24   door 2 exit button
//	reader1_d0    GPIO5    reader 1 Wiegand D0 (format h10301)
//	reader1_d1    GPIO6    reader 1 Wiegand D1
//	reader1_led   GPIO13   reader 1 LED (active-low)
//	reader2_d0    GPIO12   reader 2 Wiegand D0 (format auto)
//	reader2_d1    GPIO16   reader 2 Wiegand D1
//	reader2_led   GPIO25   reader 2 LED (active-low)
//
// # Relays
//
// relay_active is the level that energises the coil; fail says whether the
// lock is locked without power ("secure": energise to unlock) or open
// without power ("safe", e.g. maglocks: energise to lock). Open drives each
// relay to its locked level the moment it is resolved, before any other
// pin is touched; Close and Secure drive every relay locked again — for
// fail-safe doors too: doord never unlocks on shutdown. Relay state is kept
// in software; output lines are never read back (in periph host v3.8.5
// that turns them into inputs).
//
// # Frames
//
// A reader with a fixed format completes a frame on its last bit; an
// auto-detecting reader completes it after frame_gap of silence (default
// 25 ms, which must exceed the reader's slowest bit interval, 20 ms at the
// edge of the Wiegand envelope). Keypad bursts (4 or 8 bits) always end on
// the gap. A kernel seqno gap makes the frame(s) around it bad reads, never
// cards. One Read carries one key; collecting a PIN is the device layer's.
//
// Known limit of completing on the last bit: a reader configured for a
// shorter format than a card sends reports the first N bits as a card if
// they happen to pass parity; the rest of the frame becomes a bad read.
// Configure a fixed format only when every card at that reader uses it.
//
// # Simulator
//
// Kind "sim" replaces every pin with a fakepin wired as the profile says.
// See Sim for how swipes are timed.
package board
