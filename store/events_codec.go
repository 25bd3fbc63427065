package store

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Stored form of an event (the seq is the key, not repeated):
//
//	version byte (3; 1 and 2 are still read)
//	varint  unix seconds, uvarint nanoseconds
//	uvarint user_uid
//	10 strings: type, door, reader, user_id, credential_type, credential,
//	    reason, operator, detail, credential_format
//	uvarint credential_bits
//
// Version 3 writes each string as a uvarint h and what it says follows:
// h&3 == 0 the h>>2 bytes of the string (h == 0: empty); 1 the word h>>2
// of eventWords (nothing follows); 2 a uuid in its canonical form as its
// 16 bytes; 3 maskBullets and then h>>2 bytes (a masked credential).
// Versions 1 and 2 wrote (uvarint length, bytes) for each string, version
// 1 without the last string and the bits. An access event with a user
// takes ~55 bytes fewer in version 3 than in 2 (the type, credential type
// and reason are one byte each, the user's uuid 17 instead of 37, the
// bullets one byte instead of 13): a million events are ~55 MB of the
// 2 GB map of 32-bit ARM, see BENCHMARKS.md.
const (
	eventCodecV1 = 1
	eventCodecV2 = 2
	eventCodecV3 = 3
)

// eventWords are the strings version 3 writes as their index. Stored
// records hold the indexes: only ever append to this list.
var eventWords = [...]string{
	// event types
	EventAccessGranted, EventAccessDenied, EventDoorForced, EventDoorHeld, EventDoorClosed,
	EventREX, EventRemoteOpen, EventDuress, EventTamper, EventLockout, EventUnknownCardBurst,
	EventOperatorLogin, EventOperatorChange, EventStoreDamaged,
	// credential types
	string(CredCard), string(CredPIN), string(CredQR), string(CredLicensePlate), string(CredUKey), string(CredFaceID),
	// the access engine's denial reasons (auth/access Reason.String)
	"unknown_credential", "user_disabled", "outside_validity", "outside_schedule", "door_not_permitted",
	"passes_used_up", "locked_out", "door_mode", "second_factor_wrong", "second_factor_timeout",
	"bad_read", "reader_mode", "pass_queue_full",
	// card formats
	"h10301", "34bit", "c1000", "h10304",
}

// eventWord is eventWords' index of each word.
var eventWord = func() map[string]int {
	m := make(map[string]int, len(eventWords))
	for i, w := range eventWords {
		m[w] = i
	}
	return m
}()

var errEventCodec = errors.New("malformed event record")

func appendEvent(b []byte, ev *Event) []byte {
	b = append(b, eventCodecV3)
	b = binary.AppendVarint(b, ev.At.Unix())
	b = binary.AppendUvarint(b, uint64(ev.At.Nanosecond()))
	b = binary.AppendUvarint(b, ev.UserUID)
	for _, s := range [...]string{ev.Type, ev.Door, ev.Reader, ev.UserID, ev.CredentialType,
		ev.Credential, ev.Reason, ev.Operator, ev.Detail, ev.CredentialFormat} {
		b = appendEventString(b, s)
	}
	return binary.AppendUvarint(b, uint64(ev.CredentialBits))
}

// appendEventString writes s in version 3's packed form.
func appendEventString(b []byte, s string) []byte {
	if i, ok := eventWord[s]; ok {
		return binary.AppendUvarint(b, uint64(i)<<2|1)
	}
	if len(s) == 36 {
		if id, err := uuid.Parse(s); err == nil && id.String() == s {
			b = binary.AppendUvarint(b, 2)
			return append(b, id[:]...)
		}
	}
	if rest, ok := strings.CutPrefix(s, maskBullets); ok {
		b = binary.AppendUvarint(b, uint64(len(rest))<<2|3)
		return append(b, rest...)
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<2)
	return append(b, s...)
}

// eventString reads one packed string of version 3; n is the bytes it
// took, 0 when malformed.
func eventString(b []byte) (s string, n int) {
	h, n := binary.Uvarint(b)
	if n <= 0 {
		return "", 0
	}
	rest := b[n:]
	switch l := h >> 2; h & 3 {
	case 1:
		if l >= uint64(len(eventWords)) {
			return "", 0
		}
		return eventWords[l], n
	case 2:
		if l != 0 || len(rest) < 16 {
			return "", 0
		}
		return uuid.UUID(rest[:16]).String(), n + 16
	default:
		if uint64(len(rest)) < l {
			return "", 0
		}
		s = string(rest[:l])
		if h&3 == 3 {
			s = maskBullets + s
		}
		return s, n + int(l)
	}
}

func decodeEvent(seq uint64, b []byte) (Event, error) {
	ev := Event{Seq: seq}
	if len(b) == 0 || b[0] < eventCodecV1 || b[0] > eventCodecV3 {
		return ev, errEventCodec
	}
	version := b[0]
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
	count := len(strs)
	if version == eventCodecV1 {
		count--
	}
	for _, dst := range strs[:count] {
		if version == eventCodecV3 {
			if *dst, n = eventString(b); n == 0 {
				return ev, errEventCodec
			}
			b = b[n:]
			continue
		}
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return ev, errEventCodec
		}
		*dst = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if version >= eventCodecV2 {
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
	if len(b) == 0 || b[0] < eventCodecV1 || b[0] > eventCodecV3 {
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
