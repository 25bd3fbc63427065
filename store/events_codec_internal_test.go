package store

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"
)

// Version 3 packs known words, uuids and masked values; versions 1 and 2
// (written before) still decode, version 1 without the card's format and
// bit length.
func TestEventCodecVersions(t *testing.T) {
	ev := Event{At: time.Unix(1_700_000_000, 5).UTC(), Type: "access_denied", Door: "1", Reader: "r1",
		CredentialType: "card", Credential: "••••495", CredentialFormat: "h10301", CredentialBits: 26, Reason: "unknown_credential"}
	got, err := decodeEvent(9, appendEvent(nil, &ev))
	ev.Seq = 9
	if err != nil || got != ev {
		t.Fatalf("v3 round trip = %+v, %v; want %+v", got, err, ev)
	}
	old := func(version byte, strs ...string) []byte {
		b := []byte{version}
		b = binary.AppendVarint(b, ev.At.Unix())
		b = binary.AppendUvarint(b, uint64(ev.At.Nanosecond()))
		b = binary.AppendUvarint(b, 0)
		for _, s := range strs {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		return b
	}
	v2 := old(eventCodecV2, ev.Type, ev.Door, ev.Reader, "", ev.CredentialType, ev.Credential, ev.Reason, "", "", ev.CredentialFormat)
	v2 = binary.AppendUvarint(v2, 26)
	if got, err = decodeEvent(9, v2); err != nil || got != ev {
		t.Fatalf("v2 record = %+v, %v; want %+v", got, err, ev)
	}
	got, err = decodeEvent(9, old(eventCodecV1, ev.Type, ev.Door, ev.Reader, "", ev.CredentialType, ev.Credential, ev.Reason, "", ""))
	want := ev
	want.CredentialFormat, want.CredentialBits = "", 0
	if err != nil || got != want {
		t.Fatalf("v1 record = %+v, %v; want %+v", got, err, want)
	}
	if _, err := decodeEvent(9, appendEvent(nil, &ev)[:len(appendEvent(nil, &ev))-1]); err == nil {
		t.Fatal("a truncated v3 record decoded")
	}
}

// Every string survives version 3 exactly, whether it is packed or not:
// words, canonical uuids (upper-case or braced ones are kept as they are),
// masked values, bullets alone, and strings that merely resemble them.
func TestEventCodecV3Strings(t *testing.T) {
	for _, s := range []string{"", "access_granted", "access_granted ", "pin", "h10304",
		"3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b", "3F2B8C1E-5D4A-4E6F-9A7B-0C1D2E3F4A5B",
		"{3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b}", "3f2b8c1e5d4a4e6f9a7b0c1d2e3f4a5b",
		"••••", "••••495", "•••495", "x••••", "Zoë Müller", strings.Repeat("d", 300)} {
		ev := Event{At: time.Unix(1, 0).UTC(), Seq: 1, Type: s, UserID: s, Credential: s, Detail: s, CredentialFormat: s}
		got, err := decodeEvent(1, appendEvent(nil, &ev))
		if err != nil || got != ev {
			t.Errorf("%q: got %+v, %v", s, got, err)
		}
	}
	// A typical access event with a user: 101 bytes in version 2.
	ev := Event{At: time.Now(), Type: EventAccessGranted, Door: "1", Reader: "1", UserUID: 123456,
		UserID: "3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b", CredentialType: "card", Credential: "••••495",
		CredentialFormat: "h10301", CredentialBits: 26}
	if n := len(appendEvent(nil, &ev)); n > 50 {
		t.Errorf("a typical access event takes %d bytes in version 3, want ≤ 50", n)
	}
}

// Damaged version 3 records are an error, never a panic or a wrong word.
func TestEventCodecV3Malformed(t *testing.T) {
	head := []byte{eventCodecV3, 2, 0, 0}
	for name, rec := range map[string][]byte{
		"word past the list": append(slices.Clone(head), byte(len(eventWords))<<2|1),
		"uuid cut short":     append(slices.Clone(head), 2, 1, 2, 3),
		"uuid with a length": append(slices.Clone(head), 1<<2|2),
		"masked cut short":   append(slices.Clone(head), 5<<2|3, 'a'),
		"raw cut short":      append(slices.Clone(head), 5<<2, 'a'),
	} {
		if _, err := decodeEvent(1, rec); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
