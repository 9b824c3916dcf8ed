package features

import (
	"bytes"
	"fmt"
	"io"
	"strings"
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
	text := string(data)
	if view && len(data) > 0 {
		text = unsafe.String(&data[0], len(data))
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
	for p.at < len(p.data) {
		end := strings.IndexByte(p.data[p.at:], '\n')
		if end < 0 {
			end = len(p.data)
		} else {
			end += p.at
		}
		line := p.data[p.at:end]
		p.line++
		p.start, p.at = p.at, end+1
		if line == "" {
			continue
		}
		rec, fields := p.rec[:0], p.fields[:0]
		for off := 0; ; {
			fields = append(fields, p.start+off)
			i := strings.IndexByte(line[off:], p.sep)
			if i < 0 {
				rec = append(rec, line[off:])
				break
			}
			rec = append(rec, line[off:off+i])
			off += i + 1
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

// Pos returns the file line and the 1-based byte column of a cell of the
// current record.
func (p *plainRows) Pos(col int) (int, int) {
	col = min(col, len(p.fields)-1)
	if col < 0 {
		return 0, 0
	}
	return p.lines + p.line, p.fields[col] - p.start + 1
}
