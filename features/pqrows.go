package features

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// pageRows reads a flat Parquet file page by page with parquet-go, for the
// event streams that dominate a run. Each column is decoded on a goroutine
// of its own, a few pages ahead of the reader, into row-aligned cells: text
// cells are strings that point into the page (or, for dictionary pages,
// into the dictionary, converted once per column chunk), so reading a cell
// copies nothing. Pages are never handed back to parquet-go's buffer pools,
// which is what makes those strings safe to keep: the garbage collector
// frees a page when no string refers to it.
//
// It reads the common column types (text, signed integers, floats,
// timestamps and dates, required or optional); newPageRows returns
// errUnsupported for anything else, and openRows then reads the file through
// Arrow. Cells mean the same through both readers (TestPageRowsMatchArrow).
type pageRows struct {
	path   string
	f      *os.File
	pf     *parquet.File
	header []string
	cols   []pageCol
	done   chan struct{} // closed by Close: the decoders stop
	// started is set once the decoders run (at the first Next).
	started bool
	rg      int   // current row group
	left    int64 // rows left in it
	row     int   // 0-based global row index
}

// pageKind is how a column's cells are held.
type pageKind uint8

const (
	pkText  pageKind = iota // BYTE_ARRAY text
	pkInt                   // INT32/INT64 without a non-integer annotation
	pkFloat                 // DOUBLE
	pkFloat32
	pkTime // INT64 timestamp (unit in pageCol.unit) or INT32 date
)

// cells is one decoded page, row-aligned: cell i is str[i] / num[i] /
// i64[i], null when null[i] (null is nil when the page has no nulls).
type cells struct {
	n    int
	null []bool
	str  []string
	num  []float64
	i64  []int64
	// bad marks text cells that are not valid text (badUTF8, badNUL); nil
	// when every cell of the page is.
	bad []uint8
	err error
}

// Reasons a text cell is bad, as in CSV input.
const (
	badUTF8 = 1 + iota
	badNUL
)

// textBad returns why a text value is bad, or 0.
func textBad(b []byte) uint8 {
	switch {
	case !utf8.Valid(b):
		return badUTF8
	case bytes.IndexByte(b, 0) >= 0:
		return badNUL
	}
	return 0
}

// textBadString is textBad for a string.
func textBadString(s string) uint8 {
	switch {
	case !utf8.ValidString(s):
		return badUTF8
	case strings.IndexByte(s, 0) >= 0:
		return badNUL
	}
	return 0
}

type pageCol struct {
	kind      pageKind
	unchecked bool  // bad text is not a bad row; see pageRows.skip
	skipped   bool  // never decoded
	unit      int64 // pkTime: nanoseconds per stored unit; 0 for a date
	cells
	i    int
	next chan *cells // decoded pages, in order
	free chan *cells // pages the reader is done with
}

// errUnsupported reports a file pageRows leaves to Arrow.
var errUnsupported = errors.New("column types not read page by page")

func newPageRows(f *os.File, path string) (_ *pageRows, err error) {
	defer func() {
		if p := recover(); p != nil { // a corrupt footer: let Arrow say so
			err = errUnsupported
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := CheckParquet(f, st.Size()); err != nil {
		return nil, &SchemaError{Path: path, Err: err}
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(1<<20))
	if err != nil {
		return nil, errUnsupported
	}
	root := pf.Root()
	r := &pageRows{path: path, f: f, pf: pf, row: -1, rg: -1}
	for _, c := range root.Columns() {
		if !c.Leaf() || c.Repeated() || c.MaxRepetitionLevel() > 0 {
			return nil, errUnsupported
		}
		kind, unit, ok := pageKindOf(c.Type())
		if !ok {
			return nil, errUnsupported
		}
		r.header = append(r.header, c.Name())
		r.cols = append(r.cols, pageCol{kind: kind, unit: unit})
	}
	if len(r.cols) == 0 {
		return nil, errUnsupported
	}
	r.done = make(chan struct{})
	return r, nil
}

// skip leaves columns unchecked: their bad text does not make a bad row.
// Without decode they are not decoded at all, read as nulls, and are empty
// in Record.
func (r *pageRows) skip(cols []int, decode bool) {
	for _, k := range cols {
		r.cols[k].unchecked = true
		r.cols[k].skipped = !decode
	}
}

// start sets every column that is read decoding, on a goroutine each.
func (r *pageRows) start() {
	r.started = true
	for k := range r.cols {
		if c := &r.cols[k]; !c.skipped {
			c.next, c.free = make(chan *cells, 2), make(chan *cells, 4)
			go c.decode(r.pf, k, r.done)
		}
	}
}

// decode reads column k of every row group in turn and sends its pages,
// decoded, until the end of the file, an error or done.
func (c *pageCol) decode(pf *parquet.File, k int, done <-chan struct{}) {
	d := pageDecoder{kind: c.kind}
	send := func(p *cells) bool {
		select {
		case c.next <- p:
			return true
		case <-done:
			return false
		}
	}
	for _, rg := range pf.RowGroups() {
		pages := rg.ColumnChunks()[k].Pages()
		d.dict = nil
		for {
			var p *cells
			select {
			case p = <-c.free:
			default:
				p = new(cells)
			}
			err := d.load(pages, p)
			if err == io.EOF {
				break
			}
			if err != nil {
				p.err = err
				send(p)
				pages.Close()
				return
			}
			if !send(p) {
				pages.Close()
				return
			}
		}
		pages.Close()
	}
	send(&cells{err: io.EOF})
}

// pageKindOf classifies a Parquet column type the way Arrow would read it:
// text for strings (and unannotated byte arrays), integers and floats as
// numbers, timestamps and dates as times. Decimals, unsigned and small
// integers, booleans, INT96 and time-of-day are left to Arrow.
func pageKindOf(t parquet.Type) (pageKind, int64, bool) {
	lt := t.LogicalType()
	var lv format.LogicalTypeValue
	if lt != nil {
		lv = lt.Value
	}
	ct := t.ConvertedType()
	switch t.Kind() {
	case parquet.ByteArray:
		switch lv.(type) {
		case nil, *format.StringType, *format.EnumType, *format.JsonType:
		default:
			return 0, 0, false
		}
		if ct != nil && *ct != deprecated.UTF8 && *ct != deprecated.Enum && *ct != deprecated.Json {
			return 0, 0, false
		}
		return pkText, 0, true
	case parquet.Double:
		return pkFloat, 0, lv == nil && ct == nil
	case parquet.Float:
		return pkFloat32, 0, lv == nil && ct == nil
	case parquet.Int32, parquet.Int64:
		switch v := lv.(type) {
		case nil:
			if ct == nil {
				return pkInt, 0, true
			}
			if *ct == deprecated.Date && t.Kind() == parquet.Int32 {
				return pkTime, 0, true
			}
			if t.Kind() == parquet.Int64 && *ct == deprecated.TimestampMillis {
				return pkTime, 1e6, true
			}
			if t.Kind() == parquet.Int64 && *ct == deprecated.TimestampMicros {
				return pkTime, 1e3, true
			}
		case *format.IntType:
			if v.IsSigned && (v.BitWidth == 32) == (t.Kind() == parquet.Int32) && (v.BitWidth == 32 || v.BitWidth == 64) {
				return pkInt, 0, true
			}
		case *format.DateType:
			return pkTime, 0, t.Kind() == parquet.Int32
		case *format.TimestampType:
			if t.Kind() != parquet.Int64 {
				break
			}
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				return pkTime, 1e6, true
			case *format.MicroSeconds:
				return pkTime, 1e3, true
			case *format.NanoSeconds:
				return pkTime, 1, true
			}
		}
	}
	return 0, 0, false
}

func (r *pageRows) Header() []string { return r.header }

func (r *pageRows) Next() error {
	if !r.started {
		r.start()
	}
	r.row++
	for r.left == 0 {
		if err := r.nextRowGroup(); err != nil {
			return err
		}
	}
	r.left--
	for k := range r.cols {
		c := &r.cols[k]
		if c.skipped {
			continue
		}
		c.i++
		for c.i >= c.n {
			if err := c.advance(); err != nil {
				r.left = 0 // the rest of the row group cannot be aligned
				if err == io.EOF {
					err = fmt.Errorf("column %q ends before its row group", r.header[k])
				}
				return &RowError{Path: r.path, Line: r.row + 1, Field: r.header[k], Err: fmt.Errorf("corrupt Parquet data: %w", err)}
			}
		}
	}
	for k := range r.cols {
		if c := &r.cols[k]; c.bad != nil && c.bad[c.i] != 0 && !c.unchecked {
			err := ErrInvalidUTF8
			if c.bad[c.i] == badNUL {
				err = ErrNULByte
			}
			return &RowError{Path: r.path, Line: r.row + 1, Field: r.header[k], Err: err}
		}
	}
	return nil
}

// advance moves the column to its next decoded page.
func (c *pageCol) advance() error {
	if c.err != nil {
		return c.err
	}
	p := <-c.next
	if p.err != nil {
		c.err, c.n = p.err, 0
		return p.err
	}
	old := c.cells
	c.cells, c.i = *p, 0
	*p = old
	select {
	case c.free <- p:
	default:
	}
	return nil
}

// nextRowGroup moves to the next row group; io.EOF after the last. Every
// column must have ended its pages exactly at the previous group's end.
func (r *pageRows) nextRowGroup() error {
	rgs := r.pf.RowGroups()
	for k := range r.cols {
		if c := &r.cols[k]; r.rg >= 0 && !c.skipped && c.i+1 < c.n {
			return &RowError{Path: r.path, Line: r.row + 1, Field: r.header[k],
				Err: fmt.Errorf("corrupt Parquet data: column %q has more rows than its row group", r.header[k])}
		}
	}
	if r.rg+1 >= len(rgs) {
		return io.EOF
	}
	r.rg++
	r.left = rgs[r.rg].NumRows()
	return nil
}

// pageDecoder turns one column's pages into cells.
type pageDecoder struct {
	kind    pageKind
	dict    parquet.Dictionary
	dictStr []string
	dictBad []uint8 // why each dictionary text is bad; nil when none is
	dictNum []float64
	dictI64 []int64
	dictLen int // entries in the current dictionary
}

// load decodes the next page of pages into p; io.EOF at the chunk's end.
func (d *pageDecoder) load(pages parquet.Pages, p *cells) (err error) {
	defer func() {
		if r := recover(); r != nil { // parquet-go panics on some corrupt pages
			err = fmt.Errorf("%v", r)
		}
	}()
	pg, err := pages.ReadPage()
	if err != nil {
		return err
	}
	n := int(pg.NumRows())
	p.n, p.err = n, nil
	def := pg.DefinitionLevels()
	nonNull := n
	if pg.NumNulls() > 0 {
		if len(def) != n {
			return fmt.Errorf("page has %d definition levels for %d rows", len(def), n)
		}
		p.null = reuse(p.null, n)
		for i, l := range def {
			p.null[i] = l == 0
			if l == 0 {
				nonNull--
			}
		}
	} else {
		p.null = nil
	}
	data := pg.Data()
	dict := pg.Dictionary()
	if dict != nil && dict != d.dict {
		d.setDict(dict)
	}
	var idx []int32
	if dict != nil {
		idx = data.Int32()
		if err := checkIndexes(idx, d.dictLen); err != nil {
			return err
		}
	}
	// Every non-null row takes one value; fill and fillDense rely on it.
	values := len(idx)
	if dict == nil {
		values = valueCount(data)
	}
	if values != nonNull {
		return fmt.Errorf("page holds %d values for %d non-null rows", values, nonNull)
	}
	switch d.kind {
	case pkText:
		p.str = reuse(p.str, n)
		p.bad = nil
		if dict != nil {
			fill(p.str, p.null, idx, func(v int32) string { return d.dictStr[v] })
			if d.dictBad != nil {
				p.markBad(len(idx), func(j int) uint8 { return d.dictBad[idx[j]] })
			}
			break
		}
		b, off := data.ByteArray()
		fillDense(p.str, p.null, len(off)-1, func(j int) string { return unsafeText(b[off[j]:off[j+1]]) })
		// The page's bytes are checked at once; only a page that fails is
		// checked value by value. (Valid bytes whose values all start on
		// a character's first byte make valid values.)
		if textBad(b) != 0 || splitsCharacter(b, off) {
			p.markBad(len(off)-1, func(j int) uint8 { return textBad(b[off[j]:off[j+1]]) })
		}
	case pkInt, pkTime:
		p.i64 = reuse(p.i64, n)
		switch {
		case dict != nil:
			fill(p.i64, p.null, idx, func(v int32) int64 { return d.dictI64[v] })
		case data.Kind() == encoding.Int32:
			v := data.Int32()
			fillDense(p.i64, p.null, len(v), func(j int) int64 { return int64(v[j]) })
		default:
			v := data.Int64()
			fillDense(p.i64, p.null, len(v), func(j int) int64 { return v[j] })
		}
	case pkFloat, pkFloat32:
		p.num = reuse(p.num, n)
		switch {
		case dict != nil:
			fill(p.num, p.null, idx, func(v int32) float64 { return d.dictNum[v] })
		case d.kind == pkFloat32:
			v := data.Float()
			fillDense(p.num, p.null, len(v), func(j int) float64 { return float64(v[j]) })
		default:
			v := data.Double()
			fillDense(p.num, p.null, len(v), func(j int) float64 { return v[j] })
		}
	}
	return nil
}

// markBad sets p.bad from the n values of a page (value j's reason by
// why(j)), leaving it nil when no value is bad.
func (p *cells) markBad(n int, why func(j int) uint8) {
	j := 0
	for i := range p.n {
		if p.null != nil && p.null[i] {
			continue
		}
		if j < n {
			if w := why(j); w != 0 {
				if p.bad == nil {
					p.bad = make([]uint8, p.n)
				}
				p.bad[i] = w
			}
		}
		j++
	}
}

// splitsCharacter reports whether a value of a byte-array page starts in
// the middle of a UTF-8 character.
func splitsCharacter(b []byte, off []uint32) bool {
	for _, o := range off[:len(off)-1] {
		if int(o) < len(b) && !utf8.RuneStart(b[o]) {
			return true
		}
	}
	return false
}

// reuse returns s with length n, on its own array when that is large
// enough; the caller sets every element.
func reuse[T any](s []T, n int) []T { return slices.Grow(s[:0], n)[:n] }

// valueCount returns the number of values a page decoded to.
func valueCount(v encoding.Values) int {
	switch v.Kind() {
	case encoding.Int32:
		return len(v.Int32())
	case encoding.Int64:
		return len(v.Int64())
	case encoding.Float:
		return len(v.Float())
	case encoding.Double:
		return len(v.Double())
	case encoding.ByteArray:
		_, off := v.ByteArray()
		return max(len(off)-1, 0)
	}
	return -1 // pageKindOf admits no other kind
}

// checkIndexes returns an error when a dictionary index falls outside a
// dictionary of n entries.
func checkIndexes(idx []int32, n int) error {
	for _, v := range idx {
		if v < 0 || int(v) >= n {
			return fmt.Errorf("dictionary index %d outside a dictionary of %d values", v, n)
		}
	}
	return nil
}

// fill sets the non-null cells of dst, in order, from dictionary indexes,
// one per non-null cell (load checks the count and the indexes).
func fill[T any](dst []T, null []bool, idx []int32, at func(int32) T) {
	if null == nil {
		for i, v := range idx {
			dst[i] = at(v)
		}
		return
	}
	fillDense(dst, null, len(idx), func(j int) T { return at(idx[j]) })
}

// fillDense sets the non-null cells of dst, in order, from the values of a
// page, one per non-null cell (value j by at(j)); null cells get the zero
// value.
func fillDense[T any](dst []T, null []bool, n int, at func(int) T) {
	var zero T
	j := 0
	for i := range dst {
		if null != nil && null[i] {
			dst[i] = zero
			continue
		}
		dst[i] = at(j)
		j++
	}
}

// setDict converts a column chunk's dictionary once.
func (c *pageDecoder) setDict(d parquet.Dictionary) {
	c.dict = d
	c.dictLen = d.Len()
	vals := d.Page().Data()
	switch c.kind {
	case pkText:
		b, off := vals.ByteArray()
		c.dictStr = reuse(c.dictStr, len(off)-1)
		c.dictBad = nil
		for j := range c.dictStr {
			v := b[off[j]:off[j+1]]
			c.dictStr[j] = unsafeText(v)
			if why := textBad(v); why != 0 {
				if c.dictBad == nil {
					c.dictBad = make([]uint8, len(c.dictStr))
				}
				c.dictBad[j] = why
			}
		}
	case pkInt, pkTime:
		c.dictI64 = c.dictI64[:0]
		if vals.Kind() == encoding.Int32 {
			for _, v := range vals.Int32() {
				c.dictI64 = append(c.dictI64, int64(v))
			}
		} else {
			c.dictI64 = append(c.dictI64, vals.Int64()...)
		}
	case pkFloat:
		c.dictNum = append(c.dictNum[:0], vals.Double()...)
	case pkFloat32:
		c.dictNum = c.dictNum[:0]
		for _, v := range vals.Float() {
			c.dictNum = append(c.dictNum, float64(v))
		}
	}
}

// unsafeText returns b as a string without copying, trimmed of spaces as
// every reader trims cells. b must never change: it is a page that is not
// returned to a pool.
func unsafeText(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	s := unsafe.String(&b[0], len(b))
	if s[0] > ' ' && s[0] < 0x80 && s[len(s)-1] > ' ' && s[len(s)-1] < 0x80 {
		return s
	}
	return strings.TrimSpace(s)
}

func (r *pageRows) Str(col int) (string, bool) {
	c := &r.cols[col]
	if c.skipped || c.null != nil && c.null[c.i] {
		return "", true
	}
	switch c.kind {
	case pkText:
		s := c.str[c.i]
		return s, s == ""
	case pkInt:
		return strconv.FormatInt(c.i64[c.i], 10), false
	case pkFloat:
		return strconv.FormatFloat(c.num[c.i], 'g', -1, 64), false
	case pkFloat32:
		return strconv.FormatFloat(c.num[c.i], 'g', -1, 32), false
	}
	return c.time().Format(time.RFC3339Nano), false
}

func (c *pageCol) time() time.Time {
	v := c.i64[c.i]
	switch c.unit {
	case 0:
		return time.Unix(v*86400, 0).UTC()
	case 1e6:
		return time.UnixMilli(v).UTC()
	case 1e3:
		return time.UnixMicro(v).UTC()
	}
	return time.Unix(0, v).UTC()
}

func (r *pageRows) Num(col int) (float64, bool, error) {
	c := &r.cols[col]
	if c.skipped || c.null != nil && c.null[c.i] {
		return 0, true, nil
	}
	switch c.kind {
	case pkInt:
		f := float64(c.i64[c.i])
		if err := checkMagnitude(f); err != nil {
			return 0, false, err
		}
		return f, false, nil
	case pkFloat, pkFloat32:
		f := c.num[c.i]
		if err := checkMagnitude(f); err != nil {
			return 0, false, err
		}
		return f, false, nil
	}
	return numOfText(r.Str(col))
}

func (r *pageRows) Time(col int) (time.Time, bool, error) {
	c := &r.cols[col]
	if c.skipped || c.null != nil && c.null[c.i] {
		return time.Time{}, true, nil
	}
	if c.kind == pkTime {
		return c.time(), false, nil
	}
	return timeOfText(r.Str(col))
}

func (r *pageRows) Pos(int) (int, int) { return r.row + 1, 0 }

func (r *pageRows) Record() []string {
	out := make([]string, len(r.cols))
	for k := range r.cols {
		if c := &r.cols[k]; !c.skipped && c.i >= c.n {
			return nil // no current row: a page failed to decode
		}
	}
	for k := range r.cols {
		s, _ := r.Str(k)
		out[k] = strings.Clone(s)
	}
	return out
}

func (r *pageRows) Close() error {
	close(r.done)
	return r.f.Close()
}

// openParquetRows reads a Parquet file page by page when its columns allow,
// through Arrow otherwise.
func openParquetRows(ctx context.Context, f *os.File, path string) (rows, error) {
	r, err := newPageRows(f, path)
	if err == nil {
		return r, nil
	}
	if err != errUnsupported {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return newParquetRows(ctx, f, path)
}

// CheckParquet checks a Parquet file's frame before a library reads its
// footer: the magic at both ends, and a footer length that fits in the
// file. A corrupt length would otherwise make the reader allocate and
// read gigabytes for a file of a few bytes.
func CheckParquet(r io.ReaderAt, size int64) error {
	const frame = 12 // "PAR1" + footer length + "PAR1"
	if size < frame {
		return fmt.Errorf("not a readable Parquet file: %d bytes, fewer than the 12 of an empty one", size)
	}
	var head, tail [4]byte
	var foot [8]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return err
	}
	if _, err := r.ReadAt(foot[:], size-8); err != nil {
		return err
	}
	copy(tail[:], foot[4:])
	if string(head[:]) != "PAR1" || string(tail[:]) != "PAR1" {
		return errors.New("not a readable Parquet file: no PAR1 magic at its start and end")
	}
	if n := int64(binary.LittleEndian.Uint32(foot[:4])); n == 0 || n > size-frame {
		return fmt.Errorf("not a readable Parquet file: its footer claims %d bytes of a %d-byte file", n, size)
	}
	return nil
}
