package board

import (
	"time"

	"github.com/doord/doord/board/wiegand"
)

// SimExample is the board section doord ships in doord.example.toml (the
// same as board/example.toml): two doors on an active-low, fail-secure
// relay HAT, each with a normally-closed contact and a normally-open REX
// button (door 1 also a normally-closed tamper loop), all switching to
// ground with the internal pull-up, and one Wiegand reader with LED per
// door — reader 1 fixed to H10301 with a keypad, reader 2 auto-detecting,
// without a keypad.
func SimExample() Config {
	gap, debounce := Duration(25*time.Millisecond), Duration(DefaultDebounce)
	minIv := Duration(wiegand.DefaultMinInterval)
	return Config{
		Kind:         "sim",
		Chip:         "/dev/gpiochip0",
		OutputSource: "cdev",
		Pins: map[string]string{
			"relay1":        "GPIO26",
			"relay2":        "GPIO20",
			"door1_contact": "GPIO17",
			"door1_rex":     "GPIO27",
			"door1_tamper":  "GPIO22",
			"door2_contact": "GPIO23",
			"door2_rex":     "GPIO24",
			"reader1_d0":    "GPIO5",
			"reader1_d1":    "GPIO6",
			"reader1_led":   "GPIO13",
			"reader2_d0":    "GPIO12",
			"reader2_d1":    "GPIO16",
			"reader2_led":   "GPIO25",
		},
		Readers: []ReaderConfig{
			{ID: "1", D0: "reader1_d0", D1: "reader1_d1", Format: "h10301", Keypad: "auto", FrameGap: gap, MinInterval: minIv, LED: "reader1_led"},
			{ID: "2", D0: "reader2_d0", D1: "reader2_d1", Format: "auto", Keypad: "none", FrameGap: gap, MinInterval: minIv, LED: "reader2_led"},
		},
		Doors: []DoorConfig{
			{ID: "1", Relay: "relay1", RelayActive: "low", Fail: "secure", Inputs: DoorInputs{
				Contact: InputConfig{Pin: "door1_contact", Wiring: NormallyClosed, Bias: BiasPullUp},
				REX:     InputConfig{Pin: "door1_rex", Wiring: NormallyOpen, Bias: BiasPullUp},
				Tamper:  InputConfig{Pin: "door1_tamper", Wiring: NormallyClosed, Bias: BiasPullUp},
			}, Debounce: debounce},
			{ID: "2", Relay: "relay2", RelayActive: "low", Fail: "secure", Inputs: DoorInputs{
				Contact: InputConfig{Pin: "door2_contact", Wiring: NormallyClosed, Bias: BiasPullUp},
				REX:     InputConfig{Pin: "door2_rex", Wiring: NormallyOpen, Bias: BiasPullUp},
			}, Debounce: debounce},
		},
	}
}
