package device

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/auth/access"
	"github.com/doord/doord/board"
)

// A card read carries its frame's format into the presentation, so that
// a card bound to one format does not open for another format's frame
// with the same payload; a raw frame carries none (plain numbers only).
func TestCardReadCarriesFrameFormat(t *testing.T) {
	for _, tc := range []struct {
		format string
		bits   int
		want   uint8
	}{
		{"h10301", 26, access.FrameFormat("h10301", 26)},
		{"34bit", 34, access.FrameFormat("34bit", 34)},
		{"raw", 26, 0},
	} {
		t.Run(tc.format, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t)
				r.b.reads <- board.Read{Reader: "r1", At: time.Now(), Card: &board.Card{Format: tc.format, Bits: tc.bits, Value: 7<<16 | 77}}
				synctest.Wait()
				if p := r.d.lastPresent(); p.p.Kind != access.PresentCard || p.p.Card != 7<<16|77 || p.p.Format != tc.want {
					t.Errorf("presented %+v, want card %d with format code %d", p.p, 7<<16|77, tc.want)
				}
			})
		})
	}
	if access.FrameFormat("h10301", 26) == 0 || access.FrameFormat("34bit", 34) == access.FrameFormat("h10301", 26) {
		t.Fatal("format codes do not tell h10301 from 34bit")
	}
}
