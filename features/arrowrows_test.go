package features

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// parquetRows reads a Parquet file through Arrow, record batch by record
// batch: the reference the page reader's cells are compared with.
type parquetRows struct {
	path   string
	f      *os.File
	rr     pqarrow.RecordReader
	header []string
	rec    arrow.Record
	cols   []arrow.Array
	i, n   int
	row    int // 0-based global row index
	// unchecked marks the columns whose bad text is no bad row (skip).
	unchecked []bool
}

func newParquetRows(ctx context.Context, f *os.File, path string) (_ *parquetRows, err error) {
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, &SchemaError{Path: path, Err: fmt.Errorf("not a readable Parquet file: %w", err)}
	}
	props := pqarrow.ArrowReadProperties{BatchSize: 1 << 16, Parallel: true}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		return nil, &SchemaError{Path: path, Err: err}
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, &SchemaError{Path: path, Err: err}
	}
	asc := rr.Schema()
	header := make([]string, asc.NumFields())
	for i, fl := range asc.Fields() {
		header[i] = fl.Name
	}
	return &parquetRows{path: path, f: f, rr: rr, header: header, row: -1}, nil
}

func (r *parquetRows) Header() []string { return r.header }

// skip leaves columns unchecked. Arrow decodes them all the same: decode
// is not used.
func (r *parquetRows) skip(cols []int, decode bool) {
	r.unchecked = make([]bool, len(r.header))
	for _, k := range cols {
		r.unchecked[k] = true
	}
}

func (r *parquetRows) Next() (err error) {
	if err := r.advance(); err != nil {
		return err
	}
	// Text must be valid UTF-8 without NUL bytes, as in CSV input.
	for k, a := range r.cols {
		if r.unchecked != nil && r.unchecked[k] {
			continue
		}
		var v string
		switch a := a.(type) {
		case *array.String:
			v = a.Value(r.i)
		case *array.LargeString:
			v = a.Value(r.i)
		case *array.Binary:
			v = a.ValueString(r.i)
		default:
			continue
		}
		switch textBadString(v) {
		case badUTF8:
			return &RowError{Path: r.path, Line: r.row + 1, Field: r.header[k], Err: ErrInvalidUTF8}
		case badNUL:
			return &RowError{Path: r.path, Line: r.row + 1, Field: r.header[k], Err: ErrNULByte}
		}
	}
	return nil
}

// advance moves to the next row, reading the next record batch when the
// current one is done.
func (r *parquetRows) advance() (err error) {
	r.i++
	r.row++
	if r.i < r.n {
		return nil
	}
	if !r.rr.Next() {
		if err := r.rr.Err(); err != nil && err != io.EOF {
			return &RowError{Path: r.path, Line: r.row + 1, Err: fmt.Errorf("reading Parquet: %w", err)}
		}
		return io.EOF
	}
	r.rec = r.rr.Record()
	r.cols = r.rec.Columns()
	r.i, r.n = 0, int(r.rec.NumRows())
	if r.n == 0 {
		r.row--
		return r.advance()
	}
	return nil
}

func (r *parquetRows) Str(col int) (string, bool) {
	a := r.cols[col]
	if a.IsNull(r.i) {
		return "", true
	}
	switch a := a.(type) {
	case *array.String:
		s := strings.TrimSpace(a.Value(r.i))
		return s, s == ""
	case *array.LargeString:
		s := strings.TrimSpace(a.Value(r.i))
		return s, s == ""
	case *array.Binary:
		s := strings.TrimSpace(string(a.Value(r.i)))
		return s, s == ""
	case *array.Timestamp, *array.Date32, *array.Date64:
		t, _, _ := r.Time(col)
		return t.Format(time.RFC3339Nano), false
	case *array.Float64:
		return strconv.FormatFloat(a.Value(r.i), 'g', -1, 64), false
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(r.i)), 'g', -1, 32), false
	case *array.Dictionary:
		s := strings.TrimSpace(dictString(a, r.i))
		return s, s == ""
	}
	return a.ValueStr(r.i), false
}

func dictString(a *array.Dictionary, i int) string {
	d := a.Dictionary()
	j := a.GetValueIndex(i)
	switch d := d.(type) {
	case *array.String:
		return d.Value(j)
	case *array.LargeString:
		return d.Value(j)
	}
	return d.ValueStr(j)
}

func (r *parquetRows) Num(col int) (float64, bool, error) {
	a := r.cols[col]
	if a.IsNull(r.i) {
		return 0, true, nil
	}
	var f float64
	switch a := a.(type) {
	case *array.Float64:
		f = a.Value(r.i)
	case *array.Float32:
		f = float64(a.Value(r.i))
	case *array.Int64:
		f = float64(a.Value(r.i))
	case *array.Int32:
		f = float64(a.Value(r.i))
	case *array.Int16:
		f = float64(a.Value(r.i))
	case *array.Int8:
		f = float64(a.Value(r.i))
	case *array.Uint64:
		f = float64(a.Value(r.i))
	case *array.Uint32:
		f = float64(a.Value(r.i))
	case *array.Uint16:
		f = float64(a.Value(r.i))
	case *array.Uint8:
		f = float64(a.Value(r.i))
	case *array.Boolean:
		if a.Value(r.i) {
			f = 1
		}
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		f = a.Value(r.i).ToFloat64(dt.Scale)
	default:
		s, null := r.Str(col)
		if null {
			return 0, true, nil
		}
		return parseNum(s, "")
	}
	if err := checkMagnitude(f); err != nil {
		return 0, false, err
	}
	return f, false, nil
}

func (r *parquetRows) Time(col int) (time.Time, bool, error) {
	a := r.cols[col]
	if a.IsNull(r.i) {
		return time.Time{}, true, nil
	}
	switch a := a.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(r.i).ToTime(unit).UTC(), false, nil
	case *array.Date32:
		return a.Value(r.i).ToTime().UTC(), false, nil
	case *array.Date64:
		return a.Value(r.i).ToTime().UTC(), false, nil
	}
	return timeOfText(r.Str(col))
}

func (r *parquetRows) Pos(int) (int, int) { return r.row + 1, 0 }

func (r *parquetRows) Record() []string {
	if r.i >= r.n {
		return nil // no current row: the batch itself failed to decode
	}
	out := make([]string, len(r.cols))
	for i := range r.cols {
		out[i], _ = r.Str(i)
	}
	return out
}

func (r *parquetRows) Close() error {
	r.rr.Release()
	return r.f.Close()
}
