package features

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"time"
	"unicode/utf8"
	"unsafe"
)

// plainRows reads a block of CSV records in which encoding/csv has nothing
// to interpret: no quote, no carriage return, no NUL byte, valid UTF-8 and
// a one-byte separator. There a record is a non-empty line cut at the
// separator, which plainRows does itself, without csv.Reader's scan for
// quotes and its copy of every record; the records, the line and column
// numbers and the errors are those csvRows gives for the same block
// (TestPlainRowsMatchCSV).
type plainRows struct {
	*csvRows
	data  string // the block; the records are substrings of it
	at    int    // where the next line starts in data
	line  int    // the current line, counted from the block's first
	start int    // where the current line starts in data
	// bounds holds where each field of the current record starts in
	// data, then one past the end of its last field: field k is
	// data[bounds[k]:bounds[k+1]-1].
	bounds []int
	sep    byte
	width  int // fields per record
}

// plainBlock returns a plainRows for block data of cr's file, starting on
// the file's line first, or nil when the block needs encoding/csv. The
// block is copied, as its memory is reused for the next, unless view is
// set: then the records view data.
func (cr *csvRows) plainBlock(data []byte, first int, view bool) *plainRows {
	if !plainText(data, cr.r.Comma) {
		return nil
	}
	var text string
	if view && len(data) > 0 {
		text = unsafe.String(&data[0], len(data))
	} else {
		text = string(data)
	}
	p := newPlainRows(text, cr.r.Comma, len(cr.header))
	p.path, p.header, p.layouts, p.numFormat, p.na, p.lines = cr.path, cr.header, cr.layouts, cr.numFormat, cr.na, first-1
	return p
}

// newPlainRows reads the records of data, which plainSyntax accepted,
// width fields each, cut at sep.
func newPlainRows(data string, sep rune, width int) *plainRows {
	return &plainRows{csvRows: &csvRows{}, data: data, sep: byte(sep), width: width}
}

// plainText reports whether records of data cut at sep need nothing of
// encoding/csv or of csvRows' checks of each record: plainSyntax, valid
// UTF-8 and no NUL byte.
func plainText(data []byte, sep rune) bool {
	return plainSyntax(data, sep) && bytes.IndexByte(data, 0) < 0 && utf8.Valid(data)
}

// plainSyntax reports whether encoding/csv has nothing to interpret in
// data: no quote or carriage return, and a one-byte separator.
func plainSyntax(data []byte, sep rune) bool {
	return sep < utf8.RuneSelf && sep != '\r' && sep != '\n' && sep != '"' &&
		bytes.IndexByte(data, '"') < 0 && bytes.IndexByte(data, '\r') < 0
}

// skip passes over the next record without counting it (the header).
func (p *plainRows) skip() error {
	err := p.Next()
	p.rows = 0
	return err
}

// Next reads the next record, skipping empty lines as encoding/csv does; a
// record with another number of fields than the header is a *RowError
// whose cells Record returns.
func (p *plainRows) Next() error {
	data := unsafe.Slice(unsafe.StringData(p.data), len(p.data))
	for p.at < len(p.data) {
		p.line++
		p.start = p.at
		bounds, i := cutLine(data, p.at, p.sep, append(p.bounds[:0], p.at))
		p.at, p.bounds = i+1, bounds
		if i == p.start {
			continue // an empty line
		}
		if n := len(bounds) - 1; n != p.width {
			return &RowError{Path: p.path, Line: p.lines + p.line, Column: 1,
				Err: fmt.Errorf("row has %d fields, header has %d", n, p.width)}
		}
		p.rows++
		return nil
	}
	return io.EOF
}

// cell returns field k of the current record, untrimmed.
func (p *plainRows) cell(k int) string {
	return p.data[p.bounds[k] : p.bounds[k+1]-1]
}

func (p *plainRows) Str(col int) (string, bool) {
	s := p.missing(trimCell(p.cell(col)))
	return s, s == ""
}

func (p *plainRows) Num(col int) (float64, bool, error) {
	s, null := p.Str(col)
	return p.num(p, col, s, null)
}

func (p *plainRows) Time(col int) (time.Time, bool, error) {
	return p.timeCell(p.Str(col))
}

// Record returns the fields of the current record; the slice is reused by
// the next call.
func (p *plainRows) Record() []string {
	p.rec = p.rec[:0]
	for k := range len(p.bounds) - 1 {
		p.rec = append(p.rec, p.cell(k))
	}
	return p.rec
}

// cutLine finds the fields of the line of data starting at i, cut at sep:
// it appends to bounds one past the end of each field (where its sep or
// line feed stands) and returns bounds and the index of the line's line
// feed, len(data) for none. It tests eight bytes at a time: a byte of x
// equal to c is a zero byte of x^(c×0x01…01), which zeroBytes flags.
func cutLine(data []byte, i int, sep byte, bounds []int) ([]int, int) {
	const ones = 0x0101010101010101
	s, nl := uint64(sep)*ones, uint64('\n')*ones
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		for m := zeroBytes(x^s) | zeroBytes(x^nl); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)/8
			bounds = append(bounds, j+1)
			if data[j] == '\n' {
				return bounds, j
			}
		}
	}
	for ; i < len(data); i++ {
		if data[i] == '\n' {
			return append(bounds, i+1), i
		}
		if data[i] == sep {
			bounds = append(bounds, i+1)
		}
	}
	return append(bounds, len(data)+1), len(data)
}

// zeroBytes sets the high bit of each byte of v that is zero, and only
// of those.
func zeroBytes(v uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((v&low7 + low7) | v | low7)
}

// Pos returns the file line and the 1-based byte column of a cell of the
// current record.
func (p *plainRows) Pos(col int) (int, int) {
	col = min(col, len(p.bounds)-2)
	if col < 0 {
		return 0, 0
	}
	return p.lines + p.line, p.bounds[col] - p.start + 1
}
