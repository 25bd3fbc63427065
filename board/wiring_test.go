package board

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/fakepin"
)

// oneInput is a board with door 1's relay and one input of kind on pin "in".
func oneInput(kind string, in InputConfig) Config {
	in.Pin = "in"
	c := Config{
		Kind:  "sim",
		Pins:  map[string]string{"r": "GPIO26", "in": "GPIO17"},
		Doors: []DoorConfig{{ID: "1", Relay: "r", RelayActive: "low", Fail: "secure"}},
	}
	switch kind {
	case KindContact:
		c.Doors[0].Inputs.Contact = in
	case KindREX:
		c.Doors[0].Inputs.REX = in
	case KindTamper:
		c.Doors[0].Inputs.Tamper = in
	}
	return c
}

// nextEvent returns the next input event, or fails the test if none comes
// within a second of (synctest) time: a missing event is a failure, not
// a hang.
func nextEvent(t *testing.T, b *Board) InputEvent {
	t.Helper()
	select {
	case e := <-b.InputEvents():
		return e
	case <-time.After(time.Second):
		t.Fatal("no input event within a second")
		return InputEvent{}
	}
}

// noEvent fails if an input event is reported within a second of
// (synctest) time: well past any debounce.
func noEvent(t *testing.T, b *Board, what string) {
	t.Helper()
	time.Sleep(time.Second)
	synctest.Wait()
	select {
	case e := <-b.InputEvents():
		t.Errorf("%s: reported %+v, want nothing", what, e)
	default:
	}
}

// Every valid combination of wiring, bias and active level, for a contact
// and a tamper loop: the level the line shows at rest, active and with a
// cut wire is what the circuit gives (worked out here from the physics,
// not from wiring.level), and a cut wire reads as active — door open,
// tampered — on every normally-closed loop. On a normally-open loop a cut
// wire reads as the quiet state: that is the physics (an open loop is an
// open loop), and why Warnings names such inputs.
func TestCutWire(t *testing.T) {
	hi, lo := gpio.High, gpio.Low
	for _, tc := range []struct {
		wiring, bias, active string
		pull                 gpio.Pull
		rest, on, cut        gpio.Level // line level at rest, active, wire cut
	}{
		// The loop is closed at rest and pulls the line to the rail the
		// switch is on; opened (or cut) it sits at the bias level.
		{NormallyClosed, BiasPullUp, "", gpio.PullUp, lo, hi, hi},
		{NormallyClosed, "", "", gpio.PullUp, lo, hi, hi}, // pull_up is the default
		{NormallyClosed, BiasPullDown, "", gpio.PullDown, hi, lo, lo},
		{NormallyClosed, BiasPullUp, "high", gpio.PullUp, lo, hi, hi},
		{NormallyClosed, BiasNone, "high", gpio.Float, lo, hi, hi}, // external pull-up
		{NormallyClosed, BiasNone, "low", gpio.Float, hi, lo, lo},  // external pull-down
		// The loop is open at rest: a cut changes nothing.
		{NormallyOpen, BiasPullUp, "", gpio.PullUp, hi, lo, hi},
		{NormallyOpen, BiasPullDown, "", gpio.PullDown, lo, hi, lo},
		{NormallyOpen, BiasNone, "low", gpio.Float, hi, lo, hi},
	} {
		for _, kind := range []string{KindContact, KindTamper} {
			name := fmt.Sprintf("%s/%s/%s/%s", kind, tc.wiring, tc.bias, tc.active)
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					b := openSim(t, oneInput(kind, InputConfig{Wiring: tc.wiring, Bias: tc.bias, Active: tc.active}))
					sim, pin, input := b.Sim(), b.Sim().Pin("in"), Name("1", kind)
					if e := nextEvent(t, b); e.Input != input || e.Active {
						t.Fatalf("at start: %+v, want %s inactive", e, input)
					}
					if pin.Pull() != tc.pull || pin.Level() != tc.rest {
						t.Errorf("at rest: pull %v level %v, want %v %v", pin.Pull(), pin.Level(), tc.pull, tc.rest)
					}
					sim.SetInput(input, true)
					if e := nextEvent(t, b); !e.Active || pin.Level() != tc.on {
						t.Errorf("switch active: %+v at level %v, want active at %v", e, pin.Level(), tc.on)
					}
					sim.SetInput(input, false)
					if e := nextEvent(t, b); e.Active {
						t.Errorf("switch back: %+v, want inactive", e)
					}

					if err := sim.CutWire(input, true); err != nil {
						t.Fatal(err)
					}
					if pin.Level() != tc.cut {
						t.Errorf("wire cut: level %v, want %v", pin.Level(), tc.cut)
					}
					if tc.wiring == NormallyClosed {
						if e := nextEvent(t, b); e.Input != input || !e.Active {
							t.Fatalf("wire cut: %+v, want %s active (the alarm)", e, input)
						}
						// The switch cannot undo a cut: the loop stays open.
						sim.SetInput(input, true)
						sim.SetInput(input, false)
						noEvent(t, b, "switch moved on a cut wire")
						sim.CutWire(input, false)
						if e := nextEvent(t, b); e.Active {
							t.Errorf("wire mended: %+v, want inactive", e)
						}
					} else {
						noEvent(t, b, "normally-open wire cut")
					}
				})
			})
		}
	}
}

// A REX wired normally closed reads a cut wire as a press; normally open
// as nothing (the door stays locked; egress is mechanical).
func TestCutWireREX(t *testing.T) {
	for _, tc := range []struct {
		wiring string
		press  bool
	}{{NormallyClosed, true}, {NormallyOpen, false}} {
		synctest.Test(t, func(t *testing.T) {
			b := openSim(t, oneInput(KindREX, InputConfig{Wiring: tc.wiring}))
			nextEvent(t, b)
			b.Sim().CutWire("1.rex", true)
			if tc.press {
				if e := nextEvent(t, b); !e.Active {
					t.Errorf("%s: cut read as %+v, want a press", tc.wiring, e)
				}
			} else {
				noEvent(t, b, tc.wiring+" rex cut")
			}
		})
	}
}

// The deprecated per-door keys keep their wiring: a switch closing to
// ground with the pull-up (input_active "low" or absent), or to 3.3 V with
// the pull-down ("high"); and Warnings says what they are read as.
func TestLegacyInputKeys(t *testing.T) {
	for _, tc := range []struct {
		inputActive string
		pull        gpio.Pull
		pressed     gpio.Level
	}{{"", gpio.PullUp, gpio.Low}, {"low", gpio.PullUp, gpio.Low}, {"high", gpio.PullDown, gpio.High}} {
		synctest.Test(t, func(t *testing.T) {
			c := Config{
				Kind: "sim",
				Pins: map[string]string{"r": "GPIO26", "c": "GPIO17", "x": "GPIO27"},
				Doors: []DoorConfig{{ID: "1", Relay: "r", RelayActive: "low", Fail: "secure",
					Contact: "c", REX: "x", InputActive: tc.inputActive}},
			}
			b := openSim(t, c)
			drainInitial(t, b)
			pin := b.Sim().Pin("x")
			b.Sim().SetInput("1.rex", true)
			if e := nextEvent(t, b); e.Input != "1.rex" || !e.Active || pin.Pull() != tc.pull || pin.Level() != tc.pressed {
				t.Errorf("input_active %q: %+v, pull %v level %v, want pressed at %v with %v", tc.inputActive, e, pin.Pull(), pin.Level(), tc.pressed, tc.pull)
			}
			ws := strings.Join(c.Warnings(), "\n")
			bias := "pull_up"
			if tc.inputActive == "high" {
				bias = "pull_down"
			}
			for _, want := range []string{
				`door "1": contact, rex, tamper and input_active are deprecated; read as inputs.contact = { pin = "c", wiring = "normally_open", bias = "` + bias + `" }; inputs.rex = { pin = "x"`,
				`input "1.contact": normally_open is not supervised: a cut wire reads as "door closed"`,
			} {
				if !strings.Contains(ws, want) {
					t.Errorf("warnings\n%s\ndo not contain %q", ws, want)
				}
			}
		})
	}
}

// Validation names the input and the problem, and refuses every setting
// under which a cut normally-closed wire would read as the quiet state.
func TestValidateInputs(t *testing.T) {
	for _, tc := range []struct {
		kind string
		in   InputConfig
		want string // "" = valid
	}{
		{KindContact, InputConfig{Wiring: NormallyClosed, Bias: BiasPullUp}, ""},
		{KindContact, InputConfig{Wiring: NormallyClosed, Bias: BiasPullUp, Active: "low"},
			`input "1.contact": active = "low" contradicts normally_closed with pull_up: the loop opening reads high, so a cut wire would read as inactive`},
		{KindTamper, InputConfig{Wiring: NormallyClosed, Bias: BiasPullDown, Active: "high"},
			`input "1.tamper": active = "high" contradicts normally_closed with pull_down: the loop opening reads low, so a cut wire would read as inactive`},
		{KindTamper, InputConfig{Wiring: NormallyClosed, Active: "low"},
			`input "1.tamper": active = "low" contradicts normally_closed with pull_up`},
		{KindContact, InputConfig{Wiring: NormallyOpen, Bias: BiasPullUp, Active: "high"},
			`input "1.contact": active = "high" contradicts normally_open with pull_up: the switch closing reads low`},
		{KindContact, InputConfig{Wiring: NormallyClosed, Bias: BiasNone},
			`input "1.contact": bias "none" needs active = "low" or "high"`},
		{KindREX, InputConfig{Bias: BiasPullUp},
			`input "1.rex": wiring is missing (want "normally_closed" or "normally_open")`},
		{KindREX, InputConfig{Wiring: "nc"}, `input "1.rex": unknown wiring "nc"`},
		{KindContact, InputConfig{Wiring: NormallyClosed, Bias: "pullup"}, `input "1.contact": unknown bias "pullup" (want "pull_up", "pull_down" or "none")`},
		{KindContact, InputConfig{Wiring: NormallyClosed, Active: "yes"}, `input "1.contact": unknown active level "yes"`},
	} {
		c := oneInput(tc.kind, tc.in)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v, want valid", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
		}
	}

	// An unknown wiring is that one error, not also a contradiction with
	// a wiring guessed for it.
	if err := oneInput(KindREX, InputConfig{Wiring: "nc", Active: "high"}).Validate(); err == nil || strings.Contains(err.Error(), "contradicts") {
		t.Errorf("unknown wiring with active: %v, want only the unknown wiring", err)
	}

	// A wiring with no pin, both forms at once, input_active with no
	// deprecated key to apply to.
	c := oneInput(KindContact, InputConfig{Wiring: NormallyClosed})
	c.Doors[0].Inputs.Tamper = InputConfig{Wiring: NormallyClosed}
	c.Doors[0].Contact = "in"
	c.Doors[0].InputActive = "low"
	err := c.Validate()
	for _, want := range []string{
		`input "1.tamper": pin is missing`,
		`door "1": contact and inputs.contact are both set (contact is deprecated: keep inputs.contact only)`,
		`door "1": input_active applies only to the deprecated contact, rex and tamper keys`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
}

// Warnings: a normally-open contact or tamper loop is not supervised; a
// normally-closed exit button unlocks on a cut wire; a normally-closed
// contact and tamper and a normally-open button are what to wire, and
// say nothing.
func TestWiringWarnings(t *testing.T) {
	c := SimExample()
	if ws := c.Warnings(); len(ws) != 0 {
		t.Errorf("the example warns: %q", ws)
	}
	c.Doors[0].Inputs.Contact.Wiring = NormallyOpen
	c.Doors[0].Inputs.Tamper.Wiring = NormallyOpen
	c.Doors[1].Inputs.REX.Wiring = NormallyClosed
	want := []string{
		`input "1.contact": normally_open is not supervised: a cut wire reads as "door closed"; wire it normally_closed`,
		`input "1.tamper": normally_open is not supervised: a cut wire reads as "not tampered"; wire it normally_closed`,
		`input "2.rex": normally_closed: a cut wire reads as a press and unlocks the door once`,
	}
	if got := c.Warnings(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Open logs every warning at level WARN, so an installer sees an
// unsupervised contact in the daemon's log at start.
func TestOpenLogsWiringWarnings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf strings.Builder
		log := slog.New(slog.NewTextHandler(&buf, nil))
		b, err := Open(oneInput(KindContact, InputConfig{Wiring: NormallyOpen}), log)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		want := `level=WARN msg="board: input \"1.contact\": normally_open is not supervised: a cut wire reads as \"door closed\"; wire it normally_closed"`
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log\n%s\ndoes not contain\n%s", buf.String(), want)
		}
	})
}

// On kind "gpio" (fake periph pins under the real Open path) each input's
// line is configured with its own bias, and a normally-closed loop whose
// line sits at the bias level — a cut wire — reads as active.
func TestGPIOInputsTakeTheirBias(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hw := newFakeHW()
		cfg := gpioDoor("low", "secure")
		cfg.Doors[0].Contact, cfg.Doors[0].REX = "", ""
		cfg.Pins["tamper"] = "GPIO22"
		cfg.Doors[0].Inputs = DoorInputs{
			Contact: InputConfig{Pin: "contact", Wiring: NormallyClosed, Bias: BiasPullDown},
			REX:     InputConfig{Pin: "rex", Wiring: NormallyOpen, Bias: BiasNone, Active: "high"},
			Tamper:  InputConfig{Pin: "tamper", Wiring: NormallyClosed, Bias: BiasPullUp},
		}
		// At rest: the contact loop closed to 3.3 V, the button open
		// (external pull-down), the tamper loop cut (at its pull-up).
		hw.pins["GPIO17"].(*fakepin.Pin).Set(gpio.High)
		hw.pins["GPIO27"].(*fakepin.Pin).Set(gpio.Low)
		hw.pins["GPIO22"].(*fakepin.Pin).Set(gpio.High)
		b, err := open(cfg, nil, hw.hardware())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		for pin, want := range map[string]gpio.Pull{"GPIO17": gpio.PullDown, "GPIO27": gpio.Float, "GPIO22": gpio.PullUp} {
			if got := hw.pins[pin].Pull(); got != want {
				t.Errorf("%s: pull %v, want %v", pin, got, want)
			}
		}
		got := map[string]bool{}
		for range 3 {
			e := nextEvent(t, b)
			got[e.Input] = e.Active
		}
		if want := map[string]bool{"1.contact": false, "1.rex": false, "1.tamper": true}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("at start %v, want %v (the cut tamper loop active)", got, want)
		}
	})
}
