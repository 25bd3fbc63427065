package fakepin

import (
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
)

func TestRecordsAndWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New("GPIO5", gpio.High, nil)
		p.Out(gpio.High) // first Out is always recorded, even at the same level
		p.Out(gpio.High)
		p.Out(gpio.Low)
		if h := p.History(); len(h) != 2 || h[0].Level != gpio.High || h[1].Level != gpio.Low {
			t.Errorf("history %v, want high then low", h)
		}
		p.In(gpio.PullUp, gpio.FallingEdge)
		if p.WaitForEdge(time.Second) {
			t.Error("edge without a change")
		}
		go func() {
			time.Sleep(time.Millisecond)
			p.Set(gpio.High) // rising: not asked for
			p.Set(gpio.Low)
		}()
		start := time.Now()
		if !p.WaitForEdge(time.Hour) || time.Since(start) != time.Millisecond {
			t.Error("falling edge not seen at 1ms")
		}
		go p.Halt()
		if p.WaitForEdge(time.Hour) {
			t.Error("Halt did not end the wait without an edge")
		}
	})
}
