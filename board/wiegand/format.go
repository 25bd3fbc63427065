package wiegand

import (
	"fmt"
	"math/bits"
	"strings"
)

// Format names as they appear in the config file and in decoded cards.
const (
	FormatAuto   = "auto"   // recognise any of the formats below by length
	FormatH10301 = "h10301" // HID 26-bit: facility 8, card 16
	Format34     = "34bit"  // 34-bit (HID H10306 / N10002 layout): facility 16, card 16
	FormatC1000  = "c1000"  // HID Corporate 1000 35-bit: company 12, card 20
	FormatH10304 = "h10304" // HID 37-bit with facility: facility 16, card 19
	FormatRaw    = "raw"    // any length, no parity: value is every bit
)

// parity is one parity bit: the bit at Pos (0-based, first bit sent = 0)
// makes the count of ones over Pos and Over even (Odd false) or odd.
type parity struct {
	Pos  int
	Odd  bool
	Over uint64 // mask over the frame read as an integer, first bit sent = MSB
}

// format is a fixed-length layout. Parity bits are checked in order; a
// later one may cover an earlier one (Corporate 1000's bit 1 covers bit 2).
type format struct {
	Name      string
	Bits      int
	FacPos    int // first facility bit (0-based from the first bit sent)
	FacLen    int
	CardPos   int
	CardLen   int
	Parities  []parity
	ParityPos uint64 // mask of the parity bits, removed to form the value
}

// posMask returns the integer mask for 0-based positions in an n-bit frame.
func posMask(n int, pos ...int) uint64 {
	var m uint64
	for _, p := range pos {
		m |= 1 << uint(n-1-p)
	}
	return m
}

// rangeMask is posMask for positions from..to inclusive.
func rangeMask(n, from, to int) uint64 {
	var m uint64
	for p := from; p <= to; p++ {
		m |= posMask(n, p)
	}
	return m
}

var (
	// H10301, HID's open 26-bit format. Bit 1 is even parity over bits
	// 2–13, bit 26 odd parity over bits 14–25 (1-based). Sources: HID
	// "Understanding Card Data Formats" (2005) and RF IDeas' "Proximity card
	// formats" page: PFFFFFFFFBBBBBBBBBBBBBBBBP, E over the first 12
	// data bits, O over the last 12.
	h10301 = format{
		Name: FormatH10301, Bits: 26, FacPos: 1, FacLen: 8, CardPos: 9, CardLen: 16,
		Parities: []parity{
			{Pos: 0, Over: rangeMask(26, 1, 12)},
			{Pos: 25, Odd: true, Over: rangeMask(26, 13, 24)},
		},
	}
	// 34-bit: even parity bit 1 over bits 2–17, odd parity bit 34 over
	// bits 18–33; facility bits 2–17, card 18–33. Same layout as HID
	// H10306 and the N10002 format in proxmark3 client/src/wiegand_formats.c.
	w34 = format{
		Name: Format34, Bits: 34, FacPos: 1, FacLen: 16, CardPos: 17, CardLen: 16,
		Parities: []parity{
			{Pos: 0, Over: rangeMask(34, 1, 16)},
			{Pos: 33, Odd: true, Over: rangeMask(34, 17, 32)},
		},
	}
	// Corporate 1000 35-bit. Company code bits 3–14, card 15–34 (1-based).
	// Three parity bits, computed in this order because each later one
	// covers the earlier ones:
	//   bit 2:  even over bits 3,4, 6,7, 9,10, … 33,34 (skip every third)
	//   bit 35: odd  over bits 2,3, 5,6, 8,9, … 32,33
	//   bit 1:  odd  over bits 2–35 (the whole frame is odd)
	// Sources: liblogicalaccess src/services/accesscontrol/formats/
	// corporate1000format.cpp (getLeftParity2 / getRightParity /
	// getLeftParity1 position lists) and proxmark3 client/src/
	// wiegand_formats.c Pack_C1k35s (masks 0xB6DB6DB6, 0x6DB6DB6C,
	// 0xFFFFFFFF over the low 32 bits); both agree.
	c1000 = func() format {
		var p2, p35 []int
		for p := 2; p <= 33; p++ { // 0-based positions of 1-based bits 3..34
			if (p+1)%3 != 2 {
				p2 = append(p2, p)
			}
		}
		for p := 1; p <= 32; p++ { // 1-based bits 2..33
			if (p+1)%3 != 1 {
				p35 = append(p35, p)
			}
		}
		return format{
			Name: FormatC1000, Bits: 35, FacPos: 2, FacLen: 12, CardPos: 14, CardLen: 20,
			Parities: []parity{
				{Pos: 1, Over: posMask(35, p2...)},
				{Pos: 34, Odd: true, Over: posMask(35, p35...)},
				{Pos: 0, Odd: true, Over: rangeMask(35, 1, 34)},
			},
		}
	}()
	// H10304, HID 37-bit with facility code: facility bits 2–17, card
	// 18–36. Bit 1 even parity over bits 2–19, bit 37 odd parity over bits
	// 19–36 — the two halves share bit 19. Sources: ooaccess.com/kb/37-bit-fc
	// ("Even parity start 0, 19 bits; odd parity start 18, 19 bits") and
	// proxmark3 Pack_H10304 (even over 1..18, odd over 18..35, 0-based).
	h10304 = format{
		Name: FormatH10304, Bits: 37, FacPos: 1, FacLen: 16, CardPos: 17, CardLen: 19,
		Parities: []parity{
			{Pos: 0, Over: rangeMask(37, 1, 18)},
			{Pos: 36, Odd: true, Over: rangeMask(37, 18, 35)},
		},
	}
	formats = []*format{&h10301, &w34, &c1000, &h10304}
)

func init() {
	for _, f := range formats {
		for _, p := range f.Parities {
			f.ParityPos |= posMask(f.Bits, p.Pos)
		}
	}
}

// FormatNames lists the configurable card formats, for error messages.
func FormatNames() []string {
	return []string{FormatAuto, FormatH10301, Format34, FormatC1000, FormatH10304, FormatRaw}
}

// ValidFormat reports whether name is a card format ("" means auto).
func ValidFormat(name string) bool {
	if name == "" || name == FormatAuto || name == FormatRaw {
		return true
	}
	return lookup(name) != nil
}

// FormatBits returns the frame length of a fixed format, 0 for auto/raw/unknown.
func FormatBits(name string) int {
	if f := lookup(name); f != nil {
		return f.Bits
	}
	return 0
}

func lookup(name string) *format {
	name = strings.ToLower(name)
	for _, f := range formats {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func byLength(n int) *format {
	for _, f := range formats {
		if f.Bits == n {
			return f
		}
	}
	return nil
}

// field extracts count bits starting at 0-based position pos of an n-bit frame.
func field(raw uint64, n, pos, count int) uint64 {
	return (raw >> uint(n-pos-count)) & (1<<uint(count) - 1)
}

// checkParity returns "" or the reason the frame fails its parity.
func (f *format) checkParity(raw uint64) string {
	for _, p := range f.Parities {
		ones := bits.OnesCount64(raw&p.Over) + int(field(raw, f.Bits, p.Pos, 1))
		if (ones%2 == 1) != p.Odd {
			kind := "even"
			if p.Odd {
				kind = "odd"
			}
			return fmt.Sprintf("%s: %s parity bit %d wrong", f.Name, kind, p.Pos+1)
		}
	}
	return ""
}

// payload drops the parity bits and packs what is left, keeping order. For
// the formats here that is exactly facility<<cardLen | card, which is how
// the store normalizes card numbers (access.CardFromFacility).
func (f *format) payload(raw uint64) uint64 {
	var v uint64
	for p := 0; p < f.Bits; p++ {
		m := posMask(f.Bits, p)
		if f.ParityPos&m != 0 {
			continue
		}
		v <<= 1
		if raw&m != 0 {
			v |= 1
		}
	}
	return v
}

func (f *format) decode(raw uint64) (Card, string) {
	if why := f.checkParity(raw); why != "" {
		return Card{}, why
	}
	return Card{
		Format:   f.Name,
		Facility: field(raw, f.Bits, f.FacPos, f.FacLen),
		Number:   field(raw, f.Bits, f.CardPos, f.CardLen),
		Bits:     f.Bits,
		Raw:      raw,
		Value:    uint64(field(raw, f.Bits, f.FacPos, f.FacLen))<<uint(f.CardLen) | field(raw, f.Bits, f.CardPos, f.CardLen),
	}, ""
}

// encode builds the frame for facility and card, parity included.
func (f *format) encode(facility, card uint64) (uint64, error) {
	if facility >= 1<<uint(f.FacLen) {
		return 0, fmt.Errorf("%s: facility %d does not fit in %d bits", f.Name, facility, f.FacLen)
	}
	if card >= 1<<uint(f.CardLen) {
		return 0, fmt.Errorf("%s: card number %d does not fit in %d bits", f.Name, card, f.CardLen)
	}
	raw := facility<<uint(f.Bits-f.FacPos-f.FacLen) | card<<uint(f.Bits-f.CardPos-f.CardLen)
	for _, p := range f.Parities {
		ones := bits.OnesCount64(raw & p.Over)
		if (ones%2 == 1) != p.Odd {
			raw |= posMask(f.Bits, p.Pos)
		}
	}
	return raw, nil
}

// Card is a decoded card frame.
type Card struct {
	Format   string // one of the Format names (never "auto")
	Facility uint64 // facility / company code; 0 for raw
	Number   uint64 // card number; for raw the whole frame
	Bits     int    // frame length
	Raw      uint64 // the frame as sent, first bit = MSB, parity included
	// Value is the canonical card value: the payload without parity bits
	// as an unsigned integer, (facility << card bits) | card. H10301
	// facility 123 card 4567 is 123<<16|4567 = 8065495. For raw frames it
	// is Raw.
	Value uint64
}

// Encode returns the frame bits (first sent first) for facility and card in
// the named format, parity included.
func Encode(name string, facility, card uint64) ([]bool, error) {
	f := lookup(name)
	if f == nil {
		return nil, fmt.Errorf("unknown card format %q (want one of %s)", name, strings.Join(FormatNames()[1:5], ", "))
	}
	raw, err := f.encode(facility, card)
	if err != nil {
		return nil, err
	}
	return Bits(raw, f.Bits), nil
}

// EncodeValue encodes a canonical card value (as in Card.Value).
func EncodeValue(name string, value uint64) ([]bool, error) {
	f := lookup(name)
	if f == nil {
		return nil, fmt.Errorf("unknown card format %q (want one of %s)", name, strings.Join(FormatNames()[1:5], ", "))
	}
	if value >= 1<<uint(f.FacLen+f.CardLen) {
		return nil, fmt.Errorf("%s: value %d does not fit in %d bits", f.Name, value, f.FacLen+f.CardLen)
	}
	return Encode(name, value>>uint(f.CardLen), value&(1<<uint(f.CardLen)-1))
}

// Bits spreads the low n bits of raw into a slice, most significant first.
func Bits(raw uint64, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = raw&(1<<uint(n-1-i)) != 0
	}
	return out
}

// Pack is the inverse of Bits.
func Pack(b []bool) uint64 {
	var v uint64
	for _, x := range b {
		v <<= 1
		if x {
			v |= 1
		}
	}
	return v
}
