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

const checkHelp = `Checks the config file as serve reads it: TOML syntax and unknown keys
with their line and column, then every setting, all problems at once.
With --store it also reads every page, record and index of
DATA/doord.db (bbolt's page check and doord's index check). Stop doord
first: the store's file is locked while it runs. serve and check refuse a
damaged store (empty, truncated, bad page) with a message saying what is
wrong; restore a backup then (doord restore BACKUP --data DIR).`

// checkCmd is `doord check [--config FILE] [--data DIR] [--store]`: it
// validates the config file and, with --store, reads every page and
// record of the store (bbolt's page check and doord's index check). It
// opens the file exactly as serve does, so a file serve would refuse is
// refused here with the same message. Run it with doord stopped: the
// store's file lock is exclusive.
func checkCmd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	cfgPath := fs.String("config", "", "config file (TOML)")
	data := fs.String("data", "", "data directory (overrides the config; default ./data)")
	full := fs.Bool("store", false, "check the whole store: every page, record and index")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("check: unexpected argument %q", pos[0])
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.Data = *data
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if *cfgPath != "" {
		fmt.Fprintf(stdout, "config %s: ok\n", *cfgPath)
	} else {
		fmt.Fprintln(stdout, "no --config: the defaults are valid (and there is no board)")
	}
	if !*full {
		return nil
	}
	path := filepath.Join(cfg.Data, "doord.db")
	// store.Open makes a new store where there is no file; a check must not.
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	t0 := time.Now()
	st, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		if errors.Is(err, store.ErrDamaged) {
			return err
		}
		return fmt.Errorf("store %s: %w\nThe indexes disagree with the records: restore a backup of doord.db, or report it", path, err)
	}
	stats, err := st.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "store %s: ok (%d users, %d credentials, %d bytes, seq %d; checked in %s)\n",
		path, stats.Users, stats.Credentials, stats.FileSize, stats.Seq, time.Since(t0).Round(time.Millisecond))
	return nil
}
