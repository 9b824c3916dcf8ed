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

	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes, decided here and nowhere else.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitBadInput    = 3
	exitMismatch    = 4
	exitBusy        = 5
	exitInterrupted = 130
)

// run executes the command line and returns the exit code. It is the seam
// the end-to-end tests drive.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	fmt.Fprintf(stderr, "leadscore: %v\n", err)
	var fe *flagError
	if errors.As(err, &fe) {
		fmt.Fprintln(stderr, "Run 'leadscore --help' (or add --help to the command) for usage.")
	}
	return code
}

func exitCode(ctx context.Context, err error) int {
	var fe *flagError
	var ce *features.ConfigError
	var oe *pipeline.OverwriteError
	var we *pipeline.OwnershipError
	var le *pipeline.LockedError
	var me *predict.ModelError
	var se *predict.SchemaError
	var de *predict.DriftError
	var pe *predict.PopulationError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &fe), errors.As(err, &ce), errors.As(err, &oe), errors.As(err, &we):
		return exitUsage
	case errors.As(err, &le):
		return exitBusy
	case errors.As(err, &me), errors.As(err, &se), errors.As(err, &de), errors.As(err, &pe):
		return exitMismatch
	case features.IsBadInput(err), errors.As(err, new(*predict.StaleError)):
		return exitBadInput
	}
	return exitFailure
}

// flagError is a usage error: a bad flag value or a missing flag.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &flagError{fmt.Errorf(format, args...)}
}
