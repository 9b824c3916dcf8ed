package features

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// SchemaVersion is the version of the feature table layout, stored in the
// Parquet key/value metadata as leadscore.schema_version.
const SchemaVersion = "1"

// Table is an in-memory, column-oriented table: a feature table, or a flat
// table read from a user's file. Columns keep a stable order.
type Table struct {
	Columns []Column
	// Meta is stored as Parquet key/value metadata, sorted by key.
	Meta map[string]string
	// origin is the file a table read by ReadTable came from, so that an
	// error found in a row later names the row's place in it.
	origin *origin
}

// NumRows returns the number of rows.
func (t *Table) NumRows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return t.Columns[0].Len()
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	if i := t.Index(name); i >= 0 {
		return &t.Columns[i]
	}
	return nil
}

// Index returns the position of the named column, or -1.
func (t *Table) Index(name string) int {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// slice returns rows [lo, hi) of the table, sharing its columns' storage.
func (t *Table) slice(lo, hi int) Table {
	out := Table{Meta: t.Meta, Columns: make([]Column, len(t.Columns)), origin: t.origin.pick(lo, hi, nil)}
	for i := range t.Columns {
		out.Columns[i] = t.Columns[i].slice(lo, hi)
	}
	return out
}

// Rows returns a new table holding the given rows, in that order, with the
// same metadata.
func (t *Table) Rows(rows []int) *Table {
	out := &Table{Meta: t.Meta, Columns: make([]Column, len(t.Columns)), origin: t.origin.pick(0, 0, rows)}
	for i := range t.Columns {
		out.Columns[i] = t.Columns[i].pick(rows)
	}
	return out
}

// Names returns the column names in order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Columns))
	for i := range t.Columns {
		out[i] = t.Columns[i].Name
	}
	return out
}

// rowGroupRows is the number of rows per Parquet row group.
const rowGroupRows = 1 << 17

// WriteParquet writes the table as Parquet (Snappy-compressed): floats as
// DOUBLE, nullable unless the column is Required, strings as nullable UTF8
// ("" is null), bools as BOOLEAN, times as TIMESTAMP(µs, UTC). Meta goes
// into the key/value metadata with leadscore.schema_version, sorted by key.
// The output holds no wall-clock time, so equal tables give byte-identical
// files.
func (t *Table) WriteParquet(w io.Writer) error {
	pw, err := newParquetWriter(w, t, func(c *Column) int { return c.textChunkBytes() })
	if err != nil {
		return err
	}
	if err := pw.write(t); err != nil {
		return err
	}
	return pw.close(t.Meta)
}

// parquetWriter writes tables of one shape to one Parquet file, in row
// groups of rowGroupRows: a table written whole and one written in parts
// of rowGroupRows rows (the last of any size) give the same bytes.
//
// Columns are encoded on every core: each row group is buffered, its
// columns written concurrently (each column has its own encoder and page
// buffer), then flushed in column order, so the bytes do not depend on
// scheduling.
type parquetWriter struct {
	fw    *file.Writer
	sink  *stickyWriter
	shape Table // no rows, the columns of every table written
	rows  int
	short bool // the last row group had fewer than rowGroupRows rows
}

// newParquetWriter starts a file for tables with the columns of first,
// whose rows choose the encodings: textBytes bounds the bytes of the
// distinct values a chunk of a text column can hold (its dictionary).
func newParquetWriter(w io.Writer, first *Table, textBytes func(c *Column) int) (*parquetWriter, error) {
	fields := make([]arrow.Field, len(first.Columns))
	for i, c := range first.Columns {
		fields[i] = arrow.Field{Name: c.Name, Nullable: true}
		switch c.Kind {
		case KindFloat:
			fields[i].Type = arrow.PrimitiveTypes.Float64
			fields[i].Nullable = !c.Required
		case KindString:
			fields[i].Type = arrow.BinaryTypes.String
		case KindBool:
			fields[i].Type = arrow.FixedWidthTypes.Boolean
			fields[i].Nullable = false
		case KindTime:
			fields[i].Type = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		}
	}
	// Entity ids and JSON award lists are nearly all distinct: a
	// dictionary only costs. Any other column keeps its dictionary for the
	// whole chunk: Arrow lists the encodings of a chunk that fell back to
	// plain in map order, which would make the footer differ between runs,
	// so a text column whose dictionary could outgrow dictLimit has none.
	opts := []parquet.WriterProperty{parquet.WithAllocator(&reuseAllocator{}), parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithCreatedBy("leadscore"), parquet.WithBatchSize(arrowBatch), parquet.WithDictionaryDefault(true), parquet.WithStats(true),
		parquet.WithDictionaryPageSizeLimit(dictLimit),
		parquet.WithDictionaryFor("entity_id", false), parquet.WithDictionaryFor("rule_awards", false)}
	for i := range first.Columns {
		c := &first.Columns[i]
		plain := c.Kind == KindFloat && c.mostlyDistinct()
		if c.Kind == KindString && c.Name != "entity_id" && c.Name != "rule_awards" {
			plain = textBytes(c) > dictLimit
		}
		if plain {
			opts = append(opts, parquet.WithDictionaryFor(c.Name, false))
		}
	}
	props := parquet.NewWriterProperties(opts...)
	// The Parquet schema Arrow would write for these fields.
	sc, err := pqarrow.ToParquet(arrow.NewSchema(fields, nil), props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		return nil, err
	}
	sink := &stickyWriter{w: w}
	fw := file.NewParquetWriter(sink, sc.Root(), file.WithWriterProps(props))
	return &parquetWriter{fw: fw, sink: sink, shape: first.slice(0, 0)}, nil
}

// stickyWriter passes writes on to w until one fails, and then takes
// every write without passing it: Arrow's writer panics when its first
// write fails, so it is never told; the parquetWriter reports err after
// each row group. It is no io.Closer, so Arrow cannot close w, which the
// caller owns.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
	return len(p), nil
}

// write writes the rows of t, which has the first table's columns, as
// row groups of rowGroupRows, the last shorter when the rows run out. Only
// the last write may end in a short row group.
func (pw *parquetWriter) write(t *Table) error {
	n := t.NumRows()
	if n > 0 && pw.short {
		return errors.New("features: rows written after a short row group")
	}
	for lo := 0; lo < n; lo += rowGroupRows {
		hi := min(lo+rowGroupRows, n)
		if err := pw.rowGroup(t, lo, hi); err != nil {
			return err
		}
		pw.short = hi-lo < rowGroupRows
	}
	return nil
}

// rowGroup writes rows [lo, hi) of t as one row group.
func (pw *parquetWriter) rowGroup(t *Table, lo, hi int) error {
	rgw := pw.fw.AppendBufferedRowGroup()
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range t.Columns {
		cw, err := rgw.Column(i)
		if err != nil {
			return err
		}
		g.Go(func() error {
			if err := t.Columns[i].writeChunk(cw, lo, hi); err != nil || hi == lo {
				return err
			}
			// A chunk's last page (for a dictionary-encoded chunk its one
			// page of indexes: at most rowGroupRows of at most 32 bits,
			// under the 1 MiB page size) is encoded and compressed when
			// the row group closes, one column after the other. Building
			// it here, on this core, ends it where closing would.
			if f, ok := cw.(pageFlusher); ok && f.EstimatedBufferedValueBytes() > 0 {
				return f.FlushCurrentPage()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	pw.rows += hi - lo
	if err := rgw.Close(); err != nil {
		return err
	}
	return pw.sink.err
}

// pageFlusher is the part of Arrow's column writers that ends a chunk's
// current page.
type pageFlusher interface {
	EstimatedBufferedValueBytes() int64
	FlushCurrentPage() error
}

// close writes the footer with meta and leadscore.schema_version as
// key/value metadata, sorted by key; a file without rows has one empty row
// group.
func (pw *parquetWriter) close(meta map[string]string) error {
	if pw.rows == 0 {
		if err := pw.rowGroup(&pw.shape, 0, 0); err != nil {
			return err
		}
	}
	all := map[string]string{MetaSchemaVersion: SchemaVersion}
	for k, v := range meta {
		all[k] = v
	}
	for _, k := range sortedKeys(all) {
		if err := pw.fw.AppendKeyValueMetadata(k, all[k]); err != nil {
			return err
		}
	}
	if err := pw.fw.Close(); err != nil {
		return err
	}
	return pw.sink.err
}

// arrowBatch is how many values Arrow's column writer hands its encoder
// at a time, checking the page's size after each: its default, 1,024,
// made a snapshot table's 370 million values as many calls, each slicing
// the values anew. A page may pass the 1 MiB Arrow aims at by one batch.
const arrowBatch = 1 << 14

// dictLimit bounds a column chunk's dictionary. A float, time or bool
// chunk (rowGroupRows values of at most 8 bytes) never reaches it.
const dictLimit = 64 << 20

// textChunkBytes returns the largest number of bytes the values of one row
// group's chunk of a text column hold: a bound on its dictionary.
func (c *Column) textChunkBytes() int {
	most := 0
	for lo := 0; lo < len(c.Str); lo += rowGroupRows {
		n := 0
		for _, v := range c.Str[lo:min(lo+rowGroupRows, len(c.Str))] {
			n += len(v) + 4
		}
		most = max(most, n)
	}
	return most
}

// distinctBytes returns the bytes the distinct non-empty values of ss
// take in a Parquet dictionary.
func distinctBytes(ss []string) int {
	seen := map[string]struct{}{}
	n := 0
	for _, s := range ss {
		if _, ok := seen[s]; !ok && s != "" {
			seen[s] = struct{}{}
			n += len(s) + 4
		}
	}
	return n
}

// mostlyDistinct reports whether the first 4,096 values of a float column
// that are not null (fractional days, sums of amounts) are too varied for
// a dictionary: more than one in eight distinct foretells tens of
// thousands in a row group (days since a type's latest event: 500 among
// the first 4,096 rows, 34,000 in a row group of the 400k-contact snapshot
// table), where the dictionary and its indexes are as large as the values
// and only cost time to build. Nulls take no dictionary entry, so they do
// not count: days since a rare type's latest event are mostly null and,
// where not, nearly all distinct.
func mostlyDistinct(v []float64) bool {
	seen := make(map[uint64]struct{}, distinctSample)
	n := 0
	for _, x := range v {
		if math.IsNaN(x) {
			continue
		}
		seen[math.Float64bits(x)] = struct{}{}
		if n++; n == distinctSample {
			break
		}
	}
	return len(seen) > n/8
}

// distinctSample is how many values mostlyDistinct looks at.
const distinctSample = 4096

// mostlyDistinct is mostlyDistinct of the column's values, counts or
// floats.
func (c *Column) mostlyDistinct() bool {
	if c.counts == nil {
		return mostlyDistinct(c.Float)
	}
	head := make([]float64, min(len(c.counts), distinctSample))
	for i := range head {
		head[i] = float64(c.counts[i])
	}
	return mostlyDistinct(head)
}

// arrowFloatDict, set by a test, leaves float dictionaries to Arrow.
var arrowFloatDict bool

// ownDict returns the dictionary encoder of a float chunk whose dictionary
// leadscore builds itself: one with a dictionary, none of it written yet.
func ownDict(cw *file.Float64ColumnChunkWriter) (dictEncoder, bool) {
	enc, ok := cw.CurrentEncoder().(dictEncoder)
	return enc, ok && enc.NumEntries() == 0 && !arrowFloatDict
}

// dictEncoder is the part of Arrow's (internal) dictionary encoder that
// writeFloatDict uses.
type dictEncoder interface {
	PutDictionary(values arrow.Array) error
	NumEntries() int
}

// writeFloatDict writes a float column chunk as dictionary indices it
// builds itself, as Arrow writes a dictionary array: Arrow's own encoder
// hashes every value, which made it the larger part of writing a feature
// table, while most feature values are small whole numbers (counts, days)
// that index a table here. The dictionary lists values in order of first
// appearance, as Arrow's does; the chunk's statistics come from it (every
// entry is used). A required chunk has no definition levels and no nulls.
func writeFloatDict(cw *file.Float64ColumnChunkWriter, enc dictEncoder, v []float64, required bool, s *chunkScratch) error {
	d := s.dict.reset()
	idx := grown(&s.idx, len(v))
	var def []int16
	if !required {
		def = grown(&s.def, len(v))
	}
	nulls := 0
	for i, x := range v {
		// A whole number in [0, smallWhole), not -0 (its sign bit is set):
		// NaN and every other value convert to an int outside the range
		// or back to another float.
		if k := int64(x); uint64(k) < smallWhole && float64(k) == x && int64(math.Float64bits(x)) >= 0 {
			idx[i] = d.whole(k)
			if def != nil {
				def[i] = 1
			}
			continue
		}
		if math.IsNaN(x) {
			if required {
				return errNullRequired
			}
			nulls++
			def[i], idx[i] = 0, 0
			continue
		}
		if def != nil {
			def[i] = 1
		}
		idx[i] = d.value(x)
	}
	return putDict(cw, enc, d.dict, idx, def, nulls, s)
}

// writeCounts writes a chunk of a column of counts (whole numbers, at
// least 0, none null) as writeChunk writes the same values as floats:
// with a dictionary, as writeFloatDict would; without, as floats.
func writeCounts(cw *file.Float64ColumnChunkWriter, v []int32, s *chunkScratch) error {
	enc, ok := ownDict(cw)
	if !ok {
		vals := grown(&s.floats, len(v))
		for i, k := range v {
			vals[i] = float64(k)
		}
		_, err := cw.WriteBatch(vals, nil, nil)
		return err
	}
	d := s.dict.reset()
	idx := grown(&s.idx, len(v))
	for i, k := range v {
		if uint32(k) < smallWhole {
			idx[i] = d.whole(int64(k))
		} else {
			idx[i] = d.value(float64(k))
		}
	}
	return putDict(cw, enc, d.dict, idx, nil, 0, s)
}

// chunkDict builds a float chunk's dictionary, its values in order of
// first appearance: whole numbers below smallWhole through a table,
// other values through a map of their bits.
type chunkDict struct {
	small [smallWhole]int32 // whole number k: its index + 1, 0 until seen
	other map[uint64]int32  // any other value's bits: its index + 1
	dict  []float64
}

// smallWhole bounds the whole numbers chunkDict looks up in its table.
const smallWhole = 4096

// reset empties the dictionary for another chunk and returns it.
func (d *chunkDict) reset() *chunkDict {
	clear(d.small[:])
	if d.other == nil {
		d.other = map[uint64]int32{}
	}
	clear(d.other)
	d.dict = d.dict[:0]
	return d
}

// whole returns the index of whole number k in [0, smallWhole).
func (d *chunkDict) whole(k int64) int32 {
	at := &d.small[k]
	if *at == 0 {
		d.dict = append(d.dict, float64(k))
		*at = int32(len(d.dict))
	}
	return *at - 1
}

// value returns the index of x, any value but NaN (−0 is not 0 here).
func (d *chunkDict) value(x float64) int32 {
	b := math.Float64bits(x)
	j, ok := d.other[b]
	if !ok {
		d.dict = append(d.dict, x)
		j = int32(len(d.dict))
		d.other[b] = j
	}
	return j - 1
}

// putDict writes a float chunk's dictionary, in order of first appearance,
// and its values' indexes into it, idx: Arrow's dictionary array, as
// writeFloatDict describes. def has a level per value (nil for a required
// chunk), and nulls of them are 0; a null's index is not read.
func putDict(cw *file.Float64ColumnChunkWriter, enc dictEncoder, dict []float64, idx []int32, def []int16, nulls int, s *chunkScratch) error {
	d := array.NewFloat64Data(array.NewData(arrow.PrimitiveTypes.Float64, len(dict),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(dict))}, nil, 0, 0))
	defer d.Release()
	if err := enc.PutDictionary(d); err != nil {
		return err
	}
	if enc.NumEntries() != len(dict) {
		return fmt.Errorf("dictionary of %d values took %d entries", len(dict), enc.NumEntries())
	}
	if st := cw.PageStatistics(); st != nil {
		st.IncNulls(int64(nulls))
		st.IncNumValues(int64(len(idx) - nulls))
		if err := st.UpdateFromArrow(d, false); err != nil {
			return err
		}
	}
	var validity *memory.Buffer
	if nulls > 0 {
		valid := grown(&s.valid, (len(idx)+7)/8)
		clear(valid)
		for i, d := range def {
			valid[i/8] |= byte(d) << (i % 8)
		}
		validity = memory.NewBufferBytes(valid)
	}
	ix := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, len(idx),
		[]*memory.Buffer{validity, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(idx))}, nil, nulls, 0))
	defer ix.Release()
	return cw.WriteDictIndices(ix, def, nil)
}

// chunkScratch is the memory writing a column chunk needs, reused from
// chunk to chunk: Arrow copies what it keeps of the values and levels it
// is given, but for a text chunk's least and greatest value, which it
// refers to until the footer is written.
type chunkScratch struct {
	def    []int16
	idx    []int32
	valid  []byte
	dict   chunkDict
	floats []float64
	ints   []int64
	texts  []parquet.ByteArray
}

var scratchPool = sync.Pool{New: func() any { return new(chunkScratch) }}

// grown returns (*buf)[:n], growing *buf when it is shorter.
func grown[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// writeChunk writes rows [lo, hi) of the column to a column chunk: the
// non-null values and one definition level per row (1 present, 0 null),
// or for a Required column the values alone.
func (c *Column) writeChunk(cw file.ColumnChunkWriter, lo, hi int) error {
	s := scratchPool.Get().(*chunkScratch)
	defer scratchPool.Put(s)
	def := grown(&s.def, hi-lo)
	var err error
	switch cw := cw.(type) {
	case *file.Float64ColumnChunkWriter:
		if c.counts != nil {
			err = writeCounts(cw, c.counts[lo:hi], s)
			break
		}
		if enc, ok := ownDict(cw); ok {
			err = writeFloatDict(cw, enc, c.Float[lo:hi], c.Required, s)
			break
		}
		if c.Required {
			if slices.ContainsFunc(c.Float[lo:hi], math.IsNaN) {
				err = errNullRequired
				break
			}
			_, err = cw.WriteBatch(c.Float[lo:hi], nil, nil)
			break
		}
		vals := s.floats[:0]
		for i, v := range c.Float[lo:hi] {
			def[i] = 0
			if !math.IsNaN(v) {
				def[i] = 1
				vals = append(vals, v)
			}
		}
		s.floats = vals
		_, err = cw.WriteBatch(vals, def, nil)
	case *file.ByteArrayColumnChunkWriter:
		vals := s.texts[:0]
		for i, v := range c.Str[lo:hi] {
			def[i] = 0
			if v != "" {
				def[i] = 1
				// Arrow only reads the bytes (statistics keep the
				// least and greatest): the string's own serve.
				vals = append(vals, unsafe.Slice(unsafe.StringData(v), len(v)))
			}
		}
		s.texts = vals
		_, err = cw.WriteBatch(vals, def, nil)
		clear(vals) // the values' bytes may go
	case *file.BooleanColumnChunkWriter:
		_, err = cw.WriteBatch(c.Bool[lo:hi], nil, nil)
	case *file.Int64ColumnChunkWriter:
		vals := s.ints[:0]
		for i, v := range c.Time[lo:hi] {
			def[i] = 0
			if !v.IsZero() {
				def[i] = 1
				vals = append(vals, v.UnixMicro())
			}
		}
		s.ints = vals
		_, err = cw.WriteBatch(vals, def, nil)
	default:
		err = fmt.Errorf("unexpected Parquet column writer %T", cw)
	}
	if err != nil {
		return fmt.Errorf("column %q: %w", c.Name, err)
	}
	return nil
}

// errNullRequired is the error for a null in a column marked Required.
var errNullRequired = errors.New("null value in a required column")

// ReadFileAt opens the file at path and reads it with read, which gets
// the file and its size (as Parquet readers take them).
func ReadFileAt[T any](path string, read func(r io.ReaderAt, size int64) (T, error)) (T, error) {
	var zero T
	f, err := OpenInput(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return zero, err
	}
	return read(f, st.Size())
}

// ReadParquetTable reads a whole flat Parquet file into a Table, a column
// per goroutine. Text columns become string columns; timestamps (INT64 or
// INT96) and dates time columns; booleans bool columns (float when they
// hold nulls); integers, floats and decimals float columns, nulls NaN.
// Other types, nested columns and corrupt files are *SchemaError; a bad
// value is a *RowError naming its row. name is used in messages.
func ReadParquetTable(ctx context.Context, r interface {
	io.ReaderAt
	io.Seeker
}, name string) (*Table, error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	pf, err := openPQ(r, size)
	if err != nil {
		return nil, &SchemaError{Path: name, Err: err}
	}
	t := &Table{Meta: pf.meta("leadscore."), Columns: make([]Column, len(pf.cols))}
	errs := make([]error, len(pf.cols))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range pf.cols {
		g.Go(func() error {
			if ctx.Err() == nil {
				t.Columns[k], errs[k] = readTableColumn(pf, k, name)
			}
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The first column's error, whichever goroutine met its error first.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// readTableColumn reads column k of every row group.
func readTableColumn(pf *pqFile, k int, name string) (Column, error) {
	col := &pf.cols[k]
	c := Column{Name: col.name}
	switch col.kind {
	case pkText:
		c.Kind, c.Str = KindString, make([]string, 0, pf.numRows)
	case pkTime:
		c.Kind, c.Time = KindTime, make([]time.Time, 0, pf.numRows)
	default:
		c.Kind, c.Float = KindFloat, make([]float64, 0, pf.numRows)
	}
	err := pf.eachCell(k, name, func(pc *pageCol, row int) error { return appendCell(&c, pc, name, row) })
	if err != nil {
		return c, err
	}
	if col.kind == pkBool && !slices.ContainsFunc(c.Float, math.IsNaN) {
		c.Kind, c.Bool = KindBool, make([]bool, len(c.Float))
		for i, f := range c.Float {
			c.Bool[i] = f != 0
		}
		c.Float = nil
	}
	return c, nil
}

// appendCell appends the page cell pc.i, row of the file, to c.
func appendCell(c *Column, pc *pageCol, name string, row int) error {
	null := pc.null != nil && pc.null[pc.i]
	switch c.Kind {
	case KindString:
		if null {
			c.Str = append(c.Str, "")
			return nil
		}
		if err := pc.badErr(pc.i); err != nil {
			return &RowError{Path: name, Line: row + 1, Field: c.Name, Err: err}
		}
		c.Str = append(c.Str, pc.text(pc.i))
	case KindTime:
		var t time.Time
		if !null {
			if err := pc.timeErr(pc.i); err != nil {
				return &RowError{Path: name, Line: row + 1, Field: c.Name, Err: err}
			}
			t = pc.time()
		}
		c.Time = append(c.Time, t)
	default:
		if null {
			c.Float = append(c.Float, math.NaN())
			return nil
		}
		f := pc.float()
		if !math.IsNaN(f) {
			if err := checkMagnitude(f); err != nil {
				return &RowError{Path: name, Line: row + 1, Field: c.Name, Err: err}
			}
		}
		c.Float = append(c.Float, f)
	}
	return nil
}

// ReadTable reads a whole table from a CSV or Parquet file into memory, for
// flat one-row-per-lead tables. CSV column kinds are inferred: float when
// every non-empty value is a number (plainly written, or with thousands
// separators or a decimal comma, a currency or percent sign, as
// src.Numbers says or detected; MissingTokens count as missing), time when
// every one is a date (ISO 8601, src.TimeLayout, or one detected pattern
// such as dd.mm.yyyy), string otherwise; a column that reads as different
// numbers or dates two ways is an *AmbiguousError. Values listed in na
// (such as "Select") count as missing. How text columns were read is in
// the table's ColumnReads. src.Columns is not used: flat tables keep their
// own names.
func ReadTable(ctx context.Context, src Source, na []string, bad *BadRows) (*Table, error) {
	if src.format() == FormatParquet {
		f, err := OpenInput(src.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t, err := ReadParquetTable(ctx, f, src.Path)
		if err != nil {
			return nil, err
		}
		for i := range t.Columns {
			if c := &t.Columns[i]; c.Kind == KindString {
				for j, s := range c.Str {
					if slices.Contains(na, s) {
						c.Str[j] = ""
					}
				}
			}
		}
		if err := nameAndRead(t, src, false); err != nil {
			return nil, err
		}
		return t, nil
	}
	r, err := openRows(ctx, src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// A column with a number format of its own is kept as text until
	// readText reads it, one of src.Text for good.
	text := map[string]bool{}
	for col, f := range src.Numbers {
		text[col] = f != NumberPlain
	}
	for col, keep := range src.Text {
		text[col] = text[col] || keep
	}
	written := writtenColumns(r.Header(), src.Written)
	t, ok, err := readCSVBlocks(ctx, src, r.Header(), na, text, written)
	if err != nil {
		return nil, err
	}
	if !ok {
		if t, err = readCSVRows(ctx, r, src.Path, na, bad, text, written); err != nil {
			return nil, err
		}
	}
	if err := nameAndRead(t, src, true); err != nil {
		return nil, err
	}
	return t, nil
}

// writtenColumns marks the columns of header whose cells want asks to
// keep as written (Source.Written): by the name the file gives a column,
// or by the name reading gives it (nameAndRead: column_3 for an unnamed
// one, Email.1 for a second Email). It is nil when want is empty.
func writtenColumns(header []string, want map[string]bool) []bool {
	if len(want) == 0 {
		return nil
	}
	t := &Table{Columns: make([]Column, len(header))}
	for j, h := range header {
		t.Columns[j].Name = h
	}
	nameUnnamed(t)
	nameDuplicates(t)
	out := make([]bool, len(header))
	for j, h := range header {
		out[j] = want[h] || want[t.Columns[j].Name]
	}
	return out
}

// nameAndRead finishes a flat table read from src (csv: a CSV file):
// names its unnamed and doubled columns, reads its text columns
// (readText) and records where its rows came from.
func nameAndRead(t *Table, src Source, csv bool) error {
	nameUnnamed(t)
	if err := readText(t, src, nameDuplicates(t)); err != nil {
		return &SchemaError{Path: src.Path, Err: err}
	}
	t.origin = &origin{src: src, csv: csv}
	return nil
}

// nameDuplicates renames the columns whose name an earlier column has (an
// export of two records' fields, each with an Email) as pandas reads them
// and returns how each was renamed (see distinctNames).
func nameDuplicates(t *Table) []ColumnRead {
	was := t.Names()
	names, renamed := distinctNames(was)
	var notes []ColumnRead
	for _, i := range renamed {
		t.Columns[i].Name = names[i]
		notes = append(notes, ColumnRead{Column: names[i], Note: renamedNote(i, was[i], names[i])})
	}
	return notes
}

// distinctNames returns header with the second and later columns of a
// name named name.1, name.2, … (underscores added while the header has
// that name already), and the places of those it renamed. Empty names
// are left as they are.
func distinctNames(header []string) ([]string, []int) {
	out := slices.Clone(header)
	count := map[string]int{}
	var renamed []int
	for i, h := range header {
		if h == "" {
			continue
		}
		if count[h]++; count[h] == 1 {
			continue
		}
		name := fmt.Sprintf("%s.%d", h, count[h]-1)
		for slices.Contains(header, name) || slices.Contains(out[:i], name) {
			name += "_"
		}
		out[i] = name
		renamed = append(renamed, i)
	}
	return out, renamed
}

// renamedNote says that column i of a header, named was as an earlier
// one is, is read as name.
func renamedNote(i int, was, name string) string {
	return fmt.Sprintf("column %d of the header is a second %q: read as %q", i+1, was, name)
}

// nameUnnamed names the columns a header left without a name (a
// spreadsheet's column of row numbers) column_N, N its place from 1, with
// underscores added while another column has the name.
func nameUnnamed(t *Table) {
	for i := range t.Columns {
		if c := &t.Columns[i]; c.Name == "" {
			c.Name = unnamedName(i, func(name string) bool { return t.Column(name) != nil })
		}
	}
}

// unnamedName is the name of the unnamed column at place i (from 0):
// column_N, N = i+1, with underscores added while taken says another
// column has the name.
func unnamedName(i int, taken func(name string) bool) string {
	name := fmt.Sprintf("column_%d", i+1)
	for taken(name) {
		name += "_"
	}
	return name
}

// readCSVRows reads a table row by row: the path for every file that
// readCSVBlocks declines, and the one that reports bad rows. The columns
// named in text stay as written; those marked in written (by place; nil
// for none) keep their cells beside what they read as.
func readCSVRows(ctx context.Context, r rows, path string, na []string, bad *BadRows, text map[string]bool, written []bool) (*Table, error) {
	cells := make([][]string, len(r.Header()))
	var lines []int // each kept row's line, for errors found by column
	for n := 0; ; n++ {
		if n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				return nil, err
			}
			if err := bad.handle(re, r.Record()); err != nil {
				return nil, err
			}
			continue
		}
		if blankRecord(r.Record()) {
			continue
		}
		line, _ := r.Pos(0)
		lines = append(lines, line)
		for j := range cells {
			s, _ := r.Str(j)
			if slices.Contains(na, s) {
				s = ""
			}
			cells[j] = append(cells[j], s)
		}
	}
	t := &Table{Meta: map[string]string{}, Columns: make([]Column, len(cells))}
	// Columns are inferred independently: two at a time.
	var g errgroup.Group
	g.SetLimit(2)
	for j, name := range r.Header() {
		g.Go(func() error {
			var kept []string
			if written != nil && written[j] {
				kept = cells[j]
			}
			if text[name] {
				t.Columns[j] = Column{Name: name, Kind: KindString, Str: cells[j], Written: kept}
				return nil
			}
			c, big := inferColumn(name, cells[j])
			if big >= 0 {
				return bigValueError(path, lines[big], name, cells[j][big])
			}
			c.Written = kept
			t.Columns[j] = inferTime(c)
			cells[j] = nil
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return t, nil
}

// inferTime returns text column c as a time column when every non-empty
// value is a timestamp, and c otherwise.
func inferTime(c Column) Column {
	if c.Kind != KindString {
		return c
	}
	ts := make([]time.Time, len(c.Str))
	any := false
	for i, s := range c.Str {
		if s == "" {
			continue
		}
		t, err := ParseTime(s)
		if err != nil {
			return c
		}
		ts[i], any = t, true
	}
	if !any {
		return c
	}
	return Column{Name: c.Name, Kind: KindTime, Time: ts, Written: c.Written}
}

// WriteCSV writes the table as RFC 4180 CSV with a header: floats in their
// shortest exact form without an exponent, times as RFC 3339, nulls as
// empty fields. It is the
// form notebooks and spreadsheets read when Parquet is not an option.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := NewCSVWriter(w)
	if err := cw.Write(t.Names()); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for i := range t.NumRows() {
		for j := range t.Columns {
			c := &t.Columns[j]
			switch {
			case c.IsNull(i):
				rec[j] = ""
			case c.Kind == KindFloat:
				rec[j] = strconv.FormatFloat(c.Float[i], 'f', -1, 64) // never an exponent
			default:
				rec[j] = c.Text(i)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
