package board

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/fakepin"
	"github.com/doord/doord/board/gpiocdev"
	"github.com/doord/doord/board/wiegand"
)

// fakeHW is kind "gpio" with nothing real under it: a FakeChip for the
// character-device outputs, fake pins (by hardware name) for what periph
// would hand out.
type fakeHW struct {
	chip     *gpiocdev.FakeChip
	chipErr  error
	pins     map[string]gpio.PinIO
	byName   []string // hardware names looked up through "periph", in order
	requests []int    // len(chip.Requests()) at each of those lookups
	edgeReqs []gpiocdev.Request
}

func newFakeHW() *fakeHW {
	names := []string{"ID_SDA", "ID_SCL"}
	for i := 2; i < 28; i++ {
		names = append(names, fmt.Sprintf("GPIO%d", i))
	}
	f := &fakeHW{chip: gpiocdev.NewFakeChip(names...), pins: map[string]gpio.PinIO{}}
	for _, n := range names {
		f.pins[n] = fakepin.New(n, gpio.High, nil) // pulled up, idle
	}
	return f
}

func (f *fakeHW) hardware() hardware {
	return hardware{
		openChip: func(path string) (gpiocdev.Chip, error) {
			if f.chipErr != nil {
				return nil, f.chipErr
			}
			return f.chip, nil
		},
		byName: func(name string) gpio.PinIO {
			f.byName = append(f.byName, name)
			f.requests = append(f.requests, len(f.chip.Requests()))
			if p, ok := f.pins[name]; ok {
				return p
			}
			return nil
		},
		openEdges: func(r gpiocdev.Request) (wiegand.Source, error) {
			f.edgeReqs = append(f.edgeReqs, r)
			return gpiocdev.NewSource(gpiocdev.NewQueue(), 0, 1, gpiocdev.Clock{Base: time.Now()}), nil
		},
	}
}

// gpioDoor is one door and one reader on real-hardware config: relay
// GPIO26, contact GPIO17, REX GPIO27; reader on GPIO5/6 (a character-device
// edge request, faked by fakeHW), an active-low LED on GPIO13 and an
// active-high buzzer on GPIO19.
func gpioDoor(active, fail string) Config {
	return Config{
		Kind: "gpio", Chip: "/dev/gpiochip0",
		Pins: map[string]string{"relay": "GPIO26", "contact": "GPIO17", "rex": "GPIO27",
			"d0": "GPIO5", "d1": "GPIO6", "led": "GPIO13", "buzzer": "GPIO19"},
		Readers: []ReaderConfig{{ID: "1", D0: "d0", D1: "d1", LED: "led", Buzzer: "buzzer", BuzzerActiveHigh: true}},
		Doors:   []DoorConfig{{ID: "1", Relay: "relay", RelayActive: active, Fail: fail, Contact: "contact", REX: "rex"}},
	}
}

// On the character device, for both polarities and both fail modes: the
// relay line is requested as an output already at the locked level (no
// write before, no other level in between), every output is requested
// before any input line is touched or goroutine started, and the only
// unlocking levels the chip ever sees are the ones SetRelay asked for —
// none at start, on Secure, on Close.
func TestCdevRelayNeverUnlocksUnasked(t *testing.T) {
	for _, active := range []string{"high", "low"} {
		for _, fail := range []string{"secure", "safe"} {
			t.Run(active+"/"+fail, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					unlock := bool(unlockLevel(active, fail))
					hw := newFakeHW()
					b, err := open(gpioDoor(active, fail), nil, hw.hardware())
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { b.Close() })
					chip := hw.chip
					reqs := chip.Requests()
					if len(reqs) != 3 {
						t.Fatalf("%d line requests, want 3 (relay, LED, buzzer)", len(reqs))
					}
					relay := reqs[0]
					a := relay.Config.Attrs[0]
					if relay.Num_lines != 1 || relay.Offsets[0] != 26 || relay.Config.Flags != 1<<3 ||
						relay.Config.Num_attrs != 1 || a.Attr.Id != 2 || a.Mask != 1 || (a.Attr.Flags == 1) == unlock {
						t.Fatalf("relay request lines %v flags %#x attrs %d %+v, want GPIO26 as output with value %v",
							relay.Offsets[:relay.Num_lines], relay.Config.Flags, relay.Config.Num_attrs, a, !unlock)
					}
					if got := string(relay.Consumer[:strings.IndexByte(string(relay.Consumer[:]), 0)]); got != "doord-relay-1" {
						t.Errorf("consumer %q", got)
					}
					// LED active-low: off is high; buzzer active-high: off is low.
					if led, buz := chip.Levels(13), chip.Levels(19); fmt.Sprint(led, buz) != "[true] [false]" {
						t.Errorf("LED levels %v, buzzer %v, want [true] [false] (off)", led, buz)
					}
					if w := chip.Writes(); len(w) != 0 {
						t.Errorf("writes at start-up: %+v, want none (the request sets the level)", w)
					}
					for i, n := range hw.requests {
						if n != 3 {
							t.Errorf("%s looked up with %d of 3 outputs requested", hw.byName[i], n)
						}
					}
					if len(hw.byName) != 2 || !chip.Closed() {
						t.Errorf("periph lookups %v (want contact, rex), chip closed %v", hw.byName, chip.Closed())
					}
					// The reader's D0 and D1: one character-device request.
					if len(hw.edgeReqs) != 1 || hw.edgeReqs[0].D0 != "GPIO5" || hw.edgeReqs[0].D1 != "GPIO6" || hw.edgeReqs[0].Chip != "/dev/gpiochip0" {
						t.Errorf("edge requests %+v, want one for GPIO5/GPIO6 on /dev/gpiochip0", hw.edgeReqs)
					}

					b.Secure()
					if err := b.SetRelay("1", true); err != nil {
						t.Fatal(err)
					}
					b.Secure()
					b.SetRelay("1", true)
					b.SetLED("1", true)
					b.SetBuzzer("1", true)
					if err := b.Close(); err != nil {
						t.Fatal(err)
					}
					if err := b.SetRelay("1", true); err == nil {
						t.Error("SetRelay(true) after Close accepted")
					}
					b.Secure()
					b.Close()

					levels := chip.Levels(26)
					n := 0
					for _, l := range levels {
						if l == unlock {
							n++
						}
					}
					if levels[0] == unlock || levels[len(levels)-1] == unlock || n != 2 {
						t.Errorf("relay levels %v (unlock = %v): want locked first and last, exactly 2 unlocks (both asked for)", levels, unlock)
					}
					if on, _ := b.Relay("1"); on {
						t.Error("relay reports unlocked after Close")
					}
					if led, buz := chip.Levels(13), chip.Levels(19); fmt.Sprint(led, buz) != "[true false true] [false true false]" {
						t.Errorf("LED levels %v, buzzer %v, want off, on, off", led, buz)
					}
					if !chip.Busy(26) {
						t.Error("relay line released by Close; it must stay held at the locked level")
					}
				})
			})
		}
	}
}

// A relay line that cannot be had is a start-up error naming the door,
// the profile pin, the hardware line and the chip.
func TestCdevOpenErrors(t *testing.T) {
	for _, c := range []struct {
		edit func(*Config, *fakeHW)
		want string
	}{
		{func(c *Config, _ *fakeHW) { c.Pins["relay"] = "GPIO99" },
			`board: door "1" relay: pin "relay" (GPIO99) on /dev/gpiochip0: gpiocdev: no line named "GPIO99", and the chip has no line 99`},
		{func(c *Config, _ *fakeHW) { c.Pins["relay"] = "RELAY_1" },
			`board: door "1" relay: pin "relay" (RELAY_1) on /dev/gpiochip0: gpiocdev: no line named "RELAY_1" on the chip`},
		{func(_ *Config, f *fakeHW) { f.chipErr = errors.New("gpiocdev: open /dev/gpiochip0: permission denied") },
			`board: door "1" relay: pin "relay" (GPIO26): gpiocdev: open /dev/gpiochip0: permission denied`},
	} {
		cfg, hw := gpioDoor("low", "secure"), newFakeHW()
		c.edit(&cfg, hw)
		if _, err := open(cfg, nil, hw.hardware()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open = %v\nwant %s", err, c.want)
		}
	}
}

// When a later output fails, Open gives up with the relay requested and
// still locked (it wrote the locked level again, never the other).
func TestCdevOpenFailsLocked(t *testing.T) {
	for _, active := range []string{"high", "low"} {
		cfg, hw := gpioDoor(active, "secure"), newFakeHW()
		busy, _ := gpiocdev.RequestOutputs(hw.chip, "someone", []gpiocdev.Output{{Line: "GPIO13"}})
		defer busy.Close()
		_, err := open(cfg, nil, hw.hardware())
		if err == nil || !strings.Contains(err.Error(), `reader "1" led: pin "led" (GPIO13)`) || !strings.Contains(err.Error(), "busy") {
			t.Fatalf("Open = %v, want the busy LED line named", err)
		}
		locked := active == "low"
		for _, l := range hw.chip.Levels(26) {
			if l != locked {
				t.Errorf("%s: relay levels %v, want only %v", active, hw.chip.Levels(26), locked)
			}
		}
		if !hw.chip.Closed() {
			t.Error("chip left open after a failed Open")
		}
	}
}

// output_source "periph" drives the same relay through gpio.PinOut and
// never opens the chip.
func TestPeriphOutputSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, hw := gpioDoor("low", "secure"), newFakeHW()
		cfg.OutputSource = "periph"
		b, err := open(cfg, nil, hw.hardware())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		p := hw.pins["GPIO26"].(*fakepin.Pin)
		if h := p.History(); !p.IsOutput() || len(h) != 1 || h[0].Level != gpio.High {
			t.Errorf("relay pin output %v history %v, want one Out, to the locked level (high)", p.IsOutput(), h)
		}
		b.SetRelay("1", true)
		if p.Level() != gpio.Low || len(hw.chip.Requests()) != 0 {
			t.Errorf("level %v, chip requests %d; want low (unlocked) and no chip use", p.Level(), len(hw.chip.Requests()))
		}
	})
}

// lossyPin loses its first Halt, as periph's gpioioctl does when the Halt
// lands between two WaitForEdge calls.
type lossyPin struct {
	*fakepin.Pin
	halts atomic.Int32
}

func (p *lossyPin) Halt() error {
	if p.halts.Add(1) == 1 {
		return nil
	}
	return p.Pin.Halt()
}

// Close does not sit out a 1 s edge wait when a Halt is lost: it halts
// again until every input goroutine has stopped.
func TestCloseIsPromptWhenHaltIsLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hw := newFakeHW()
		var lossy []*lossyPin
		for _, n := range []string{"GPIO17", "GPIO27"} {
			p := &lossyPin{Pin: hw.pins[n].(*fakepin.Pin)}
			hw.pins[n] = p
			lossy = append(lossy, p)
		}
		b, err := open(gpioDoor("low", "secure"), nil, hw.hardware())
		if err != nil {
			t.Fatal(err)
		}
		<-b.InputEvents()
		<-b.InputEvents()
		synctest.Wait() // every goroutine parked in WaitForEdge
		start := time.Now()
		b.Close()
		if took := time.Since(start); took > haltRetry {
			t.Errorf("Close took %v with lost Halts, want at most %v (not the %v edge wait)", took, haltRetry, edgeWait)
		}
		for _, p := range lossy {
			if p.halts.Load() < 2 {
				t.Errorf("%s halted %d times, want a retry", p.Name(), p.halts.Load())
			}
		}
	})
}
