package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one `doord NAME` (or `doord NAME SUB`). The dispatcher, the
// help, `doord help NAME` and shell completion all read this one table,
// so a command added here is documented and completed everywhere.
type command struct {
	name    string
	args    string // the synopsis after "doord NAME", e.g. "[--config FILE] [--data DIR]"
	summary string // one line for the command list
	help    string // what the command does, after its usage line
	// run defines its flags on fs, parses args with parseFlags and then
	// does the work; it must do nothing before parsing (`help NAME` and
	// completion run it with --help to read its flags). Its error decides
	// the exit status (cliExit).
	run  func(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error
	subs []*command // `doord user list`: a command with subs has no run
}

// commands is the table, filled by register from each command's file.
var commands []*command

// register adds a top-level command. Call it from an init function in
// the command's own file.
func register(c *command) {
	if findCommand(commands, c.name) != nil {
		panic("doord: command " + c.name + " registered twice")
	}
	commands = append(commands, c)
	slices.SortFunc(commands, func(a, b *command) int { return strings.Compare(a.name, b.name) })
}

func findCommand(list []*command, name string) *command {
	for _, c := range list {
		if c.name == name {
			return c
		}
	}
	return nil
}

func init() {
	register(&command{name: "serve", args: "[--config FILE] [--listen ADDR] [--data DIR]",
		summary: "run the daemon until SIGINT or SIGTERM", help: serveHelp, run: serveRun})
	register(&command{name: "decode", args: "[--config FILE --reader ID] [--format F] [--keypad K] [--gap D] [--min-interval D] [--d0 L --d1 L] CAPTURE",
		summary: "decode a capture of a Wiegand reader's edges offline", help: decodeHelp, run: decodeCmd})
	register(&command{name: "check", args: "[--config FILE] [--data DIR] [--store]",
		summary: "check the config file and, with --store, the store (offline)", help: checkHelp, run: checkCmd})
	register(&command{name: "backup", args: "--out FILE [--url URL --token TOKEN | --data DIR]",
		summary: "copy the store to a file, from the running daemon or offline", help: backupHelp, run: backupCmd})
	register(&command{name: "restore", args: "FILE --data DIR",
		summary: "check a backup and swap it in for the store (daemon stopped)", help: restoreHelp, run: restoreCmd})
	register(&command{name: "version", args: "[--tls [--config FILE] [--data DIR]]",
		summary: "print the version (and the TLS certificate's fingerprint)", help: versionHelp, run: versionCmd})
	register(&command{name: "help", args: "[COMMAND [SUBCOMMAND]]",
		summary: "print the help of doord or of one command", help: "Prints the command's help, as COMMAND --help does.", run: helpCmd})
	register(&command{name: "completion", args: "bash|zsh|fish",
		summary: "print a shell completion script", help: completionHelp, run: completionCmd})
}

func usage(w io.Writer) {
	fmt.Fprint(w, "doord — door access controller\n\nusage: doord COMMAND [flags] [arguments]\n\ncommands:\n")
	listCommands(w, "doord", commands)
	fmt.Fprint(w, `
"doord help COMMAND" or "doord COMMAND --help" prints a command's help.

Exit status: 0 done (and for --help), 1 failed, 2 wrong command line
(the error and the usage on stderr); the commands that talk to the
daemon also exit 3 when the user or card does not exist (404), 4 on a
conflict such as a card another user has (409), 5 when the token is
refused (401, 403). serve exits 70 after an internal fault (the relays
secured first), so that systemd starts it again.
`)
}

func listCommands(w io.Writer, prefix string, list []*command) {
	width := 0
	for _, c := range list {
		width = max(width, len(c.name))
	}
	for _, c := range list {
		fmt.Fprintf(w, "  %s %-*s  %s\n", prefix, width, c.name, c.summary)
	}
}

// exec runs c with args; path is how the user called it ("doord user").
func (c *command) exec(path string, args []string, stdout, stderr io.Writer) int {
	path += " " + c.name
	if c.subs == nil {
		fs := newFlags(path)
		err := c.run(fs, args, stdout, stderr)
		return cliExit(err, fs, c.synopsis(path, fs), stdout, stderr)
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, "doord: %s: which command?\n", path)
		c.printUsage(stderr, path)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		c.printUsage(stdout, path)
		return 0
	}
	sub := findCommand(c.subs, args[0])
	if sub == nil {
		fmt.Fprintf(stderr, "doord: %s: unknown command %q\n", path, args[0])
		c.printUsage(stderr, path)
		return exitUsage
	}
	return sub.exec(path, args[1:], stdout, stderr)
}

// printUsage is the help of a command with subcommands: its usage line,
// what it is for, and the subcommands.
func (c *command) printUsage(w io.Writer, path string) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags] [arguments]\n\n%s\n\ncommands:\n", path, c.help)
	listCommands(w, path, c.subs)
	fmt.Fprintf(w, "\n\"%s COMMAND --help\" prints a command's help.\n", path)
}

// synopsis is a command's help before its flags (which cliExit prints
// after it): the usage line and what it does.
func (c *command) synopsis(path string, fs *flag.FlagSet) string {
	s := fmt.Sprintf("usage: %s %s", path, c.args)
	if c.help != "" {
		s += "\n\n" + strings.TrimSpace(c.help)
	}
	if hasFlags(fs) {
		s += "\n\nflags:"
	}
	return s
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// flagsOf returns c's flags, defined by running it with --help.
func (c *command) flagsOf() *flag.FlagSet {
	fs := newFlags(c.name)
	if c.run != nil {
		_ = c.run(fs, []string{"--help"}, io.Discard, io.Discard)
	}
	return fs
}

// helpCmd is `doord help [COMMAND [SUBCOMMAND]]`.
func helpCmd(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		usage(stdout)
		return nil
	}
	list, path := commands, "doord"
	for i, name := range pos {
		c := findCommand(list, name)
		if c == nil {
			return usageErrorf("help: %s has no command %q", path, name)
		}
		if c.subs == nil || i == len(pos)-1 {
			if i != len(pos)-1 {
				return usageErrorf("help: %s %s has no subcommands", path, name)
			}
			if code := c.exec(path, []string{"--help"}, stdout, stderr); code != 0 {
				return exitError{code: code}
			}
			return nil
		}
		list, path = c.subs, path+" "+name
	}
	return nil
}
