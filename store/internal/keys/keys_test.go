package keys

import (
	"bytes"
	"sort"
	"testing"
)

func TestStrPrefixesDoNotInterleave(t *testing.T) {
	// Without the length prefix, "a"+id('b'...) would sort inside "ab"'s run.
	a := Posting(Str("a"), 0x6200000000000000)
	ab := Posting(Str("ab"), 1)
	if _, ok := PostingID(Str("ab"), a); ok {
		t.Errorf("PostingID(Str(ab), %x) matched a key of tag a", a)
	}
	if bytes.HasPrefix(ab, Str("a")) {
		t.Errorf("Str(ab) key %x has prefix Str(a) %x", ab, Str("a"))
	}
}

func TestStrRoundTrip(t *testing.T) {
	for _, s := range []string{"", "x", "active", string(make([]byte, 300))} {
		k := Posting(Str(s), 42)
		got, rest, ok := ParseStr(k)
		if !ok || got != s {
			t.Errorf("ParseStr(Str(%q)) = %q, %v; want %q, true", s, got, ok, s)
		}
		if id, ok := ParseU64(rest); !ok || id != 42 {
			t.Errorf("rest id = %d, %v; want 42, true", id, ok)
		}
	}
	if _, _, ok := ParseStr([]byte{5, 'a'}); ok {
		t.Errorf("ParseStr of a truncated key succeeded")
	}
}

func TestAddrOrder(t *testing.T) {
	addrs := [][4]int{{1, 1, 1, 1}, {-1, 0, 0, 0}, {0, 0, 0, 0}, {1, 1, 1, -5}, {2, 0, 0, 0}}
	var ks [][]byte
	for _, a := range addrs {
		ks = append(ks, Addr(a[0], a[1], a[2], a[3]))
	}
	sort.Slice(ks, func(i, j int) bool { return bytes.Compare(ks[i], ks[j]) < 0 })
	want := [][4]int{{-1, 0, 0, 0}, {0, 0, 0, 0}, {1, 1, 1, -5}, {1, 1, 1, 1}, {2, 0, 0, 0}}
	for i, w := range want {
		if !bytes.Equal(ks[i], Addr(w[0], w[1], w[2], w[3])) {
			t.Errorf("sorted[%d] = %x, want %v", i, ks[i], w)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, id := range []uint64{1, 1 << 40, ^uint64(0)} {
		got, ok, err := DecodeCursor(EncodeCursor(id))
		if err != nil || !ok || got != id {
			t.Errorf("DecodeCursor(EncodeCursor(%d)) = %d, %v, %v", id, got, ok, err)
		}
	}
	if _, ok, err := DecodeCursor(""); ok || err != nil {
		t.Errorf("DecodeCursor(\"\") = ok %v, err %v; want false, nil", ok, err)
	}
	for _, bad := range []string{"!!", "AAAA", "AAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAA="} {
		if _, _, err := DecodeCursor(bad); err != ErrBadCursor {
			t.Errorf("DecodeCursor(%q) err = %v, want ErrBadCursor", bad, err)
		}
	}
}
