package board

import (
	"strings"
	"testing"
)

func TestValidateNamesEveryProblem(t *testing.T) {
	c := SimExample()
	c.Pins["relay1b"] = "GPIO26"                    // second name for relay1's line
	c.Doors[0].Inputs.REX.Pin = "door2_rex"         // used by door 2 too
	c.Doors[1].Relay = ""                           // missing relay
	c.Doors[1].Inputs.Contact.Pin = "door9_contact" // unknown pin
	c.Doors[1].RelayActive = "sometimes"            // bad level
	c.Doors[1].Fail = "open"                        // bad fail mode
	c.Readers[0].Format = "h10302"                  // bad format name
	c.Readers[1].Keypad = "16bit"                   // bad keypad
	c.Readers = append(c.Readers, c.Readers[0])     // duplicate id and pins
	c.Readers[2].Format = "c1000"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`pins "relay1", "relay1b": all map to hardware line "GPIO26"`,
		`door "2" rex: pin "door2_rex" is already used by door "1" rex`,
		`door "2": relay pin is missing`,
		`door "2": contact: unknown pin "door9_contact"`,
		`door "2": relay_active "sometimes"`,
		`door "2": fail "open"`,
		`reader "1": unknown format "h10302"`,
		`reader "2": unknown keypad "16bit"`,
		`reader "1": duplicate reader id`,
		`reader "1" d0: pin "reader1_d0" is already used by reader "1" d0`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
}

func TestValidateKind(t *testing.T) {
	for kind, want := range map[string]string{"": "kind is missing", "pi": `unknown kind "pi"`} {
		c := SimExample()
		c.Kind = kind
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("kind %q: %v, want %q", kind, err, want)
		}
	}
	c := SimExample()
	c.Kind, c.Chip = "gpio", ""
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "chip is required") {
		t.Errorf("gpio without chip: %v", err)
	}
	// Outputs alone need the chip too, unless they go through periph.
	for _, c := range []struct {
		source string
		ok     bool
	}{{"", false}, {"cdev", false}, {"periph", true}} {
		cfg := SimExample()
		cfg.Kind, cfg.Chip, cfg.OutputSource = "gpio", "", c.source
		cfg.Readers = nil
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("output_source %q, no readers, no chip: %v, want ok=%v", c.source, err, c.ok)
		}
	}
	c = SimExample()
	c.OutputSource = "gpiomem"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `unknown output_source "gpiomem"`) {
		t.Errorf("bad output_source: %v", err)
	}
}

// A missing pin on real hardware is a clear start-up error naming it (on
// this machine host.Init succeeds and gpioreg has no GPIO26, or it has
// other lines: either way relay1 cannot resolve under a made-up name).
func TestOpenGPIOMissingPin(t *testing.T) {
	c := SimExample()
	c.Kind, c.OutputSource = "gpio", "periph"
	c.Pins["relay1"] = "NO_SUCH_LINE_42"
	_, err := Open(c, nil)
	if err == nil || !strings.Contains(err.Error(), `door "1" relay: pin "relay1" (NO_SUCH_LINE_42): no such GPIO line`) {
		t.Errorf("Open = %v, want an error naming door 1's relay pin", err)
	}
}
