package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const completionHelp = `Prints a script that completes doord's commands, subcommands and flags,
made from the same table as this help, so it never lags behind. E.g.

  doord completion bash > /etc/bash_completion.d/doord
  doord completion zsh > "${fpath[1]}/_doord"
  doord completion fish > ~/.config/fish/completions/doord.fish`

func completionCmd(fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("completion: name one shell: bash, zsh or fish")
	}
	switch pos[0] {
	case "bash":
		fmt.Fprint(stdout, bashCompletion())
	case "zsh":
		fmt.Fprint(stdout, zshCompletion())
	case "fish":
		fmt.Fprint(stdout, fishCompletion())
	default:
		return usageErrorf("completion: no completion for shell %q (bash, zsh or fish)", pos[0])
	}
	return nil
}

// flagNames is "--a --b" for c's flags.
func flagNames(c *command) string {
	var names []string
	c.flagsOf().VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
	return strings.Join(names, " ")
}

func commandNames(list []*command) string {
	var names []string
	for _, c := range list {
		names = append(names, c.name)
	}
	return strings.Join(names, " ")
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString("# doord completion for bash (doord completion bash)\n_doord() {\n")
	b.WriteString("\tlocal cur=${COMP_WORDS[COMP_CWORD]} words=\n")
	fmt.Fprintf(&b, "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n\t\twords=%q\n\telse\n\t\tcase \"${COMP_WORDS[1]}\" in\n", commandNames(commands))
	for _, c := range commands {
		switch {
		case c.name == "help":
			fmt.Fprintf(&b, "\t\thelp) words=%q ;;\n", commandNames(commands))
		case c.name == "completion":
			b.WriteString("\t\tcompletion) words=\"bash zsh fish\" ;;\n")
		case c.subs != nil:
			fmt.Fprintf(&b, "\t\t%s)\n\t\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n\t\t\t\twords=%q\n\t\t\telse\n\t\t\t\tcase \"${COMP_WORDS[2]}\" in\n", c.name, commandNames(c.subs))
			for _, s := range c.subs {
				fmt.Fprintf(&b, "\t\t\t\t%s) words=%q ;;\n", s.name, flagNames(s))
			}
			b.WriteString("\t\t\t\tesac\n\t\t\tfi ;;\n")
		default:
			fmt.Fprintf(&b, "\t\t%s) words=%q ;;\n", c.name, flagNames(c))
		}
	}
	b.WriteString("\t\tesac\n\tfi\n")
	// Flags complete only from a "-"; anything else is a file name (-o default).
	b.WriteString("\tif [ \"$COMP_CWORD\" -gt 1 ] && [ \"${cur#-}\" = \"$cur\" ] && [ \"${COMP_WORDS[1]}\" != help ] && [ \"${COMP_WORDS[1]}\" != completion ] && [ \"${words#--}\" != \"$words\" ]; then\n\t\twords=\n\tfi\n")
	b.WriteString("\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\ncomplete -o default -F _doord doord\n")
	return b.String()
}

// zshCompletion is a native zsh completion function. It works both ways
// zsh users install one: autoloaded from a file _doord in $fpath (compinit
// then makes the file's body the function _doord, which must complete on
// its very first call) and sourced (it then registers itself with
// compdef). bash's script through bashcompinit did only the second: from
// $fpath, the first TAB merely defined the functions and completed
// nothing. As in bash, flags complete from a "-", anything else is a file
// name, help and completion complete their own words.
func zshCompletion() string {
	var b strings.Builder
	b.WriteString("#compdef doord\n# doord completion for zsh (doord completion zsh)\n")
	b.WriteString("_doord_args() {\n\tif [[ $PREFIX == -* ]]; then\n\t\tcompadd -- \"$@\"\n\telse\n\t\t_files\n\tfi\n}\n\n")
	b.WriteString("_doord() {\n\tlocal -a cmds\n\tif (( CURRENT == 2 )); then\n")
	zshDescribe(&b, "\t\t", "doord command", commands)
	b.WriteString("\t\treturn\n\tfi\n\tcase $words[2] in\n")
	for _, c := range commands {
		switch {
		case c.name == "help":
			fmt.Fprintf(&b, "\thelp) compadd -- %s ;;\n", commandNames(commands))
		case c.name == "completion":
			b.WriteString("\tcompletion) compadd -- bash zsh fish ;;\n")
		case c.subs != nil:
			fmt.Fprintf(&b, "\t%s)\n\t\tif (( CURRENT == 3 )); then\n", c.name)
			zshDescribe(&b, "\t\t\t", "doord "+c.name+" command", c.subs)
			b.WriteString("\t\t\treturn\n\t\tfi\n\t\tcase $words[3] in\n")
			for _, s := range c.subs {
				fmt.Fprintf(&b, "\t\t%s) _doord_args %s ;;\n", s.name, flagNames(s))
			}
			b.WriteString("\t\tesac ;;\n")
		default:
			fmt.Fprintf(&b, "\t%s) _doord_args %s ;;\n", c.name, flagNames(c))
		}
	}
	b.WriteString("\tesac\n}\n\n")
	b.WriteString("if [[ $funcstack[1] == _doord ]]; then\n\t_doord \"$@\" # autoloaded: complete now\nelse\n\tcompdef _doord doord # sourced\nfi\n")
	return b.String()
}

// zshDescribe offers list's names with their summaries.
func zshDescribe(b *strings.Builder, indent, what string, list []*command) {
	b.WriteString(indent + "cmds=(")
	for i, c := range list {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(zshQuote(c.name + ":" + c.summary))
	}
	fmt.Fprintf(b, ")\n%s_describe -t commands %s cmds\n", indent, zshQuote(what))
}

// zshQuote single-quotes s for zsh.
func zshQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# doord completion for fish (doord completion fish)\ncomplete -c doord -f\n")
	top := commandNames(commands)
	for _, c := range commands {
		fmt.Fprintf(&b, "complete -c doord -n 'not __fish_seen_subcommand_from %s' -a %s -d %s\n", top, c.name, fishQuote(c.summary))
		switch {
		case c.name == "help":
			fmt.Fprintf(&b, "complete -c doord -n '__fish_seen_subcommand_from help' -a %s\n", fishQuote(top))
		case c.name == "completion":
			b.WriteString("complete -c doord -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
		case c.subs != nil:
			subs := commandNames(c.subs)
			for _, s := range c.subs {
				fmt.Fprintf(&b, "complete -c doord -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a %s -d %s\n",
					c.name, subs, s.name, fishQuote(s.summary))
				fishFlags(&b, fmt.Sprintf("__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s", c.name, s.name), s)
			}
		default:
			fishFlags(&b, "__fish_seen_subcommand_from "+c.name, c)
			if c.name != "version" && c.name != "serve" && c.name != "check" {
				fmt.Fprintf(&b, "complete -c doord -n '__fish_seen_subcommand_from %s' -F\n", c.name)
			}
		}
	}
	return b.String()
}

func fishFlags(b *strings.Builder, cond string, c *command) {
	c.flagsOf().VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(b, "complete -c doord -n '%s' -l %s -d %s\n", cond, f.Name, fishQuote(firstLine(f.Usage)))
	})
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
