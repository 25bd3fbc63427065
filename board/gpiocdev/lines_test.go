package gpiocdev

import (
	"strings"
	"testing"
)

// The Wiegand edge source resolves D0 and D1 with the same rule as the
// outputs (ResolveLine): on a chip whose line 5 has another name, "GPIO5"
// is refused with an error naming the chip and the line, never guessed to
// be offset 5; a plain offset must exist; both names must be different
// lines.
func TestWiegandLines(t *testing.T) {
	other := NewFakeChip("A", "B", "C", "D", "E", "SPI_CE0", "SPI_CE1", "X")
	unnamed := NewFakeChip(make([]string, 8)...)
	for _, c := range []struct {
		chip   *FakeChip
		d0, d1 string
		want   [2]uint32
		err    string
	}{
		{piChip(), "GPIO5", "GPIO6", [2]uint32{5, 6}, ""},
		{piChip(), "5", "6", [2]uint32{5, 6}, ""},
		{unnamed, "GPIO5", "GPIO6", [2]uint32{5, 6}, ""}, // an unnamed chip: GPIOn is offset n
		{other, "GPIO5", "GPIO6", [2]uint32{}, `/dev/gpiochip9: D0: gpiocdev: no line named "GPIO5", and line 5 is named "SPI_CE0" (wrong chip?)`},
		{other, "A", "GPIO6", [2]uint32{}, `/dev/gpiochip9: D1: gpiocdev: no line named "GPIO6", and line 6 is named "SPI_CE1" (wrong chip?)`},
		{piChip(), "GPIO5", "99", [2]uint32{}, `/dev/gpiochip9: D1: gpiocdev: line 99: no such line on the chip`},
		{piChip(), "GPIO5", "5", [2]uint32{}, `/dev/gpiochip9: D0 "GPIO5" and D1 "5" are both line 5`},
	} {
		d0, d1, err := wiegandLines(c.chip, Request{Chip: "/dev/gpiochip9", D0: c.d0, D1: c.d1})
		if c.err == "" && (err != nil || [2]uint32{d0, d1} != c.want) {
			t.Errorf("%s,%s: %d,%d, %v; want %v", c.d0, c.d1, d0, d1, err, c.want)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s,%s: %d,%d, %v; want error %q", c.d0, c.d1, d0, d1, err, c.err)
		}
	}
}
