package wiegand

import "fmt"

// Keypad modes as they appear in the config file.
const (
	KeypadAuto = "auto" // accept 4-bit and 8-bit bursts
	Keypad4    = "4bit" // one nibble per key
	Keypad8    = "8bit" // low nibble + its complement in the high nibble
	KeypadNone = "none" // reader has no keypad: short frames are bad reads
)

// ValidKeypad reports whether name is a keypad mode ("" means auto).
func ValidKeypad(name string) bool {
	switch name {
	case "", KeypadAuto, Keypad4, Keypad8, KeypadNone:
		return true
	}
	return false
}

// keyNibble maps a key to the code keypads send: digits 0–9 as themselves,
// '*' as 10 (1010) and '#' as 11 (1011).
func keyNibble(k rune) (uint64, bool) {
	switch {
	case k >= '0' && k <= '9':
		return uint64(k - '0'), true
	case k == '*':
		return 10, true
	case k == '#':
		return 11, true
	}
	return 0, false
}

func nibbleKey(n uint64) (byte, bool) {
	switch {
	case n <= 9:
		return byte('0' + n), true
	case n == 10:
		return '*', true
	case n == 11:
		return '#', true
	}
	return 0, false
}

// EncodeKey returns the burst for one key: 4 bits, or 8 bits where the
// high nibble is the complement of the low one (the first nibble sent is
// the complement, as on HID/Wiegand 8-bit keypads).
func EncodeKey(k rune, mode string) ([]bool, error) {
	n, ok := keyNibble(k)
	if !ok {
		return nil, fmt.Errorf("key %q is not 0-9, * or #", k)
	}
	if mode == Keypad8 {
		return Bits((^n&0xF)<<4|n, 8), nil
	}
	return Bits(n, 4), nil
}

// decodeKey turns a 4- or 8-bit frame into a key, or a reason why not.
func decodeKey(raw uint64, n int, mode string) (byte, string) {
	switch {
	case mode == KeypadNone:
		return 0, fmt.Sprintf("%d-bit frame and the reader has no keypad", n)
	case n == 4 && mode != Keypad8:
		if k, ok := nibbleKey(raw); ok {
			return k, ""
		}
		return 0, fmt.Sprintf("4-bit key code %d is not a key", raw)
	case n == 8 && mode != Keypad4:
		lo, hi := raw&0xF, raw>>4
		if hi != ^lo&0xF {
			// The nibbles are not named: they are (the complement of)
			// the key pressed, a piece of a PIN, and this reason goes to
			// the event log.
			return 0, "8-bit key: the high nibble is not the complement of the low one"
		}
		if k, ok := nibbleKey(lo); ok {
			return k, ""
		}
		return 0, fmt.Sprintf("8-bit key code %d is not a key", lo)
	}
	return 0, fmt.Sprintf("%d-bit frame is not a %s keypad burst", n, mode)
}
