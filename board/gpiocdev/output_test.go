package gpiocdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

// piChip names its lines the way a Raspberry Pi's gpiochip0 does (enough
// of them).
func piChip() *FakeChip {
	names := []string{"ID_SDA", "ID_SCL"}
	for i := 2; i < 28; i++ {
		names = append(names, fmt.Sprintf("GPIO%d", i))
	}
	return NewFakeChip(append(names, "SPI_CE1_N")...)
}

// requestBytes is the request as the kernel reads it.
func requestBytes(r *LineRequest) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r)), unsafe.Sizeof(*r))
}

// The one request that makes a line an output already carries its level:
// OUTPUT flag, one output-values attribute covering the line, value = the
// level asked for — for a low and for a high secure level — and nothing
// is written before it.
func TestRequestOutputsCarriesInitialLevel(t *testing.T) {
	for _, level := range []bool{false, true} {
		t.Run(fmt.Sprint(level), func(t *testing.T) {
			chip := piChip()
			out, err := RequestOutputs(chip, "doord-relay-1", []Output{{Line: "GPIO26", Level: level}})
			if err != nil {
				t.Fatal(err)
			}
			reqs := chip.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Num_lines != 1 || r.Offsets[0] != 26 {
				t.Errorf("lines %d %v, want offset 26 only", r.Num_lines, r.Offsets[:r.Num_lines])
			}
			if r.Config.Flags != flagOutput {
				t.Errorf("flags %#x, want OUTPUT (%#x) and nothing else (no INPUT, no ACTIVE_LOW)", r.Config.Flags, flagOutput)
			}
			a := r.Config.Attrs[0]
			if r.Config.Num_attrs != 1 || a.Attr.Id != attrOutputValue || a.Mask != 1 || (a.Attr.Flags == 1) != level || a.Attr.Flags > 1 {
				t.Errorf("attrs %d %+v, want one OUTPUT_VALUES attribute, mask 1, value %v", r.Config.Num_attrs, a, level)
			}
			if got := string(r.Consumer[:strings.IndexByte(string(r.Consumer[:]), 0)]); got != "doord-relay-1" {
				t.Errorf("consumer %q", got)
			}
			// The same, at the byte offsets of <linux/gpio.h>.
			b := requestBytes(&r)
			le := binary.LittleEndian
			want := uint64(0)
			if level {
				want = 1
			}
			if le.Uint32(b[0:]) != 26 || le.Uint64(b[288:]) != 1<<3 || le.Uint32(b[296:]) != 1 ||
				le.Uint32(b[320:]) != 2 || le.Uint64(b[328:]) != want || le.Uint64(b[336:]) != 1 || le.Uint32(b[560:]) != 1 {
				t.Errorf("request bytes at the uapi offsets are wrong")
			}
			if w := chip.Writes(); len(w) != 0 {
				t.Errorf("writes before any Set: %+v", w)
			}
			if got := chip.Levels(26); len(got) != 1 || got[0] != level {
				t.Errorf("line 26 levels %v, want [%v] (the request's own)", got, level)
			}
			if out.Level(0) != level || out.Line(0).Level() != level || out.Line(0).Offset() != 26 {
				t.Errorf("software level %v, want %v", out.Level(0), level)
			}
		})
	}
}

// Set touches exactly its own line: mask = bit i, bits = level at bit i.
func TestSetEncodesMaskAndBits(t *testing.T) {
	chip := piChip()
	out, err := RequestOutputs(chip, "", []Output{{Line: "GPIO5", Level: true}, {Line: "6"}, {Line: "GPIO13", Level: true}})
	if err != nil {
		t.Fatal(err)
	}
	r := chip.Requests()[0]
	if a := r.Config.Attrs[0]; a.Mask != 0b111 || a.Attr.Flags != 0b101 || r.Num_lines != 3 || r.Offsets[1] != 6 || r.Offsets[2] != 13 {
		t.Fatalf("request lines %v attr %+v, want mask 0b111 values 0b101", r.Offsets[:3], a)
	}
	steps := []struct {
		i     int
		level bool
		want  LineValues
	}{
		{1, true, LineValues{Mask: 0b010, Bits: 0b010}},
		{2, false, LineValues{Mask: 0b100, Bits: 0}},
		{0, true, LineValues{Mask: 0b001, Bits: 0b001}},
		{0, false, LineValues{Mask: 0b001, Bits: 0}},
	}
	for n, s := range steps {
		if err := out.Line(s.i).Set(s.level); err != nil {
			t.Fatal(err)
		}
		w := chip.Writes()
		if len(w) != n+1 || w[n].Values != s.want || w[n].Fd != r.Fd {
			t.Fatalf("Set(%d, %v) wrote %+v, want %+v on fd %d", s.i, s.level, w[n], s.want, r.Fd)
		}
	}
	for i, want := range []bool{false, true, false} {
		if out.Level(i) != want {
			t.Errorf("software level of line %d = %v, want %v", i, out.Level(i), want)
		}
	}
	if got := chip.Levels(13); fmt.Sprint(got) != "[true false]" {
		t.Errorf("line 13 levels %v", got)
	}
	if err := out.Set(3, true); err == nil {
		t.Error("Set of line 3 of 3 accepted")
	}
	if err := out.Close(); err != nil || chip.Busy(5) {
		t.Fatalf("Close: %v, line busy %v", err, chip.Busy(5))
	}
	if err := out.Set(0, true); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Set after Close: %v, want ErrClosed", err)
	}
	if len(chip.Writes()) != len(steps) {
		t.Error("a write after Close reached the chip")
	}
	if err := out.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRequestOutputsErrors(t *testing.T) {
	chip := piChip()
	if _, err := RequestOutputs(chip, "", []Output{{Line: "GPIO26"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lines []Output
		want  string
	}{
		{nil, "1 to 64 lines"},
		{[]Output{{Line: "GPIO26"}}, "busy"},
		{[]Output{{Line: "GPIO5"}, {Line: "5"}}, `"GPIO5" and "5" are both line 5`},
		{[]Output{{Line: "relay1"}}, `no line named "relay1"`},
	} {
		if _, err := RequestOutputs(chip, "", c.lines); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.lines, err, c.want)
		}
	}
	chip.FailRequest = errors.New("EBUSY")
	if _, err := RequestOutputs(chip, "", []Output{{Line: "GPIO4"}}); err == nil || !strings.Contains(err.Error(), "EBUSY") {
		t.Errorf("kernel error: %v", err)
	}
}

func TestResolveLine(t *testing.T) {
	unnamed := NewFakeChip(make([]string, 8)...)
	for _, c := range []struct {
		chip *FakeChip
		name string
		want uint32
		err  string
	}{
		{piChip(), "GPIO26", 26, ""},
		{piChip(), "ID_SCL", 1, ""},
		{piChip(), "28", 28, ""},
		{piChip(), "29", 0, "no such line"},
		{piChip(), "GPIO40", 0, "has no line 40"},
		{piChip(), "gpio26", 0, `line 26 is named "GPIO26"`}, // names are exact; the fallback refuses a named line
		{NewFakeChip("A", "B", "C", "D", "E", "F", "G", "SPI_CE1"), "GPIO7", 0, `line 7 is named "SPI_CE1" (wrong chip?)`},
		{unnamed, "GPIO7", 7, ""},
		{unnamed, "gpio3", 3, ""},
		{unnamed, "GPIO8", 0, "has no line 8 (8 lines)"},
		{unnamed, "GPIO", 0, `no line named "GPIO"`},
		{unnamed, "door", 0, `no line named "door" on the chip (8 lines)`},
	} {
		got, err := ResolveLine(c.chip, c.name)
		if c.err == "" && (err != nil || got != c.want) {
			t.Errorf("%s: %d, %v; want %d", c.name, got, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %d, %v; want error %q", c.name, got, err, c.err)
		}
	}
}
