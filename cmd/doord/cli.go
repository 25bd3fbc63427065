package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Every command shares one contract for scripts: exit 0 on success and
// for --help (usage on stdout), 2 for a command line that is wrong (the
// error and the usage on stderr), 1 for anything that failed while doing
// the work; the commands that talk to the daemon add 3, 4 and 5 for the
// API's answers a script may want to tell apart (client.go), and serve
// exits 70 after an internal fault (supervisor.go).
const (
	exitFailed   = 1
	exitUsage    = 2
	exitNotFound = 3 // the API answered 404
	exitConflict = 4 // 409: a duplicate card, PIN or ext_id
	exitRefused  = 5 // 401 or 403: no token, a bad one, or a role too low
)

// exitError carries a specific exit status; its message (if any) is
// printed like any other error's.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e exitError) Unwrap() error { return e.err }

// usageError is a wrong command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parseInterleaved parses fs from args, allowing positional arguments
// between the flags (`restore FILE --data DIR` as well as `restore --data
// DIR FILE`; Go's flag package stops at the first positional one), and
// returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// newFlags makes a flag set that prints nothing itself: cliExit decides
// where usage goes.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// cliExit turns a command's error into its exit status, printing the
// usage (synopsis, then fs's flags) where the contract above says.
func cliExit(err error, fs *flag.FlagSet, synopsis string, stdout, stderr io.Writer) int {
	printUsage := func(w io.Writer) {
		fmt.Fprintln(w, synopsis)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	var ue *usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout)
		return 0
	case errors.As(err, &ue) || isFlagError(err):
		fmt.Fprintln(stderr, "doord:", err)
		printUsage(stderr)
		return exitUsage
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(stderr, "doord:", err)
		}
		return ee.code
	default:
		fmt.Fprintln(stderr, "doord:", err)
		return exitFailed
	}
}

// flagError marks an error from FlagSet.Parse (unknown flag, bad value).
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

// parseFlags is parseInterleaved with its errors marked for cliExit.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return nil, &flagError{err: err}
	}
	return pos, err
}
