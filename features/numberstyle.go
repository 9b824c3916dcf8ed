package features

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMixedNumbers is the error of a CSV file that writes numbers in two
// styles which read it two ways: "1.234,50" (thousands grouped with dots)
// in one cell, "1.500" in another, which reads as 1.5 but in that style is
// 1500. No row is at fault, so the error is never skipped as a bad row:
// the file needs a number format.
var ErrMixedNumbers = errors.New("numbers written two ways")

// numberStyles follows the number cells of a CSV file read without a
// number format (each cell read on its own, see parseNum): the first cell
// only the 1.234,5 style reads and the first plain cell with three digits
// after its one dot, which that style reads as a whole number. A file is
// written in one locale, so once it has both, whichever their columns,
// its numbers are read two ways.
//
// A reader of the whole file meets the second of them as an error at its
// cell. A reader of one block of the file (streamCSV) only records; the
// blocks' records, merged in file order (merge), give the same error at
// the same cell.
type numberStyles struct {
	grouped numberCell // the first cell only the 1.234,5 style reads
	dotted  numberCell // the first "1.500": 1.5 read, 1500 in that style
	// rows, set for a block's reader, counts the block's records, good
	// and bad; the reader records cells and never fails.
	rows *int
}

// numberCell is a cell of a file: its text, column name and place, and,
// in a block, its record's number among the block's.
type numberCell struct {
	text, field  string
	line, column int
	row          int
}

func (c numberCell) seen() bool { return c.line > 0 }

// before reports whether c comes before d in the file.
func (c numberCell) before(d numberCell) bool {
	return c.line < d.line || c.line == d.line && c.column < d.column
}

// note looks at cell s of column col of r, read without a number format.
// The error, for a reader of the whole file, is ErrMixedNumbers's at this
// cell, the second of the file's two styles.
func (ns *numberStyles) note(r rows, col int, s string) error {
	if ns.grouped.seen() && ns.dotted.seen() {
		return nil // met before: a block's reader records no more
	}
	isGrouped := !ns.grouped.seen() && onlyDotGrouped(s)
	isDotted := !ns.dotted.seen() && !isGrouped && dotGroupedElsewhere(s)
	if !isGrouped && !isDotted {
		return nil
	}
	line, column := r.Pos(col)
	c := numberCell{text: s, field: r.Header()[col], line: line, column: column}
	if ns.rows != nil {
		c.row = *ns.rows
	}
	if isGrouped {
		ns.grouped = c
	} else {
		ns.dotted = c
	}
	if ns.rows != nil || !ns.grouped.seen() || !ns.dotted.seen() {
		return nil
	}
	return ns.mixed()
}

// later returns the second of the two cells.
func (ns *numberStyles) later() numberCell {
	if ns.grouped.before(ns.dotted) {
		return ns.dotted
	}
	return ns.grouped
}

// mixed returns ErrMixedNumbers with the file's two cells, worded at the
// later one (whose field the error names; the other's is named when it
// differs).
func (ns *numberStyles) mixed() error {
	g, d := ns.grouped, ns.dotted
	v, _ := ParseNumber(d.text)
	w, _ := ParseNumberAs(d.text, NumberDot)
	earlier := d
	if g.before(d) {
		earlier = g
	}
	in := "" // where the earlier cell is, when another column
	if g.field != d.field {
		in = " in " + strconv.Quote(earlier.field)
	}
	fix := fmt.Sprintf("say how the file writes numbers with --number-format %q or %q (number_format: in pipeline.yaml)", NumberDot, NumberComma)
	if g.before(d) {
		return fmt.Errorf("%q reads as %v, but line %d's %q%s is written 1.234,5 (dots group thousands), where it is %v: %s: %w",
			d.text, v, g.line, g.text, in, w, fix, ErrMixedNumbers)
	}
	return fmt.Errorf("%q is written 1.234,5 (dots group thousands), where line %d's %q%s, read as %v, is %v: %s: %w",
		g.text, d.line, d.text, in, v, w, fix, ErrMixedNumbers)
}

// merge adds the record of a later part of the file (path) and returns,
// when the file now has both styles for the first time, its error at the
// later of the two cells, with that cell's record number in the part.
func (ns *numberStyles) merge(later *numberStyles, path string) (*RowError, int) {
	both := ns.grouped.seen() && ns.dotted.seen()
	if !ns.grouped.seen() {
		ns.grouped = later.grouped
	}
	if !ns.dotted.seen() {
		ns.dotted = later.dotted
	}
	if both || !ns.grouped.seen() || !ns.dotted.seen() {
		return nil, 0
	}
	at := ns.later()
	return &RowError{Path: path, Line: at.line, Column: at.column, Field: at.field, Err: ns.mixed()}, at.row
}

// clone returns a copy that a reader of the whole file can go on with.
func (ns *numberStyles) clone() *numberStyles {
	return &numberStyles{grouped: ns.grouped, dotted: ns.dotted}
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
