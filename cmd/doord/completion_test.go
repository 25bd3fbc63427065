package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The bash script completes what the command table has, in a real bash:
// commands, a command's flags, subcommands and their flags, help's
// command names, and nothing but files where a file is wanted.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	code, script, se := runCmd("completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, se)
	}
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
	for _, sh := range []string{"zsh", "fish"} {
		if code, out, se := runCmd("completion", sh); code != 0 || !strings.Contains(out, "doord") {
			t.Errorf("completion %s: exit %d %s", sh, code, se)
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
