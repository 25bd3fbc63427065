package gpiocdev

import (
	"fmt"
	"strconv"
	"strings"
)

// This file is the one place where a configured line (a name or an
// offset) becomes an offset on a chip: relays, LEDs and buzzers
// (RequestOutputs) and the Wiegand D0/D1 lines (Open) all go through
// ResolveLine, so a name that does not match the chip is refused the same
// way everywhere instead of being guessed.

// ResolveLine finds a line on chip, by the kernel's line names, which is
// where the Raspberry Pi's "GPIO26" come from:
//
//   - a plain number is the offset ("26");
//   - otherwise the line whose name is exactly name;
//   - otherwise "GPIO<n>" (any case) means offset n, but only if line n
//     exists and has no name: a chip that names its lines and has no
//     line called name is the wrong chip, and guessing there could drive
//     someone else's line.
func ResolveLine(chip Chip, name string) (uint32, error) {
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		if _, err := chip.LineName(uint32(n)); err != nil {
			return 0, fmt.Errorf("gpiocdev: line %s: no such line on the chip: %w", name, err)
		}
		return uint32(n), nil
	}
	var lineCount uint32
	for off := range uint32(maxLines) {
		n, err := chip.LineName(off)
		if err != nil {
			break // past the last line
		}
		if n == name {
			return off, nil
		}
		lineCount++
	}
	s, ok := strings.CutPrefix(strings.ToUpper(name), "GPIO")
	if n, err := strconv.ParseUint(s, 10, 32); ok && err == nil {
		switch have, err := chip.LineName(uint32(n)); {
		case err != nil:
			return 0, fmt.Errorf("gpiocdev: no line named %q, and the chip has no line %d (%d lines)", name, n, lineCount)
		case have != "":
			return 0, fmt.Errorf("gpiocdev: no line named %q, and line %d is named %q (wrong chip?)", name, n, have)
		}
		return uint32(n), nil
	}
	return 0, fmt.Errorf("gpiocdev: no line named %q on the chip (%d lines)", name, lineCount)
}

// maxLines bounds the name search (a chip has at most a few hundred lines).
const maxLines = 1 << 16

// ResolveLines resolves every name with ResolveLine and refuses two names
// for one line ("GPIO5" and "5"): the kernel would refuse the request,
// less clearly, and for outputs it would be two owners for one line.
func ResolveLines(chip Chip, names ...string) ([]uint32, error) {
	offsets := make([]uint32, len(names))
	for i, name := range names {
		off, err := ResolveLine(chip, name)
		if err != nil {
			return nil, err
		}
		for j := range i {
			if offsets[j] == off {
				return nil, fmt.Errorf("gpiocdev: lines %q and %q are both line %d", names[j], name, off)
			}
		}
		offsets[i] = off
	}
	return offsets, nil
}

// wiegandLines resolves a reader's D0 and D1 on chip, naming the chip
// path and the line in every error.
func wiegandLines(chip Chip, r Request) (d0, d1 uint32, err error) {
	if d0, err = ResolveLine(chip, r.D0); err != nil {
		return 0, 0, fmt.Errorf("gpiocdev: %s: D0: %w", r.Chip, err)
	}
	if d1, err = ResolveLine(chip, r.D1); err != nil {
		return 0, 0, fmt.Errorf("gpiocdev: %s: D1: %w", r.Chip, err)
	}
	if d0 == d1 {
		return 0, 0, fmt.Errorf("gpiocdev: %s: D0 %q and D1 %q are both line %d", r.Chip, r.D0, r.D1, d0)
	}
	return d0, d1, nil
}
