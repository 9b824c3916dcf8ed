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
	"syscall"

	"leadscore/predict/pipeline"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

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
	code := exitCode(ctx, err)
	fmt.Fprintf(stderr, "leadscore: %v\n", err)
	var fe *flagError
	if errors.As(err, &fe) {
		fmt.Fprintln(stderr, "Run 'leadscore --help' (or add --help to the command) for usage.")
	}
	return code
}

// exitCode is pipeline.ExitCode, a bad flag being a usage error.
func exitCode(ctx context.Context, err error) int {
	if fe := (*flagError)(nil); errors.As(err, &fe) && ctx.Err() == nil {
		return pipeline.ExitUsage
	}
	return pipeline.ExitCode(ctx, err)
}

// flagError is a usage error: a bad flag value or a missing flag.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &flagError{fmt.Errorf(format, args...)}
}
