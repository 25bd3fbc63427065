package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/doord/doord/board"
	"github.com/doord/doord/board/wiegand"
)

const decodeHelp = `Replays a capture of one Wiegand reader's falling edges (JSON as the sim
edges route takes it, or a gpiomon log) through the daemon's own decoder
and prints every frame: card, key, or bad read and why. The reader's
settings come from --config and --reader; flags given override them.`

// decodeCmd is `doord decode FILE`: a capture of one reader's falling edges
// (the sim edges route's JSON, or a gpiomon log) decoded offline by the
// daemon's own decoder, one line per frame — so an installer can see what
// a misbehaving reader sent and why it was refused.
func decodeCmd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	cfgPath := fs.String("config", "", "config file (TOML) to take the reader's settings from (with --reader)")
	readerID := fs.String("reader", "", "reader id in --config")
	format := fs.String("format", "", "card format: h10301, 34bit, c1000, h10304, raw or auto (default auto)")
	keypad := fs.String("keypad", "", "keypad: 4bit, 8bit, auto or none (default none)")
	gap := fs.Duration("gap", 0, "frame gap (default 25ms)")
	minIv := fs.Duration("min-interval", 0, "shortest bit interval accepted (default 150µs)")
	d0 := fs.String("d0", "", "D0 line as a gpiomon log names it (offset or name; default: the reader's pin with --config)")
	d1 := fs.String("d1", "", "D1 line as a gpiomon log names it")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("decode: want one capture file, got %d arguments", len(pos))
	}
	var rc board.ReaderConfig
	if *cfgPath != "" || *readerID != "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		found := false
		for _, r := range cfg.Board.Readers {
			if r.ID == *readerID {
				rc, found = r, true
			}
		}
		if !found {
			return fmt.Errorf("decode: no reader %q in %s", *readerID, *cfgPath)
		}
		if *d0 == "" && *d1 == "" {
			*d0, *d1 = cfg.Board.Pins[rc.D0], cfg.Board.Pins[rc.D1]
		}
	}
	dc := rc.DecoderConfig()
	fs.Visit(func(f *flag.Flag) { // flags given override the config
		switch f.Name {
		case "format":
			dc.Format = *format
		case "keypad":
			dc.Keypad = *keypad
		case "gap":
			dc.Gap = *gap
		case "min-interval":
			dc.MinInterval = *minIv
		}
	})
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	edges, err := wiegand.ParseCapture(data, *d0, *d1)
	if err != nil {
		return fmt.Errorf("decode: %s: %w", pos[0], err)
	}
	results, err := wiegand.Decode(edges, dc)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	fmt.Fprintf(stdout, "%s, %s\n", plural(len(edges), "edge"), plural(len(results), "frame"))
	for _, r := range results {
		fmt.Fprintf(stdout, "%12s  %2d bits  %s\n", r.At.Sub(edges[0].At), r.Bits, r)
	}
	return nil
}

// plural is "1 frame", "2 frames", "0 frames".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
