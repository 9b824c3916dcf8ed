package features

import (
	"errors"
	"fmt"
	"math"
)

// RowError reports a bad row in an input table. It is modelled on
// encoding/csv's ParseError: Line and Column are 1-based positions in a CSV
// file; for Parquet input Line is the 1-based row index and Column is 0.
type RowError struct {
	Path   string // file name as given by the caller
	Line   int    // 1-based line (CSV) or row (Parquet); 0 when not known
	Column int    // 1-based byte column in the line (CSV); 0 when not known
	Field  string // column name in the file, empty when the error concerns the whole row
	// StartLine is the line where the record begins, when it is not Line
	// (a quoted field spanning lines, or a quote never closed).
	StartLine int
	Err       error
}

// Error formats the error compiler-style:
// events.csv:1042:17: field "amount": parsing "12,5": invalid syntax. When
// the record began on an earlier line it says both, as encoding/csv does:
// events.csv: record on line 3; parse error on line 9, column 1: ….
func (e *RowError) Error() string {
	if e.StartLine > 0 && e.StartLine != e.Line {
		return fmt.Sprintf("%s: record on line %d; parse error on line %d, column %d: %v", e.Path, e.StartLine, e.Line, e.Column, e.Err)
	}
	pos := e.Path
	if e.Line > 0 {
		pos += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			pos += fmt.Sprintf(":%d", e.Column)
		}
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: field %q: %v", pos, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", pos, e.Err)
}

// Unwrap returns the underlying error.
func (e *RowError) Unwrap() error { return e.Err }

// SchemaError reports a problem with a table's columns as a whole: a missing
// or duplicated required column, or a column of an unusable type. It is bad
// input, like RowError, but concerns no single row.
type SchemaError struct {
	Path string
	Err  error
}

func (e *SchemaError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e *SchemaError) Unwrap() error { return e.Err }

// IsBadInput reports whether err was caused by bad input data (a *RowError
// or *SchemaError anywhere in its chain).
func IsBadInput(err error) bool {
	var re *RowError
	var se *SchemaError
	var ae *AmbiguousError
	return errors.As(err, &re) || errors.As(err, &se) || errors.As(err, &ae)
}

// Errors that the readers wrap into a RowError. Callers can match them with
// errors.Is.
var (
	ErrEmptyField     = errors.New("empty value")
	ErrInvalidUTF8    = errors.New("invalid UTF-8")
	ErrNULByte        = errors.New("NUL byte in field")
	ErrNotFinite      = errors.New("value is not finite")
	ErrBadTime        = errors.New("unrecognised timestamp")
	ErrTimeRange      = errors.New("outside the supported time range 1900-01-01 to 2099-12-31")
	ErrBadNumber      = errors.New("not a decimal number")
	ErrNumberRange    = errors.New("beyond the supported magnitude 1e15")
	ErrTooManyBadRows = errors.New("too many bad rows")
	ErrIDTooLong      = fmt.Errorf("entity id longer than %d bytes", MaxIDBytes)
)

// MaxIDBytes bounds an entity id, as the feature stage keeps ids (in a
// 16-bit length).
const MaxIDBytes = math.MaxUint16
