package auth

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/doord/doord/auth/internal/hashcost"
	"golang.org/x/crypto/argon2"
)

// Operator passwords are hashed with argon2id at the OWASP Password Storage
// Cheat Sheet minimum (m=19 MiB, t=2, p=1). Memory, not CPU, is the scarce
// resource on a 512 MB board, so the cost is kept at the minimum and the
// number of hashes running at once is bounded (see hashSlots) instead of
// letting a login flood allocate 19 MiB per request.
const (
	argonMemoryKiB = 19 * 1024 // 19456 KiB
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Limits on parameters read back from a stored hash. They let the parameters
// grow later (NeedsRehash) while a corrupt or hostile record cannot make a
// single verify allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 64 * 1024
	maxTime      = 16
	maxThreads   = 16
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
)

// hashSlots bounds concurrent argon2 computations to two: 2 × 19 MiB is what
// a small board can spare. Further logins queue here; throttling them (429)
// is the HTTP layer's job.
var hashSlots = make(chan struct{}, 2)

// argonRuns counts argon2 computations since start (PasswordHashes).
var argonRuns atomic.Int64

// PasswordHashes is how many argon2 computations (hashes and checks, dummy
// ones included) ran since start: the cost an attacker can make doord pay,
// which the login throttles bound. Tests count with it.
func PasswordHashes() int64 { return argonRuns.Load() }

func argonKey(pw, salt []byte, p argonParams, keyLen uint32) []byte {
	argonRuns.Add(1)
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, p.time, p.memory, p.threads, keyLen)
}

type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

var currentParams = argonParams{memory: argonMemoryKiB, time: argonTime, threads: argonThreads}

// testParams are what test binaries that call authtest.CheapHashes hash
// with instead: the same code, about a hundredth of the work.
var testParams = argonParams{memory: 64, time: 1, threads: 1}

// params are the parameters new hashes are made with.
func params() argonParams {
	if hashcost.Low() {
		return testParams
	}
	return currentParams
}

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// HashPassword returns pw hashed with argon2id and a fresh random salt,
// encoded as a PHC string. The argon2id input is not pw itself but the
// lower-case hex MD5 of pw, marked by the extra parameter pre=md5:
//
//	$argon2id$v=19$m=19456,t=2,p=1,pre=md5$<salt>$<hash>
//
// Why: BAS-IP's login sends md5hex(password), never the password. With the
// pre-hash inside the one slow hash, both the native login (which has the
// password and computes the MD5) and the BAS-IP login (which has only the
// MD5: VerifyPasswordMD5) check against the same single argon2id hash, and
// no MD5 of the password is ever stored. The MD5 adds nothing to argon2id's
// strength and takes nothing from it: it is a fixed encoding of the input.
// Note what it implies: md5hex(password) is a password equivalent for an
// operator (as on a BAS-IP panel); the argon2id cost and the login
// lockout protect it as they protect the password.
//
// Hashes of the plain password (no pre=md5, from older releases) keep
// verifying; NeedsRehash reports them so the next native login upgrades
// them.
//
// It does not apply the password policy; call CheckPasswordPolicy first for
// passwords chosen by people.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	p := params()
	key := argonKey([]byte(MD5Hex(pw)), salt, p, argonKeyLen)
	return encodePHCPre(p, salt, key, preMD5), nil
}

// HashPasswordMD5 is HashPassword for a caller that has only md5hex, the
// hex MD5 of the password (a BAS-IP login upgrading a hash made with older
// parameters).
func HashPasswordMD5(md5hex string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	p := params()
	key := argonKey([]byte(strings.ToLower(md5hex)), salt, p, argonKeyLen)
	return encodePHCPre(p, salt, key, preMD5), nil
}

// MD5Hex is the lower-case hex MD5 of pw: what a BAS-IP client sends as
// the password at GET /api/v1/login.
func MD5Hex(pw string) string {
	sum := md5.Sum([]byte(pw))
	return hex.EncodeToString(sum[:])
}

// preMD5 is the PHC parameter that marks an argon2id over md5hex(password).
const preMD5 = "md5"

func encodePHC(p argonParams, salt, key []byte) string { return encodePHCPre(p, salt, key, "") }

func encodePHCPre(p argonParams, salt, key []byte, pre string) string {
	params := fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, p.threads)
	if pre != "" {
		params += ",pre=" + pre
	}
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s",
		argon2.Version, params, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// ErrBadHash is wrapped by every error about a stored password hash that
// cannot be used. Such a hash never matches any password.
var ErrBadHash = errors.New("unusable password hash")

type phc struct {
	argonParams
	pre       string // "" (argon2id over the password) or preMD5
	salt, key []byte
}

// parsePHC reads an argon2id PHC string strictly: one algorithm, one version,
// the parameters m, t, p in that order, unpadded base64 salt and hash.
func parsePHC(s string) (phc, error) {
	var h phc
	bad := func(format string, args ...any) (phc, error) {
		return phc{}, fmt.Errorf("%w: "+format, append([]any{ErrBadHash}, args...)...)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not a PHC string $alg$v=..$params$salt$hash")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm %.20q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version %.20q is not v=%d", parts[2], argon2.Version)
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) == 4 && kv[3] == "pre="+preMD5 {
		h.pre, kv = preMD5, kv[:3]
	}
	if len(kv) != 3 {
		return bad("parameters %.40q are not m=..,t=..,p=..", parts[3])
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return bad("parameters %.40q are not m=..,t=..,p=..", parts[3])
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || (len(v) > 1 && v[0] == '0') {
			return bad("parameter %s=%.20q is not a number", name, v)
		}
		vals[i] = n
	}
	switch m, t, p := vals[0], vals[1], vals[2]; {
	case p < 1 || p > maxThreads:
		return bad("p=%d outside 1..%d", p, maxThreads)
	case t < 1 || t > maxTime:
		return bad("t=%d outside 1..%d", t, maxTime)
	case m < 8*p || m > maxMemoryKiB:
		return bad("m=%d outside %d..%d", m, 8*p, maxMemoryKiB)
	default:
		h.argonParams = argonParams{memory: uint32(m), time: uint32(t), threads: uint8(p)}
	}
	var err error
	if h.salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return bad("salt is not unpadded base64")
	}
	if len(h.salt) < minSaltLen || len(h.salt) > maxSaltLen {
		return bad("salt of %d bytes outside %d..%d", len(h.salt), minSaltLen, maxSaltLen)
	}
	if h.key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return bad("hash is not unpadded base64")
	}
	if len(h.key) < minKeyLen || len(h.key) > maxKeyLen {
		return bad("hash of %d bytes outside %d..%d", len(h.key), minKeyLen, maxKeyLen)
	}
	return h, nil
}

// VerifyPassword reports whether pw matches the PHC string. The argon2
// parameters come from the string, so hashes made with older parameters keep
// working (see NeedsRehash). A hash that cannot be parsed is an error wrapping
// ErrBadHash and never a match.
func VerifyPassword(phcString, pw string) (ok bool, err error) {
	h, err := parsePHC(phcString)
	if err != nil {
		return false, err
	}
	in := pw
	if h.pre == preMD5 {
		in = MD5Hex(pw)
	}
	return h.match(in), nil
}

func (h *phc) match(in string) bool {
	key := argonKey([]byte(in), h.salt, h.argonParams, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// ErrNoMD5Form is returned by VerifyPasswordMD5 for a hash of the plain
// password (from before pre=md5): it cannot be checked against an MD5.
// The operator's next native login upgrades the hash.
var ErrNoMD5Form = errors.New("this password hash predates MD5 logins; log in once with the password to upgrade it")

// VerifyPasswordMD5 reports whether md5hex, the hex MD5 of a password in
// either case, matches the PHC string; see HashPassword. For a hash
// without pre=md5 it costs a dummy verify and returns ErrNoMD5Form.
func VerifyPasswordMD5(phcString, md5hex string) (ok bool, err error) {
	h, err := parsePHC(phcString)
	if err != nil {
		return false, err
	}
	md5hex = strings.ToLower(md5hex)
	if h.pre != preMD5 {
		DummyVerify(md5hex)
		return false, ErrNoMD5Form
	}
	if len(md5hex) != 2*md5.Size || strings.Trim(md5hex, "0123456789abcdef") != "" {
		DummyVerify(md5hex) // the same time as a wrong one
		return false, nil
	}
	return h.match(md5hex), nil
}

// NeedsRehash reports whether a stored hash was made with other parameters
// than HashPassword uses now, is a hash of the plain password rather than
// of its MD5 (so BAS-IP logins cannot use it), or cannot be parsed. The
// login handler rehashes the password it has just verified and stores the
// new string.
func NeedsRehash(phcString string) bool {
	h, err := parsePHC(phcString)
	if err != nil {
		return true
	}
	return h.argonParams != params() || h.pre != preMD5 || len(h.salt) != argonSaltLen || len(h.key) != argonKeyLen
}

// dummyHash is a well-formed hash with the current parameters that no
// password is known to match (its hash bytes are zero); dummyTestHash
// the same with testParams.
var (
	dummyHash     = encodePHCPre(currentParams, make([]byte, argonSaltLen), make([]byte, argonKeyLen), preMD5)
	dummyTestHash = encodePHCPre(testParams, make([]byte, argonSaltLen), make([]byte, argonKeyLen), preMD5)
)

// DummyVerify costs what VerifyPassword costs for a hash made by
// HashPassword. Call it when the username is unknown (or the operator has no
// password) so that response time does not tell which usernames exist.
func DummyVerify(pw string) {
	d := dummyHash
	if hashcost.Low() {
		d = dummyTestHash
	}
	_, _ = VerifyPassword(d, pw)
}

// Password policy. Length beats composition rules (NIST SP 800-63B §3.1.1.2):
// a minimum of 12 characters, a maximum that keeps hashing cheap and bodies
// small, and no other composition rules beyond refusing one repeated
// character.
const (
	MinPasswordChars = 12
	MaxPasswordBytes = 256
)

// Errors returned (wrapped, with detail) by CheckPasswordPolicy; each names
// the rule that was broken.
var (
	ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordChars)
	ErrPasswordTooLong  = fmt.Errorf("password must be at most %d bytes", MaxPasswordBytes)
	ErrPasswordRepeated = errors.New("password must not be a single character repeated")
	ErrPasswordEncoding = errors.New("password must be valid UTF-8")
)

// CheckPasswordPolicy returns nil if pw may be set as an operator password,
// or an error naming the rule it breaks. Characters are counted as Unicode
// code points.
func CheckPasswordPolicy(pw string) error {
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("%w (got %d)", ErrPasswordTooLong, len(pw))
	}
	if !utf8.ValidString(pw) {
		return ErrPasswordEncoding
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordChars {
		return fmt.Errorf("%w (got %d)", ErrPasswordTooShort, n)
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Trim(pw, string(first)) == "" {
		return ErrPasswordRepeated
	}
	return nil
}

// passwordAlphabet leaves out characters that are easily confused when a
// generated password is read off a console or a label: 0 O o 1 l I.
const passwordAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"

// GeneratedPasswordLen is the length of GeneratePassword's result; with 56
// symbols that is about 116 bits.
const GeneratedPasswordLen = 20

// GeneratePassword returns a random password of GeneratedPasswordLen
// characters from an unambiguous alphabet, e.g. for the first admin at first
// start. It draws from crypto/rand, which does not fail on supported systems
// (Go 1.24+ crashes the program rather than return weak randomness).
func GeneratePassword() string {
	max := big.NewInt(int64(len(passwordAlphabet)))
	for {
		b := make([]byte, GeneratedPasswordLen)
		for i := range b {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				panic("auth: crypto/rand failed: " + err.Error())
			}
			b[i] = passwordAlphabet[n.Int64()]
		}
		// A run of one character is astronomically unlikely but would be
		// refused by the policy; draw again rather than hand it out.
		if pw := string(b); CheckPasswordPolicy(pw) == nil {
			return pw
		}
	}
}
