package features

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a table column.
type Kind uint8

// Column kinds.
const (
	KindFloat  Kind = iota // float64; NaN is null
	KindString             // string; "" is null
	KindBool               // bool; never null
	KindTime               // time.Time (UTC); never null
)

func (k Kind) String() string {
	switch k {
	case KindFloat:
		return "float"
	case KindString:
		return "string"
	case KindBool:
		return "bool"
	case KindTime:
		return "time"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is one column of an in-memory table. Exactly one of the slices,
// the one matching Kind, is set.
//
// Required marks a float column that is never null (counts, sums): it is
// written as a REQUIRED Parquet column, without definition levels, and
// writing a NaN in it is an error.
//
// Written, when set, holds each row's cell as the CSV file writes it
// (spaces around it trimmed, values meaning missing empty), whatever the
// column reads as: the reader keeps it for the columns Source.Written
// names. AsWritten reads it.
type Column struct {
	Name     string
	Kind     Kind
	Required bool
	Float    []float64
	Str      []string
	Bool     []bool
	Time     []time.Time
	Written  []string
	// counts holds the values of a float column of counts instead of
	// Float in the batches BuildParquet writes as it computes them,
	// which go to the writer alone.
	counts []int32
}

// Len returns the number of values in the column.
func (c *Column) Len() int {
	switch c.Kind {
	case KindFloat:
		if c.counts != nil {
			return len(c.counts)
		}
		return len(c.Float)
	case KindString:
		return len(c.Str)
	case KindBool:
		return len(c.Bool)
	}
	return len(c.Time)
}

// IsNull reports whether row i is null.
func (c *Column) IsNull(i int) bool {
	switch c.Kind {
	case KindFloat:
		return math.IsNaN(c.Float[i])
	case KindString:
		return c.Str[i] == ""
	case KindTime:
		return c.Time[i].IsZero()
	}
	return false
}

// Text returns row i as text: "" for null, floats in shortest form, times as
// RFC 3339.
func (c *Column) Text(i int) string {
	switch c.Kind {
	case KindFloat:
		if math.IsNaN(c.Float[i]) {
			return ""
		}
		return strconv.FormatFloat(c.Float[i], 'g', -1, 64)
	case KindString:
		return c.Str[i]
	case KindBool:
		return strconv.FormatBool(c.Bool[i])
	}
	return c.Time[i].Format(time.RFC3339Nano)
}

// AsWritten returns row i as the file writes it when the column kept its
// cells (Written), else as Text does.
func (c *Column) AsWritten(i int) string {
	if c.Written != nil {
		return c.Written[i]
	}
	return c.Text(i)
}

// slice returns rows [lo, hi) of the column, sharing its storage.
func (c *Column) slice(lo, hi int) Column {
	out := Column{Name: c.Name, Kind: c.Kind, Required: c.Required}
	if c.Written != nil {
		out.Written = c.Written[lo:hi]
	}
	switch c.Kind {
	case KindFloat:
		if c.counts != nil {
			out.counts = c.counts[lo:hi]
			break
		}
		out.Float = c.Float[lo:hi]
	case KindString:
		out.Str = c.Str[lo:hi]
	case KindBool:
		out.Bool = c.Bool[lo:hi]
	case KindTime:
		out.Time = c.Time[lo:hi]
	}
	return out
}

// pick returns the column restricted to the given rows, in that order.
func (c *Column) pick(rows []int) Column {
	out := Column{Name: c.Name, Kind: c.Kind, Required: c.Required}
	if c.Written != nil {
		out.Written = make([]string, len(rows))
		for j, i := range rows {
			out.Written[j] = c.Written[i]
		}
	}
	switch c.Kind {
	case KindFloat:
		out.Float = make([]float64, len(rows))
		for j, i := range rows {
			out.Float[j] = c.Float[i]
		}
	case KindString:
		out.Str = make([]string, len(rows))
		for j, i := range rows {
			out.Str[j] = c.Str[i]
		}
	case KindBool:
		out.Bool = make([]bool, len(rows))
		for j, i := range rows {
			out.Bool[j] = c.Bool[i]
		}
	case KindTime:
		out.Time = make([]time.Time, len(rows))
		for j, i := range rows {
			out.Time[j] = c.Time[i]
		}
	}
	return out
}

// inferColumn turns text cells into a typed column: float when every
// non-empty cell is a decimal number and none is written with a leading
// zero (zeroLed), string otherwise. A decimal beyond
// MaxMagnitude is an error: big is its index, −1 when there is none.
func inferColumn(name string, cells []string) (c Column, big int) {
	fs, values, isFloat, big := parseFloats(cells)
	if !isFloat || !values {
		return Column{Name: name, Kind: KindString, Str: cells}, -1
	}
	return Column{Name: name, Kind: KindFloat, Float: fs}, big
}

// bigValueError reports the cell of a numeric column whose value is beyond
// MaxMagnitude; line is the cell's line in the file.
func bigValueError(path string, line int, field, value string) *RowError {
	return &RowError{Path: path, Line: line, Field: field, Err: fmt.Errorf("%q is %w", value, ErrNumberRange)}
}

// ParseBool reads an outcome or flag: true/false, 1/0, yes/no, y/n, won/lost,
// t/f, case-insensitive.
func ParseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "won", "win", "t", "1.0":
		return true, true
	case "false", "0", "no", "n", "lost", "loss", "f", "0.0":
		return false, true
	}
	return false, false
}
