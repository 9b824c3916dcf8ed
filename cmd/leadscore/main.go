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
	err := root.ExecuteContext(ctx)
	if err == nil {
		return pipeline.ExitOK
	}
	code := pipeline.ExitCode(ctx, err)
	fmt.Fprintf(stderr, "leadscore: %v\n", err)
	if ue := (*pipeline.UsageError)(nil); errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'leadscore --help' (or add --help to the command) for usage.")
	}
	return code
}
