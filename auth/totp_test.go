package auth

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// rfcSecret is the RFC 6238 Appendix B SHA-1 key "12345678901234567890".
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestTOTPRFC6238 checks against RFC 6238 Appendix B (the 8-digit values
// there, truncated to their last 6 digits, which is what 6-digit TOTP is).
func TestTOTPRFC6238(t *testing.T) {
	for _, tc := range []struct {
		unix int64
		code string // RFC value in parentheses
	}{
		{59, "287082"},         // (94287082)
		{1111111109, "081804"}, // (07081804)
		{1234567890, "005924"}, // (89005924)
	} {
		now := time.Unix(tc.unix, 0)
		if !ValidateTOTP(rfcSecret, tc.code, now) {
			t.Errorf("ValidateTOTP(rfc, %q, %d) = false, want true", tc.code, tc.unix)
		}
		step, ok := MatchTOTP(rfcSecret, tc.code, now)
		if want := uint64(tc.unix / 30); !ok || step != want {
			t.Errorf("MatchTOTP(rfc, %q, %d) = %d, %v; want %d, true", tc.code, tc.unix, step, ok, want)
		}
	}
}

func TestValidateTOTP(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 15, 0, time.UTC) // middle of a step
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(rfcSecret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	window := map[string]bool{code(now.Add(-30 * time.Second)): true, code(now): true, code(now.Add(30 * time.Second)): true}
	for _, tc := range []struct {
		name   string
		code   string
		secret string
		want   bool
	}{
		{"now", code(now), rfcSecret, true},
		{"30s ago", code(now.Add(-30 * time.Second)), rfcSecret, true},
		{"30s ahead", code(now.Add(30 * time.Second)), rfcSecret, true},
		{"start of step", code(now.Add(-15 * time.Second)), rfcSecret, true},
		{"60s ago", code(now.Add(-60 * time.Second)), rfcSecret, false},
		{"60s ahead", code(now.Add(60 * time.Second)), rfcSecret, false},
		{"an hour ago", code(now.Add(-time.Hour)), rfcSecret, false},
		{"lower-case secret", code(now), strings.ToLower(rfcSecret), true},
		{"other secret", code(now), "JBSWY3DPEHPK3PXP", false},
		{"bad secret", code(now), "not base32!", false},
		{"empty secret", code(now), "", false},
		{"empty code", "", rfcSecret, false},
		{"5 digits", code(now)[:5], rfcSecret, false},
		{"7 digits", code(now) + "0", rfcSecret, false},
		{"leading space", " " + code(now), rfcSecret, false},
		{"letter", code(now)[:5] + "a", rfcSecret, false},
		{"full-width digits", "１２３４５６", rfcSecret, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidateTOTP(tc.secret, tc.code, now); got != tc.want {
				t.Errorf("ValidateTOTP(%q, %q, %v) = %v, want %v", tc.secret, tc.code, now, got, tc.want)
			}
		})
	}
	// A made-up wrong code, checked to be outside the window so the test
	// means what it says.
	for _, wrong := range []string{"000000", "123456", "999999"} {
		if window[wrong] {
			continue
		}
		if ValidateTOTP(rfcSecret, wrong, now) {
			t.Errorf("ValidateTOTP(rfc, %q, %v) = true, want false", wrong, now)
		}
	}
	if step, ok := MatchTOTP(rfcSecret, code(now.Add(-30*time.Second)), now); !ok || step != uint64(now.Unix()/30-1) {
		t.Errorf("MatchTOTP(previous code) = %d, %v; want %d, true", step, ok, now.Unix()/30-1)
	}
}

func TestNewTOTPSecret(t *testing.T) {
	secret, url, err := NewTOTPSecret("doord lobby", "alice")
	if err != nil {
		t.Fatalf("NewTOTPSecret: %v", err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) != 20 {
		t.Errorf("secret %q decodes to %d bytes (%v), want 20", secret, len(raw), err)
	}
	key, err := otp.NewKeyFromURL(url)
	if err != nil {
		t.Fatalf("otp.NewKeyFromURL(%q): %v", url, err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"type", key.Type(), "totp"},
		{"issuer", key.Issuer(), "doord lobby"},
		{"account", key.AccountName(), "alice"},
		{"secret", key.Secret(), secret},
		{"algorithm", key.Algorithm().String(), "SHA1"},
		{"digits", key.Digits().String(), "6"},
	} {
		if c.got != c.want {
			t.Errorf("URL %q: %s = %q, want %q", url, c.name, c.got, c.want)
		}
	}
	if key.Period() != 30 {
		t.Errorf("URL %q: period = %d, want 30", url, key.Period())
	}
	now := time.Now()
	c, err := totp.GenerateCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidateTOTP(secret, c, now) {
		t.Errorf("ValidateTOTP(new secret, its own code) = false")
	}
	other, _, err := NewTOTPSecret("doord lobby", "alice")
	if err != nil || other == secret {
		t.Errorf("second NewTOTPSecret = %q, %v; want a different secret", other, err)
	}
	for _, bad := range [][2]string{{"", "alice"}, {"doord", ""}} {
		if _, _, err := NewTOTPSecret(bad[0], bad[1]); err == nil {
			t.Errorf("NewTOTPSecret(%q, %q) succeeded, want an error", bad[0], bad[1])
		}
	}
}
