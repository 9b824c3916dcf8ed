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
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	for _, hint := range []string{timeHint(cmd, err), skipHint(cmd, err)} {
		if hint != "" {
			fmt.Fprintln(stderr, hint)
		}
	}
	return code
}

// timeHint names the --time-format (or time_format) that reads a
// timestamp the command could not, when one of the date patterns does:
// an export's dd.mm.yyyy dates, say. A file given by a flag with a
// --ROLE-time-format of its own is named by that flag.
func timeHint(cmd *cobra.Command, err error) string {
	var te *features.TimeError
	var re *features.RowError
	if cmd == nil || !errors.As(err, &te) || !errors.As(err, &re) {
		return ""
	}
	fits := features.DatePatternsOf(te.Value)
	if len(fits) == 0 {
		return ""
	}
	reads := fmt.Sprintf("%q reads as %s", te.Value, strings.Join(fits, " or as "))
	if cmd.Name() == "run" || cmd.Name() == "backtest" {
		if len(fits) > 1 {
			return reads + ": set time_format on that file in the config to the one it writes."
		}
		return fmt.Sprintf("%s: set time_format: %q on that file in the config.", reads, fits[0])
	}
	name := "time-format"
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		role, ok := strings.CutSuffix(f.Name, "-time-format")
		if p := cmd.Flags().Lookup(role); ok && p != nil && p.Value.String() != "" {
			if m, _ := filepath.Match(p.Value.String(), re.Path); m || p.Value.String() == re.Path {
				name = f.Name
			}
		}
	})
	if cmd.Flags().Lookup(name) == nil {
		return ""
	}
	if len(fits) > 1 {
		return fmt.Sprintf("%s: add --%s with the one the file writes.", reads, name)
	}
	return fmt.Sprintf("%s: add --%s %q.", reads, name, fits[0])
}

// skipHint tells how to skip a bad row, when the command stopped at the
// first one and can skip them (an export's rows without a customer, say;
// not a file's numbers written two ways, which no row is at fault for).
func skipHint(cmd *cobra.Command, err error) string {
	var re *features.RowError
	if cmd == nil || !errors.As(err, &re) || errors.Is(err, features.ErrTooManyBadRows) || errors.Is(err, features.ErrMixedNumbers) ||
		errors.Is(err, pipeline.ErrListedTwice) {
		return ""
	}
	switch {
	case cmd.Name() == "inspect":
		return "To skip (and count) such rows, add --max-bad-rows N."
	case cmd.Flags().Lookup("max-bad-rows") != nil:
		return "To skip such rows into a quarantine file beside the output, add --max-bad-rows N."
	case cmd.Name() == "run" || cmd.Name() == "backtest":
		return "To skip such rows into a quarantine file in the run folder, set max_bad_rows: N in the config."
	}
	return ""
}
