package board

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/fakepin"
	"github.com/doord/doord/board/wiegand"
)

// Any periph input pin can feed a reader: drive a real-timed pulse train on
// two fake pins and decode what the periph source timestamps.
func TestPeriphSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d0, d1 := fakepin.New("D0", gpio.High, nil), fakepin.New("D1", gpio.High, nil)
		src, err := newPeriphSource(d0, d1)
		if err != nil {
			t.Fatal(err)
		}
		if d0.Pull() != gpio.PullUp || d0.IsOutput() {
			t.Errorf("D0 not configured as pulled-up input")
		}
		bits, _ := wiegand.Encode(wiegand.FormatC1000, 222, 12345)
		go func() {
			for _, b := range bits {
				p := d0
				if b {
					p = d1
				}
				p.Set(gpio.Low)
				time.Sleep(50 * time.Microsecond)
				p.Set(gpio.High)
				time.Sleep(2*time.Millisecond - 50*time.Microsecond)
			}
		}()
		dec, _ := wiegand.NewDecoder(wiegand.Config{})
		var out []wiegand.Result
		start := time.Now()
		for len(out) == 0 {
			deadline, _ := dec.Deadline()
			edges, err := src.ReadEdges(nil, deadline)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range edges {
				out = dec.Push(e, out)
			}
			if len(edges) == 0 {
				out = dec.Expire(deadline, out)
			}
		}
		if len(out) != 1 || out[0].Card == nil || out[0].Card.Facility != 222 || out[0].Card.Number != 12345 {
			t.Fatalf("got %v, want c1000 222/12345", out)
		}
		if d := out[0].At.Sub(start); d != 34*2*time.Millisecond {
			t.Errorf("last edge %v after the first, want 68ms", d)
		}
		src.Close()
		if _, err := src.ReadEdges(nil, time.Time{}); !errors.Is(err, wiegand.ErrClosed) {
			t.Errorf("after Close: %v", err)
		}
	})
}
