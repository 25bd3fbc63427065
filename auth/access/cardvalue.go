package access

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/doord/doord/store"
)

// Card values. A card is stored, indexed and compared as one canonical
// value: the Wiegand payload WITHOUT its parity bits, read as an unsigned
// big-endian integer and written in decimal. For the formats below that is
// facility<<CardBits | card. The HTTP API (native and BAS-IP) normalises
// whatever it is given to this value, and the Wiegand decoder in board
// produces the same value from a frame by dropping the parity bits, so a
// card typed in by a building manager and the same card presented at a
// reader meet in one index key. The value alone does not say which card it
// is: H10301 facility 7 card 77 and 34-bit facility 7 card 77 are both
// 7<<16|77. So a card entered with its format is bound to it (the index
// key carries the format's code, see index.go) and opens only for frames
// of that format; a card without one is a plain number and opens for any.
//
// Example, H10301 (the open "standard 26-bit" format): the frame is
// P FFFFFFFF CCCCCCCCCCCCCCCC P — a leading even parity bit, an 8-bit
// facility code, a 16-bit card number and a trailing odd parity bit (HID
// Global, "Understanding Card Data Formats", technical note, hidglobal.com;
// RF IDeas, "Proximity card formats", rfideas.com/support/learning_center/
// proximity_card_formats.php). Facility 123, card 4567 is the 24-bit payload
// 0x7B (123) followed by 0x11D7 (4567): 123<<16 | 4567 = 8065495, which is
// also what a reader configured for "24-bit, no parity" output shows.

// CardFormat is a Wiegand card layout: total bits on the wire, of which
// FacilityBits then CardBits are the payload and the rest parity. The
// table is the store's (store.CardFormats): a credential bound to a
// format (store.Credential.Format) names one of these, and its position
// is the format's code in the index key and in Presentation.Format.
type CardFormat = store.CardFormat

var cardFormats = store.CardFormats()

// CardFormats lists the known formats, H10301 first. It is a copy: changing
// it does not change what LookupCardFormat finds.
var CardFormats = store.CardFormats()

// FrameFormat is the code of a decoded frame's format for
// Presentation.Format: the format named name (the decoder's canonical
// name, e.g. "h10301") when its frames have exactly bits bits, else 0 (a
// raw or unknown frame, which only plain card numbers match). The device
// layer calls it once per frame.
func FrameFormat(name string, bits int) uint8 {
	code := store.CardFormatCode(name)
	if code == 0 || cardFormats[code-1].Bits != bits {
		return 0
	}
	return code
}

var cardFormatNames = map[string]int{
	"h10301": 0, "26": 0, "26bit": 0,
	"34bit": 1, "34": 1,
	"c1000": 2, "35": 2, "35bit": 2, "corporate1000": 2,
	"h10304": 3, "37": 3, "37bit": 3,
}

// LookupCardFormat finds a format by name or alias, ignoring case and
// surrounding spaces: "h10301" or "26", "34bit" or "34", "c1000",
// "corporate1000" or "35", "h10304" or "37" ("26bit", "35bit" and "37bit"
// work too).
func LookupCardFormat(name string) (CardFormat, bool) {
	i, ok := cardFormatNames[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return CardFormat{}, false
	}
	return cardFormats[i], true
}

// CardFromFacility returns the canonical value of a card printed as
// facility (or company) code and card number in the given format; "" means
// h10301. Errors name the limit that was exceeded.
func CardFromFacility(format string, facility, card uint64) (uint64, error) {
	if format == "" {
		format = "h10301"
	}
	f, ok := LookupCardFormat(format)
	if !ok {
		return 0, fmt.Errorf("unknown card format %.40q (want h10301, 34bit, c1000 or h10304)", format)
	}
	if facility > f.MaxFacility() {
		return 0, fmt.Errorf("facility %d does not fit the %d bits of %s (max %d)", facility, f.FacilityBits, f.Name, f.MaxFacility())
	}
	if card > f.MaxCard() {
		return 0, fmt.Errorf("card %d does not fit the %d bits of %s (max %d)", card, f.CardBits, f.Name, f.MaxCard())
	}
	v := facility<<f.CardBits | card
	if v == 0 {
		return 0, errors.New("facility 0 with card 0 is not a valid card")
	}
	return v, nil
}

// ParseCardNumber reads a card number as people and other systems write it
// and returns the canonical value:
//
//   - decimal, up to 20 digits ("8065495"; BAS-IP uses up to 10);
//   - hexadecimal after 0x or 0X, up to 16 digits ("0x7B11D7");
//   - 2 to 8 hex bytes, big-endian, separated by ':' or '-'
//     ("7B:11:D7", "7b-11-d7"). A single byte has no separator to tell it
//     from decimal; write it as 0x7B.
//
// Surrounding spaces are ignored. Zero, signs, and values above 2^64-1 are
// errors; every error says what was wrong.
func ParseCardNumber(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	v, err := parseCardNumber(s)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, fmt.Errorf("card number %.40q is zero, which is not a valid card", s)
	}
	return v, nil
}

func parseCardNumber(s string) (uint64, error) {
	switch {
	case s == "":
		return 0, errors.New("card number is empty")
	case s[0] == '+' || s[0] == '-':
		return 0, fmt.Errorf("card number %.40q must not have a sign", s)
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		return parseCardHex(s)
	case strings.ContainsAny(s, ":-"):
		return parseCardBytes(s)
	case allDigits(s):
		if len(s) > 20 {
			return 0, fmt.Errorf("card number %.40q has %d digits, more than 20", s, len(s))
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil { // only a range error is possible here
			return 0, fmt.Errorf("card number %.40q exceeds 18446744073709551615 (2^64-1)", s)
		}
		return v, nil
	}
	return 0, fmt.Errorf("card number %.40q is neither decimal, 0x-hex nor AA:BB:CC bytes", s)
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func parseCardHex(s string) (uint64, error) {
	digits := s[2:]
	if digits == "" {
		return 0, fmt.Errorf("card number %.40q has no hex digits after 0x", s)
	}
	for i := 0; i < len(digits); i++ {
		if !isHexDigit(digits[i]) {
			return 0, fmt.Errorf("card number %.40q has %q, which is not a hex digit", s, digits[i])
		}
	}
	if len(digits) > 16 {
		return 0, fmt.Errorf("card number %.40q has %d hex digits, more than the 16 of 64 bits", s, len(digits))
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil { // cannot happen after the checks above
		return 0, fmt.Errorf("card number %.40q: %w", s, err)
	}
	return v, nil
}

func parseCardBytes(s string) (uint64, error) {
	sep := ":"
	if strings.Contains(s, "-") {
		if strings.Contains(s, ":") {
			return 0, fmt.Errorf("card number %.40q mixes ':' and '-' between bytes", s)
		}
		sep = "-"
	}
	// Count before splitting so a long hostile string costs nothing.
	if n := strings.Count(s, sep) + 1; n > 8 {
		return 0, fmt.Errorf("card number %.40q has %d bytes, more than the 8 of 64 bits", s, n)
	}
	var v uint64
	for b := range strings.SplitSeq(s, sep) {
		if len(b) != 2 || !isHexDigit(b[0]) || !isHexDigit(b[1]) {
			return 0, fmt.Errorf("card number %.40q has byte %.8q, want two hex digits", s, b)
		}
		x, _ := strconv.ParseUint(b, 16, 8)
		v = v<<8 | x
	}
	return v, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// FormatCard writes a canonical card value: decimal, no leading zeros.
func FormatCard(v uint64) string { return strconv.FormatUint(v, 10) }

// PIN length limits: 4 digits is what every keypad supports; 12 is more
// than anyone types at a door and keeps keypad buffers bounded.
const (
	MinPINDigits = 4
	MaxPINDigits = 12
)

// ParsePIN checks a PIN and returns its canonical form: the digits, leading
// zeros kept, surrounding spaces removed. Errors name the rule and never
// repeat the PIN.
func ParsePIN(s string) (string, error) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", errors.New("PIN must contain only the digits 0-9")
		}
	}
	if len(s) < MinPINDigits || len(s) > MaxPINDigits {
		return "", fmt.Errorf("PIN must be %d to %d digits (got %d)", MinPINDigits, MaxPINDigits, len(s))
	}
	return s, nil
}
