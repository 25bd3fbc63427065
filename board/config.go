package board

import (
	"fmt"
	"time"
)

// Config is the [board] section of the daemon's TOML file.
type Config struct {
	// Kind is "gpio" (real pins) or "sim" (fake pins, same wiring).
	Kind string `toml:"kind"`
	// Chip is the GPIO character device the Wiegand lines (source
	// "cdev") and the outputs (output_source "cdev") are requested from,
	// e.g. "/dev/gpiochip0" (kind "gpio" only).
	Chip string `toml:"chip"`
	// OutputSource says how relays, reader LEDs and buzzers are driven on
	// kind "gpio", for the whole board:
	//
	//   - "cdev" (default): one request per output on Chip, with the
	//     locked/off level inside the request itself, so the kernel sets
	//     it as the line becomes an output: no other level, ever, not
	//     even for a microsecond at boot.
	//   - "periph": periph's gpio.PinOut (any pin periph knows, e.g. on
	//     another chip). periph host v3.8.5 may drive a fresh line low
	//     for a moment before the first level: on an active-low relay
	//     board that is a short unlock at every start. Use it only for
	//     active-high outputs, or lines cdev cannot reach.
	//
	// With "cdev" the pin names of outputs are line names on Chip (see
	// gpiocdev.ResolveLine: "GPIO26" is the line the kernel calls GPIO26,
	// a bare "26" is offset 26).
	OutputSource string `toml:"output_source"`
	// Pins is the board profile: a name for every line used, mapped to
	// the periph pin name of the hardware line ("GPIO26"). Doors and
	// readers refer to these names, so one table says what is wired where.
	Pins    map[string]string `toml:"pins"`
	Readers []ReaderConfig    `toml:"readers"`
	Doors   []DoorConfig      `toml:"doors"`
	// Sim tunes the simulated readers (kind "sim" only).
	Sim SimConfig `toml:"sim"`
}

// ReaderConfig is one Wiegand reader, optionally with a keypad.
type ReaderConfig struct {
	ID string `toml:"id"`
	D0 string `toml:"d0"` // pin names from [board.pins]
	D1 string `toml:"d1"`
	// Format: "h10301", "34bit", "c1000", "h10304", "raw", or "auto"/""
	// to detect by length. A fixed format completes a frame after a
	// short confirmation silence (3 bit intervals, at most 10 ms); auto
	// waits for FrameGap of silence. "raw" takes any length: frames of a
	// known format's length (and parity) read as that format, others as
	// the whole frame.
	Format string `toml:"format"`
	// Keypad: "4bit", "8bit", "auto" (both), or "none"/"" (no keypad:
	// 4- and 8-bit frames are bad reads, never keys).
	Keypad string `toml:"keypad"`
	// FrameGap is the silence that ends a frame; "" means 25ms. It must
	// exceed the reader's slowest bit interval (up to 20 ms): below 8ms
	// it is refused, below 15ms warned.
	FrameGap Duration `toml:"frame_gap"`
	// MinInterval is the shortest bit interval accepted; "" means
	// 150µs. A frame with two edges closer than that carries a contact
	// bounce or noise and is a bad read.
	MinInterval Duration `toml:"min_interval"`
	// Source picks the edge source on kind "gpio": "cdev" (default and
	// only: the GPIO character device, kernel timestamps, D0 and D1 in
	// one queue). "periph" is refused (it cannot keep D0/D1 in order).
	Source string `toml:"source"`
	LED    string `toml:"led"`    // optional pin name
	Buzzer string `toml:"buzzer"` // optional pin name
	// LEDActiveHigh and BuzzerActiveHigh: most readers light the LED /
	// sound the buzzer when the line is pulled low, hence false default.
	LEDActiveHigh    bool `toml:"led_active_high"`
	BuzzerActiveHigh bool `toml:"buzzer_active_high"`
}

// DoorConfig is one door's relay and inputs.
type DoorConfig struct {
	ID    string `toml:"id"`
	Relay string `toml:"relay"` // pin name, required
	// RelayActive is the level that energises the relay coil: "high" or
	// "low" (most Pi relay HATs are active-low).
	RelayActive string `toml:"relay_active"`
	// Fail is what the lock does without power: "secure" (stays locked;
	// the relay is energised to unlock) or "safe" (opens; the relay is
	// energised to keep it locked, e.g. a maglock).
	Fail string `toml:"fail"`
	// Inputs are the door contact, exit (REX) button and tamper switch,
	// each with its own wiring and bias: see InputConfig. All optional.
	Inputs DoorInputs `toml:"inputs"`
	// Contact, REX, Tamper and InputActive are the deprecated per-door
	// input keys (a pin name each, one active level for all three). They
	// still work: each is read as inputs.<kind> = {pin = ...,
	// wiring = "normally_open", bias = "pull_up"} ("pull_down" with
	// input_active = "high"), which is exactly how they were wired, and
	// Warnings says so. Setting both forms for one input is an error.
	Contact     string `toml:"contact"`
	REX         string `toml:"rex"`
	Tamper      string `toml:"tamper"`
	InputActive string `toml:"input_active"`
	// Debounce is how long an input must be stable to count; "" means 20ms.
	Debounce Duration `toml:"debounce"`
}

// DoorInputs are a door's supervised inputs, by kind.
type DoorInputs struct {
	Contact InputConfig `toml:"contact"`
	REX     InputConfig `toml:"rex"`
	Tamper  InputConfig `toml:"tamper"`
}

// InputConfig is one input: a switch that closes or opens a loop between
// the GPIO line and a supply rail, with a resistor (the bias) holding the
// line at the other rail while the loop is open.
//
// A cut wire is an open loop, whatever the switch does. With
// normally_closed wiring the loop is open exactly when the input is
// active (door open, tamper tripped), so a cut wire reads as active and
// raises door_forced or tamper. With normally_open wiring a cut wire
// reads as inactive ("door closed, fine"): no GPIO can tell a cut
// normally-open loop from a quiet one (that takes end-of-line resistors
// and an analogue input). Validate refuses settings under which a cut
// wire would read inactive on a normally-closed loop; Warnings names
// every normally-open contact and tamper loop.
type InputConfig struct {
	// Pin is the pin name from [board.pins]; "" means no such input.
	Pin string `toml:"pin"`
	// Wiring is "normally_closed" (the loop is closed at rest: door
	// shut, button released, tamper intact; opening it, or cutting a
	// wire, is active) or "normally_open" (the loop closes when active).
	// Required: it is what makes a cut wire an alarm, never a default.
	Wiring string `toml:"wiring"`
	// Bias is the line's pull resistor: "pull_up" (default; the switch
	// goes to ground), "pull_down" (the switch goes to 3.3 V), or "none"
	// (an external resistor does it; Active must then be given). "none"
	// is periph's gpio.Float, which periph's gpioioctl driver (host
	// v3.8.5) turns into "leave the bias as it is", not "disable it":
	// the external resistor must be strong enough to win over a default
	// internal pull.
	Bias string `toml:"bias"`
	// Active is the level at which the input is active, "low" or
	// "high". With a pull bias it follows from Wiring and Bias and may
	// be left out (if given it must agree); with bias "none" it is
	// required.
	Active string `toml:"active"`
}

// Wiring and bias values.
const (
	NormallyOpen   = "normally_open"
	NormallyClosed = "normally_closed"
	BiasPullUp     = "pull_up"
	BiasPullDown   = "pull_down"
	BiasNone       = "none"
)

// SimConfig is the simulated readers' pulse timing.
type SimConfig struct {
	Pulse    Duration `toml:"pulse"`    // low pulse width; "" means 50µs
	Interval Duration `toml:"interval"` // bit period; "" means 2ms
}

// Duration is a time.Duration written as a Go duration string ("25ms").
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q (want e.g. \"25ms\")", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// Defaults.
const (
	DefaultDebounce = 20 * time.Millisecond
)

// Input kinds, and the names inputs and outputs go by: "<door>.<kind>" for
// door inputs and relays ("1.contact", "1.rex", "1.tamper", "1.relay"),
// "<reader>.<kind>" for reader outputs ("1.led", "1.buzzer"). Door and
// reader ids are separate namespaces; the kind keeps the names unique.
const (
	KindContact = "contact"
	KindREX     = "rex"
	KindTamper  = "tamper"
	KindRelay   = "relay"
	KindLED     = "led"
	KindBuzzer  = "buzzer"
)

// Name joins an id and a kind into an input or output name.
func Name(id, kind string) string { return id + "." + kind }
