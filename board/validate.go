package board

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/doord/doord/board/wiegand"
)

// Validate checks the whole board config and returns every problem at once,
// each naming the door, reader or pin it is about.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	switch c.Kind {
	case "sim":
	case "gpio":
		if c.Chip == "" && (c.usesCdev() || c.cdevOutputs()) {
			add("board: chip is required for kind \"gpio\" (e.g. \"/dev/gpiochip0\")")
		}
	case "":
		add("board: kind is missing (want \"gpio\" or \"sim\")")
	default:
		add("board: unknown kind %q (want \"gpio\" or \"sim\")", c.Kind)
	}

	switch c.OutputSource {
	case "", "cdev", "periph":
	default:
		add("board: unknown output_source %q (want cdev or periph)", c.OutputSource)
	}

	// Two names for one hardware line would let a relay and an input
	// fight over it.
	byHW := map[string][]string{}
	for name, hw := range c.Pins {
		if strings.TrimSpace(hw) == "" {
			add("pin %q: no hardware line given", name)
			continue
		}
		byHW[hw] = append(byHW[hw], name)
	}
	for hw, names := range byHW {
		if len(names) > 1 {
			sort.Strings(names)
			add("pins %s: all map to hardware line %q", quoteAll(names), hw)
		}
	}

	used := map[string]string{} // pin name → first user
	use := func(who, role, pin string, required bool) {
		if pin == "" {
			if required {
				add("%s: %s pin is missing", who, role)
			}
			return
		}
		if _, ok := c.Pins[pin]; !ok {
			add("%s: %s: unknown pin %q (not in [board.pins])", who, role, pin)
			return
		}
		me := who + " " + role
		if prev, ok := used[pin]; ok {
			add("%s: pin %q is already used by %s", me, pin, prev)
			return
		}
		used[pin] = me
	}

	ids := map[string]bool{}
	for i, r := range c.Readers {
		who := fmt.Sprintf("reader %q", r.ID)
		if r.ID == "" {
			who = fmt.Sprintf("reader #%d", i+1)
			add("%s: id is missing", who)
		} else if strings.ContainsAny(r.ID, "./ ") {
			add("%s: id may not contain '.', '/' or spaces", who)
		} else if ids[r.ID] {
			add("%s: duplicate reader id", who)
		}
		ids[r.ID] = true
		use(who, "d0", r.D0, true)
		use(who, "d1", r.D1, true)
		use(who, "led", r.LED, false)
		use(who, "buzzer", r.Buzzer, false)
		if !wiegand.ValidFormat(r.Format) {
			add("%s: unknown format %q (want one of %s)", who, r.Format, strings.Join(wiegand.FormatNames(), ", "))
		}
		if !wiegand.ValidKeypad(r.Keypad) {
			add("%s: unknown keypad %q (want 4bit, 8bit, auto or none)", who, r.Keypad)
		}
		var sim *SimConfig
		if c.Kind == "sim" {
			sim = &c.Sim
		}
		for _, e := range r.timingErrors(sim) {
			add("%s: %s", who, e)
		}
		switch r.Source {
		case "", "cdev":
		case "periph":
			// Two goroutines stamping edges in user space cannot tell
			// which of D0 and D1 fell first under load; a reordered bit
			// is another card. No reorder window fixes a wrong stamp.
			add("%s: source \"periph\" cannot keep the order of D0 and D1 edges (user-space timestamps, one goroutine per line) and is refused for Wiegand: use source = \"cdev\" (the GPIO character device: kernel timestamps, one queue)", who)
		default:
			add("%s: unknown source %q (want cdev)", who, r.Source)
		}
	}

	ids = map[string]bool{}
	for i, d := range c.Doors {
		who := fmt.Sprintf("door %q", d.ID)
		if d.ID == "" {
			who = fmt.Sprintf("door #%d", i+1)
			add("%s: id is missing", who)
		} else if strings.ContainsAny(d.ID, "./ ") {
			add("%s: id may not contain '.', '/' or spaces", who)
		} else if ids[d.ID] {
			add("%s: duplicate door id", who)
		}
		ids[d.ID] = true
		use(who, "relay", d.Relay, true)
		for _, k := range []struct {
			kind, legacy string
			cfg          InputConfig
		}{{KindContact, d.Contact, d.Inputs.Contact}, {KindREX, d.REX, d.Inputs.REX}, {KindTamper, d.Tamper, d.Inputs.Tamper}} {
			if k.legacy != "" && k.cfg != (InputConfig{}) {
				add("%s: %s and inputs.%s are both set (%s is deprecated: keep inputs.%s only)", who, k.kind, k.kind, k.kind, k.kind)
			}
		}
		legacy := false
		for _, in := range d.doorInputs() {
			legacy = legacy || in.legacy
			use(who, in.kind, in.cfg.Pin, false)
			name := fmt.Sprintf("input %q", Name(d.ID, in.kind))
			if in.cfg.Pin == "" {
				add("%s: pin is missing", name)
			}
			if in.legacy {
				continue // the translation is valid by construction
			}
			_, problems := in.cfg.wiring()
			for _, p := range problems {
				add("%s: %s", name, p)
			}
		}
		if d.RelayActive != "high" && d.RelayActive != "low" {
			add("%s: relay_active %q must be \"high\" or \"low\"", who, d.RelayActive)
		}
		if d.Fail != "secure" && d.Fail != "safe" {
			add("%s: fail %q must be \"secure\" or \"safe\"", who, d.Fail)
		}
		switch {
		case d.InputActive != "" && d.InputActive != "low" && d.InputActive != "high":
			add("%s: input_active %q must be \"low\" or \"high\"", who, d.InputActive)
		case d.InputActive != "" && !legacy:
			add("%s: input_active applies only to the deprecated contact, rex and tamper keys; set wiring and bias per input under inputs", who)
		}
		if d.Debounce < 0 {
			add("%s: debounce %v is negative", who, d.Debounce)
		}
	}
	if len(c.Doors) == 0 && len(c.Readers) == 0 {
		add("board: no doors and no readers configured")
	}
	if c.Sim.Pulse < 0 || c.Sim.Interval < 0 || (c.Sim.Interval > 0 && c.Sim.Pulse >= c.Sim.Interval) {
		add("board: sim pulse %v must be shorter than interval %v", c.Sim.Pulse, c.Sim.Interval)
	}
	return errors.Join(errs...)
}

func (c Config) usesCdev() bool {
	for _, r := range c.Readers {
		if r.Source == "" || r.Source == "cdev" {
			return true
		}
	}
	return false
}

// cdevOutputs reports whether outputs go through the character device
// and there are any.
func (c Config) cdevOutputs() bool {
	if c.OutputSource != "" && c.OutputSource != "cdev" {
		return false
	}
	for _, r := range c.Readers {
		if r.LED != "" || r.Buzzer != "" {
			return true
		}
	}
	return len(c.Doors) > 0
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
