package board

import (
	"fmt"
	"time"

	"github.com/doord/doord/board/wiegand"
)

// Frame gap limits. A frame ends after frame_gap of silence, so the gap
// must exceed the slowest bit interval of the reader (the Wiegand envelope
// allows 20 ms; most readers send every 1–2 ms). Below 8 ms even a
// common 5 ms reader would be cut into pieces (with the decoder's 1.6×
// rhythm margin): refused. Below 15 ms slow readers are cut, which shows
// as bad reads (split frames): warned.
const (
	MinFrameGap  = 8 * time.Millisecond
	WarnFrameGap = 15 * time.Millisecond
)

// DecoderConfig is the reader's decoder configuration (also what `doord
// decode` replays a capture with).
func (r ReaderConfig) DecoderConfig() wiegand.Config {
	return wiegand.Config{Format: r.Format, Keypad: r.Keypad, Gap: r.FrameGap.D(), MinInterval: r.MinInterval.D()}
}

// gap is the frame gap in use.
func (r ReaderConfig) gap() time.Duration {
	if g := r.FrameGap.D(); g > 0 {
		return g
	}
	return wiegand.DefaultGap
}

// timingErrors lists what is wrong with the reader's frame_gap and
// min_interval, alone and against the simulated readers' timing (sim, when
// the board is simulated).
func (r ReaderConfig) timingErrors(sim *SimConfig) []string {
	var errs []string
	gap := r.gap()
	switch {
	case r.FrameGap < 0:
		errs = append(errs, fmt.Sprintf("frame_gap %v is negative", r.FrameGap.D()))
	case r.FrameGap > 0 && gap < MinFrameGap:
		errs = append(errs, fmt.Sprintf("frame_gap %v is below the %v minimum: readers' frames would be cut into pieces (the Wiegand envelope allows bits 20 ms apart; 25ms is safe for every reader)", gap, MinFrameGap))
	}
	switch {
	case r.MinInterval < 0:
		errs = append(errs, fmt.Sprintf("min_interval %v is negative", r.MinInterval.D()))
	case r.MinInterval.D() >= gap:
		errs = append(errs, fmt.Sprintf("min_interval %v must be shorter than frame_gap %v", r.MinInterval.D(), gap))
	}
	if sim != nil {
		iv := sim.Interval.D()
		if iv == 0 {
			iv = wiegand.DefaultTiming.Interval
		}
		if float64(gap) <= 1.6*float64(iv) {
			errs = append(errs, fmt.Sprintf("frame_gap %v is too short for the simulated readers' %v bit interval (want more than 1.6×)", gap, iv))
		}
		if r.MinInterval.D() > iv {
			errs = append(errs, fmt.Sprintf("min_interval %v is longer than the simulated readers' %v bit interval", r.MinInterval.D(), iv))
		}
	}
	return errs
}

// timingWarnings lists settings that work but will cost bad reads.
func (r ReaderConfig) timingWarnings() []string {
	var ws []string
	if gap := r.gap(); gap >= MinFrameGap && gap < WarnFrameGap {
		ws = append(ws, fmt.Sprintf("frame_gap %v is below %v: readers sending bits more than %v apart will give bad reads (split frames)", gap, WarnFrameGap, time.Duration(float64(gap)/1.6).Round(100*time.Microsecond)))
	}
	if r.MinInterval.D() > 200*time.Microsecond {
		ws = append(ws, fmt.Sprintf("min_interval %v is above the 200µs the Wiegand envelope allows: the fastest readers will give bad reads", r.MinInterval.D()))
	}
	return ws
}
