package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/doord/doord/store"
)

const backupHelp = `Copies the whole store (users, credentials, operators with their password
hashes and sealed TOTP secrets, settings, the event log) to FILE. With
--url (or DOORD_URL) and an admin's --token (or DOORD_TOKEN) it asks the
running daemon (GET /api/v1/backup), which keeps deciding and accepting
writes meanwhile; with --data it copies DIR/doord.db directly, which
works only while no daemon has it open. FILE is written whole or not at
all (FILE.tmp*, fsync, rename). DATA/doord.key is not in the backup: keep
a copy of it too.`

func backupCmd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	out := fs.String("out", "", "file to write the backup to (required)")
	url := fs.String("url", os.Getenv("DOORD_URL"), "daemon's base URL, e.g. http://127.0.0.1:8080 (default $DOORD_URL)")
	token := fs.String("token", "", "an admin's API token (default $DOORD_TOKEN)")
	data := fs.String("data", "", "data directory, for an offline backup with no daemon running")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the store's file lock (--data)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageErrorf("backup: unexpected argument %q", pos[0])
	case *out == "":
		return usageErrorf("backup: --out FILE is required")
	case *data != "" && flagSet(fs, "url"):
		return usageErrorf("backup: give --url or --data, not both")
	}
	if *data != "" {
		return backupOffline(filepath.Join(*data, "doord.db"), *out, *timeout, stdout)
	}
	if *url == "" {
		return usageErrorf("backup: give the daemon's --url (or DOORD_URL), or --data DIR for an offline backup")
	}
	if *token == "" {
		*token = os.Getenv("DOORD_TOKEN")
	}
	if *token == "" {
		return usageErrorf("backup: an admin's --token (or DOORD_TOKEN) is required with --url")
	}
	return backupOnline(*url, *token, *out, stdout)
}

func backupOffline(db, out string, timeout time.Duration, stdout io.Writer) error {
	n, err := store.BackupClosed(db, out, timeout)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("backup: %w\na daemon holds the store: back up through it (doord backup --url URL --token TOKEN --out %s), or stop it first", err, out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes)\n", db, out, n)
	return nil
}

func backupOnline(base, token, out string, stdout io.Writer) error {
	req, err := http.NewRequest("GET", strings.TrimRight(base, "/")+"/api/v1/backup", nil)
	if err != nil {
		return usageErrorf("backup: --url: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/octet-stream, application/problem+json")
	// No overall timeout: a large store over a slow link takes what it
	// takes; the daemon cuts off a reader that stalls.
	c := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: time.Minute, Proxy: http.ProxyFromEnvironment}}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: %s answered %s%s", base, res.Status, problemDetail(res.Body))
	}
	n, err := store.WriteFileAtomic(out, func(w io.Writer) (int64, error) { return io.Copy(w, res.Body) })
	if err == nil && res.ContentLength >= 0 && n != res.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, res.ContentLength) // net/http reports this itself; belt and braces
	}
	if err != nil {
		return fmt.Errorf("backup: %w (%s not written)", err, out)
	}
	fmt.Fprintf(stdout, "backup from %s written to %s (%d bytes)\n", base, out, n)
	return nil
}

// problemDetail is ": <title>: <detail>" from a problem+json body, or "".
func problemDetail(r io.Reader) string {
	var p struct{ Title, Detail string }
	if json.NewDecoder(io.LimitReader(r, 64<<10)).Decode(&p) != nil || p.Title == "" && p.Detail == "" {
		return ""
	}
	if p.Detail == "" {
		return ": " + p.Title
	}
	return ": " + p.Title + ": " + p.Detail
}

// flagSet reports whether the command line gave flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
