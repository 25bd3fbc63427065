package board

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/board/gpiocdev"
	"github.com/doord/doord/board/wiegand"
)

// Raw edges replayed on the simulated reader go through the same source and
// decoder: a clean capture is the card, a bounced one a bad read; the pins
// show the pulses.
func TestSimEdgesReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := openSim(t, SimExample())
		bits, _ := wiegand.Encode(wiegand.FormatH10301, 123, 4567)
		clean := wiegand.Edges(wiegand.Train(bits, time.Now(), wiegand.DefaultTiming), 0)
		last, err := b.Sim().Edges("1", clean)
		if err != nil {
			t.Fatal(err)
		}
		if r := <-b.Reads(); r.Card == nil || r.Card.Value != 8065495 || !r.At.Equal(last) {
			t.Errorf("clean replay: %+v, want card 8065495 at %v", r, last)
		}
		if n := len(b.Sim().Pin("reader1_d0").History()) + len(b.Sim().Pin("reader1_d1").History()); n != 2*26 {
			t.Errorf("%d level changes on D0/D1, want 52", n)
		}
		bounced := append(append([]wiegand.Edge(nil), clean[:13]...), wiegand.Edge{Line: clean[12].Line, At: clean[12].At.Add(10 * time.Microsecond)})
		bounced = append(bounced, clean[13:]...)
		if _, err := b.Sim().Edges("1", bounced); err != nil {
			t.Fatal(err)
		}
		if r := <-b.Reads(); r.Card != nil || r.Bad == "" {
			t.Errorf("bounced replay: %+v, want a bad read", r)
		}
		for _, bad := range [][]wiegand.Edge{nil, {clean[1], clean[0]}, {{Line: 2, At: clean[0].At}}} {
			if _, err := b.Sim().Edges("1", bad); err == nil {
				t.Errorf("edges %v accepted", bad)
			}
		}
		if _, err := b.Sim().Edges("9", clean); err == nil {
			t.Error("unknown reader accepted")
		}
	})
}

// A late event — stamped within the gap after a frame's last bit but
// queued only after the reader goroutine closed that frame on its
// deadline — goes through the real reader loop as a bad read of its own,
// not the first bit of a new frame; the next swipe reads normally.
func TestReaderLateEdgeIsBadRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := SimExample()
		b := openSim(t, cfg)
		r := b.Sim().readers["2"] // auto: the frame closes after the gap
		bits, _ := wiegand.Encode(wiegand.FormatH10301, 1, 2)
		pulses := wiegand.Train(bits, time.Now(), wiegand.DefaultTiming)
		var rec []byte
		for i, p := range pulses {
			off := uint32(p.Line)
			rec = gpiocdev.Event{TimestampNS: r.clock.NS(p.Fall), ID: gpiocdev.EventFalling, Offset: off, Seqno: uint32(i + 1)}.Marshal(rec)
		}
		late := len(rec) - gpiocdev.EventSize
		time.Sleep(pulses[25].Fall.Sub(time.Now()))
		r.queue.Write(rec[:late]) // 25 edges on time
		if rd := <-b.Reads(); rd.Card != nil || rd.Bits != 25 {
			t.Fatalf("first read %+v, want a 25-bit bad read", rd)
		}
		r.queue.Write(rec[late:]) // the 26th, stamped before the gap ended
		if rd := <-b.Reads(); rd.Card != nil || !strings.Contains(rd.Bad, "late edge") {
			t.Fatalf("late edge read %+v, want a late-edge bad read", rd)
		}
		r.seq = 26
		time.Sleep(time.Second)
		if _, err := b.Sim().CardFacility("2", "", 1, 2); err != nil {
			t.Fatal(err)
		}
		if rd := <-b.Reads(); rd.Card == nil || rd.Card.Number != 2 {
			t.Errorf("next swipe %+v, want card 2", rd)
		}
	})
}
