package board

import (
	"fmt"
	"testing"
	"testing/synctest"

	"periph.io/x/conn/v3/gpio"
)

func oneDoor(active, fail string) Config {
	return Config{
		Kind:  "sim",
		Pins:  map[string]string{"r": "GPIO26", "c": "GPIO17"},
		Doors: []DoorConfig{{ID: "1", Relay: "r", RelayActive: active, Fail: fail, Contact: "c"}},
	}
}

// unlockLevel is worked out here independently of relay.level.
func unlockLevel(active, fail string) gpio.Level {
	energise := fail == "secure" // fail-secure unlocks by energising
	return gpio.Level(energise == (active == "high"))
}

// For both polarities and both fail modes, the relay line never shows the
// unlocking level at start-up, after Close, or after a panic — only when
// SetRelay asked for it — and the very first level ever driven is the
// locked one (no "low first" glitch from our side).
func TestRelayNeverUnlocksUnasked(t *testing.T) {
	for _, active := range []string{"high", "low"} {
		for _, fail := range []string{"secure", "safe"} {
			t.Run(active+"/"+fail, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					unlock := unlockLevel(active, fail)
					b, err := Open(oneDoor(active, fail), nil)
					if err != nil {
						t.Fatal(err)
					}
					pin := b.Sim().Pin("r")
					h := pin.History()
					if len(h) != 1 || h[0].Level == unlock {
						t.Fatalf("start-up drove %v, want exactly one change to the locked level %v", h, !unlock)
					}
					if on, _ := b.Relay("1"); on {
						t.Error("relay reports unlocked at start")
					}

					// Unlock on request, then a panic in the daemon's
					// door goroutine, caught by a recover that secures.
					if err := b.SetRelay("1", true); err != nil || pin.Level() != unlock {
						t.Fatalf("SetRelay(true): %v, level %v, want %v", err, pin.Level(), unlock)
					}
					func() {
						defer func() {
							if recover() != nil {
								b.Secure()
							}
						}()
						panic("door logic bug")
					}()
					if pin.Level() == unlock {
						t.Error("still unlocked after panic + Secure")
					}
					b.Secure() // idempotent
					b.SetRelay("1", true)
					if err := b.Close(); err != nil {
						t.Fatal(err)
					}
					if pin.Level() == unlock {
						t.Error("unlocked after Close")
					}
					if err := b.SetRelay("1", true); err == nil || pin.Level() == unlock {
						t.Error("SetRelay(true) after Close unlocked the door")
					}
					b.Close() // idempotent

					// Every unlocking level in the history came from one
					// of the two SetRelay(true) calls.
					n := 0
					for _, c := range pin.History() {
						if c.Level == unlock {
							n++
						}
					}
					if n != 2 {
						t.Errorf("history %v has %d unlocks, want 2 (both asked for)", pin.History(), n)
					}
					outs := b.Sim().Outputs()
					if len(outs) != 1 || outs[0].Name != "1.relay" || outs[0].Active || len(outs[0].Transitions) != len(pin.History()) {
						t.Errorf("Outputs() = %+v", outs)
					}
				})
			})
		}
	}
}

func TestRelayLevels(t *testing.T) {
	for _, tc := range []struct {
		active, fail   string
		locked, opened gpio.Level
	}{
		{"high", "secure", gpio.Low, gpio.High},
		{"low", "secure", gpio.High, gpio.Low},
		{"high", "safe", gpio.High, gpio.Low},
		{"low", "safe", gpio.Low, gpio.High},
	} {
		r := relay{activeHigh: tc.active == "high", failSafe: tc.fail == "safe"}
		if r.level(false) != tc.locked || r.level(true) != tc.opened {
			t.Errorf("%s/%s: locked %v unlocked %v, want %v %v", tc.active, tc.fail, r.level(false), r.level(true), tc.locked, tc.opened)
		}
	}
}

// Secure must work even with the relay mutex held by a goroutine that
// died holding it.
func TestSecureWithMutexHeld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := Open(oneDoor("low", "secure"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		b.SetRelay("1", true)
		b.relays["1"].acquire()
		b.Secure()
		b.relays["1"].release()
		if got := b.Sim().Pin("r").Level(); got != gpio.High {
			t.Errorf("level %v after Secure, want high (locked, active-low)", got)
		}
	})
}

func TestUnknownNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := Open(SimExample(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for _, err := range []error{
			b.SetRelay("9", true), b.SetLED("9", true), b.SetBuzzer("1", true),
			b.Sim().SetInput("1.window", true), func() error { _, err := b.Sim().Keys("7", "1"); return err }(),
			func() error { _, err := b.Sim().CardValue("7", "", 1); return err }(),
		} {
			if _, ok := err.(*UnknownError); !ok {
				t.Errorf("got %v (%T), want *UnknownError", err, err)
			}
		}
		if err := b.SetRelay("9", true); err.Error() != `board: unknown door "9"` {
			t.Errorf("message %q", fmt.Sprint(err))
		}
	})
}

// gatedLine is a relay line whose next write can be held inside Out, as
// a slow ioctl would be, while recording every level written.
type gatedLine struct {
	outLine
	hold    chan struct{} // closed by the test to let a held write finish
	holding chan struct{} // a write is being held
	held    bool

	writes chan gpio.Level // every level, in order, once written
}

func (g *gatedLine) Out(l gpio.Level) error {
	if !g.held {
		g.held = true
		close(g.holding)
		<-g.hold
	}
	err := g.outLine.Out(l)
	g.writes <- l
	return err
}

// An unlock asked for while another write holds the relay, and so still
// in flight when Close begins, never lands: not before Close has locked
// the relay, not after Close returns. Every interleaving is pinned down
// with synctest (a writer waiting for the relay is durably blocked), no
// sleeps.
func TestUnlockInFlightAtCloseNeverLands(t *testing.T) {
	for _, tc := range []struct{ active, fail string }{{"low", "secure"}, {"high", "safe"}} {
		t.Run(tc.active+"/"+tc.fail, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, err := Open(oneDoor(tc.active, tc.fail), nil)
				if err != nil {
					t.Fatal(err)
				}
				r := b.relays["1"]
				onInFlightAtClose(t, b, &r.pin, func(on bool) error { return b.SetRelay("1", on) }, unlockLevel(tc.active, tc.fail), "r")
				if on, _ := b.Relay("1"); on {
					t.Errorf("relay reports unlocked after Close")
				}
			})
		})
	}
}

// The same for a reader LED: lit after Close began, never.
func TestLEDOnInFlightAtCloseNeverLands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := Open(SimExample(), nil)
		if err != nil {
			t.Fatal(err)
		}
		o := b.outputs["1.led"]
		onInFlightAtClose(t, b, &o.pin, func(on bool) error { return b.SetLED("1", on) }, gpio.Low, "reader1_led")
	})
}

// onInFlightAtClose holds an "off" write inside the line's Out, queues an
// "on" write behind it, starts Close, and then lets the writes go: the
// "on" write must be refused and the on level never written, and the
// line must end off. simPin is the line's profile pin name.
func onInFlightAtClose(t *testing.T, b *Board, line *outLine, set func(on bool) error, onLevel gpio.Level, simPin string) {
	t.Helper()
	g := &gatedLine{outLine: *line, hold: make(chan struct{}), holding: make(chan struct{}), writes: make(chan gpio.Level, 100)}
	*line = g

	// An "off" write is held inside Out, holding the line.
	first := make(chan error)
	go func() { first <- set(false) }()
	<-g.holding
	// An "on" write queues behind it: in flight.
	late := make(chan error)
	go func() { late <- set(true) }()
	synctest.Wait() // the "on" write is waiting for the line
	// Close begins.
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	synctest.Wait()
	close(g.hold)
	if err := <-first; err != nil {
		t.Fatalf("held off write: %v", err)
	}
	if err := <-late; err == nil {
		t.Errorf("the on write in flight at Close succeeded")
	}
	<-closed
	synctest.Wait()
	close(g.writes)
	for l := range g.writes {
		if l == onLevel {
			t.Errorf("the on level was written after Close began")
		}
	}
	if lvl := b.Sim().Pin(simPin).Level(); lvl == onLevel {
		t.Errorf("line at the on level after Close")
	}
}
