package store

import "strconv"

// Card formats a card credential may be bound to (Credential.Format). A
// card's Value is its Wiegand payload without parity bits; several formats
// can carry the same payload (H10301 facility 7 / card 77 and a 34-bit
// facility 7 / card 77 are both 7<<16|77), so a card entered with its
// format must only match frames of that format, and its uniqueness is per
// format (see checkValueConflict). The access engine reads this table too
// (access.CardFormats), so the store and the door agree on what a format
// name means.

// CardFormat is a Wiegand card layout: total bits on the wire, of which
// FacilityBits then CardBits are the payload and the rest parity.
type CardFormat struct {
	Name         string
	Bits         int
	FacilityBits int
	CardBits     int
}

// MaxFacility and MaxCard are the largest values the fields can hold.
func (f CardFormat) MaxFacility() uint64 { return 1<<f.FacilityBits - 1 }
func (f CardFormat) MaxCard() uint64     { return 1<<f.CardBits - 1 }

// MaxValue is the largest payload (facility and card together).
func (f CardFormat) MaxValue() uint64 { return 1<<(f.FacilityBits+f.CardBits) - 1 }

// ParityBits is the number of non-payload bits in a frame.
func (f CardFormat) ParityBits() int { return f.Bits - f.FacilityBits - f.CardBits }

// cardFormats is indexed by format code - 1: the codes (1..) are what the
// access engine keys its index by, so never reorder; append.
var cardFormats = [...]CardFormat{
	// HID H10301, the open 26-bit format: 1 even + 8 facility + 16 card + 1 odd.
	{Name: "h10301", Bits: 26, FacilityBits: 8, CardBits: 16},
	// Generic 34-bit: 1 even + 16 facility + 16 card + 1 odd.
	{Name: "34bit", Bits: 34, FacilityBits: 16, CardBits: 16},
	// HID Corporate 1000 35-bit: 2 parity + 12 company ID + 20 card + 1 parity.
	{Name: "c1000", Bits: 35, FacilityBits: 12, CardBits: 20},
	// HID H10304 37-bit: 1 even + 16 facility + 19 card + 1 odd
	// (e.g. ooaccess.com/kb/37-bit-fc/).
	{Name: "h10304", Bits: 37, FacilityBits: 16, CardBits: 19},
}

// CardFormats returns the known formats in code order (code = index + 1),
// as a copy.
func CardFormats() []CardFormat { return append([]CardFormat(nil), cardFormats[:]...) }

// CardFormatCode is the code of the format named exactly name (its
// canonical name, as stored), 0 when there is none.
func CardFormatCode(name string) uint8 {
	for i := range cardFormats {
		if cardFormats[i].Name == name {
			return uint8(i + 1)
		}
	}
	return 0
}

// checkCardFormat validates a credential's Format: only cards have one,
// it is a canonical format name, and the value fits its payload.
func checkCardFormat(c *Credential) error {
	if c.Format == "" {
		return nil
	}
	if c.Type != CredCard {
		return &InvalidError{Field: "format", Reason: "only a card has a format"}
	}
	code := CardFormatCode(c.Format)
	if code == 0 {
		return &InvalidError{Field: "format", Reason: "unknown card format " + strconv.Quote(c.Format) + " (want h10301, 34bit, c1000 or h10304)"}
	}
	f := cardFormats[code-1]
	v, err := strconv.ParseUint(c.Value, 10, 64)
	if err != nil || v == 0 || v > f.MaxValue() || strconv.FormatUint(v, 10) != c.Value {
		return &InvalidError{Field: "value", Reason: "not a " + f.Name + " card value (the decimal payload of " + strconv.Itoa(f.FacilityBits+f.CardBits) + " bits, not 0)"}
	}
	return nil
}
