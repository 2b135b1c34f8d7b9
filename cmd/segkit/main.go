// Command segkit segments customers from the command line: it generates
// synthetic populations, builds and inspects bitmap indexes, evaluates rules
// and named segments, and runs the RFM, lifecycle, predictive, tier, persona
// and campaign-split models on CSV and JSON Lines files.
//
// Run "segkit help" for the list of subcommands and "segkit CMD --help" for
// one, with an example. Every input file format is described in
// docs/formats.md.
//
// Exit codes: 0 success, 1 data or runtime error, 2 usage or rule error.
package main

import (
	"context"
	"os"
	"os/signal"
)

// commands lists every subcommand, one line each; each is a small struct
// (cmd_NAME.go) with its flags, its run method and its help example.
var commands = []func() command{
	cmd[creditCmd],
	cmd[designCmd],
	cmd[evalCmd],
	cmd[exportCmd],
	cmd[fitCmd],
	cmd[genCmd],
	cmd[indexApplyCmd],
	cmd[indexBuildCmd],
	cmd[indexStatsCmd],
	cmd[lifecycleCmd],
	cmd[measureCmd],
	cmd[personaCmd],
	cmd[profileCmd],
	cmd[replayCmd],
	cmd[respondersCmd],
	cmd[retentionCmd],
	cmd[rfmCmd],
	cmd[segmentsCmd],
	cmd[splitCmd],
	cmd[sqlCmd],
	cmd[sqlDDLCmd],
	cmd[summaryCmd],
	cmd[tierCmd],
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stderrIsTTY: isTerminal(os.Stderr)})
	stop()
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
