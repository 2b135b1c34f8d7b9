package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/segkit/segkit/segment"
)

// env is what a command may touch: its streams. Tests supply buffers.
type env struct {
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	stderrIsTTY bool
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // argument synopsis
	example string
	// setup declares the flags; it returns a function that runs after parsing.
	setup func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// usageError is a mistake in how the command was called (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// ruleError wraps a rule that does not compile (exit 2).
type ruleError struct{ err error }

func (e *ruleError) Error() string { return e.err.Error() }
func (e *ruleError) Unwrap() error { return e.err }

var commands []*command

func register(c *command) { commands = append(commands, c) }

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run dispatches args to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := resolve(args[1:]); c != nil {
				printUsage(e.stdout, c, nil)
				return 0
			}
		}
		printCommands(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c := resolve(args)
	if c == nil {
		fmt.Fprintf(e.stderr, "segkit: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printCommands(e.stderr)
		return 2
	}
	rest := args[len(strings.Fields(c.name)):]
	fs := flag.NewFlagSet("segkit "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	after := c.setup(fs)
	positional, err := parseInterleaved(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(e.stdout, c, fs)
			return 0
		}
		fmt.Fprintf(e.stderr, "segkit %s: %v\n\n", c.name, err)
		printUsage(e.stderr, c, fs)
		return 2
	}
	return report(e, c, after(ctx, e, positional))
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

func report(e *env, c *command, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	var re *ruleError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "segkit %s: %s\nRun 'segkit %s --help' for usage.\n", c.name, ue.msg, c.name)
		return 2
	case errors.As(err, &re):
		fmt.Fprintf(e.stderr, "segkit %s: %s\n", c.name, strings.TrimRight(re.err.Error(), "\n"))
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "segkit %s: interrupted\n", c.name)
		return 1
	default:
		fmt.Fprintf(e.stderr, "segkit %s: %s\n", c.name, strings.TrimRight(err.Error(), "\n"))
		return 1
	}
}

// resolve finds the longest command name that prefixes args ("index build").
func resolve(args []string) *command {
	if len(args) >= 2 {
		if c := lookup(args[0] + " " + args[1]); c != nil {
			return c
		}
	}
	return lookup(args[0])
}

func printCommands(w io.Writer) {
	fmt.Fprintln(w, "segkit: customer segmentation from the command line")
	fmt.Fprintln(w, "\nusage: segkit COMMAND [flags]\n\ncommands:")
	cs := append([]*command(nil), commands...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'segkit COMMAND --help' for a command's flags and an example.")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 data or runtime error, 2 usage or rule error.")
}

func printUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: segkit %s %s\n\n%s\n", c.name, c.usage, c.summary)
	if fs == nil {
		fs = flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if c.example != "" {
		fmt.Fprintf(w, "\nexample:\n  %s\n", strings.ReplaceAll(strings.TrimSpace(c.example), "\n", "\n  "))
	}
}

// parseNow parses --now: YYYY-MM-DD (end of that day is not implied: the
// day itself is "today") or RFC 3339.
func parseNow(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, usagef("--now is required (YYYY-MM-DD or RFC 3339): segkit never reads the clock to decide a window")
	}
	if loc == nil {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--now %q: want YYYY-MM-DD or RFC 3339", s)
}

func openFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	return f, nil
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
