package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board/wiegand"
)

// The defects issue 13 reported, as a script sees them: `serve --help`
// exited 1, `help serve` printed the general usage whatever it was asked,
// `decode --help` exited 1.
func TestHelpOfACommandExitsZeroWithItsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--help"}, {"serve", "-h"}, {"help", "serve"},
		{"decode", "--help"}, {"help", "decode"},
		{"check", "--help"}, {"help", "check"},
		{"version", "--help"}, {"help", "version"},
	} {
		name := args[0]
		if name == "help" {
			name = args[1]
		}
		code, so, se := runCmd(args...)
		if code != 0 {
			t.Errorf("%v: exit %d, want 0\nstderr %q", args, code, se)
			continue
		}
		if !strings.HasPrefix(so, "usage: doord "+name) {
			t.Errorf("%v: stdout does not start with the command's usage:\n%s", args, so)
		}
	}
}

// One frame is "1 frame", not "1 frames".
func TestDecodeCountsInGoodEnglish(t *testing.T) {
	bits, _ := wiegand.Encode(wiegand.FormatH10301, 123, 4567)
	e := wiegand.Edges(wiegand.Train(bits, time.Now(), wiegand.DefaultTiming), 0)
	capture := filepath.Join(t.TempDir(), "one.json")
	if err := os.WriteFile(capture, []byte(edgesBody(e)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, so, se := runCmd("decode", capture)
	if code != 0 || !strings.HasPrefix(so, "26 edges, 1 frame\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want it to start with \"26 edges, 1 frame\"", code, so, se)
	}
}
