package qemu

import (
	"os"
	"runtime"
	"testing"
)

// The detection follows the kernel's architecture: native on amd64,
// emulated for an ARM binary on an x86 kernel, native for 32-bit ARM on
// a 64-bit ARM kernel.
func TestFamily(t *testing.T) {
	for _, c := range []struct{ goarch, kernel string }{
		{"amd64", "x86_64"}, {"386", "x86_64"}, {"386", "i686"},
		{"arm", "armv7l"}, {"arm", "armv6l"}, {"arm", "aarch64"}, {"arm64", "aarch64"},
	} {
		if family(c.goarch) != family(c.kernel) {
			t.Errorf("%s on a %s kernel: emulated, want native", c.goarch, c.kernel)
		}
	}
	for _, c := range []struct{ goarch, kernel string }{
		{"arm", "x86_64"}, {"arm64", "x86_64"}, {"amd64", "aarch64"},
	} {
		if family(c.goarch) == family(c.kernel) {
			t.Errorf("%s on a %s kernel: native, want emulated", c.goarch, c.kernel)
		}
	}
}

// This very binary knows where it runs: make test-arm sets DOORD_QEMU and
// runs it under qemu-user; make test-unit runs it natively on amd64.
func TestEmulated(t *testing.T) {
	want := runtime.GOARCH == "arm" || runtime.GOARCH == "arm64"
	if b, err := os.ReadFile("/proc/sys/kernel/arch"); err != nil || family(string(b[:len(b)-1])) == "arm" {
		t.Skip("not on an x86 kernel: which is native is not known here")
	}
	if got := Emulated(); got != want {
		t.Fatalf("Emulated() = %v for GOARCH %s on an x86 kernel", got, runtime.GOARCH)
	}
}
