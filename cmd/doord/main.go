package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "--version", "-version":
		name = "version"
	}
	c := findCommand(commands, name)
	if c == nil {
		fmt.Fprintf(stderr, "doord: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.exec("doord", args[1:], stdout, stderr)
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
