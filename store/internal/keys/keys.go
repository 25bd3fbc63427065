package keys

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// U64 is the 8-byte big-endian form of v.
func U64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// ParseU64 decodes an 8-byte big-endian id.
func ParseU64(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// Str is the length-prefixed form of s, used as a posting prefix.
func Str(s string) []byte {
	b := make([]byte, 0, binary.MaxVarintLen64+len(s)+8)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// ParseStr splits a Str prefix off k and returns the string and the rest.
func ParseStr(k []byte) (s string, rest []byte, ok bool) {
	n, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) < n {
		return "", nil, false
	}
	return string(k[w : w+int(n)]), k[w+int(n):], true
}

// Posting appends id to prefix (copying prefix).
func Posting(prefix []byte, id uint64) []byte {
	b := make([]byte, len(prefix), len(prefix)+8)
	copy(b, prefix)
	return binary.BigEndian.AppendUint64(b, id)
}

// PostingID returns the trailing id of a posting key and whether k is
// exactly prefix followed by 8 bytes.
func PostingID(prefix, k []byte) (uint64, bool) {
	if len(k) != len(prefix)+8 || string(k[:len(prefix)]) != string(prefix) {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), true
}

// Addr encodes an apartment address as four sign-flipped big-endian int64s,
// so that keys sort by building, unit, floor, room numerically.
func Addr(building, unit, floor, room int) []byte {
	b := make([]byte, 0, 32)
	for _, v := range [...]int{building, unit, floor, room} {
		b = binary.BigEndian.AppendUint64(b, uint64(int64(v))^(1<<63))
	}
	return b
}

// ErrBadCursor is returned by DecodeCursor for anything it did not issue.
var ErrBadCursor = errors.New("bad cursor")

// EncodeCursor makes the opaque cursor for the last id returned on a page.
func EncodeCursor(id uint64) string {
	return base64.RawURLEncoding.EncodeToString(U64(id))
}

// DecodeCursor returns the id after which the next page starts. The empty
// cursor means "from the start" and decodes to ok=false.
func DecodeCursor(c string) (id uint64, ok bool, err error) {
	if c == "" {
		return 0, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 8 {
		return 0, false, ErrBadCursor
	}
	return binary.BigEndian.Uint64(b), true, nil
}
