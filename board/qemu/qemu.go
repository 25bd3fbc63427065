package qemu

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Env is set to 1 by the Makefile's ARM test runs: a certain answer
// where the kernel's architecture cannot be read.
const Env = "DOORD_QEMU"

// Emulated reports whether this process is a guest of qemu-user: the
// Makefile says so, or the kernel's architecture (which qemu-user does
// not translate) is not the one the binary was built for, or the
// process's name is qemu's (go test -exec qemu-arm-static).
func Emulated() bool {
	once.Do(func() { emulated = detect() })
	return emulated
}

var (
	once     sync.Once
	emulated bool
)

func detect() bool {
	if os.Getenv(Env) == "1" {
		return true
	}
	if b, err := os.ReadFile("/proc/sys/kernel/arch"); err == nil {
		if k, g := family(strings.TrimSpace(string(b))), family(runtime.GOARCH); k != "" && g != "" {
			return k != g
		}
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	return strings.HasPrefix(string(comm), "qemu-")
}

// family groups a Go or a kernel architecture name with the ones the
// same CPU runs natively (arm on an aarch64 kernel is native, 32-bit
// userland on a 64-bit Pi); "" when unknown.
func family(arch string) string {
	switch {
	case arch == "amd64" || arch == "386" || arch == "x86_64" || (len(arch) == 4 && arch[0] == 'i' && strings.HasSuffix(arch, "86")):
		return "x86"
	case arch == "arm64" || arch == "aarch64" || strings.HasPrefix(arch, "arm"):
		return "arm"
	}
	return ""
}

// SkipExec skips t under qemu-user, where starting a program can hang
// (see the package comment); what names the program, for the log.
func SkipExec(t testing.TB, what string) {
	t.Helper()
	if Emulated() {
		t.Skipf("under qemu-user, where fork/exec of %s can deadlock: run on amd64 (make test-unit)", what)
	}
}
