package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segkit/segkit/internal/dataio"

	"github.com/segkit/segkit/segment"
)

// env is what a command may touch: its streams. Tests supply buffers.
type env struct {
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	stderrIsTTY bool
}

// doc describes a command for the command list and its --help.
type doc struct {
	name    string // "eval", or "index build" for a subcommand
	summary string
	usage   string // argument synopsis
	example string // one or more command lines, starting with "segkit NAME"
}

// command is one subcommand: a small struct holding its flags. A fresh value
// is made for every run (see commands in main.go).
type command interface {
	doc() doc
	// flags declares the command's flags, bound to the struct's fields.
	flags(fs *flag.FlagSet)
	// run runs the command after flag parsing, with the positional args.
	run(ctx context.Context, e *env, args []string) error
}

// argsTaker is a command that takes positional arguments ("fit bgnbd");
// the others get a usage error for any, before they run.
type argsTaker interface{ takesArgs() }

// cmd returns a constructor of T's zero value as a command: the entries of
// the table in main.go.
func cmd[T any, P interface {
	*T
	command
}]() command {
	return P(new(T))
}

// usageError is a mistake in how the command was called (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// ruleError wraps a rule that does not compile (exit 2).
type ruleError struct{ err error }

func (e *ruleError) Error() string { return e.err.Error() }
func (e *ruleError) Unwrap() error { return e.err }

// lookup returns a fresh command called name, or nil.
func lookup(name string) command {
	for _, mk := range commands {
		if c := mk(); c.doc().name == name {
			return c
		}
	}
	return nil
}

// group returns the commands whose names start with prefix + " " ("index").
func group(prefix string) []doc {
	var out []doc
	for _, mk := range commands {
		if d := mk().doc(); strings.HasPrefix(d.name, prefix+" ") {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// run dispatches args to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := resolve(args[1:]); c != nil {
				printUsage(e.stdout, c, nil)
				return 0
			}
			if g := group(args[1]); len(g) > 0 {
				printCommands(e.stdout, g, "segkit "+args[1])
				return 0
			}
		}
		printCommands(e.stdout, allDocs(), "segkit")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c := resolve(args)
	if c == nil {
		if g := group(args[0]); len(g) > 0 && (len(args) == 1 || strings.HasPrefix(args[1], "-")) {
			// "segkit index" alone, or "segkit index --help": the subcommands.
			if len(args) > 1 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help") {
				printCommands(e.stdout, g, "segkit "+args[0])
				return 0
			}
			printCommands(e.stderr, g, "segkit "+args[0])
			return 2
		}
		fmt.Fprintf(e.stderr, "segkit: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printCommands(e.stderr, allDocs(), "segkit")
		return 2
	}
	d := c.doc()
	rest := args[len(strings.Fields(d.name)):]
	fs := flag.NewFlagSet("segkit "+d.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.flags(fs)
	positional, err := parseInterleaved(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(e.stdout, c, fs)
			return 0
		}
		fmt.Fprintf(e.stderr, "segkit %s: %s\n\n", d.name, clip(err.Error()))
		printUsage(e.stderr, c, fs)
		return 2
	}
	if _, ok := c.(argsTaker); !ok && len(positional) > 0 {
		return report(e, d.name, usagef("unexpected arguments %q (quote values with spaces, and give them to a flag)", positional))
	}
	return report(e, d.name, c.run(ctx, e, positional))
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("fit bgnbd --summary F"); "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func report(e *env, name string, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	var re *ruleError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "segkit %s: %s\nRun 'segkit %s --help' for usage.\n", name, clip(ue.msg), name)
		return 2
	case errors.As(err, &re):
		fmt.Fprintf(e.stderr, "segkit %s: %s\n", name, clip(strings.TrimRight(re.err.Error(), "\n")))
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "segkit %s: interrupted\n", name)
		return 1
	default:
		fmt.Fprintf(e.stderr, "segkit %s: %s\n", name, clip(strings.TrimRight(err.Error(), "\n")))
		return 1
	}
}

// quoted matches a Go-quoted string in a message.
var quoted = regexp.MustCompile(`"(?:[^"\\\n]|\\.)*"`)

// maxLine bounds one line of a message on stderr.
const maxLine = 2000

// clip shortens what a message quotes from the input: every quoted value
// longer than dataio.MaxQuoted bytes is cut to that (with its length noted),
// whichever package wrote the message, and a line still longer than maxLine
// is cut. A 50 MB field or rule is never echoed whole.
func clip(msg string) string {
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= dataio.MaxQuoted+2 {
			return q
		}
		if s, err := strconv.Unquote(q); err == nil {
			return dataio.Quote(s)
		}
		return q
	})
	if len(msg) <= maxLine {
		return msg
	}
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if len(l) > maxLine {
			cut := maxLine
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			lines[i] = fmt.Sprintf("%s… (%d bytes)", l[:cut], len(l))
		}
	}
	return strings.Join(lines, "\n")
}

// resolve finds the longest command name that prefixes args ("index build").
func resolve(args []string) command {
	if len(args) >= 2 {
		if c := lookup(args[0] + " " + args[1]); c != nil {
			return c
		}
	}
	return lookup(args[0])
}

func allDocs() []doc {
	ds := make([]doc, 0, len(commands))
	for _, mk := range commands {
		ds = append(ds, mk().doc())
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].name < ds[j].name })
	return ds
}

func printCommands(w io.Writer, ds []doc, prog string) {
	if prog == "segkit" {
		fmt.Fprintln(w, "segkit: customer segmentation from the command line")
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "usage: %s COMMAND [flags]\n\ncommands:\n", prog)
	for _, d := range ds {
		fmt.Fprintf(w, "  %-14s %s\n", d.name, d.summary)
	}
	fmt.Fprintln(w, "\nRun 'segkit COMMAND --help' for a command's flags and an example.")
	fmt.Fprintln(w, "File formats: "+formatsDoc)
	fmt.Fprintln(w, "Exit codes: 0 success, 1 data or runtime error, 2 usage or rule error.")
}

// formatsDoc is where every input file format is documented.
const formatsDoc = "docs/formats.md (https://github.com/segkit/segkit/blob/main/docs/formats.md)"

func printUsage(w io.Writer, c command, fs *flag.FlagSet) {
	d := c.doc()
	fmt.Fprintf(w, "usage: segkit %s %s\n\n%s\n", d.name, d.usage, d.summary)
	if fs == nil {
		fs = flag.NewFlagSet(d.name, flag.ContinueOnError)
		c.flags(fs)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if d.example != "" {
		fmt.Fprintf(w, "\nexample:\n  %s\n", strings.ReplaceAll(strings.TrimSpace(d.example), "\n", "\n  "))
	}
	fmt.Fprintf(w, "\nFile formats: %s\n", formatsDoc)
}

// compileRule compiles a rule, turning a compile error into a ruleError.
func compileRule(src string, opts ...segment.Option) (*segment.Rule, error) {
	r, err := segment.Compile(src, opts...)
	if err != nil {
		return nil, &ruleError{err}
	}
	return r, nil
}

// progress reports long operations on stderr when it is a terminal or when
// --progress is given.
type progress struct {
	w       io.Writer
	enabled bool
}

func newProgress(e *env, flagOn bool) *progress {
	return &progress{w: e.stderr, enabled: flagOn || e.stderrIsTTY}
}

func (p *progress) printf(format string, a ...any) {
	if p.enabled {
		fmt.Fprintf(p.w, format+"\n", a...)
	}
}
