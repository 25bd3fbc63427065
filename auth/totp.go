package auth

import (
	"crypto/subtle"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Operator second factor: RFC 6238 TOTP with the parameters every
// authenticator app supports (SHA-1, 6 digits, 30 s steps, 160-bit secret).
// pquerna/otp generates secrets, otpauth:// URLs and codes; the window and
// the comparison are done here so that every candidate step is checked the
// same way and the matching step is known (for replay protection).
const (
	totpPeriod = 30 // seconds
	totpSkew   = 1  // steps either side of now
	totpDigits = 6
)

var totpOpts = totp.ValidateOpts{
	Period:    totpPeriod,
	Skew:      totpSkew,
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// NewTOTPSecret returns a new random base32 secret and its otpauth:// URL
// (to be shown as a QR code) for account at issuer. The operator should
// confirm it with one valid code before it is enforced
// (store.Operator.TOTPConfirmed).
func NewTOTPSecret(issuer, account string) (secret, url string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      totpPeriod,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
		SecretSize:  20,
	})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// ValidateTOTP reports whether code is the TOTP for secret at now, allowing
// one 30 s step of clock skew either way. Anything but six ASCII digits, and
// any invalid secret, is false.
func ValidateTOTP(secret, code string, now time.Time) bool {
	_, ok := MatchTOTP(secret, code, now)
	return ok
}

// MatchTOTP is ValidateTOTP that also returns the time step (Unix time / 30)
// the code belongs to. RFC 6238 §5.2 asks that a code be accepted only once:
// a caller that records the last accepted step can refuse step <= last.
// All candidate steps are computed and compared, matching or not.
func MatchTOTP(secret, code string, now time.Time) (step uint64, ok bool) {
	if !isDigits(code, totpDigits, totpDigits) || now.Unix() < totpPeriod*totpSkew {
		return 0, false
	}
	match := 0
	for d := -totpSkew; d <= totpSkew; d++ {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			match = 1
			step = uint64(t.Unix()) / totpPeriod
		}
	}
	return step, match == 1
}

// isDigits reports whether s is min..max ASCII digits.
func isDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
