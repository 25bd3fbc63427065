package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board/qemu"
)

// The bash script completes what the command table has, in a real bash:
// commands, a command's flags, subcommands and their flags, help's
// command names, and nothing but files where a file is wanted.
func TestBashCompletion(t *testing.T) {
	qemu.SkipExec(t, "bash")
	bash, script := shellScript(t, "bash")
	f := filepath.Join(t.TempDir(), "doord.bash")
	if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		var q []string
		for _, w := range words {
			q = append(q, "'"+w+"'")
		}
		sh := "source " + f + "; COMP_WORDS=(" + strings.Join(q, " ") + "); COMP_CWORD=" + strconv.Itoa(len(words)-1) +
			`; _doord; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, "--norc", "-c", sh).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"doord", "us"}, "user"},
		{[]string{"doord", "c"}, "card check completion"},
		{[]string{"doord", "backup", "--o"}, "--out"},
		{[]string{"doord", "user", "d"}, "disable delete"},
		{[]string{"doord", "user", "add", "--ca"}, "--card --ca"},
		{[]string{"doord", "help", "re"}, "restore"},
		{[]string{"doord", "completion", "f"}, "fish"},
		{[]string{"doord", "restore", "ba"}, ""}, // a file name: bash's default completion
	} {
		if got := complete(c.words...); !sameWords(got, c.want) {
			t.Errorf("%v: completes %q, want %q", c.words, got, c.want)
		}
	}
}

func sameWords(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, w := range x {
		seen[w]++
	}
	for _, w := range y {
		if seen[w]--; seen[w] < 0 {
			return false
		}
	}
	return true
}

// requireShellsEnv turns a missing bash, zsh or fish from a skip into a
// failure; `make test` sets it (as DOORD_REQUIRE_PROMTOOL for promtool).
const requireShellsEnv = "DOORD_REQUIRE_SHELLS"

// skipShort skips a shell test in -short runs (the ARM runs under qemu):
// the scripts are the same text on every architecture, and the shells
// are the host's.
func skipShort(t *testing.T) {
	qemu.SkipExec(t, "the shells")
	if testing.Short() {
		t.Skip("-short: the completion scripts are the same on every architecture; tried in the full run")
	}
}

// needShell is the path of shell name, skipping the test without it
// (failing it under make test).
func needShell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(requireShellsEnv) == "1" {
			t.Fatalf("%s is not installed and %s=1: apt-get install %[1]s (or run .ci/run)", name, requireShellsEnv)
		}
		t.Skipf("%s is not installed (apt-get install %[1]s): its completion script is not tried", name)
	}
	return path
}

// shellScript is the path of shell name (see needShell) and the script
// `doord completion name` prints for it.
func shellScript(t *testing.T, name string) (path, script string) {
	t.Helper()
	path = needShell(t, name)
	code, script, se := runCmd("completion", name)
	if code != 0 {
		t.Fatalf("completion %s: exit %d: %s", name, code, se)
	}
	return path, script
}

// completionCases are what TAB offers after each line, in zsh and fish,
// for the script installed as the README says. Where a file name is
// wanted, the shell offers the files of the directory it runs in (which
// holds backup.db and bar.txt).
var completionCases = []struct {
	line string
	want string
}{
	{"doord us", "user"},
	{"doord c", "card check completion"},
	{"doord backup --o", "--out"},
	{"doord user d", "disable delete"},
	{"doord user add --ca", "--card --ca"},
	{"doord help re", "restore"},
	{"doord completion f", "fish"},
	{"doord restore ba", "backup.db bar.txt"},
	{"doord import --data x b", "backup.db bar.txt"},
}

// completionDir is a directory with the files completionCases expect.
func completionDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"backup.db", "bar.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// shellRun runs a shell command with a deadline (a completion that hangs
// fails the test instead of holding it up).
func shellRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// zshDriver types each of its arguments after the first, each followed by
// a TAB, into one interactive zsh (zsh's own pseudo-terminal module) that
// first sources its first argument, and prints "@@CASE" and the line, then
// the candidates completion offered, one a line; then it clears the line
// for the next.
const zshDriver = `zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "source ${(q)1}"
shift
local out line
for line; do
	zpty -w -n z "$line"$'\t'
	zpty -r z out '*@@''DONE*'
	print -r -- "@@CASE $line"
	print -r -- "$out" | tr -d '\r' | sed -n 's/^.*@@M //p'
	zpty -w -n z $'\C-u'
done
zpty -d z
`

// zshSetup starts completion as a zsh user does (compinit, over the
// completion functions only, for speed) and reports every candidate
// offered and the end of each completion (for zshDriver).
const zshSetup = `PS1='' PROMPT='' RPS1=''
bindkey -e
() {
	local -a keep=(${(M)fpath:#*/Completion(|/Base|/Unix|/Zsh)})
	(( $#keep )) && fpath=($fpath[1] $keep)
}
autoload -U compinit; compinit -u -D
compadd() { local -a __m; builtin compadd -O __m "$@"; print -rl -- "@@M "${^__m[@]} }
__done() { print -r -- "@@DONE"; comppostfuncs=(__done) }
comppostfuncs=(__done)
`

// The zsh script completes in a real zsh, installed the two ways zsh
// users do: as _doord in $fpath, autoloaded by compinit (the first case
// is that shell's first TAB: the bash script through bashcompinit, which
// this was before, only defined its functions on it and completed
// nothing), and sourced.
func TestZshCompletion(t *testing.T) {
	skipShort(t)
	zsh, script := shellScript(t, "zsh")
	dir, fn := completionDir(t), t.TempDir()
	if err := os.WriteFile(filepath.Join(fn, "_doord"), []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	driver, autoload, sourced := filepath.Join(fn, "driver.zsh"), filepath.Join(fn, "autoload.zsh"), filepath.Join(fn, "sourced.zsh")
	for f, body := range map[string]string{
		driver:   zshDriver,
		autoload: "fpath=(" + fn + " $fpath)\n" + zshSetup,
		sourced:  "fpath=(/nonexistent $fpath)\n" + zshSetup + "source " + filepath.Join(fn, "_doord") + "\n",
	} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lines := []string{"-f", driver, ""}
	for _, c := range completionCases {
		lines = append(lines, c.line)
	}
	for _, setup := range []string{autoload, sourced} {
		lines[2] = setup
		got := map[string]string{}
		var cur string
		for l := range strings.Lines(shellRun(t, dir, nil, zsh, lines...)) {
			l = strings.TrimRight(l, "\n")
			if line, ok := strings.CutPrefix(l, "@@CASE "); ok {
				cur = line
				got[cur] = ""
				continue
			}
			got[cur] = distinct(got[cur] + " " + l)
		}
		for _, c := range completionCases {
			if g, ok := got[c.line]; !ok || !sameWords(g, c.want) {
				t.Errorf("%s, %s: completes %q, want %q", filepath.Base(setup), c.line, g, c.want)
			}
		}
	}
}

// The fish script completes in a real fish, installed where the README
// puts it (fish autoloads it from its completions directory) and sourced.
func TestFishCompletion(t *testing.T) {
	skipShort(t)
	fish, script := shellScript(t, "fish")
	dir, home := completionDir(t), t.TempDir()
	comps := filepath.Join(home, "config", "fish", "completions")
	bin := filepath.Join(home, "bin")
	for _, d := range []string{comps, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(comps, "doord.fish")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	// fish autoloads a command's completions only for a command it finds.
	if err := os.WriteFile(filepath.Join(bin, "doord"), []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_CONFIG_HOME=" + filepath.Join(home, "config"), "XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"), "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, c := range completionCases {
		for _, how := range []string{"complete -C $argv[1]", "source " + file + "; complete -C $argv[1]"} {
			out := shellRun(t, dir, env, fish, "-c", how, c.line)
			var got []string
			for line := range strings.Lines(out) {
				cand, _, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t")
				got = append(got, cand)
			}
			if !sameWords(strings.Join(got, " "), c.want) {
				t.Errorf("%q, %s: completes %q, want %q", how, c.line, got, c.want)
			}
		}
	}
}

// distinct is the words of s, each once (zsh's _describe offers its
// candidates twice: once to measure, once to add).
func distinct(s string) string {
	var out []string
	for _, w := range strings.Fields(s) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
