package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/doord/doord/store"
)

const restoreHelp = `Replaces DIR/doord.db with the backup FILE. Stop doord first: restore
refuses while a daemon holds the store. FILE is checked before anything
changes (it must open as a doord store and pass the store's consistency
check); then the current store is renamed to
DIR/doord.db.before-restore-<time> and the backup takes its place. If the
restored store does not open, the old one is put back. The old file is
kept: delete it once the restored store is known to be right.
Operators' TOTP secrets are sealed with DIR/doord.key, which is not in
the backup: on another machine copy the key file from the one that took
the backup, or those operators must enrol TOTP again.`

func restoreCmd(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	data := fs.String("data", "", "data directory whose store to replace (required)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the store's file lock")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usageErrorf("restore: want one backup FILE, got %d arguments", len(pos))
	case *data == "":
		return usageErrorf("restore: --data DIR is required")
	}
	if fi, err := os.Stat(*data); err != nil || !fi.IsDir() {
		return fmt.Errorf("restore: data directory %s: not a directory (%v)", *data, err)
	}
	db := filepath.Join(*data, "doord.db")
	key := filepath.Join(*data, "doord.key")
	_, keyErr := os.Stat(key) // before Restore: opening the store makes a key where there is none
	res, err := store.Restore(pos[0], db, store.Options{Timeout: *timeout})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\na daemon holds the store: stop it (e.g. systemctl stop doord), then restore", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d users, %d credentials, %d operators\n",
		pos[0], db, res.Stats.Users, res.Stats.Credentials, res.Stats.Operators)
	if res.Before != "" {
		fmt.Fprintf(stdout, "the previous store is kept at %s; delete it once the restored one is known to be right\n", res.Before)
	}
	if keyErr != nil {
		fmt.Fprintf(stderr, "doord: note: %s was missing. Operators' TOTP secrets in the backup are sealed with the key of the machine that took it: copy that machine's DATA/doord.key to %s before starting doord, or those operators must enrol TOTP again (their logins with a code fail until then).\n", key, key)
	}
	return nil
}
