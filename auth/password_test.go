package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerifyRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1,pre=md5$"; !strings.HasPrefix(h, want) {
		t.Errorf("HashPassword = %q, want prefix %q", h, want)
	}
	if NeedsRehash(h) {
		t.Errorf("NeedsRehash(fresh hash) = true, want false")
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if h == h2 {
		t.Errorf("two hashes of one password are equal (%q): salt not random", h)
	}

	for _, tc := range []struct {
		name string
		pw   string
		want bool
	}{
		{"right", pw, true},
		{"wrong", "correct horse battery stapler", false},
		{"empty", "", false},
		{"case", strings.ToUpper(pw), false},
		{"prefix", pw[:len(pw)-1], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyPassword(h, tc.pw)
			if err != nil {
				t.Fatalf("VerifyPassword(%q): %v", tc.pw, err)
			}
			if got != tc.want {
				t.Errorf("VerifyPassword(%q) = %v, want %v", tc.pw, got, tc.want)
			}
		})
	}
}

// TestVerifyTampered changes one part of a valid hash at a time: the result
// must still parse and must no longer match.
func TestVerifyTampered(t *testing.T) {
	const pw = "tamper-evident password"
	p := argonParams{memory: 64, time: 1, threads: 1} // cheap: only the comparison matters here
	salt := []byte("0123456789abcdef")
	h := encodePHC(p, salt, argonKey([]byte(pw), salt, p, 32))
	if ok, err := VerifyPassword(h, pw); !ok || err != nil {
		t.Fatalf("VerifyPassword(untampered) = %v, %v; want true, nil", ok, err)
	}
	parts := strings.Split(h, "$")
	flip := func(s string) string { // change the first character, staying in the base64 alphabet
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	for _, tc := range []struct {
		name  string
		index int
		value string
	}{
		{"hash", 5, flip(parts[5])},
		{"salt", 4, flip(parts[4])},
		{"memory", 3, "m=72,t=1,p=1"},
		{"time", 3, "m=64,t=2,p=1"},
		{"threads", 3, "m=64,t=1,p=2"},
		{"truncated hash", 5, b64.EncodeToString(argonKey([]byte(pw), salt, p, 32)[:16])}, // keyLen is an input of argon2
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := append([]string(nil), parts...)
			q[tc.index] = tc.value
			tampered := strings.Join(q, "$")
			ok, err := VerifyPassword(tampered, pw)
			if err != nil {
				t.Fatalf("VerifyPassword(%q): unexpected error %v", tampered, err)
			}
			if ok {
				t.Errorf("VerifyPassword(%q) = true, want false", tampered)
			}
		})
	}
}

func TestVerifyUnparsable(t *testing.T) {
	const salt = "MDEyMzQ1Njc4OWFiY2RlZg"                     // 16 bytes
	const key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 32 bytes
	valid := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	if _, err := VerifyPassword(valid, "x"); err != nil {
		t.Fatalf("control hash %q: %v", valid, err)
	}
	for _, h := range []string{
		"",
		"hunter2",
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", // bcrypt
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$m=64,t=1,p=1$" + salt + "$" + key, // version omitted
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=x,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=1048576,t=1,p=1$" + salt + "$" + key, // 1 GiB: over the limit
		"$argon2id$v=19$m=7,t=1,p=1$" + salt + "$" + key,       // below 8*p
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=17,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, // padded
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "=",
		"$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.ReplaceAll(key, "A", "-"), // url alphabet
		"$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,                                       // 3-byte salt
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAAAAAAAAA",                          // 8-byte hash
		"$argon2id$v=19$m=64,t=1,p=1$$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		valid + "$",
		"x" + valid,
		strings.TrimPrefix(valid, "$"),
	} {
		ok, err := VerifyPassword(h, "x")
		if ok {
			t.Errorf("VerifyPassword(%q) = true, want false", h)
		}
		if !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword(%q) error = %v, want one wrapping ErrBadHash", h, err)
		}
		if !NeedsRehash(h) {
			t.Errorf("NeedsRehash(%q) = false, want true", h)
		}
	}
}

// TestOlderParameters checks that the parameters come from the stored
// string: a hash made with other parameters verifies and asks to be rehashed.
func TestOlderParameters(t *testing.T) {
	const pw = "an operator from an older release"
	salt := []byte("0123456789abcdef")
	for _, tc := range []struct {
		name string
		p    argonParams
		keys int
	}{
		{"less memory", argonParams{memory: 8192, time: 2, threads: 1}, 32},
		{"more passes", argonParams{memory: 64, time: 3, threads: 1}, 32},
		{"more threads", argonParams{memory: 64, time: 2, threads: 2}, 32},
		{"longer hash", argonParams{memory: argonMemoryKiB, time: argonTime, threads: argonThreads}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := encodePHC(tc.p, salt, argonKey([]byte(pw), salt, tc.p, uint32(tc.keys)))
			if ok, err := VerifyPassword(h, pw); !ok || err != nil {
				t.Errorf("VerifyPassword(%q) = %v, %v; want true, nil", h, ok, err)
			}
			if !NeedsRehash(h) {
				t.Errorf("NeedsRehash(%q) = false, want true", h)
			}
		})
	}
}

func TestDummyVerify(t *testing.T) {
	// DummyVerify only costs the same if its hash parses with the current
	// parameters; it must also never match.
	if NeedsRehash(dummyHash) {
		t.Errorf("NeedsRehash(dummyHash %q) = true: it would not cost what a real verify costs", dummyHash)
	}
	ok, err := VerifyPassword(dummyHash, "")
	if ok || err != nil {
		t.Errorf("VerifyPassword(dummyHash, \"\") = %v, %v; want false, nil", ok, err)
	}
	DummyVerify("anything")
}

func TestCheckPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want error
	}{
		{"abcdefghijkl", nil},
		{"abcdefghijk", ErrPasswordTooShort},
		{"", ErrPasswordTooShort},
		{"ääääääääääää", ErrPasswordRepeated}, // 12 characters, 24 bytes
		{"äöüäöüäöüäöü", nil},
		{"äöüäöüäöüäö", ErrPasswordTooShort}, // 11 characters, 22 bytes
		{"aaaaaaaaaaaaaaaa", ErrPasswordRepeated},
		{"aaaaaaaaaaaaaaab", nil},
		{"            ", ErrPasswordRepeated},
		{strings.Repeat("ab", 128), nil}, // 256 bytes
		{strings.Repeat("ab", 128) + "c", ErrPasswordTooLong},
		{strings.Repeat("ä", 129), ErrPasswordTooLong}, // 129 characters, 258 bytes
		{"abcdefghijk\xff", ErrPasswordEncoding},
	} {
		err := CheckPasswordPolicy(tc.pw)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("CheckPasswordPolicy(%q) = %v, want %v", tc.pw, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "password must") {
			t.Errorf("CheckPasswordPolicy(%q) = %q, want a message naming the rule", tc.pw, err)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		pw := GeneratePassword()
		if len(pw) != GeneratedPasswordLen {
			t.Errorf("GeneratePassword() = %q, %d chars, want %d", pw, len(pw), GeneratedPasswordLen)
		}
		if s := strings.Trim(pw, passwordAlphabet); s != "" {
			t.Errorf("GeneratePassword() = %q contains %q outside the alphabet", pw, s)
		}
		if strings.ContainsAny(pw, "0Oo1lI") {
			t.Errorf("GeneratePassword() = %q contains an ambiguous character", pw)
		}
		if err := CheckPasswordPolicy(pw); err != nil {
			t.Errorf("GeneratePassword() = %q fails the policy: %v", pw, err)
		}
		if seen[pw] {
			t.Errorf("GeneratePassword() repeated %q", pw)
		}
		seen[pw] = true
	}
}

// BenchmarkVerifyPassword is the cost of one login at the current
// parameters: expect tens of milliseconds and ~19 MiB allocated per op.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("benchmark password")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := VerifyPassword(h, "benchmark password"); !ok || err != nil {
			b.Fatalf("VerifyPassword = %v, %v", ok, err)
		}
	}
}

// BenchmarkVerifyPasswordParallel shows the login throughput when many
// logins arrive at once: at most two hashes run at a time (hashSlots).
func BenchmarkVerifyPasswordParallel(b *testing.B) {
	h, err := HashPassword("benchmark password")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := VerifyPassword(h, "benchmark password"); !ok || err != nil {
				b.Errorf("VerifyPassword = %v, %v", ok, err)
				return
			}
		}
	})
}

// A fresh hash verifies both the password and its hex MD5 (either case),
// from one argon2id hash; a hash of the plain password (older releases)
// verifies the password, refuses the MD5 form and asks to be rehashed.
func TestMD5Form(t *testing.T) {
	const pw = "correct horse battery staple"
	md5hex := MD5Hex(pw)
	if len(md5hex) != 32 || strings.ToLower(md5hex) != md5hex {
		t.Fatalf("MD5Hex = %q", md5hex)
	}
	if got := MD5Hex("admin"); got != "21232f297a57a5a743894a0e4a801fc3" {
		t.Fatalf(`MD5Hex("admin") = %q`, got)
	}
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, md5hex) {
		t.Fatalf("the hash %q contains the MD5 in the clear", h)
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{md5hex, true},
		{strings.ToUpper(md5hex), true},
		{strings.ToUpper(md5hex[:1]) + md5hex[1:], true}, // Python's str.capitalize(), as one client sends it
		{MD5Hex(pw + "x"), false},
		{pw, false},
		{"", false},
		{md5hex[:31], false},
		{md5hex + "0", false},
	} {
		ok, err := VerifyPasswordMD5(h, tc.in)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPasswordMD5(%q) = %v, %v; want %v", tc.in, ok, err, tc.want)
		}
	}
	if ok, err := VerifyPassword(h, md5hex); ok || err != nil {
		t.Errorf("VerifyPassword(hash, md5hex) = %v, %v: the MD5 must not pass as a password", ok, err)
	}

	h2, err := HashPasswordMD5(strings.ToUpper(md5hex))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := VerifyPassword(h2, pw); !ok || NeedsRehash(h2) {
		t.Fatalf("HashPasswordMD5: verify %v, needs rehash %v", ok, NeedsRehash(h2))
	}

	// An older hash of the plain password.
	p := argonParams{memory: 64, time: 1, threads: 1}
	salt := []byte("0123456789abcdef")
	old := encodePHC(p, salt, argonKey([]byte(pw), salt, p, 32))
	if ok, err := VerifyPassword(old, pw); !ok || err != nil {
		t.Fatalf("VerifyPassword(old) = %v, %v", ok, err)
	}
	if ok, err := VerifyPasswordMD5(old, md5hex); ok || !errors.Is(err, ErrNoMD5Form) {
		t.Fatalf("VerifyPasswordMD5(old) = %v, %v; want false, ErrNoMD5Form", ok, err)
	}
	if !NeedsRehash(old) {
		t.Fatal("NeedsRehash(plain-password hash) = false, want true")
	}
	cur := encodePHC(currentParams, salt, argonKey([]byte(pw), salt, currentParams, argonKeyLen))
	if !NeedsRehash(cur) {
		t.Fatal("NeedsRehash(current parameters, no pre=md5) = false, want true")
	}
	// Only pre=md5 is a known fourth parameter.
	bad := strings.Replace(h, "pre=md5", "pre=sha1", 1)
	if _, err := VerifyPassword(bad, pw); !errors.Is(err, ErrBadHash) {
		t.Fatalf("VerifyPassword(pre=sha1) error = %v, want ErrBadHash", err)
	}
}
