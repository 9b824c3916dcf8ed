package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// UsageError is a bad or missing option of a job: what a command's flag or
// a setting gives. Option names the flag without its dashes ("as-of"), or
// is empty when the error concerns several.
type UsageError struct {
	Option string
	Err    error
}

func (e *UsageError) Error() string {
	if e.Option == "" {
		return e.Err.Error()
	}
	return "--" + e.Option + ": " + e.Err.Error()
}

func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError about no single option.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// openSetting opens a file of settings (pipeline.yaml, a rules, spec or
// predict.yaml file, segments) that a flag or key names: one that is not
// there is a UsageError saying what it was to be.
func openSetting(what, path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Usagef("%s %s: no such file", what, path)
	}
	return f, err
}

// readModel reads a model file or folder that a flag or key names: one
// that is not there is a UsageError.
func readModel(path string) (*predict.Model, error) {
	m, err := predict.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Usagef("model %s: no such file or folder", path)
	}
	return m, err
}

// badOption returns a UsageError about one option.
func badOption(option string, err error) error {
	return &UsageError{Option: option, Err: err}
}

// ParseDate reads the date an option gives, in any of the data contract's
// timestamp forms, within the supported range.
func ParseDate(option, s string) (time.Time, error) {
	t, err := features.ParseTime(s)
	if err == nil {
		err = features.CheckTime(t)
	}
	if err != nil {
		return time.Time{}, badOption(option, err)
	}
	return t, nil
}

// ParseDates reads the list of dates an option gives.
func ParseDates(option string, list []string) ([]time.Time, error) {
	var out []time.Time
	for _, d := range list {
		t, err := ParseDate(option, strings.TrimSpace(d))
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, t.Equal) {
			return nil, badOption(option, fmt.Errorf("%s is listed twice", t.Format(time.DateOnly)))
		}
		out = append(out, t)
	}
	return out, nil
}

// ParseHorizon reads a horizon option such as 90d; "" is 0.
func ParseHorizon(option, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	days, err := features.ParseHorizon(s)
	if err != nil {
		return 0, badOption(option, err)
	}
	return days, nil
}

// parseColumns turns name=column settings into a mapping; name= (no
// column) says the file has none for an optional contract column.
func parseColumns(pairs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range pairs {
		name, col, ok := strings.Cut(f, "=")
		name, col = strings.TrimSpace(name), strings.TrimSpace(col)
		if !ok || name == "" {
			return nil, Usagef("--col %q: want name=column, as in --col entity_id=\"Lead Number\"", f)
		}
		m[name] = col
	}
	return m, nil
}

// parseSep reads a field separator: a single character, or "tab".
func parseSep(s string) (rune, error) {
	r, err := features.ParseSep(s)
	if err != nil {
		return 0, badOption("sep", err)
	}
	return r, nil
}

// logger returns log, or a logger that drops everything when it is nil.
func logger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
