package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	aparquet "github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
)

// pqWide has a column of every type pageRows reads.
type pqWide struct {
	ID      string     `parquet:"id"`
	Dict    *string    `parquet:"dict,optional,dict"`
	Text    *string    `parquet:"text,optional"`
	F64     *float64   `parquet:"f64,optional"`
	F32     float32    `parquet:"f32"`
	I32     *int32     `parquet:"i32,optional"`
	I64     int64      `parquet:"i64"`
	Milli   time.Time  `parquet:"milli,timestamp(millisecond)"`
	Micro   *time.Time `parquet:"micro,optional,timestamp(microsecond)"`
	Nano    time.Time  `parquet:"nano,timestamp(nanosecond)"`
	Day     time.Time  `parquet:"day,date"`
	TSText  string     `parquet:"ts_text"`
	NumText *string    `parquet:"num_text,optional,dict"`
}

func wideRows(n int) []pqWide {
	rows := make([]pqWide, n)
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range rows {
		ts := base.Add(time.Duration(i) * 7919 * time.Second)
		r := pqWide{
			ID:     fmt.Sprintf("E%06d", i/3),
			F32:    float32(i) / 8,
			I64:    int64(i) * 1_000_003,
			Milli:  ts.Truncate(time.Millisecond),
			Nano:   ts.Add(time.Duration(i)),
			Day:    time.Date(2024, 1, 1+i%400, 0, 0, 0, 0, time.UTC),
			TSText: ts.Format(time.RFC3339),
		}
		if i%5 != 0 {
			r.Dict = ptr([]string{"email", " web ", "phone", "", "\tevent"}[i%5])
		}
		if i%7 != 0 {
			r.Text = ptr(fmt.Sprintf("  note %d ", i))
		}
		if i%3 != 0 {
			r.F64 = ptr(float64(i)*0.25 - 100)
		}
		if i%4 != 0 {
			r.I32 = ptr(int32(i - 5000))
		}
		if i%6 != 0 {
			r.Micro = ptr(ts.Truncate(time.Microsecond))
		}
		if i%2 == 0 {
			r.NumText = ptr([]string{"1.5", "-2", " 3e2 ", "x"}[i/2%4])
		}
		rows[i] = r
	}
	return rows
}

// cellsOf reads every cell of every row, as text, number and time (value or
// error), the way the event and profile readers ask for them.
func cellsOf(t *testing.T, r rows) []string {
	t.Helper()
	var out []string
	for {
		err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for c := range r.Header() {
			s, null := r.Str(c)
			f, fnull, ferr := r.Num(c)
			tm, tnull, terr := r.Time(c)
			out = append(out, fmt.Sprintf("%q %v | %v %v %v | %v %v %v", s, null, f, fnull, ferr, tm, tnull, terr))
		}
	}
}

func writeBytes(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPageRowsMatchArrow reads files with the page reader and with Arrow
// and expects the same cells: several row groups, pages of a few rows
// (so columns change page at different rows), nulls, spaces, dictionary
// and plain pages in one chunk, data pages v1 and v2. Cells are compared
// after the whole file is read, so a page reused too early would show.
func TestPageRowsMatchArrow(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqWide](&buf, parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(1500))
	if _, err := w.Write(wideRows(4000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	goFile := writeBytes(t, "parquet-go.parquet", buf.Bytes())

	// Arrow: v1 pages, and a dictionary small enough to fall back to plain
	// pages within a chunk.
	mem := memory.DefaultAllocator
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	for i := range 5000 {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("E%05d", i/2))
		if i%9 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("label-%d", i%1700))
		}
		if i%4 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append(float64(i) / 3)
		}
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*1_234_567))
	}
	rec := b.NewRecord()
	var abuf bytes.Buffer
	props := aparquet.NewWriterProperties(aparquet.WithDictionaryPageSizeLimit(2048), aparquet.WithDataPageSize(1024),
		aparquet.WithMaxRowGroupLength(2000))
	fw, err := pqarrow.NewFileWriter(sc, &abuf, props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	arrowFile := writeBytes(t, "arrow.parquet", abuf.Bytes())

	for _, path := range []string{goFile, arrowFile} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f1, _ := os.Open(path)
			pr, err := newPageRows(f1, path)
			if err != nil {
				t.Fatalf("page reader: %v", err)
			}
			defer pr.Close()
			f2, _ := os.Open(path)
			ar, err := newParquetRows(context.Background(), f2, path)
			if err != nil {
				t.Fatal(err)
			}
			defer ar.Close()
			got, want := cellsOf(t, pr), cellsOf(t, ar)
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("%d cells, Arrow %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d column %s: page reader %s, Arrow %s", i/len(pr.Header())+1, pr.Header()[i%len(pr.Header())], got[i], want[i])
				}
			}
		})
	}
}

// TestPageRowsLeavesOtherTypesToArrow: a column type the page reader does
// not read (here a boolean) sends the file to Arrow, which reads it.
func TestPageRowsLeavesOtherTypesToArrow(t *testing.T) {
	type row struct {
		ID   string `parquet:"id"`
		Flag bool   `parquet:"flag"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	w.Write([]row{{"a", true}, {"b", false}})
	w.Close()
	path := writeBytes(t, "bool.parquet", buf.Bytes())
	f, _ := os.Open(path)
	if _, err := newPageRows(f, path); !errors.Is(err, errUnsupported) {
		t.Fatalf("newPageRows: %v, want errUnsupported", err)
	}
	f.Close()
	r, err := openRows(context.Background(), Source{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*parquetRows); !ok {
		t.Fatalf("openRows gave %T, want the Arrow reader", r)
	}
	if got := cellsOf(t, r); len(got) != 4 || !strings.HasPrefix(got[1], `"true" false | 1 false <nil> |`) {
		t.Fatalf("cells: %q", got)
	}
}

// TestWriteParquetDeterministic writes a table whose text columns outgrow
// Arrow's default dictionary page (1 MB) several times: the files must be
// byte-identical (a chunk that fell back to plain pages listed its
// encodings in map order).
func TestWriteParquetDeterministic(t *testing.T) {
	n := 3 * rowGroupRows / 2
	ids, notes := make([]string, n), make([]string, n)
	vals := make([]float64, n)
	for i := range n {
		ids[i] = fmt.Sprintf("E%09d", i)
		notes[i] = fmt.Sprintf("note %020d", i*7)
		vals[i] = float64(i) / 7
		if i%11 == 0 {
			vals[i] = math.NaN()
		}
	}
	tab := &Table{Columns: []Column{{Name: "entity_id", Kind: KindString, Str: ids},
		{Name: "note", Kind: KindString, Str: notes}, {Name: "x", Kind: KindFloat, Float: vals}},
		Meta: map[string]string{"k": "v"}}
	var first []byte
	for i := range 8 {
		var buf bytes.Buffer
		if err := tab.WriteParquet(&buf); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
			continue
		}
		if !bytes.Equal(buf.Bytes(), first) {
			t.Fatalf("write %d differs from the first", i+1)
		}
	}
	back, err := ReadParquetTable(context.Background(), bytes.NewReader(first), "t.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if back.NumRows() != n || back.Column("note").Str[n-1] != notes[n-1] || !math.IsNaN(back.Column("x").Float[0]) || back.Column("x").Float[1] != vals[1] {
		t.Fatalf("read back wrong: %d rows", back.NumRows())
	}
}

// TestWriteFloatDictMatchesArrow: the float dictionaries writeFloatDict
// builds give the same file, byte for byte, as Arrow's own encoder: whole
// numbers below and above its table, negatives, fractions, −0, nulls, and a
// second row group with other values.
func TestWriteFloatDictMatchesArrow(t *testing.T) {
	n := rowGroupRows + 5000
	cols := make([]Column, 4)
	for k := range cols {
		cols[k] = Column{Name: fmt.Sprintf("c%d", k), Kind: KindFloat, Float: make([]float64, n)}
	}
	for i := range n {
		cols[0].Float[i] = float64(i % 37)
		cols[1].Float[i] = []float64{0, math.Copysign(0, -1), -3, 4095, 4096, 1e9, 0.5, math.NaN()}[i%8]
		cols[2].Float[i] = float64(i%200) / 4
		cols[3].Float[i] = math.NaN()
		if i > rowGroupRows {
			cols[0].Float[i] = float64(100 + i%3)
		}
	}
	tab := &Table{Columns: cols}
	write := func(arrow bool) []byte {
		arrowFloatDict = arrow
		defer func() { arrowFloatDict = false }()
		var buf bytes.Buffer
		if err := tab.WriteParquet(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	ours, theirs := write(false), write(true)
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("files differ (%d and %d bytes)", len(ours), len(theirs))
	}
	back, err := ReadParquetTable(context.Background(), bytes.NewReader(ours), "t.parquet")
	if err != nil {
		t.Fatal(err)
	}
	for k := range cols {
		for i, want := range cols[k].Float {
			got := back.Columns[k].Float[i]
			if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("column %d row %d: %v, want %v", k, i, got, want)
			}
		}
	}
}

// TestPageRowsCorruptBytes flips bytes all over a small multi-page file:
// reading must end (no hang in the decoding goroutines), without a panic,
// with rows or a bad-input error that names the file.
func TestPageRowsCorruptBytes(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqWide](&buf, parquet.PageBufferSize(256), parquet.MaxRowsPerRowGroup(120),
		parquet.Compression(&parquet.Snappy))
	if _, err := w.Write(wideRows(300)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	dir := t.TempDir()
	bad, files := 0, 0
	for off := 4; off < len(good)-8; off += 31 {
		files++
		b := slices.Clone(good)
		b[off] ^= 0x5a
		p := filepath.Join(dir, fmt.Sprintf("c%d.parquet", off))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := openRows(context.Background(), Source{Path: p})
		if err == nil {
			for {
				if err = r.Next(); err != nil {
					break
				}
				for c := range r.Header() {
					r.Str(c)
					r.Num(c)
					r.Time(c)
				}
			}
			r.Close()
			if err == io.EOF {
				continue
			}
		}
		bad++
		var re *RowError
		var se *SchemaError
		if !IsBadInput(err) || errors.As(err, &re) && re.Path != p || errors.As(err, &se) && se.Path != p {
			t.Fatalf("byte %d flipped: %v, want a bad-input error naming the file", off, err)
		}
	}
	if bad == 0 {
		t.Fatal("no corruption was noticed")
	}
	t.Logf("%d of %d corrupted files rejected", bad, files)
}
