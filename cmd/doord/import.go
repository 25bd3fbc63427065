package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/doord/doord/store"
)

const importHelp = `Sends a CSV or NDJSON list of users to the running daemon
(POST /api/v1/import) with --url (or DOORD_URL) and an operator's or
admin's token; the doors keep deciding meanwhile. merge (the default)
adds the file's users and updates the ones whose ext_id it names;
replace makes the file the whole list (users it does not name are
removed, with their cards and PINs). The file is checked whole first: a
file with any bad row writes nothing, and every bad row is listed as
FILE:LINE: column: message on stderr (exit 1). --dry-run only checks and
counts. The format comes from the file name (.csv, .ndjson, .jsonl)
unless --format says. Progress (the upload's, then the time the daemon
has been checking and writing) goes to stderr when it is a terminal or
with --progress (--progress=false: never); the summary to stdout. The README's "Import and export" section describes the columns.`

func init() {
	register(&command{name: "import", args: "FILE [--mode merge|replace] [--dry-run] [--format csv|ndjson] [--url URL --token TOKEN]",
		summary: "import a CSV or NDJSON list of users through the running daemon", help: importHelp, run: importCmd})
}

func importCmd(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	mode := fs.String("mode", "merge", "merge (add and update by ext_id) or replace (the file is the whole list)")
	dry := fs.Bool("dry-run", false, "check and count only; write nothing")
	format := fs.String("format", "", "csv or ndjson (default: from the file name)")
	progress := fs.Bool("progress", isTerminal(stderr), "show progress on stderr (default: when stderr is a terminal)")
	api := addAPIFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usageErrorf("import: give exactly one FILE")
	case *mode != "merge" && *mode != "replace":
		return usageErrorf("import: --mode must be merge or replace")
	}
	if *format == "" {
		switch strings.ToLower(filepath.Ext(pos[0])) {
		case ".csv":
			*format = "csv"
		case ".ndjson", ".jsonl":
			*format = "ndjson"
		default:
			return usageErrorf("import: say --format csv or ndjson (the file name %q does not)", filepath.Base(pos[0]))
		}
	}
	if *format != "csv" && *format != "ndjson" {
		return usageErrorf("import: --format must be csv or ndjson")
	}
	c, err := api.client("import")
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	q := url.Values{"mode": {*mode}, "format": {*format}}
	if *dry {
		q.Set("dry_run", "true")
	}
	var body io.Reader = f
	stopWaiting := func() {}
	if *progress {
		pr := &progressReader{r: f, total: fi.Size(), w: stderr, name: filepath.Base(pos[0]), sent: make(chan struct{})}
		stopWaiting = pr.waiting()
		body = pr
	}
	req, err := http.NewRequest("POST", c.base+"/api/v1/import?"+q.Encode(), body)
	if err != nil {
		return usageErrorf("import: --url: %v", err)
	}
	req.ContentLength = fi.Size()
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("Content-Type", map[string]string{"csv": "text/csv", "ndjson": "application/x-ndjson"}[*format])
	// The answer comes once the daemon checked and wrote the file: a
	// million users take about a minute after the upload, longer than the
	// client's usual wait for an answer's headers.
	hc := *c.hc
	if tr, ok := c.hc.Transport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.ResponseHeaderTimeout = 0
		hc.Transport = tr
	}
	res, err := hc.Do(req)
	stopWaiting() // before anything else is written to stderr
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer res.Body.Close()
	var sum store.ImportSummary
	switch res.StatusCode {
	case http.StatusOK, http.StatusUnprocessableEntity:
		if err := json.NewDecoder(io.LimitReader(res.Body, 16<<20)).Decode(&sum); err != nil || res.StatusCode == 422 && sum.ErrorCount == 0 {
			if res.StatusCode == 422 {
				return fmt.Errorf("import: %s answered %s (nothing was written)", c.base, res.Status)
			}
			return fmt.Errorf("import: %s answered %s with an unreadable summary: %v", c.base, res.Status, err)
		}
	default:
		ae := &apiError{status: res.StatusCode}
		var p struct{ Title, Detail string }
		if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&p) == nil {
			ae.title, ae.detail = p.Title, p.Detail
		}
		return asExit(fmt.Errorf("import: %w", ae))
	}
	if sum.ErrorCount > 0 {
		for _, e := range sum.Errors {
			fmt.Fprintf(stderr, "%s:%d: %s: %s\n", pos[0], e.Line, e.Field, e.Message)
		}
		if more := sum.ErrorCount - len(sum.Errors); more > 0 {
			fmt.Fprintf(stderr, "… and %d more\n", more)
		}
		return fmt.Errorf("import: %d rows have errors; nothing was written", sum.ErrorCount)
	}
	what := "imported"
	if sum.DryRun {
		what = "dry run, nothing written"
	}
	fmt.Fprintf(stdout, "%s (%s, %s): %d rows: %d added, %d changed, %d removed, %d unchanged\n",
		pos[0], sum.Mode, what, sum.Rows, sum.Added, sum.Changed, sum.Removed, sum.Unchanged)
	if sum.Loading {
		// Written all the same: not a failure to retry.
		fmt.Fprintf(stdout, "the fleet's list is replaced; %s is still loading it (its doors decide on the list before until then)\n", c.base)
	}
	return nil
}

// progressReader reports an upload's progress on w: every 10 %, once
// the file is sent, and then every waitTick while the daemon checks and
// writes it (the answer comes when it is done).
type progressReader struct {
	r        io.Reader
	w        io.Writer
	name     string
	total, n int64
	shown    int64 // last tenth shown
	start    time.Time
	sent     chan struct{} // closed at the body's end
	once     sync.Once
}

// waitTick is how often the wait for the daemon's answer is reported.
const waitTick = 5 * time.Second

// waiting reports the wait for the answer once the file is sent, until
// the returned function is called.
func (p *progressReader) waiting() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-p.sent:
		case <-done:
			return
		}
		t := time.NewTicker(waitTick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(p.w, "import: %s: the daemon has been checking and writing it for %v…\n", p.name, time.Since(p.start).Round(time.Second))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.total >= 1<<20 { // only a file that takes a while
		if tenth := p.n * 10 / p.total; tenth > p.shown && tenth < 10 {
			p.shown = tenth
			fmt.Fprintf(p.w, "import: %s: sent %d%% (%d of %d bytes)\n", p.name, tenth*10, p.n, p.total)
		}
	}
	if errors.Is(err, io.EOF) {
		p.once.Do(func() {
			fmt.Fprintf(p.w, "import: %s: sent in %v; the daemon is checking and writing it…\n", p.name, time.Since(p.start).Round(time.Millisecond))
			p.start = time.Now()
			close(p.sent)
		})
	}
	return n, err
}
