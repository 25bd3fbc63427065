package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"

	"github.com/doord/doord/store"
)

const exportHelp = `Writes every user with their cards and PINs, as doord import reads them,
from the running daemon (GET /api/v1/export) with --url (or DOORD_URL)
and a token: an admin's export has PINs, an operator's has cards but no
PINs, a viewer's neither. Imported again with --mode replace, an export
changes nothing. --out FILE is written whole or not at all; without it
the export goes to stdout.`

func init() {
	register(&command{name: "export", args: "[--format csv|ndjson] [--out FILE] [--url URL --token TOKEN]",
		summary: "export the users with their cards and PINs through the running daemon", help: exportHelp, run: exportCmd})
}

func exportCmd(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	format := fs.String("format", "csv", "csv or ndjson")
	out := fs.String("out", "", "file to write (default: stdout)")
	api := addAPIFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf("export: unexpected argument %q", pos[0])
	case *format != "csv" && *format != "ndjson":
		return usageErrorf("export: --format must be csv or ndjson")
	}
	c, err := api.client("export")
	if err != nil {
		return err
	}
	res, err := c.open("GET", "/api/v1/export?"+url.Values{"format": {*format}}.Encode(), nil, "*/*")
	if err != nil {
		return asExit(fmt.Errorf("export: %w", err))
	}
	defer res.Body.Close()
	// The daemon ends a failed export without the chunked body's last
	// chunk: io.Copy then fails, and --out is not written.
	if *out == "" {
		if _, err := io.Copy(stdout, res.Body); err != nil {
			return fmt.Errorf("export: cut short: %w", err)
		}
		return nil
	}
	n, err := store.WriteFileAtomic(*out, func(w io.Writer) (int64, error) { return io.Copy(w, res.Body) })
	if err != nil {
		return fmt.Errorf("export: %w (%s not written)", err, *out)
	}
	fmt.Fprintf(stderr, "export from %s written to %s (%d bytes)\n", c.base, *out, n)
	return nil
}
