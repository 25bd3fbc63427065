package store

import (
	"encoding/binary"
	"testing"
	"time"
)

// Version 2 carries the card's format and bit length; version 1 records
// (written before) still decode, with those fields empty.
func TestEventCodecVersions(t *testing.T) {
	ev := Event{At: time.Unix(1_700_000_000, 5).UTC(), Type: "access_denied", Door: "1", Reader: "r1",
		CredentialType: "card", Credential: "••••495", CredentialFormat: "h10301", CredentialBits: 26, Reason: "unknown_credential"}
	got, err := decodeEvent(9, appendEvent(nil, &ev))
	ev.Seq = 9
	if err != nil || got != ev {
		t.Fatalf("v2 round trip = %+v, %v; want %+v", got, err, ev)
	}
	v1 := []byte{eventCodecV1}
	v1 = binary.AppendVarint(v1, ev.At.Unix())
	v1 = binary.AppendUvarint(v1, uint64(ev.At.Nanosecond()))
	v1 = binary.AppendUvarint(v1, 0)
	for _, s := range []string{ev.Type, ev.Door, ev.Reader, "", ev.CredentialType, ev.Credential, ev.Reason, "", ""} {
		v1 = binary.AppendUvarint(v1, uint64(len(s)))
		v1 = append(v1, s...)
	}
	got, err = decodeEvent(9, v1)
	want := ev
	want.CredentialFormat, want.CredentialBits = "", 0
	if err != nil || got != want {
		t.Fatalf("v1 record = %+v, %v; want %+v", got, err, want)
	}
	if _, err := decodeEvent(9, appendEvent(nil, &ev)[:len(appendEvent(nil, &ev))-1]); err == nil {
		t.Fatal("a truncated v2 record decoded")
	}
}
