package features

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMixedNumbers is the error of a CSV column that writes numbers in two
// styles which read it two ways: "1.234,50" (thousands grouped with dots)
// beside "1.500", which reads as 1.5 but in that style is 1500. No row is
// at fault, so the error is never skipped as a bad row: the file needs a
// number format.
var ErrMixedNumbers = errors.New("numbers written two ways")

// numberStyles follows, for the number cells of a CSV file read without a
// number format (each cell read on its own, see parseNum), the first cell
// of each column that only the 1.234,5 style reads and the first plain
// cell with three digits after its one dot, which that style reads as a
// whole number. Once a column has both, its numbers are read two ways.
//
// A reader of the whole file meets the second of them as an error at its
// cell. A reader of one block of the file (streamCSV) only records; the
// blocks' records, merged in file order (merge), give the same error at
// the same cell.
type numberStyles struct {
	cols []styleCells // by column index
	// rows, set for a block's reader, counts the block's records, good
	// and bad; the reader records cells and never fails.
	rows *int
}

type styleCells struct {
	grouped numberCell // the first cell only the 1.234,5 style reads
	dotted  numberCell // the first "1.500": 1.5 read, 1500 in that style
}

// numberCell is a cell of a file: its text, where it is, and, in a block,
// its record's number among the block's.
type numberCell struct {
	text         string
	line, column int
	row          int
}

func (c numberCell) seen() bool { return c.line > 0 }

// before reports whether c comes before d in the file.
func (c numberCell) before(d numberCell) bool {
	return c.line < d.line || c.line == d.line && c.column < d.column
}

// note looks at cell s of column col, read without a number format, whose
// place pos gives. The error, for a reader of the whole file, is
// ErrMixedNumbers's at this cell, the second of a column's two styles.
func (ns *numberStyles) note(col int, s string, pos func(col int) (int, int)) error {
	grouped, dotted := false, false
	if col < len(ns.cols) {
		grouped, dotted = ns.cols[col].grouped.seen(), ns.cols[col].dotted.seen()
	}
	if grouped && dotted {
		return nil // met before: a block's reader records no more
	}
	isGrouped := !grouped && onlyDotGrouped(s)
	isDotted := !dotted && !isGrouped && dotGroupedElsewhere(s)
	if !isGrouped && !isDotted {
		return nil
	}
	if col >= len(ns.cols) {
		ns.cols = append(ns.cols, make([]styleCells, col+1-len(ns.cols))...)
	}
	line, column := pos(col)
	c, at := numberCell{text: s, line: line, column: column}, &ns.cols[col]
	if ns.rows != nil {
		c.row = *ns.rows
	}
	if isGrouped {
		at.grouped = c
	} else {
		at.dotted = c
	}
	if ns.rows != nil || !at.grouped.seen() || !at.dotted.seen() {
		return nil
	}
	return at.mixed()
}

// mixed returns ErrMixedNumbers with the column's two cells, worded at the
// later one.
func (sc *styleCells) mixed() error {
	v, _ := ParseNumber(sc.dotted.text)
	w, _ := ParseNumberAs(sc.dotted.text, NumberDot)
	fix := fmt.Sprintf("say how the file writes numbers with --number-format %q or %q (number_format: in pipeline.yaml)", NumberDot, NumberComma)
	if sc.grouped.before(sc.dotted) {
		return fmt.Errorf("%q reads as %v, but line %d's %q is written 1.234,5 (dots group thousands), where it is %v: %s: %w",
			sc.dotted.text, v, sc.grouped.line, sc.grouped.text, w, fix, ErrMixedNumbers)
	}
	return fmt.Errorf("%q is written 1.234,5 (dots group thousands), where line %d's %q, read as %v, is %v: %s: %w",
		sc.grouped.text, sc.dotted.line, sc.dotted.text, v, w, fix, ErrMixedNumbers)
}

// merge adds the record of a later part of the file (path, whose columns
// header names) and returns, when a column now has both styles for the
// first time, its error at the later of its two cells: of all such
// columns, the earliest cell, as a reader of the whole file meets it,
// with its record's number in the later part.
func (ns *numberStyles) merge(later *numberStyles, path string, header []string) (*RowError, int) {
	var first *RowError
	row := 0
	for c := range later.cols {
		if c >= len(ns.cols) {
			ns.cols = append(ns.cols, make([]styleCells, c+1-len(ns.cols))...)
		}
		sc, l := &ns.cols[c], later.cols[c]
		both := sc.grouped.seen() && sc.dotted.seen()
		if !sc.grouped.seen() {
			sc.grouped = l.grouped
		}
		if !sc.dotted.seen() {
			sc.dotted = l.dotted
		}
		if both || !sc.grouped.seen() || !sc.dotted.seen() {
			continue
		}
		at := sc.grouped
		if at.before(sc.dotted) {
			at = sc.dotted
		}
		if first == nil || at.before(numberCell{line: first.Line, column: first.Column}) {
			first, row = &RowError{Path: path, Line: at.line, Column: at.column, Field: header[c], Err: sc.mixed()}, at.row
		}
	}
	return first, row
}

// clone returns a copy that a reader of the whole file can go on with.
func (ns *numberStyles) clone() *numberStyles {
	return &numberStyles{cols: append([]styleCells(nil), ns.cols...)}
}

// onlyDotGrouped reports whether only the 1.234,5 style reads s: a
// decimal comma or dot-grouped thousands ("12,5", "1.234,50",
// "1.234.567").
func onlyDotGrouped(s string) bool {
	if !strings.ContainsRune(s, ',') && strings.Count(s, ".") < 2 {
		return false
	}
	_, comma := ParseNumberAs(s, NumberComma)
	_, dot := ParseNumberAs(s, NumberDot)
	return dot && !comma
}

// dotGroupedElsewhere reports whether s, a plain number with three
// digits after its one dot ("1.500", "-12.250"), means another number in
// the 1.234,5 style.
func dotGroupedElsewhere(s string) bool {
	n := len(s)
	if n < 5 || s[n-4] != '.' || strings.IndexByte(s, '.') != n-4 || strings.ContainsRune(s, ',') {
		return false
	}
	v, err := ParseNumber(s)
	w, ok := ParseNumberAs(s, NumberDot)
	return err == nil && ok && v != w
}
