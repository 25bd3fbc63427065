package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doord/doord/board/qemu"
)

// needMake skips a test that runs make where it cannot or should not:
// under qemu-user (a fork there can deadlock), in -short, and where make
// is not installed. It returns make's path.
func needMake(t *testing.T) string {
	t.Helper()
	qemu.SkipExec(t, "make")
	if testing.Short() {
		t.Skip("runs make; not in -short")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	return mk
}

// `make install DESTDIR=…` lays out what the unit expects, with the
// modes it needs, for the default PREFIX and for PREFIX=/usr; a second
// install keeps a config the installer edited; and the installed unit
// passes systemd-analyze verify where systemd is installed. (The binary
// installed is this test's own, through DOORD_BIN: what is tested is the
// layout, not the build.)
func TestMakeInstall(t *testing.T) {
	needMake(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../doord.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	install := func(dest string, vars ...string) string {
		t.Helper()
		cmd := exec.Command("make", append([]string{"-s", "-C", "../..", "install", "DESTDIR=" + dest, "DOORD_BIN=" + self}, vars...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make install %v: %v\n%s", vars, err, out)
		}
		return string(out)
	}
	for _, c := range []struct {
		prefix string
		vars   []string
	}{{"/usr/local", nil}, {"/usr", []string{"PREFIX=/usr"}}} {
		dest := t.TempDir()
		install(dest, c.vars...)
		want := map[string]fs.FileMode{
			c.prefix + "/bin/doord":                        0o755,
			c.prefix + "/lib/systemd/system/doord.service": 0o644,
			c.prefix + "/lib/sysusers.d/doord.conf":        0o644,
			"/etc/doord":                                   fs.ModeDir | 0o750,
			"/etc/doord/doord.toml":                        0o640,
			"/var/lib/doord":                               fs.ModeDir | 0o700,
		}
		for p, mode := range want {
			fi, err := os.Stat(filepath.Join(dest, p))
			if err != nil {
				t.Errorf("PREFIX=%s: %v", c.prefix, err)
				continue
			}
			if got := fi.Mode() & (fs.ModeDir | fs.ModePerm); got != mode {
				t.Errorf("PREFIX=%s: %s has mode %v, want %v", c.prefix, p, got, mode)
			}
		}
		unit, _ := os.ReadFile(filepath.Join(dest, c.prefix, "lib/systemd/system/doord.service"))
		if !strings.Contains(string(unit), "\nExecStart="+c.prefix+"/bin/doord serve --config /etc/doord/doord.toml --data /var/lib/doord\n") {
			t.Errorf("PREFIX=%s: the unit does not start the installed binary:\n%s", c.prefix, unit)
		}
		users, _ := os.ReadFile(filepath.Join(dest, c.prefix, "lib/sysusers.d/doord.conf"))
		if !strings.Contains(string(users), "\nu doord ") || !strings.Contains(string(unit), "\nUser=doord\n") {
			t.Errorf("PREFIX=%s: the unit's user is not the one sysusers creates", c.prefix)
		}
		cfg := filepath.Join(dest, "etc/doord/doord.toml")
		if got, _ := os.ReadFile(cfg); !bytes.Equal(got, example) {
			t.Errorf("PREFIX=%s: the installed config is not doord.example.toml", c.prefix)
		}
		if _, err := loadConfig(cfg); err != nil {
			t.Errorf("the installed config does not load: %v", err)
		}

		// An edited config survives a second install (an upgrade).
		edited := append(append([]byte{}, example...), "# edited by the installer\n"...)
		if err := os.WriteFile(cfg, edited, 0o640); err != nil {
			t.Fatal(err)
		}
		if out := install(dest, c.vars...); !strings.Contains(out, "never overwritten") {
			t.Errorf("second install says nothing about the kept config:\n%s", out)
		}
		if got, _ := os.ReadFile(cfg); !bytes.Equal(got, edited) {
			t.Errorf("PREFIX=%s: a second make install overwrote the config", c.prefix)
		}

		if sa, err := exec.LookPath("systemd-analyze"); err == nil {
			// verify needs the ExecStart binary to exist: point it into DESTDIR.
			u := strings.ReplaceAll(string(unit), "ExecStart="+c.prefix, "ExecStart="+dest+c.prefix)
			p := filepath.Join(t.TempDir(), "doord.service")
			os.WriteFile(p, []byte(u), 0o644)
			if out, err := exec.Command(sa, "verify", p).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("systemd-analyze verify: %v\n%s", err, out)
			}
		}
	}
}

// The Raspberry Pi section's tarball holds everything make install
// needs: its file list, taken from the README, installs from a directory
// that has nothing else (no Go, no source), with the ARM binary given by
// DOORD_BIN as the README says.
func TestReadmePiTarballInstalls(t *testing.T) {
	needMake(t)
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "tar" && f[1] == "czf" && f[2] == "doord-install.tgz" {
			files = f[3:]
		}
	}
	if len(files) == 0 {
		t.Fatal("README has no `tar czf doord-install.tgz …` line")
	}
	src := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("../..", f))
		if strings.HasPrefix(f, "bin/") {
			b, err = []byte("#!/bin/sh\n"), nil // built by make build-arm; any file does here
		}
		if err != nil {
			t.Fatalf("the tarball's %s: %v", f, err)
		}
		os.MkdirAll(filepath.Join(src, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(src, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dest := t.TempDir()
	cmd := exec.Command("make", "-C", src, "install", "DESTDIR="+dest, "DOORD_BIN=bin/doord-linux-arm64")
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin") // no Go needed
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install from the tarball's files: %v\n%s", err, out)
	}
	for _, p := range []string{"usr/local/bin/doord", "usr/local/lib/systemd/system/doord.service", "etc/doord/doord.toml"} {
		if _, err := os.Stat(filepath.Join(dest, p)); err != nil {
			t.Error(err)
		}
	}
}

// Every ```sh block of the README is at least valid sh, the ones that
// need a Raspberry Pi and the ones no test runs against a daemon too.
func TestReadmeShellBlocksParse(t *testing.T) {
	qemu.SkipExec(t, "sh")
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(raw), "\n```sh\n")
	for i, b := range blocks[1:] {
		end := strings.Index(b, "\n```\n")
		if end < 0 {
			t.Fatalf("block %d is not closed", i+1)
		}
		cmd := exec.Command("sh", "-n")
		cmd.Stdin = strings.NewReader(b[:end+1])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README ```sh block %d does not parse: %v\n%s\n%s", i+1, err, out, b[:end])
		}
	}
}
