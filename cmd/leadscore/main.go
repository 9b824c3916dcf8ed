// Command leadscore turns CRM and marketing events into a ranked, explained
// call list: point-in-time features, expiring rule points, a model trained on
// won and lost deals, and a blended 0–100 score per lead.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict/pipeline"
)

func main() {
	// The feature stage holds its events in large arrays that live until
	// the table is built; collecting when the heap has grown by half
	// rather than doubled keeps its peak memory lower (README, "GOGC").
	setGCPercent(50)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// setGCPercent sets how much the heap grows between collections, unless
// the GOGC environment variable says.
func setGCPercent(p int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(p)
	}
}

// run executes the command line and returns the exit code. It is the seam
// the end-to-end tests drive.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return pipeline.ExitOK
	}
	code := pipeline.ExitCode(ctx, err)
	fmt.Fprintf(stderr, "leadscore: %v\n", err)
	if ue := (*pipeline.UsageError)(nil); errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'leadscore --help' (or add --help to the command) for usage.")
	}
	if hint := skipHint(cmd, err); hint != "" {
		fmt.Fprintln(stderr, hint)
	}
	return code
}

// skipHint tells how to skip a bad row, when the command stopped at the
// first one and can skip them (an export's rows without a customer, say).
func skipHint(cmd *cobra.Command, err error) string {
	var re *features.RowError
	if cmd == nil || !errors.As(err, &re) || errors.Is(err, features.ErrTooManyBadRows) {
		return ""
	}
	switch {
	case cmd.Flags().Lookup("max-bad-rows") != nil:
		return "To skip such rows into a quarantine file beside the output, add --max-bad-rows N."
	case cmd.Name() == "run" || cmd.Name() == "backtest":
		return "To skip such rows into a quarantine file in the run folder, set max_bad_rows: N in the config."
	}
	return ""
}
