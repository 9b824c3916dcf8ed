package pipeline

import (
	"context"
	"errors"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/train"
)

// Exit codes of leadscore's commands (leadscore, leadscore-beam), by the
// kind of error that ended them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2 // a bad flag, configuration or out folder
	ExitBadInput    = 3 // an input file with a bad row or schema, or a leak
	ExitMismatch    = 4 // model and data disagree, or drift beyond the limit
	ExitBusy        = 5 // another run holds the out folder
	ExitInterrupted = 130
)

// ExitCode maps an error to the exit code of its kind; ctx is the
// command's, canceled on a signal.
func ExitCode(ctx context.Context, err error) int {
	var ce *features.ConfigError
	var oe *OverwriteError
	var ue *UsageError
	var we *OwnershipError
	var le *LockedError
	var me *predict.ModelError
	var se *predict.SchemaError
	var de *predict.DriftError
	var pe *predict.PopulationError
	switch {
	case err == nil:
		return ExitOK
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ce), errors.As(err, &oe), errors.As(err, &we), errors.As(err, &ue), errors.As(err, new(*train.ColumnError)),
		errors.As(err, new(*predict.KeepError)), errors.As(err, new(*ForeignFileError)):
		return ExitUsage
	case errors.As(err, &le):
		return ExitBusy
	case errors.As(err, &me), errors.As(err, &se), errors.As(err, &de), errors.As(err, &pe):
		return ExitMismatch
	case features.IsBadInput(err), errors.As(err, new(*predict.StaleError)), errors.As(err, new(*train.LeakError)):
		return ExitBadInput
	}
	return ExitFailure
}
