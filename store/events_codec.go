package store

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Stored form of an event (the seq is the key, not repeated):
//
//	version byte (2; 1 lacks the last two fields)
//	varint  unix seconds, uvarint nanoseconds
//	uvarint user_uid
//	9 × (uvarint length, bytes): type, door, reader, user_id,
//	    credential_type, credential, reason, operator, detail
//	(uvarint length, bytes) credential_format, uvarint credential_bits
//
// Records written by version 1 stay readable (the new fields empty); the
// writer always writes version 2.
// A typical access event is 60–90 bytes, against about 300 as JSON; at a
// million events that is the difference between fitting comfortably in
// the 2 GB map of 32-bit ARM next to a million users or not.
const (
	eventCodecV1 = 1
	eventCodecV2 = 2
)

var errEventCodec = errors.New("malformed event record")

func appendEvent(b []byte, ev *Event) []byte {
	b = append(b, eventCodecV2)
	b = binary.AppendVarint(b, ev.At.Unix())
	b = binary.AppendUvarint(b, uint64(ev.At.Nanosecond()))
	b = binary.AppendUvarint(b, ev.UserUID)
	for _, s := range [...]string{ev.Type, ev.Door, ev.Reader, ev.UserID, ev.CredentialType,
		ev.Credential, ev.Reason, ev.Operator, ev.Detail} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(ev.CredentialFormat)))
	b = append(b, ev.CredentialFormat...)
	return binary.AppendUvarint(b, uint64(ev.CredentialBits))
}

func decodeEvent(seq uint64, b []byte) (Event, error) {
	ev := Event{Seq: seq}
	if len(b) == 0 || (b[0] != eventCodecV1 && b[0] != eventCodecV2) {
		return ev, errEventCodec
	}
	v2 := b[0] == eventCodecV2
	b = b[1:]
	sec, n := binary.Varint(b)
	if n <= 0 {
		return ev, errEventCodec
	}
	b = b[n:]
	nsec, n := binary.Uvarint(b)
	if n <= 0 || nsec >= 1e9 {
		return ev, errEventCodec
	}
	b = b[n:]
	ev.At = time.Unix(sec, int64(nsec)).UTC()
	if ev.UserUID, n = binary.Uvarint(b); n <= 0 {
		return ev, errEventCodec
	}
	b = b[n:]
	strs := [...]*string{&ev.Type, &ev.Door, &ev.Reader, &ev.UserID, &ev.CredentialType,
		&ev.Credential, &ev.Reason, &ev.Operator, &ev.Detail, &ev.CredentialFormat}
	count := len(strs) - 1
	if v2 {
		count++
	}
	for _, dst := range strs[:count] {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return ev, errEventCodec
		}
		*dst = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if v2 {
		bits, m := binary.Uvarint(b)
		if m <= 0 || bits > 1<<16 {
			return ev, errEventCodec
		}
		ev.CredentialBits = int(bits)
	}
	return ev, nil
}

// eventTime reads only the time of a stored event, so that a time filter
// rejects records without decoding (and allocating) their strings.
func eventTime(b []byte) (time.Time, bool) {
	if len(b) == 0 || (b[0] != eventCodecV1 && b[0] != eventCodecV2) {
		return time.Time{}, false
	}
	sec, n := binary.Varint(b[1:])
	if n <= 0 {
		return time.Time{}, false
	}
	nsec, m := binary.Uvarint(b[1+n:])
	if m <= 0 || nsec >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(sec, int64(nsec)), true
}

// appendPosting appends the index key Str(prefix+s) seq (the keys.Str
// layout: uvarint length, bytes) without building the string.
func appendPosting(b []byte, prefix, s string, seq uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(prefix)+len(s)))
	b = append(b, prefix...)
	b = append(b, s...)
	return binary.BigEndian.AppendUint64(b, seq)
}

// maskBullets start every masked credential value.
const maskBullets = "••••"

// MaskCredential returns what the event log may keep of a credential
// value: bullets and the last characters, e.g. "••••95", enough to tell
// two cards of one person apart, or an unknown card presented at a reader
// from the card in the operator's hand, and useless for cloning one. A
// card of six characters or more keeps its last three ("••••895"), other
// values of five or more their last two. A PIN, and any value of four
// characters or fewer, keeps no characters at all: two digits of a
// four-digit PIN are half of it.
func MaskCredential(credType, value string) string {
	if value == "" {
		return ""
	}
	n := utf8.RuneCountInString(value)
	if credType == string(CredPIN) || n <= 4 {
		return maskBullets
	}
	i := len(value)
	for range maskKeep(credType, n) {
		_, w := utf8.DecodeLastRuneInString(value[:i])
		i -= w
	}
	return maskBullets + value[i:]
}

// maskKeep is how many trailing characters of a value of n characters
// MaskCredential keeps.
func maskKeep(credType string, n int) int {
	if credType == string(CredCard) && n >= 6 {
		return 3
	}
	return 2
}

// maskOnce masks value unless it already has the shape MaskCredential
// gives (bullets and at most three characters of a card, two of anything
// else; none for a PIN).
func maskOnce(credType, value string) string {
	if rest, ok := strings.CutPrefix(value, maskBullets); ok {
		n := utf8.RuneCountInString(rest)
		if n == 0 || (n <= maskKeep(credType, 6) && credType != string(CredPIN)) {
			return value
		}
	}
	return MaskCredential(credType, value)
}
