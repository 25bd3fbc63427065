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
	// to detect by length. A fixed format completes a frame on its last
	// bit; auto waits for FrameGap of silence.
	Format string `toml:"format"`
	// Keypad: "4bit", "8bit", "auto"/"" (both), "none".
	Keypad string `toml:"keypad"`
	// FrameGap is the silence that ends a frame; "" means 25ms. It must
	// exceed the reader's slowest bit interval (up to 20 ms).
	FrameGap Duration `toml:"frame_gap"`
	// Source picks the edge source on kind "gpio": "cdev" (default; the
	// GPIO character device with kernel timestamps) or "periph" (any
	// periph pin with edge detection; user-space timestamps).
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
	Fail    string `toml:"fail"`
	Contact string `toml:"contact"` // optional pin names
	REX     string `toml:"rex"`
	Tamper  string `toml:"tamper"`
	// InputActive is the level at which contact, REX and tamper inputs
	// are active: "low" (default; switch to ground, internal pull-up) or
	// "high" (internal pull-down).
	InputActive string `toml:"input_active"`
	// Debounce is how long an input must be stable to count; "" means 20ms.
	Debounce Duration `toml:"debounce"`
}

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
