package access

import (
	"math"
	"strings"
	"testing"
)

// The H10301 example: facility 123, card 4567. The payload without parity
// is the 8 facility bits followed by the 16 card bits (HID, "Understanding
// Card Data Formats"; RF IDeas, "Proximity card formats"), computed here
// rather than written down.
const (
	exFacility = 123
	exCard     = 4567
	exValue    = exFacility<<16 | exCard
)

func TestH10301Example(t *testing.T) {
	if exValue != 8065495 {
		t.Fatalf("123<<16|4567 = %d, want 8065495", exValue)
	}
	// The same number in every accepted spelling.
	for _, s := range []string{"8065495", "0x7B11D7", "0X7b11d7", "7B:11:D7", "7b-11-d7", "00:7B:11:D7", "  8065495\t", "0008065495"} {
		got, err := ParseCardNumber(s)
		if err != nil || got != exValue {
			t.Errorf("ParseCardNumber(%q) = %d, %v; want %d", s, got, err, exValue)
		}
	}
	for _, format := range []string{"", "h10301", "26", "H10301"} {
		got, err := CardFromFacility(format, exFacility, exCard)
		if err != nil || got != exValue {
			t.Errorf("CardFromFacility(%q, 123, 4567) = %d, %v; want %d", format, got, err, exValue)
		}
	}
	if got := FormatCard(exValue); got != "8065495" {
		t.Errorf("FormatCard(%d) = %q, want %q", exValue, got, "8065495")
	}

	// A reader sends the 26-bit frame with parity; dropping the parity bits
	// must give the same value. Even parity over the first 12 payload bits,
	// odd parity over the last 12.
	ones := func(v uint64) (n int) {
		for ; v != 0; v &= v - 1 {
			n++
		}
		return n
	}
	hi, lo := uint64(exValue>>12), uint64(exValue&0xFFF)
	even := uint64(ones(hi) % 2)
	odd := uint64(1 - ones(lo)%2)
	frame := even<<25 | uint64(exValue)<<1 | odd
	if got := frame >> 1 & (1<<24 - 1); got != exValue {
		t.Errorf("frame %026b without parity = %d, want %d", frame, got, exValue)
	}
}

func TestParseCardNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"1", 1},
		{"4294967295", math.MaxUint32}, // 10 digits, BAS-IP's widest
		{"18446744073709551615", math.MaxUint64},
		{"00000000000000000001", 1}, // 20 digits
		{"0x1", 1},
		{"0xffffffffffffffff", math.MaxUint64},
		{"0x0000000000000001", 1},
		{"01:02", 0x0102},
		{"01-02", 0x0102},
		{"ff:ff:ff:ff:ff:ff:ff:ff", math.MaxUint64},
		{"00:00:00:00:00:00:00:01", 1},
		{"12:34", 0x1234}, // digits only, but separated: bytes
		{" \t0x7b11d7 \n", exValue},
		{"1234567890", 1234567890},
	} {
		got, err := ParseCardNumber(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCardNumber(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseCardNumberErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // in the error message
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"0", "zero"},
		{"00000", "zero"},
		{"0x0", "zero"},
		{"00:00:00", "zero"},
		{"12ab", `card number "12ab" is neither decimal, 0x-hex nor AA:BB:CC bytes`},
		{"7B11D7", "neither decimal"},
		{"7B", "neither decimal"},
		{"1.5", "neither decimal"},
		{"1e6", "neither decimal"},
		{"1_000", "neither decimal"},
		{"12 34", "neither decimal"},
		{"٣٤٥٦", "neither decimal"}, // Arabic-Indic digits
		{"１２３４", "neither decimal"}, // full-width digits
		{"-5", "sign"},
		{"+5", "sign"},
		{"18446744073709551616", "exceeds 18446744073709551615 (2^64-1)"},
		{"99999999999999999999", "2^64-1"},
		{"000000000000000000001", "21 digits, more than 20"},
		{"0x", "no hex digits"},
		{"0X", "no hex digits"},
		{"0xg1", "not a hex digit"},
		{"0x-1", "not a hex digit"},
		{"0x 1", "not a hex digit"},
		{"0x7B:11", "not a hex digit"},
		{"0x10000000000000000", "17 hex digits, more than the 16"},
		{"0x00000000000000001", "17 hex digits"},
		{"01:02:03:04:05:06:07:08:09", "9 bytes, more than the 8"},
		{"7B:11-D7", "mixes"},
		{"7B::D7", `byte ""`},
		{":7B:11", `byte ""`},
		{"7B:11:", `byte ""`},
		{"7B:1:D7", `byte "1"`},
		{"7B:111:D7", `byte "111"`},
		{"7B:1G:D7", `byte "1G"`},
		{"7B: 11:D7", `byte " 11"`},
		{strings.Repeat("1", 1000), "1000 digits"},
		{strings.Repeat("7B:", 1000) + "7B", "1001 bytes"},
	} {
		got, err := ParseCardNumber(tc.in)
		if err == nil {
			t.Errorf("ParseCardNumber(%q) = %d, nil; want an error containing %q", tc.in, got, tc.want)
			continue
		}
		if got != 0 {
			t.Errorf("ParseCardNumber(%q) = %d with error; want 0", tc.in, got)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCardNumber(%q) error = %q, want it to contain %q", tc.in, err, tc.want)
		}
		if len(err.Error()) > 200 {
			t.Errorf("ParseCardNumber(%.20q...) error is %d bytes long; the input should be cut short", tc.in, len(err.Error()))
		}
	}
}

func TestLookupCardFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // "" = not found
	}{
		{"h10301", "h10301"}, {"H10301", "h10301"}, {"26", "h10301"}, {" 26bit ", "h10301"},
		{"34bit", "34bit"}, {"34", "34bit"}, {"34BIT", "34bit"},
		{"c1000", "c1000"}, {"C1000", "c1000"}, {"35", "c1000"}, {"corporate1000", "c1000"}, {"Corporate1000", "c1000"},
		{"h10304", "h10304"}, {"37", "h10304"}, {"H10304", "h10304"},
		{"", ""}, {"h10302", ""}, {"27", ""}, {"wiegand", ""}, {"corporate 1000", ""},
	} {
		f, ok := LookupCardFormat(tc.name)
		if ok != (tc.want != "") || f.Name != tc.want {
			t.Errorf("LookupCardFormat(%q) = %q, %v; want %q", tc.name, f.Name, ok, tc.want)
		}
	}
	// The table, checked against DESIGN.md's list of formats.
	want := map[string][3]int{"h10301": {26, 8, 16}, "34bit": {34, 16, 16}, "c1000": {35, 12, 20}, "h10304": {37, 16, 19}}
	if len(CardFormats) != len(want) {
		t.Errorf("CardFormats has %d entries, want %d", len(CardFormats), len(want))
	}
	for _, f := range CardFormats {
		if w := want[f.Name]; [3]int{f.Bits, f.FacilityBits, f.CardBits} != w {
			t.Errorf("format %s = %d bits (%d/%d), want %d (%d/%d)", f.Name, f.Bits, f.FacilityBits, f.CardBits, w[0], w[1], w[2])
		}
		if p := f.ParityBits(); p < 2 || p > 3 {
			t.Errorf("format %s has %d parity bits, want 2 or 3", f.Name, p)
		}
	}
	CardFormats[0].FacilityBits = 99
	if f, _ := LookupCardFormat("26"); f.FacilityBits != 8 {
		t.Errorf("changing CardFormats changed LookupCardFormat: facility bits %d", f.FacilityBits)
	}
	CardFormats[0].FacilityBits = 8
}

func TestCardFromFacility(t *testing.T) {
	for _, tc := range []struct {
		format         string
		facility, card uint64
		want           uint64
		err            string
	}{
		// h10301: 8/16
		{"h10301", 255, 65535, 1<<24 - 1, ""},
		{"h10301", 0, 1, 1, ""},
		{"h10301", 1, 0, 1 << 16, ""},
		{"h10301", 256, 1, 0, "facility 256 does not fit the 8 bits of h10301 (max 255)"},
		{"", 300, 1, 0, "facility 300 does not fit the 8 bits of h10301 (max 255)"},
		{"h10301", 1, 65536, 0, "card 65536 does not fit the 16 bits of h10301 (max 65535)"},
		{"h10301", 0, 0, 0, "not a valid card"},
		// 34bit: 16/16
		{"34", 65535, 65535, 1<<32 - 1, ""},
		{"34", 65536, 1, 0, "facility 65536 does not fit the 16 bits of 34bit (max 65535)"},
		{"34", 1, 65536, 0, "card 65536 does not fit the 16 bits of 34bit (max 65535)"},
		// c1000: 12/20
		{"c1000", 4095, 1048575, 1<<32 - 1, ""},
		{"corporate1000", 1, 1, 1<<20 | 1, ""},
		{"c1000", 4096, 1, 0, "facility 4096 does not fit the 12 bits of c1000 (max 4095)"},
		{"35", 1, 1048576, 0, "card 1048576 does not fit the 20 bits of c1000 (max 1048575)"},
		// h10304: 16/19
		{"h10304", 65535, 524287, 1<<35 - 1, ""},
		{"37", 2, 3, 2<<19 | 3, ""},
		{"h10304", 65536, 1, 0, "facility 65536 does not fit the 16 bits of h10304 (max 65535)"},
		{"h10304", 1, 524288, 0, "card 524288 does not fit the 19 bits of h10304 (max 524287)"},
		{"h10304", math.MaxUint64, math.MaxUint64, 0, "facility 18446744073709551615 does not fit"},
		// unknown
		{"h10302", 1, 1, 0, `unknown card format "h10302"`},
	} {
		got, err := CardFromFacility(tc.format, tc.facility, tc.card)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("CardFromFacility(%q, %d, %d) = %d, %v; want %d", tc.format, tc.facility, tc.card, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CardFromFacility(%q, %d, %d) = %d, %v; want error %q", tc.format, tc.facility, tc.card, got, err, tc.err)
		}
		if err == nil {
			// The value goes through the API as a string and must come back.
			if back, perr := ParseCardNumber(FormatCard(got)); perr != nil || back != got {
				t.Errorf("ParseCardNumber(FormatCard(%d)) = %d, %v", got, back, perr)
			}
		}
	}
}

func TestFormatCard(t *testing.T) {
	for v, want := range map[uint64]string{1: "1", exValue: "8065495", math.MaxUint64: "18446744073709551615"} {
		if got := FormatCard(v); got != want {
			t.Errorf("FormatCard(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestParsePIN(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"1234", "1234", ""},
		{"0000", "0000", ""},
		{"0123", "0123", ""}, // leading zeros are part of a PIN
		{"123456789012", "123456789012", ""},
		{" 4711 ", "4711", ""},
		{"", "", "PIN must be 4 to 12 digits (got 0)"},
		{"123", "", "PIN must be 4 to 12 digits (got 3)"},
		{"1234567890123", "", "PIN must be 4 to 12 digits (got 13)"},
		{"12a4", "", "PIN must contain only the digits 0-9"},
		{"12 34", "", "only the digits"},
		{"-1234", "", "only the digits"},
		{"１２３４", "", "only the digits"},
		{"*1234#", "", "only the digits"},
	} {
		got, err := ParsePIN(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParsePIN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParsePIN(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
		case err != nil && len(tc.in) >= 4 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)):
			t.Errorf("ParsePIN(%q) error %q repeats the PIN", tc.in, err)
		}
	}
}

func FuzzParseCardNumber(f *testing.F) {
	for _, s := range []string{
		"8065495", "0x7B11D7", "7B:11:D7", "7b-11-d7", "18446744073709551615", "18446744073709551616",
		"0", "", "12ab", "0x", "7B::D7", "ff:ff:ff:ff:ff:ff:ff:ff", "+1", " 1 ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseCardNumber(s)
		if err != nil {
			if v != 0 {
				t.Errorf("ParseCardNumber(%q) = %d with error %v; want 0", s, v, err)
			}
			return
		}
		if v == 0 {
			t.Errorf("ParseCardNumber(%q) accepted zero", s)
		}
		back, err := ParseCardNumber(FormatCard(v))
		if err != nil || back != v {
			t.Errorf("ParseCardNumber(%q) = %d, but ParseCardNumber(FormatCard(%d)) = %d, %v", s, v, v, back, err)
		}
	})
}
