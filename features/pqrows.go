package features

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// pageRows reads a flat Parquet file page by page, for the event streams
// that dominate a run (pqfooter.go and pqpage.go read and check the file).
// Each column is decoded on a goroutine of its own, a few pages ahead of
// the reader, into row-aligned cells: text cells are strings that point
// into the decompressed page (or its dictionary), so reading a cell copies
// nothing; the garbage collector frees a page when no string refers to it.
type pageRows struct {
	path   string
	f      *os.File
	pf     *pqFile
	header []string
	cols   []pageCol
	done   chan struct{} // closed by Close: the decoders stop
	// started is set once the decoders run (at the first Next).
	started bool
	rg      int          // current row group
	left    int64        // rows left in it
	row     int          // 0-based global row index
	run     eventColumns // EventReader.cleanEvents' rows, before they become Events
}

// pageKind is how a column's cells are held.
type pageKind uint8

const (
	pkText  pageKind = iota // BYTE_ARRAY text
	pkInt                   // INT32/INT64 without a non-integer annotation
	pkFloat                 // DOUBLE
	pkFloat32
	pkTime    // INT64 or INT96 timestamp (unit in pageCol.unit) or INT32 date
	pkUint    // unsigned integer, its bits in i64
	pkBool    // 0 or 1 in i64
	pkDecimal // decimal, as a float in num
)

// cells is one decoded page, row-aligned: cell i is str[i] / num[i] /
// i64[i], null when null[i] (null is nil when the page has no nulls).
type cells struct {
	n    int
	null []bool
	// nulls is null's memory, kept while a page without nulls leaves null
	// nil.
	nulls []bool
	// A text column's cells are str; or, on a page of dictionary indexes,
	// dict[idx[i]]; or, on a page of PLAIN values, the spans of page that
	// span[i] gives (offset << 32 | length). The last two hold no string
	// per cell, for the collector to scan and the decoder to write (text
	// reads all three).
	str  []string
	dict []string
	idx  []int32
	page []byte
	span []uint64
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

// textBadString returns why a text value is bad, or 0. Plain ASCII
// without NUL, the common case, is settled in one pass.
func textBadString(s string) uint8 {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= 0x80 {
			switch {
			case !utf8.ValidString(s[i:]):
				return badUTF8
			case strings.IndexByte(s[i:], 0) >= 0:
				return badNUL
			}
			return 0
		}
	}
	return 0
}

type pageCol struct {
	*pqColumn
	unchecked bool // bad text is not a bad row; see pageRows.skip
	skipped   bool // never decoded
	cells
	i    int
	next chan *cells // decoded pages, in order
	free chan *cells // pages the reader is done with
}

// newPageRows reads the footer of the Parquet file f; a file whose columns
// leadscore does not read is a *SchemaError wrapping errUnsupported.
func newPageRows(f *os.File, path string) (*pageRows, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := openPQ(f, st.Size())
	if err != nil {
		return nil, &SchemaError{Path: path, Err: err}
	}
	r := &pageRows{path: path, f: f, pf: pf, row: -1, rg: -1}
	for k := range pf.cols {
		r.header = append(r.header, pf.cols[k].name)
		r.cols = append(r.cols, pageCol{pqColumn: &pf.cols[k]})
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
func (c *pageCol) decode(pf *pqFile, k int, done <-chan struct{}) {
	send := func(p *cells) bool {
		select {
		case c.next <- p:
			return true
		case <-done:
			return false
		}
	}
	var scratch pqScratch
	defer scratch.close()
	var p *cells // the page to decode into, kept when a chunk ends
	for g := range pf.rowGroups {
		ch, err := pf.chunk(g, k, &scratch)
		for err == nil {
			if p == nil {
				select {
				case p = <-c.free:
				default:
					p = new(cells)
				}
			}
			if err = ch.next(p); err == nil {
				if !send(p) {
					return
				}
				p = nil
			}
		}
		if err != io.EOF {
			send(&cells{err: err})
			return
		}
	}
	send(&cells{err: io.EOF})
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
		if c := &r.cols[k]; !c.unchecked {
			if err := c.badErr(c.i); err != nil {
				return &RowError{Path: r.path, Line: r.row + 1, Field: r.header[k], Err: err}
			}
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
	rgs := r.pf.rowGroups
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
	r.left = rgs[r.rg].numRows
	return nil
}

// reuse returns s with length n, on its own array when that is large
// enough; the caller sets every element.
func reuse[T any](s []T, n int) []T { return slices.Grow(s[:0], n)[:n] }

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

// trimCell trims a text cell of spaces, as every reader trims cells,
// without looking further when its ends are visibly not spaces.
func trimCell(s string) string {
	if s == "" || s[0] > ' ' && s[0] < 0x80 && s[len(s)-1] > ' ' && s[len(s)-1] < 0x80 {
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
		s := trimCell(c.text(c.i))
		return s, s == ""
	case pkInt:
		return strconv.FormatInt(c.i64[c.i], 10), false
	case pkUint:
		return strconv.FormatUint(uint64(c.i64[c.i]), 10), false
	case pkBool:
		return strconv.FormatBool(c.i64[c.i] != 0), false
	case pkFloat, pkDecimal:
		return floatText(c.num[c.i], 64), false
	case pkFloat32:
		return floatText(c.num[c.i], 32), false
	}
	if c.timeErr(c.i) != nil {
		return "", true // a time the file holds but nanoseconds cannot: no text for it
	}
	return c.time().Format(time.RFC3339Nano), false
}

// floatText writes a float cell read as text (an id, a type) in decimal
// notation: a column of ids that pandas stored as floats, having met a
// missing one, gives "12345678" as the ids' CSV export does, not
// "1.2345678e+07". Beyond 1e21 it takes an exponent.
func floatText(v float64, bits int) string {
	if math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, bits)
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}

// float is the current cell of a numeric column (not text or time).
func (c *pageCol) float() float64 { return c.floatAt(c.i) }

// floatAt is cell i of a numeric column.
func (c *pageCol) floatAt(i int) float64 {
	switch c.kind {
	case pkFloat, pkFloat32, pkDecimal:
		return c.num[i]
	case pkUint:
		return float64(uint64(c.i64[i]))
	}
	return float64(c.i64[i])
}

// text is text cell i.
func (p *cells) text(i int) string {
	switch {
	case p.dict != nil:
		return p.dict[p.idx[i]]
	case p.page != nil:
		return spanString(p.page, p.span[i])
	}
	return p.str[i]
}

// badErr is why text cell i is not valid text, or nil.
func (p *cells) badErr(i int) error {
	if p.bad == nil {
		return nil
	}
	switch p.bad[i] {
	case badUTF8:
		return ErrInvalidUTF8
	case badNUL:
		return ErrNULByte
	}
	return nil
}

func (c *pageCol) time() time.Time { return c.timeAt(c.i) }

// timeErr is the error of time cell i: an INT96 time beyond what
// nanoseconds since 1970 hold (int96Nanos).
func (c *pageCol) timeErr(i int) error {
	if c.typ == ptInt96 && c.i64[i] == outOfRangeNanos {
		return fmt.Errorf("an INT96 timestamp before 1677 or after 2262 is %w", ErrTimeRange)
	}
	return nil
}

// timeAt is time cell i.
func (c *pageCol) timeAt(i int) time.Time {
	v := c.i64[i]
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
	if c.kind == pkText || c.kind == pkTime {
		s, null := r.Str(col)
		return numOfText(s, null, "")
	}
	f := c.float()
	if err := checkMagnitude(f); err != nil {
		return 0, false, err
	}
	return f, false, nil
}

func (r *pageRows) Time(col int) (time.Time, bool, error) {
	c := &r.cols[col]
	if c.skipped || c.null != nil && c.null[c.i] {
		return time.Time{}, true, nil
	}
	if c.kind == pkTime {
		return c.time(), false, c.timeErr(c.i)
	}
	return timeOfText(r.Str(col))
}

func (r *pageRows) Pos(int) (int, int) { return r.row + 1, 0 }

// cleanable reports whether cleanColumns can read the events of these
// columns (col; type fixedType when set): the event contract's columns
// are all that is decoded (no channel, quantity or property), entity_id
// and type are text, ts a timestamp and value a number.
func (r *pageRows) cleanable(col *eventCols, fixedType string) bool {
	want := 2 // entity_id, ts
	if fixedType == "" {
		if r.cols[col.typ].kind != pkText {
			return false
		}
		want++
	}
	if col.value >= 0 {
		if vc := &r.cols[col.value]; vc.skipped || vc.kind == pkText || vc.kind == pkTime {
			return false
		}
		want++
	}
	decoded := 0
	for c := range r.cols {
		if !r.cols[c].skipped {
			decoded++
		}
	}
	return decoded == want && r.cols[col.id].kind == pkText && r.cols[col.ts].kind == pkTime &&
		col.quantity < 0 && col.channel < 0
}

var maxNanos = MaxTime.UnixNano()

// cleanColumns appends to b the rows that follow, at most max, while the
// decoded pages hold them and each is an event that EventReader.parse
// would read without an error, and returns how many; the columns must be
// cleanable. It stops before the first row that is not, which Next and
// parse then read as usual. Reading a run of rows a column at a time,
// without an interface call per cell, is what it is for: each column is
// read up to its first bad cell, the next only that far, and the columns
// read first are cut back to the shortest.
func (r *pageRows) cleanColumns(col *eventCols, fixedType string, valueRequired bool, b *eventColumns, max int) int {
	k := min(max, int(min(r.left, math.MaxInt32)))
	for c := range r.cols {
		if pc := &r.cols[c]; !pc.skipped {
			k = min(k, pc.n-1-pc.i) // rows after the current one on the page
		}
	}
	if k <= 0 {
		return 0
	}
	n := b.len()
	b.id, k = appendTexts(b.id, &r.cols[col.id], k, MaxIDBytes, true)
	b.ts, k = appendNanos(b.ts, &r.cols[col.ts], k)
	if fixedType == "" {
		b.typ, k = appendTexts(b.typ, &r.cols[col.typ], k, math.MaxInt, false)
	} else {
		for range k {
			b.typ = append(b.typ, fixedType)
		}
	}
	if col.value >= 0 {
		b.value, b.valued, k = appendValues(b.value, b.valued, &r.cols[col.value], k, valueRequired)
	} else {
		b.value, b.valued = append(b.value, make([]float64, k)...), append(b.valued, make([]bool, k)...)
	}
	b.id, b.typ, b.ts, b.value, b.valued = b.id[:n+k], b.typ[:n+k], b.ts[:n+k], b.value[:n+k], b.valued[:n+k]
	for c := range r.cols {
		if pc := &r.cols[c]; !pc.skipped {
			pc.i += k
		}
	}
	r.row += k
	r.left -= int64(k)
	return k
}

// The append functions read the k cells after c's current one onto dst
// and return it with how many they read: all k, or as many as come before
// the first that is not clean.

// appendTexts reads cells that are text, not blank, at most maxLen bytes
// once trimmed, and for ids no marker of a missing value (missingID).
func appendTexts(dst []string, c *pageCol, k, maxLen int, ids bool) ([]string, int) {
	at, null, bad := c.i+1, c.null, c.bad
	for j := range k {
		i := at + j
		if null != nil && null[i] || bad != nil && bad[i] != 0 {
			return dst, j
		}
		s := trimCell(c.text(i))
		if s == "" || len(s) > maxLen || ids && missingID(s) {
			return dst, j
		}
		dst = append(dst, s)
	}
	return dst, k
}

// appendNanos reads timestamps in [MinTime, MaxTime), in nanoseconds.
func appendNanos(dst []int64, c *pageCol, k int) ([]int64, int) {
	at, null, f := c.i+1, c.null, c.unit
	if f == 0 { // a date
		f = 86400e9
	}
	lo, hi := minNanos/f, maxNanos/f+1 // beyond, v*f would overflow or lie out of range
	for j, v := range c.i64[at : at+k] {
		if null != nil && null[at+j] || v < lo || v >= hi {
			return dst, j
		}
		ns := v * f
		if ns < minNanos || ns >= maxNanos {
			return dst, j
		}
		dst = append(dst, ns)
	}
	return dst, k
}

// appendValues reads numbers no larger than MaxMagnitude, and nulls
// (unvalued) unless required.
func appendValues(dst []float64, valued []bool, c *pageCol, k int, required bool) ([]float64, []bool, int) {
	at, null := c.i+1, c.null
	for j := range k {
		i := at + j
		if null != nil && null[i] {
			if required {
				return dst, valued, j
			}
			dst, valued = append(dst, 0), append(valued, false)
			continue
		}
		v := c.floatAt(i)
		if !inMagnitude(v) {
			return dst, valued, j
		}
		dst, valued = append(dst, v), append(valued, true)
	}
	return dst, valued, k
}

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
