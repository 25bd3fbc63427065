package board

import (
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/doord/doord/board/wiegand"
)

// periphSource feeds a reader from any two periph input pins with edge
// detection — real lines, gpiotest or fakepin fakes. periph reports no
// timestamps, so edges are stamped when WaitForEdge returns; that is good
// for 1–2 ms bit intervals on an idle machine, and the character-device
// source (kernel timestamps, one queue) is preferred on real hardware.
type periphSource struct {
	d0, d1 gpio.PinIn
	edges  chan wiegand.Edge
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func newPeriphSource(d0, d1 gpio.PinIn) (*periphSource, error) {
	for _, p := range []gpio.PinIn{d0, d1} {
		if err := p.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			return nil, err
		}
	}
	s := &periphSource{d0: d0, d1: d1, edges: make(chan wiegand.Edge, 256), stop: make(chan struct{})}
	s.wg.Add(2)
	go s.watch(d0, wiegand.D0)
	go s.watch(d1, wiegand.D1)
	return s, nil
}

func (s *periphSource) watch(p gpio.PinIn, line wiegand.Line) {
	defer s.wg.Done()
	for {
		// Finite timeout: WaitForEdge(-1) returns at once in host v3.8.5.
		if !p.WaitForEdge(edgeWait) {
			select {
			case <-s.stop:
				return
			default:
				continue
			}
		}
		select {
		case s.edges <- wiegand.Edge{Line: line, At: time.Now()}:
		case <-s.stop:
			return
		}
	}
}

// ReadEdges implements wiegand.Source.
func (s *periphSource) ReadEdges(buf []wiegand.Edge, deadline time.Time) ([]wiegand.Edge, error) {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case e := <-s.edges:
		buf = append(buf, e)
	case <-timeout:
		return buf, nil
	case <-s.stop:
		return buf, wiegand.ErrClosed
	}
	for { // take whatever else is already there
		select {
		case e := <-s.edges:
			buf = append(buf, e)
		default:
			return buf, nil
		}
	}
}

// Close implements wiegand.Source.
func (s *periphSource) Close() error {
	s.once.Do(func() {
		close(s.stop)
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		haltUntil(done, s.d0, s.d1)
	})
	return nil
}
