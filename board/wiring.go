package board

import (
	"fmt"
	"strings"

	"periph.io/x/conn/v3/gpio"
)

// doorInput is one configured input of a door, after the deprecated
// per-door keys are translated.
type doorInput struct {
	kind   string
	cfg    InputConfig
	legacy bool // from contact/rex/tamper + input_active
}

// doorInputs returns the door's inputs in kind order (contact, rex,
// tamper). An input set both ways is returned in its new form; Validate
// refuses that config anyway.
func (d DoorConfig) doorInputs() []doorInput {
	var out []doorInput
	for _, k := range []struct {
		kind   string
		cfg    InputConfig
		legacy string
	}{
		{KindContact, d.Inputs.Contact, d.Contact},
		{KindREX, d.Inputs.REX, d.REX},
		{KindTamper, d.Inputs.Tamper, d.Tamper},
	} {
		switch {
		case k.cfg != InputConfig{}:
			out = append(out, doorInput{kind: k.kind, cfg: k.cfg})
		case k.legacy != "":
			out = append(out, doorInput{kind: k.kind, cfg: d.legacyInput(k.legacy), legacy: true})
		}
	}
	return out
}

// legacyInput is how the deprecated keys were always wired: a switch that
// closes when active, to ground with the internal pull-up (input_active
// "low", the default) or to 3.3 V with the pull-down ("high").
func (d DoorConfig) legacyInput(pin string) InputConfig {
	if d.InputActive == "high" {
		return InputConfig{Pin: pin, Wiring: NormallyOpen, Bias: BiasPullDown, Active: "high"}
	}
	return InputConfig{Pin: pin, Wiring: NormallyOpen, Bias: BiasPullUp, Active: "low"}
}

// wiring is what an input's settings mean electrically.
type wiring struct {
	pull   gpio.Pull  // gpio.PullUp, gpio.PullDown or gpio.Float
	active gpio.Level // the level at which the input is active
	nc     bool       // normally closed: the loop is open when active
}

// openLevel is the line's level with the loop open — the switch open or a
// wire cut: the bias level.
func (w wiring) openLevel() gpio.Level {
	if w.nc {
		return w.active // a normally-closed loop opens when active
	}
	return !w.active
}

// level is the line's level for a switch state and an intact or cut wire.
func (w wiring) level(active, cut bool) gpio.Level {
	loopClosed := active != w.nc && !cut
	if loopClosed {
		return !w.openLevel() // the rail the switch goes to
	}
	return w.openLevel()
}

// wiring checks c and works out its wiring. Every error says what is
// wrong and, where a cut wire is at stake, what it would read as.
func (c InputConfig) wiring() (wiring, []string) {
	var w wiring
	var errs []string
	wiringOK := true
	switch c.Wiring {
	case NormallyClosed:
		w.nc = true
	case NormallyOpen:
	case "":
		wiringOK = false
		errs = append(errs, `wiring is missing (want "normally_closed" or "normally_open")`)
	default:
		wiringOK = false
		errs = append(errs, fmt.Sprintf(`unknown wiring %q (want "normally_closed" or "normally_open")`, c.Wiring))
	}
	var active, activeSet bool // active: high
	switch c.Active {
	case "high":
		active, activeSet = true, true
	case "low":
		activeSet = true
	case "":
	default:
		errs = append(errs, fmt.Sprintf(`unknown active level %q (want "low" or "high")`, c.Active))
	}
	// With a pull bias the open loop sits at the bias level and the
	// switch pulls to the other rail, so the active level is not a
	// choice: it is the bias level for a normally-closed loop (open =
	// active) and the other one for a normally-open loop.
	var open gpio.Level
	switch c.Bias {
	case BiasPullUp, "":
		w.pull, open = gpio.PullUp, gpio.High
	case BiasPullDown:
		w.pull, open = gpio.PullDown, gpio.Low
	case BiasNone:
		w.pull = gpio.Float
		if c.Active == "" {
			errs = append(errs, `bias "none" needs active = "low" or "high" (the level an external resistor and the switch give when the input is active)`)
		}
		w.active = gpio.Level(active)
		return w, errs
	default:
		errs = append(errs, fmt.Sprintf(`unknown bias %q (want "pull_up", "pull_down" or "none")`, c.Bias))
		return w, errs
	}
	w.active = open
	if !w.nc {
		w.active = !open
	}
	if wiringOK && activeSet && gpio.Level(active) != w.active {
		bias := c.Bias
		if bias == "" {
			bias = BiasPullUp
		}
		if w.nc {
			errs = append(errs, fmt.Sprintf(`active = %q contradicts normally_closed with %s: the loop opening reads %s, so a cut wire would read as inactive; leave active out (it is %s)`,
				c.Active, bias, levelName(open), levelName(w.active)))
		} else {
			errs = append(errs, fmt.Sprintf(`active = %q contradicts normally_open with %s: the switch closing reads %s, so the input would read inverted; leave active out (it is %s)`,
				c.Active, bias, levelName(!open), levelName(w.active)))
		}
	}
	return w, errs
}

// cutWire says what a cut wire reads as, per kind, for warnings and docs.
var cutWire = map[string]string{
	KindContact: `"door closed"`,
	KindREX:     `"not pressed"`,
	KindTamper:  `"not tampered"`,
}

// Warnings returns what a valid config does that an installer should know
// about: normally-open contact and tamper loops (a cut wire reads as
// "closed, fine"), a normally-closed exit button (a cut wire is a press:
// one unlock), deprecated keys with what they are read as, and reader
// timing that will cost bad reads (readertiming.go). Open logs
// each one; they do not stop the daemon, because every config written
// before per-input wiring existed is wired normally open.
func (c Config) Warnings() []string {
	var ws []string
	for _, d := range c.Doors {
		var legacy []string
		for _, in := range d.doorInputs() {
			name := fmt.Sprintf("input %q", Name(d.ID, in.kind))
			if in.legacy {
				legacy = append(legacy, fmt.Sprintf("inputs.%s = { pin = %q, wiring = %q, bias = %q }", in.kind, in.cfg.Pin, in.cfg.Wiring, in.cfg.Bias))
			}
			switch {
			case in.cfg.Wiring == NormallyOpen && in.kind != KindREX:
				ws = append(ws, fmt.Sprintf("%s: normally_open is not supervised: a cut wire reads as %s; wire it normally_closed", name, cutWire[in.kind]))
			case in.cfg.Wiring == NormallyClosed && in.kind == KindREX:
				ws = append(ws, fmt.Sprintf("%s: normally_closed: a cut wire reads as a press and unlocks the door once", name))
			}
		}
		if len(legacy) > 0 {
			ws = append(ws, fmt.Sprintf("door %q: contact, rex, tamper and input_active are deprecated; read as %s", d.ID, strings.Join(legacy, "; ")))
		}
	}
	for _, r := range c.Readers {
		for _, w := range r.timingWarnings() {
			ws = append(ws, fmt.Sprintf("reader %q: %s", r.ID, w))
		}
	}
	return ws
}
