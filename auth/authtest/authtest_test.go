package authtest_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/doord/doord/auth"
	"github.com/doord/doord/auth/authtest"
	"github.com/doord/doord/board/qemu"
)

func TestCheapHashesLowersEveryNewHash(t *testing.T) {
	const pw = "a password long enough"
	real, err := auth.HashPassword(pw) // before: the real cost
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1,pre=md5$"; !strings.HasPrefix(real, want) {
		t.Fatalf("before CheapHashes: %q, want the prefix %q", real, want)
	}

	authtest.CheapHashes()
	cheap, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=64,t=1,p=1,pre=md5$"; !strings.HasPrefix(cheap, want) {
		t.Fatalf("after CheapHashes: %q, want the prefix %q", cheap, want)
	}
	viaMD5, err := auth.HashPasswordMD5(auth.MD5Hex(pw))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(viaMD5, "$argon2id$v=19$m=64,t=1,p=1,pre=md5$") {
		t.Fatalf("HashPasswordMD5 after CheapHashes: %q", viaMD5)
	}
	for _, h := range []string{real, cheap, viaMD5} {
		if ok, err := auth.VerifyPassword(h, pw); !ok || err != nil {
			t.Errorf("VerifyPassword(%.40q…) = %v, %v; want true", h, ok, err)
		}
		if ok, _ := auth.VerifyPassword(h, pw+"x"); ok {
			t.Errorf("VerifyPassword(%.40q…) accepts a wrong password", h)
		}
	}
	// The cheap cost is the current one: a login upgrades a real-cost
	// hash to it and leaves a cheap one alone, as it would in doord.
	if !auth.NeedsRehash(real) {
		t.Error("NeedsRehash(a real-cost hash) = false under CheapHashes")
	}
	if auth.NeedsRehash(cheap) {
		t.Error("NeedsRehash(a cheap hash) = true under CheapHashes")
	}
}

// The guard: a program that is not a test binary cannot lower the cost.
func TestCheapHashesPanicsOutsideTests(t *testing.T) {
	if qemu.Emulated() {
		t.Skip("builds and starts a program (fork under qemu-user can deadlock); runs on amd64")
	}
	bin := filepath.Join(t.TempDir(), "cheapoutside")
	args := append(append([]string{"build"}, raceFlags...), "-o", bin, "./testdata/cheapoutside")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err == nil {
		t.Fatalf("CheapHashes in a plain program did not panic; it printed %q", out)
	}
	if !strings.Contains(string(out), "authtest.CheapHashes called outside a test binary") || strings.Contains(string(out), "$argon2id$") {
		t.Fatalf("want the panic and no hash; got %v:\n%s", err, out)
	}
}

// doord itself never links authtest (nor the testing package it needs).
func TestDoordDoesNotImportAuthtest(t *testing.T) {
	if qemu.Emulated() {
		t.Skip("runs the go command (fork under qemu-user can deadlock); runs on amd64")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/doord/doord/cmd/doord").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, p := range []string{"github.com/doord/doord/auth/authtest", "testing"} {
		if slices.Contains(deps, p) {
			t.Errorf("cmd/doord depends on %s", p)
		}
	}
	if !slices.Contains(deps, "github.com/doord/doord/auth/internal/hashcost") {
		t.Errorf("go list -deps did not list auth/internal/hashcost: the check looks at the wrong thing:\n%s", out)
	}
}
