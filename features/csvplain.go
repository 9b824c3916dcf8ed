package features

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
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
	data   string // the block; the records are substrings of it
	at     int    // where the next line starts in data
	line   int    // the current line, counted from the block's first
	start  int    // where the current line starts in data
	fields []int  // where each field of the current record starts in data
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
	p.path, p.header, p.layout, p.lines = cr.path, cr.header, cr.layout, first-1
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
		rec, fields := p.rec[:0], p.fields[:0]
		for from := p.at; ; {
			i := delimiter(data, from, p.sep)
			fields = append(fields, from)
			rec = append(rec, p.data[from:i])
			if i == len(data) || data[i] == '\n' {
				p.at = i + 1
				break
			}
			from = i + 1
		}
		if p.at-1 == p.start {
			continue // an empty line
		}
		p.rec, p.fields = rec, fields
		if len(rec) != p.width {
			return &RowError{Path: p.path, Line: p.lines + p.line, Column: 1,
				Err: fmt.Errorf("row has %d fields, header has %d", len(rec), p.width)}
		}
		p.rows++
		return nil
	}
	return io.EOF
}

// delimiter returns the index of the first sep or line feed in data at or
// after i, len(data) for none. It tests eight bytes at a time: a byte of x
// equal to c is a zero byte of x^(c×0x01…01), which zeroBytes flags; a
// flag can be wrong only above a true one, so the lowest is right.
func delimiter(data []byte, i int, sep byte) int {
	const ones = 0x0101010101010101
	s, nl := uint64(sep)*ones, uint64('\n')*ones
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		if m := zeroBytes(x^s) | zeroBytes(x^nl); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(data); i++ {
		if data[i] == sep || data[i] == '\n' {
			return i
		}
	}
	return len(data)
}

// zeroBytes sets the high bit of each byte of v that is zero (and maybe
// of a byte above a zero one).
func zeroBytes(v uint64) uint64 {
	return (v - 0x0101010101010101) &^ v & 0x8080808080808080
}

// Pos returns the file line and the 1-based byte column of a cell of the
// current record.
func (p *plainRows) Pos(col int) (int, int) {
	col = min(col, len(p.fields)-1)
	if col < 0 {
		return 0, 0
	}
	return p.lines + p.line, p.fields[col] - p.start + 1
}
