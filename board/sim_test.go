package board

import (
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/wiegand"
)

func openSim(t *testing.T, cfg Config) *Board {
	t.Helper()
	b, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// drainInitial swallows the start-up state every input reports.
func drainInitial(t *testing.T, b *Board) {
	t.Helper()
	for range b.Sim().Inputs() {
		<-b.InputEvents()
	}
}

// A configured format decodes after its confirmation silence (3 bit
// intervals: 6 ms at the sim's 2 ms) plus the source's 1 ms last look for
// late events — not after the 25 ms gap.
func TestSimSwipeConfiguredFormatDecodesAfterConfirmation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		start := time.Now()
		last, err := b.Sim().CardFacility("1", "", 123, 4567)
		if err != nil {
			t.Fatal(err)
		}
		if !last.Equal(start) {
			t.Errorf("last edge %v, want now %v (the train ends now)", last, start)
		}
		r := <-b.Reads()
		if r.Reader != "1" || r.Card == nil || r.Card.Value != 8065495 || r.Card.Format != "h10301" || !r.At.Equal(last) {
			t.Fatalf("read %+v, want card 8065495 from reader 1 at %v", r, last)
		}
		if waited := time.Since(start); waited != 7*time.Millisecond {
			t.Errorf("configured format took %v to decode, want 6ms confirmation + 1ms drain", waited)
		}
		// The D0/D1 fake pins carry the real pulse train: 26 pulses,
		// 50 µs low, 2 ms apart.
		d0, d1 := b.Sim().Pin("reader1_d0").History(), b.Sim().Pin("reader1_d1").History()
		if len(d0)+len(d1) != 2*26 {
			t.Errorf("%d level changes on D0/D1, want 52", len(d0)+len(d1))
		}
		if d := d1[1].At.Sub(d1[0].At); d1[0].Level != gpio.Low || d != 50*time.Microsecond {
			t.Errorf("first D1 pulse %v low for %v, want 50µs", d1[0].Level, d)
		}
	})
}

func TestSimSwipeAutoWaitsForGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		for _, format := range []string{"h10301", "34bit", "c1000", "h10304"} {
			start := time.Now()
			last, err := b.Sim().CardValue("2", format, 12345)
			if err != nil {
				t.Fatal(err)
			}
			r := <-b.Reads()
			if r.Card == nil || r.Card.Format != format || r.Card.Value != 12345 || !r.At.Equal(last) {
				t.Fatalf("%s: read %+v, want card 12345", format, r)
			}
			// Decoded once 25 ms of silence followed the last edge,
			// plus the source's 1 ms drain.
			if got := time.Since(last); got < wiegand.DefaultGap || got > wiegand.DefaultGap+2*time.Millisecond {
				t.Errorf("%s decoded %v after the last edge (started %v), want the 25 ms gap", format, got, start)
			}
		}
	})
}

// Two swipes sent at the same instant (the reader goroutine sees both in
// one batch) come out as two cards, in order.
func TestSimBackToBackSwipes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		for _, reader := range []string{"1", "2"} {
			l1, _ := b.Sim().CardFacility(reader, "h10301", 1, 100)
			l2, _ := b.Sim().CardFacility(reader, "h10301", 1, 200)
			if !l2.After(l1.Add(wiegand.DefaultGap)) {
				t.Errorf("second train's last edge %v not a gap after the first's %v", l2, l1)
			}
			r1, r2 := <-b.Reads(), <-b.Reads()
			if r1.Card == nil || r2.Card == nil || r1.Card.Number != 100 || r2.Card.Number != 200 {
				t.Errorf("reader %s: got %+v then %+v, want cards 100 then 200", reader, r1, r2)
			}
		}
	})
}

func TestSimKeys(t *testing.T) {
	for _, keypad := range []string{"auto", "4bit", "8bit"} {
		synctest.Test(t, func(t *testing.T) {
			cfg := SimExample()
			cfg.Readers[0].Keypad = keypad
			b := openSim(t, cfg)
			last, err := b.Sim().Keys("1", "1234*#")
			if err != nil {
				t.Fatal(err)
			}
			var keys string
			var at time.Time
			for range 6 {
				r := <-b.Reads()
				keys += r.Keys
				at = r.At
			}
			if keys != "1234*#" || !at.Equal(last) {
				t.Errorf("keypad %q: got %q ending %v, want 1234*# ending %v", keypad, keys, at, last)
			}
			if _, err := b.Sim().Keys("1", "12a"); err == nil {
				t.Error("key 'a' accepted")
			}
		})
	}
}

func TestSimRawBitsBadParity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		bits, _ := wiegand.Encode("h10301", 1, 2)
		bits[0] = !bits[0]
		if _, err := b.Sim().Card("1", bits); err != nil {
			t.Fatal(err)
		}
		if r := <-b.Reads(); r.Card != nil || r.Bad == "" {
			t.Errorf("got %+v, want a bad read", r)
		}
	})
}

func TestSimInputsDebounced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		want := []string{"1.contact", "1.rex", "1.tamper", "2.contact", "2.rex"}
		got := map[string]bool{}
		for range want {
			e := <-b.InputEvents()
			if e.Active {
				t.Errorf("%s active at start", e.Input)
			}
			got[e.Input] = true
		}
		for i, name := range b.Sim().Inputs() {
			if name != want[i] || !got[name] {
				t.Errorf("inputs %v, initial events %v, want %v", b.Sim().Inputs(), got, want)
			}
		}

		// A bouncing contact: five flips 2 ms apart, ending open.
		sim := b.Sim()
		start := time.Now()
		for i := range 5 {
			sim.SetInput("1.contact", i%2 == 0)
			time.Sleep(2 * time.Millisecond)
		}
		settledAt := start.Add(8 * time.Millisecond)
		e := <-b.InputEvents()
		if e.Input != "1.contact" || e.Door != "1" || e.Kind != KindContact || !e.Active || !e.At.Equal(settledAt) {
			t.Errorf("event %+v, want 1.contact active at %v", e, settledAt)
		}
		if since := time.Since(settledAt); since != DefaultDebounce {
			t.Errorf("reported %v after settling, want the %v debounce", since, DefaultDebounce)
		}
		// A glitch shorter than the debounce is not reported.
		sim.SetInput("2.rex", true)
		time.Sleep(5 * time.Millisecond)
		sim.SetInput("2.rex", false)
		time.Sleep(time.Second)
		select {
		case e := <-b.InputEvents():
			t.Errorf("glitch reported: %+v", e)
		default:
		}
		// Active-high wiring inverts the level.
		sim.SetInput("1.rex", true)
		if e := <-b.InputEvents(); e.Input != "1.rex" || !e.Active {
			t.Errorf("got %+v", e)
		}
		if got := sim.Pin("door1_rex").Level(); got != gpio.Low {
			t.Errorf("active-low REX pressed is %v, want low", got)
		}
	})
}

// Output transitions share the swipe's clock: relay time minus last edge
// is the card-to-unlock latency.
func TestSimOutputsTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		last, _ := b.Sim().CardValue("1", "", 8065495)
		<-b.Reads()
		time.Sleep(3 * time.Millisecond) // the device layer deciding
		b.SetRelay("1", true)
		b.SetLED("1", true)
		var relay, led Output
		for _, o := range b.Sim().Outputs() {
			switch o.Name {
			case "1.relay":
				relay = o
			case "1.led":
				led = o
			}
		}
		if len(relay.Transitions) != 2 || !relay.Active || relay.Level != "low" {
			t.Fatalf("relay %+v, want locked then unlocked (active-low)", relay)
		}
		// 6 ms confirmation + 1 ms drain + 3 ms deciding.
		if lat := relay.Transitions[1].At.Sub(last); lat != 10*time.Millisecond {
			t.Errorf("card-to-unlock %v, want 10ms", lat)
		}
		if !led.Active || led.Level != "low" || len(led.Transitions) != 2 || led.Transitions[0].Active {
			t.Errorf("led %+v, want off then on (active-low)", led)
		}
		names := []string{}
		for _, o := range b.Sim().Outputs() {
			names = append(names, o.Name)
		}
		if want := "[1.led 1.relay 2.led 2.relay]"; fmtSlice(names) != want {
			t.Errorf("outputs %v, want %s", names, want)
		}
	})
}
