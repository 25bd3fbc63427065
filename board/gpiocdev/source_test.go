package gpiocdev

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/doord/doord/board/wiegand"
)

var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// encode plays the kernel: falling-edge records for pulses, seqnos from seq.
func encode(clock Clock, pulses []wiegand.Pulse, d0, d1 uint32, seq uint32) []byte {
	var b []byte
	for i, p := range pulses {
		off := d0
		if p.Line == wiegand.D1 {
			off = d1
		}
		b = Event{TimestampNS: clock.NS(p.Fall), ID: EventFalling, Offset: off, Seqno: seq + uint32(i), LineSeqno: uint32(i + 1)}.Marshal(b)
	}
	return b
}

func TestEventLayout(t *testing.T) {
	e := Event{TimestampNS: 0x0102030405060708, ID: EventFalling, Offset: 17, Seqno: 9, LineSeqno: 4}
	b := e.Marshal(nil)
	if len(b) != EventSize || EventSize != 48 {
		t.Fatalf("record is %d bytes, want 48 (sizeof struct gpio_v2_line_event)", len(b))
	}
	// Field offsets of struct gpio_v2_line_event, little-endian.
	if b[0] != 0x08 || b[7] != 0x01 || b[8] != EventFalling || b[12] != 17 || b[16] != 9 || b[20] != 4 {
		t.Errorf("layout % x", b)
	}
	if got := ParseEvent(b); got != e {
		t.Errorf("ParseEvent = %+v, want %+v", got, e)
	}
}

// Encoded gpio_v2_line_event records through a real pipe (the injectable
// fd) decode to the card, with kernel timestamps and seqnos passed on.
func TestSourceOverPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	clock := Clock{Base: base, BaseNS: 1_000_000_000}
	src := NewSource(r, 5, 6, clock)
	defer src.Close()

	bits, _ := wiegand.Encode(wiegand.FormatH10301, 123, 4567)
	pulses := wiegand.Train(bits, base.Add(time.Second), wiegand.DefaultTiming)
	rec := encode(clock, pulses, 5, 6, 1)
	// A rising edge and a foreign line are ignored; records split across
	// writes are reassembled.
	rec = append(Event{TimestampNS: 5, ID: EventRising, Offset: 5, Seqno: 0}.Marshal(nil), rec...)
	rec = append(rec, Event{TimestampNS: 6, ID: EventFalling, Offset: 99}.Marshal(nil)...)
	go func() {
		w.Write(rec[:70])
		w.Write(rec[70:])
	}()
	var edges []wiegand.Edge
	for len(edges) < len(bits) {
		edges, err = src.ReadEdges(edges, time.Now().Add(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range edges {
		if !e.At.Equal(pulses[i].Fall) || e.Seq != uint64(i+1) || e.Line != pulses[i].Line {
			t.Fatalf("edge %d = %+v, want line %d at %v seq %d", i, e, pulses[i].Line, pulses[i].Fall, i+1)
		}
	}
	got, _ := wiegand.Decode(edges, wiegand.Config{})
	if len(got) != 1 || got[0].Card == nil || got[0].Card.Value != 8065495 {
		t.Errorf("decoded %v, want card value 8065495", got)
	}
}

// A seqno gap in the kernel's records survives the source and damages the
// frame.
func TestSourceSeqnoGap(t *testing.T) {
	r, w, _ := os.Pipe()
	defer w.Close()
	clock := Clock{Base: base}
	src := NewSource(r, 0, 1, clock)
	defer src.Close()
	bits, _ := wiegand.Encode(wiegand.FormatH10301, 1, 2)
	pulses := wiegand.Train(bits, base, wiegand.DefaultTiming)
	rec := encode(clock, pulses, 0, 1, 1)
	rec = append(rec[:10*EventSize:10*EventSize], rec[11*EventSize:]...) // the kernel dropped seqno 11
	go w.Write(rec)
	var edges []wiegand.Edge
	for len(edges) < len(bits)-1 {
		edges, _ = src.ReadEdges(edges, time.Time{})
	}
	got, _ := wiegand.Decode(edges, wiegand.Config{Format: wiegand.FormatH10301})
	for _, r := range got {
		if r.Card != nil {
			t.Fatalf("got card %v from a frame with a dropped event", r)
		}
	}
}

func TestSourceDeadlineAndClose(t *testing.T) {
	r, w, _ := os.Pipe()
	defer w.Close()
	src := NewSource(r, 0, 1, Clock{Base: base})
	edges, err := src.ReadEdges(nil, time.Now().Add(5*time.Millisecond))
	if err != nil || len(edges) != 0 {
		t.Fatalf("after deadline: %v, %v; want no edges, no error", edges, err)
	}
	done := make(chan error)
	go func() {
		_, err := src.ReadEdges(nil, time.Time{})
		done <- err
	}()
	src.Close()
	if err := <-done; !errors.Is(err, wiegand.ErrClosed) {
		t.Errorf("blocked read after Close: %v, want ErrClosed", err)
	}
}

// The in-memory queue behaves like the pipe and lets synctest advance time
// while a reader waits on it.
func TestQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewQueue()
		clock := Clock{Base: time.Now()}
		src := NewSource(q, 0, 1, clock)
		start := time.Now()
		edges, err := src.ReadEdges(nil, start.Add(time.Hour))
		if err != nil || len(edges) != 0 || time.Since(start) < time.Hour {
			t.Fatalf("empty queue: %v %v after %v, want a timeout after 1h", edges, err, time.Since(start))
		}
		bits, _ := wiegand.Encode(wiegand.FormatH10304, 1, 2)
		q.Write(encode(clock, wiegand.Train(bits, time.Now(), wiegand.DefaultTiming), 0, 1, 1))
		edges, err = src.ReadEdges(nil, time.Time{})
		if err != nil || len(edges) != 37 {
			t.Fatalf("got %d edges, %v; want all 37 in one read", len(edges), err)
		}
		go func() {
			time.Sleep(time.Minute)
			src.Close()
		}()
		if _, err := src.ReadEdges(nil, time.Time{}); !errors.Is(err, wiegand.ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	})
}

// The kernel's u32 seqno wraps to 0 after 2^32-1: a frame across the wrap
// decodes (no "-4294967295 edges lost"), and an event lost across the wrap
// is still a gap of exactly one.
func TestSourceSeqnoWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := Clock{Base: time.Now()}
		bits, _ := wiegand.Encode(wiegand.FormatH10301, 123, 4567)
		pulses := wiegand.Train(bits, time.Now(), wiegand.DefaultTiming)
		const first = 1<<32 - 10 // the wrap falls on the 11th bit
		for _, drop := range []int{-1, 10} {
			q := NewQueue()
			src := NewSource(q, 0, 1, clock)
			rec := encode(clock, pulses, 0, 1, first) // seqnos wrap in uint32
			if drop >= 0 {
				rec = append(rec[:drop*EventSize:drop*EventSize], rec[(drop+1)*EventSize:]...)
			}
			q.Write(rec)
			edges, err := src.ReadEdges(nil, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(edges); i++ {
				step := edges[i].Seq - edges[i-1].Seq
				if want := uint64(1); step != want && !(drop >= 0 && i == drop && step == 2) {
					t.Fatalf("drop %d: seq step %d at edge %d (%d after %d)", drop, step, i, edges[i].Seq, edges[i-1].Seq)
				}
			}
			got, _ := wiegand.Decode(edges, wiegand.Config{Format: wiegand.FormatH10301})
			switch {
			case drop < 0 && (len(got) != 1 || got[0].Card == nil || got[0].Card.Value != 8065495):
				t.Errorf("frame across the seqno wrap: %v, want card 8065495", got)
			case drop >= 0 && (len(got) == 0 || got[0].Card != nil || !strings.Contains(got[0].Bad, "1 edge(s) lost")):
				t.Errorf("seqno 0 lost at the wrap: %v, want a bad read with exactly 1 edge lost", got)
			}
			src.Close()
		}
	})
}
