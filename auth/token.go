package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// Session tokens are 32 random bytes: unguessable without any server-side
// secret, so they need no slow hash. The store keeps only their SHA-256
// (store.Session.TokenHash): a copy of the database does not yield working
// tokens, and a lookup by hash is a map or bucket access, not a scan.
//
// The "doord_" prefix lets secret scanners and people recognise a leaked
// token, and lets TokenLooksValid refuse garbage before any lookup.
const (
	TokenPrefix   = "doord_"
	tokenBytes    = 32
	tokenB64Len   = (tokenBytes*8 + 5) / 6 // 43 unpadded base64 characters
	TokenLen      = len(TokenPrefix) + tokenB64Len
	tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

var tokenEncoding = base64.RawURLEncoding.Strict()

// NewToken returns a new session token and its SHA-256, which is what gets
// stored. The token itself is shown to the client once and kept nowhere.
func NewToken() (token string, hash [32]byte, err error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", [32]byte{}, fmt.Errorf("session token: %w", err)
	}
	token = TokenPrefix + tokenEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken is the SHA-256 of the whole token string, prefix included.
func HashToken(tok string) [32]byte {
	var buf [64]byte // a token fits: hashing it does not allocate
	return sha256.Sum256(append(buf[:0], tok...))
}

// TokenLooksValid is a cheap check of a token's shape: the prefix and 43
// characters of canonical unpadded base64url. It does not allocate, so the
// HTTP layer can refuse junk bearer tokens before hashing or looking up.
func TokenLooksValid(tok string) bool {
	body, ok := strings.CutPrefix(tok, TokenPrefix)
	if !ok || len(body) != tokenB64Len {
		return false
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(tokenAlphabet, body[i]) < 0 {
			return false
		}
	}
	// 43 characters carry 258 bits; the last character's two spare bits
	// must be zero in the canonical encoding NewToken produces.
	return strings.IndexByte(tokenAlphabet, body[len(body)-1])&0b11 == 0
}

// TokenHashEqual compares two token hashes in constant time, for the places
// where a hash is compared rather than used as a lookup key.
func TokenHashEqual(a, b [32]byte) bool {
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
