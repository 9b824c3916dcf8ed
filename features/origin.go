package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// origin is where a table's rows came from: a flat file, whose row k is
// the k-th record that is neither blank nor a bad row skipped; rows maps
// the table's rows to those numbers after rows were picked (nil: the
// same).
type origin struct {
	src  Source
	csv  bool
	rows []int
}

// pick returns the origin of rows [lo, hi), or of the listed rows when
// rows is set.
func (o *origin) pick(lo, hi int, rows []int) *origin {
	if o == nil {
		return nil
	}
	at := func(i int) int {
		if o.rows != nil {
			return o.rows[i]
		}
		return i
	}
	if rows == nil {
		rows = make([]int, hi-lo)
		for k := range rows {
			rows[k] = lo + k
		}
	}
	out := &origin{src: o.src, csv: o.csv, rows: make([]int, len(rows))}
	for k, i := range rows {
		out.rows[k] = at(i)
	}
	return out
}

// blankRecord reports whether every field of a record is empty or blank,
// as spreadsheets write rows below the data (",,,,"): such a record is no
// row of a flat table.
func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// RowError returns err about row i's value in column field as a *RowError
// naming the row's line and column in the file the table was read from
// (ReadTable), found by reading the file again: errors are rare and the
// table keeps no positions. A table not read from a file names row i+1.
func (t *Table) RowError(i int, field string, err error) error {
	o := t.origin
	if o == nil {
		return fmt.Errorf("row %d: field %q: %w", i+1, field, err)
	}
	k := i
	if o.rows != nil {
		k = o.rows[i]
	}
	re := &RowError{Path: o.src.Path, Line: k + 1, Field: field, Err: err}
	if o.csv {
		if line, col, ok := csvPlace(o.src, k, field); ok {
			re.Line, re.Column = line, col
		}
	}
	return re
}

// Path returns the file a table was read from, "" when it was not.
func (t *Table) Path() string {
	if t.origin == nil {
		return ""
	}
	return t.origin.src.Path
}

// csvPlace finds the line and column of record k's field in a CSV file,
// counting records as ReadTable keeps them.
func csvPlace(src Source, k int, field string) (line, col int, ok bool) {
	r, err := openRows(context.Background(), src)
	if err != nil {
		return 0, 0, false
	}
	defer r.Close()
	j := -1
	for c, h := range r.Header() {
		if h == field {
			j = c
		}
	}
	for n := 0; ; {
		err := r.Next()
		if errors.Is(err, io.EOF) {
			return 0, 0, false
		}
		var re *RowError
		if errors.As(err, &re) || err == nil && blankRecord(r.Record()) {
			continue
		}
		if err != nil {
			return 0, 0, false
		}
		if n == k {
			line, col = r.Pos(max(j, 0))
			if j < 0 {
				col = 0
			}
			return line, col, true
		}
		n++
	}
}
