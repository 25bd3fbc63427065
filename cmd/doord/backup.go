package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
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
	api := addAPIFlags(fs)
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
	if orEnv(*api.url, "DOORD_URL") == "" {
		return usageErrorf("backup: give the daemon's --url (or DOORD_URL), or --data DIR for an offline backup")
	}
	c, err := api.client("backup")
	if err != nil {
		return err
	}
	return asExit(backupOnline(c, *out, stdout))
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

func backupOnline(c *apiClient, out string, stdout io.Writer) error {
	res, err := c.open("GET", "/api/v1/backup", nil, "application/octet-stream")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer res.Body.Close()
	n, err := store.WriteFileAtomic(out, func(w io.Writer) (int64, error) { return io.Copy(w, res.Body) })
	if err == nil && res.ContentLength >= 0 && n != res.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, res.ContentLength) // net/http reports this itself; belt and braces
	}
	if err != nil {
		return fmt.Errorf("backup: %w (%s not written)", err, out)
	}
	fmt.Fprintf(stdout, "backup from %s written to %s (%d bytes)\n", c.base, out, n)
	return nil
}

// flagSet reports whether the command line gave flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
