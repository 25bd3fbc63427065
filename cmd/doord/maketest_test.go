package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `make test` stops at once, before anything is built, when a tool its
// runs need is missing: both qemu-user runners (each named when missing)
// and promtool. make runs here with a PATH that holds only what the
// case gives it, and a go that records that it was called: a build
// would start with it. The last case gives every tool, to show that the
// record is made when make gets that far.
func TestMakeTestStopsBeforeAnyBuildWithoutItsTools(t *testing.T) {
	mk := needMake(t)
	for _, c := range []struct {
		name  string
		tools []string
		want  string // make's output names what is missing; "" when nothing is
	}{
		{"no qemu", []string{"promtool"}, "missing: qemu-arm-static qemu-aarch64-static:"},
		{"no arm64 qemu", []string{"qemu-arm-static", "promtool"}, "missing: qemu-aarch64-static:"},
		{"no 32-bit qemu", []string{"qemu-aarch64-static", "promtool"}, "missing: qemu-arm-static:"},
		{"no promtool", []string{"qemu-arm-static", "qemu-aarch64-static"}, "missing: promtool:"},
		{"every tool", []string{"qemu-arm-static", "qemu-aarch64-static", "promtool"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := t.TempDir()
			mark := filepath.Join(t.TempDir(), "go-called")
			script := func(name, body string) {
				if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			script("go", "echo \"$@\" > '"+mark+"'\nexit 1\n")
			for _, tool := range c.tools {
				script(tool, "exit 0\n")
			}
			// What the Makefile's variables may run (awk and df: the tmpfs
			// check, as it is read; git: the version, when a recipe uses
			// it), so that their absence adds no noise; none of them
			// builds anything.
			for _, tool := range []string{"git", "awk", "df"} {
				if p, err := exec.LookPath(tool); err == nil {
					if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
						t.Fatal(err)
					}
				}
			}
			cmd := exec.Command(mk, "--no-print-directory", "-C", "../..", "test")
			cmd.Env = []string{"PATH=" + bin, "HOME=" + t.TempDir()}
			for _, kv := range os.Environ() { // not the make running these tests
				if strings.HasPrefix(kv, "TMPDIR=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("make test passed with a go that fails:\n%s", out)
			}
			_, statErr := os.Stat(mark)
			called := statErr == nil
			if c.want == "" {
				if !called {
					t.Fatalf("with every tool there, make never ran go:\n%s", out)
				}
				return
			}
			if called {
				args, _ := os.ReadFile(mark)
				t.Errorf("make ran go %q before stopping", strings.TrimSpace(string(args)))
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("make test's output does not say %q:\n%s", c.want, out)
			}
		})
	}
}
