package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `doord — door access controller

usage:
  doord serve [--config FILE] [--listen ADDR] [--data DIR]
  doord decode [--config FILE --reader ID] [--format F] [--keypad K] [--d0 L --d1 L] CAPTURE
  doord check [--config FILE] [--data DIR] [--store]
  doord backup --out FILE [--url URL --token TOKEN | --data DIR]
  doord restore FILE --data DIR
  doord version [--tls [--config FILE] [--data DIR]]

serve runs the daemon until SIGINT or SIGTERM. The config file (TOML) sets
the board, doors and readers; --listen and --data override it.
On first start with an empty store doord creates the operator "admin" with
the password in DOORD_ADMIN_PASSWORD, or a random one it prints once and
writes to DATA/admin-password (mode 0600).

decode replays a capture of one Wiegand reader's falling edges (JSON as the
sim edges route takes it, or a gpiomon log) through the reader's decoder and
prints every frame: card, key, or bad read and why.

check validates the config file; with --store it also reads every page,
record and index of DATA/doord.db (stop doord first: the file is locked
while it runs). serve and check refuse a damaged store (empty, truncated,
bad page) with a message saying what is wrong; restore a backup then
(doord restore BACKUP --data DIR).

backup copies the store to a file (from the running daemon, or offline);
restore checks a backup and swaps it in. "doord backup --help" says more.
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return exitCode(stderr, serveCmd(ctx, args[1:], stdout, stderr))
	case "decode":
		return exitCode(stderr, decodeCmd(args[1:], stdout, stderr))
	case "check":
		return exitCode(stderr, checkCmd(args[1:], stdout, stderr))
	case "backup":
		return backupMain(args[1:], stdout, stderr)
	case "restore":
		return restoreMain(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return exitCode(stderr, versionCmd(args[1:], stdout, stderr))
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "doord: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
}

// exitCode prints a command's error and turns it into the exit code.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "doord:", err)
	}
	return 1
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
