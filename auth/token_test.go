package auth

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	seen := make(map[string]bool)
	hashes := make(map[[32]byte]bool)
	for range 1000 {
		tok, h, err := NewToken()
		if err != nil {
			t.Fatalf("NewToken: %v", err)
		}
		if len(tok) != 49 || TokenLen != 49 {
			t.Errorf("NewToken() = %q, length %d, want %d", tok, len(tok), 49)
		}
		if !strings.HasPrefix(tok, "doord_") {
			t.Errorf("NewToken() = %q, want prefix doord_", tok)
		}
		if !TokenLooksValid(tok) {
			t.Errorf("TokenLooksValid(%q) = false for a fresh token", tok)
		}
		if got := HashToken(tok); got != h {
			t.Errorf("HashToken(%q) = %x, NewToken returned %x", tok, got, h)
		}
		if !TokenHashEqual(HashToken(tok), h) {
			t.Errorf("TokenHashEqual(HashToken(%q), hash) = false", tok)
		}
		if seen[tok] || hashes[h] {
			t.Fatalf("NewToken repeated %q", tok)
		}
		seen[tok], hashes[h] = true, true
	}
}

func TestHashToken(t *testing.T) {
	// Computed independently: printf doord_test | sha256sum
	want, _ := hex.DecodeString("2d1d073aa97f2ec9b432663eb6c69164ab7b2c719b28d1ee757560a0312ed16f")
	got := HashToken("doord_test")
	if hex.EncodeToString(got[:]) != hex.EncodeToString(want) {
		t.Errorf("HashToken(%q) = %x, want %x", "doord_test", got, want)
	}
	if HashToken("doord_test") != got {
		t.Errorf("HashToken is not stable")
	}
	if HashToken("doord_tesT") == got {
		t.Errorf("HashToken ignores case")
	}
	if TokenHashEqual(got, HashToken("doord_tesT")) {
		t.Errorf("TokenHashEqual of different hashes = true")
	}
}

func TestTokenLooksValid(t *testing.T) {
	good := "doord_" + strings.Repeat("A", 42) + "A"
	if !TokenLooksValid(good) {
		t.Fatalf("TokenLooksValid(%q) = false, want true", good)
	}
	body := strings.Repeat("aZ09-_", 7) // 42 characters of the url alphabet
	for _, tc := range []struct {
		tok  string
		want bool
	}{
		{"doord_" + body + "w", true},  // 'w' = 48, low bits 00
		{"doord_" + body + "_", false}, // '_' = 63, non-canonical last character
		{"doord_" + body + "B", false},
		{"", false},
		{"doord_", false},
		{"doord_" + body, false},              // 42 characters
		{"doord_" + body + "AA", false},       // 44
		{"Doord_" + body + "A", false},        // prefix is case-sensitive
		{"doord-" + body + "A", false},        //
		{"Bearer doord_" + body + "A", false}, // header not stripped
		{"doord_" + body + "=", false},
		{"doord_" + strings.Repeat("+", 42) + "A", false}, // std alphabet
		{"doord_" + strings.Repeat("/", 42) + "A", false},
		{"doord_" + strings.Repeat(" ", 42) + "A", false},
		{"doord_" + strings.Repeat("\x00", 42) + "A", false},
		{"doord_" + body[:41] + "é", false}, // 2 bytes: right length, wrong alphabet
	} {
		if got := TokenLooksValid(tc.tok); got != tc.want {
			t.Errorf("TokenLooksValid(%q) = %v, want %v", tc.tok, got, tc.want)
		}
	}
}

func BenchmarkTokenLooksValidAndHash(b *testing.B) {
	tok, _, err := NewToken()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !TokenLooksValid(tok) {
			b.Fatal("invalid")
		}
		_ = HashToken(tok)
	}
}
