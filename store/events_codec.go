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
//	version byte (1)
//	varint  unix seconds, uvarint nanoseconds
//	uvarint user_uid
//	9 × (uvarint length, bytes): type, door, reader, user_id,
//	    credential_type, credential, reason, operator, detail
//
// A typical access event is 60–90 bytes, against about 300 as JSON; at a
// million events that is the difference between fitting comfortably in
// the 2 GB map of 32-bit ARM next to a million users or not.
const eventCodecV1 = 1

var errEventCodec = errors.New("malformed event record")

func appendEvent(b []byte, ev *Event) []byte {
	b = append(b, eventCodecV1)
	b = binary.AppendVarint(b, ev.At.Unix())
	b = binary.AppendUvarint(b, uint64(ev.At.Nanosecond()))
	b = binary.AppendUvarint(b, ev.UserUID)
	for _, s := range [...]string{ev.Type, ev.Door, ev.Reader, ev.UserID, ev.CredentialType,
		ev.Credential, ev.Reason, ev.Operator, ev.Detail} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeEvent(seq uint64, b []byte) (Event, error) {
	ev := Event{Seq: seq}
	if len(b) == 0 || b[0] != eventCodecV1 {
		return ev, errEventCodec
	}
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
	for _, dst := range [...]*string{&ev.Type, &ev.Door, &ev.Reader, &ev.UserID, &ev.CredentialType,
		&ev.Credential, &ev.Reason, &ev.Operator, &ev.Detail} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return ev, errEventCodec
		}
		*dst = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	return ev, nil
}

// eventTime reads only the time of a stored event, so that a time filter
// rejects records without decoding (and allocating) their strings.
func eventTime(b []byte) (time.Time, bool) {
	if len(b) == 0 || b[0] != eventCodecV1 {
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
// value: bullets and the last two characters, e.g. "••••95", enough to
// tell two cards of one person apart and useless for cloning one. A PIN,
// and any value of four characters or fewer, keeps no characters at all:
// two digits of a four-digit PIN are half of it.
func MaskCredential(credType, value string) string {
	if value == "" {
		return ""
	}
	if credType == string(CredPIN) || utf8.RuneCountInString(value) <= 4 {
		return maskBullets
	}
	i := len(value)
	for range 2 {
		_, w := utf8.DecodeLastRuneInString(value[:i])
		i -= w
	}
	return maskBullets + value[i:]
}

// maskOnce masks value unless it already has the shape MaskCredential
// gives (bullets and at most two characters; none for a PIN).
func maskOnce(credType, value string) string {
	if rest, ok := strings.CutPrefix(value, maskBullets); ok {
		n := utf8.RuneCountInString(rest)
		if n == 0 || (n <= 2 && credType != string(CredPIN)) {
			return value
		}
	}
	return MaskCredential(credType, value)
}
