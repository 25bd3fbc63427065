package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doord/doord/board/wiegand"
)

// doord decode prints every frame of a capture with the reader's settings
// from the config: the clean card, then the same card with a contact
// bounce as a bad read naming it.
func TestDecodeCommand(t *testing.T) {
	dir := t.TempDir()
	bits, _ := wiegand.Encode(wiegand.FormatH10301, 123, 4567)
	e := wiegand.Edges(wiegand.Train(bits, time.Now(), wiegand.DefaultTiming), 0)
	second := wiegand.Edges(wiegand.Train(bits, e[25].At.Add(time.Second), wiegand.DefaultTiming), 0)
	bounce := wiegand.Edge{Line: second[12].Line, At: second[12].At.Add(10 * time.Microsecond)}
	all := append(append(e, second[:13]...), append([]wiegand.Edge{bounce}, second[13:]...)...)
	capture := filepath.Join(dir, "capture.json")
	if err := os.WriteFile(capture, []byte(edgesBody(all)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "doord.toml")
	example, err := os.ReadFile("../../doord.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, example, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"decode", "--config", cfgPath, "--reader", "1", capture}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"53 edges, 2 frames", "26 bits  card h10301 facility=123 number=4567 value=8065495",
		"27 bits  bad read (27 bits): bits 13 and 14 only 10µs apart, below the 150µs minimum"} {
		if !strings.Contains(got, want) {
			t.Errorf("output\n%s\nwant a line containing %q", got, want)
		}
	}
	// Flags override the config; errors name the file and the item.
	bad := filepath.Join(dir, "bad.json")
	b, _ := json.Marshal(map[string]any{"edges": []map[string]any{{"line": "d3", "at_us": 0}}})
	os.WriteFile(bad, b, 0o600)
	errOut.Reset()
	if code := run([]string{"decode", bad}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "edges[0].line") {
		t.Errorf("bad capture: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"decode", "--format", "h10999", capture}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "unknown card format") {
		t.Errorf("bad format: exit %d, %q", code, errOut.String())
	}
}
