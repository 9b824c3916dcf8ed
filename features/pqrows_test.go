package features

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	aparquet "github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
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
	props := aparquet.NewWriterProperties(aparquet.WithDictionaryPageSizeLimit(2048), aparquet.WithDataPageSize(1024),
		aparquet.WithMaxRowGroupLength(2000))
	arrowFile, _ := writeArrowFile(t, "arrow.parquet", b.NewRecord(), props, pqarrow.NewArrowWriterProperties())

	for _, path := range []string{goFile, arrowFile} {
		compareWithArrow(t, path)
	}
}

// TestPageRowsUnsupportedTypes: a nested or repeated column, or a type
// leadscore does not read (time of day), is a schema error naming the
// column, before any row is read.
func TestPageRowsUnsupportedTypes(t *testing.T) {
	type listRow struct {
		ID   string   `parquet:"id"`
		Tags []string `parquet:"tags,list"`
	}
	type timeRow struct {
		ID  string        `parquet:"id"`
		Dur time.Duration `parquet:"dur,time(millisecond)"`
	}
	for name, rows := range map[string]any{"tags": []listRow{{"a", []string{"x"}}}, "dur": []timeRow{{"a", time.Second}}} {
		var buf bytes.Buffer
		var err error
		switch rows := rows.(type) {
		case []listRow:
			err = parquet.Write(&buf, rows)
		case []timeRow:
			err = parquet.Write(&buf, rows)
		}
		if err != nil {
			t.Fatal(err)
		}
		path := writeBytes(t, name+".parquet", buf.Bytes())
		_, err = openRows(context.Background(), Source{Path: path})
		var se *SchemaError
		if !errors.As(err, &se) || se.Path != path || !errors.Is(err, errUnsupported) || !strings.Contains(err.Error(), name) {
			t.Fatalf("%s: %v, want a schema error naming the column", name, err)
		}
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

// TestCountColumnsMatchFloats: count columns held as int32, as BuildParquet
// holds them, give the file their values as floats give, byte for byte,
// with writeFloatDict's dictionaries and with Arrow's own: counts below
// and above writeFloatDict's table, a column varied enough to be written
// without a dictionary, one of zeros, and a second row group.
func TestCountColumnsMatchFloats(t *testing.T) {
	n := rowGroupRows + 5000
	counts := [][]int32{make([]int32, n), make([]int32, n), make([]int32, n)}
	for i := range n {
		counts[0][i] = []int32{0, 3, 4095, 4096, 70000, 1 << 30}[i%6]
		counts[1][i] = int32(i * 7 % 100003) // mostly distinct: plain
		if i > rowGroupRows {
			counts[0][i] = int32(5 + i%2)
		}
	}
	asCounts, asFloats := &Table{}, &Table{}
	for k, v := range counts {
		name := fmt.Sprintf("c%d", k)
		f := make([]float64, n)
		for i, x := range v {
			f[i] = float64(x)
		}
		asCounts.Columns = append(asCounts.Columns, Column{Name: name, Kind: KindFloat, Required: true, counts: v})
		asFloats.Columns = append(asFloats.Columns, Column{Name: name, Kind: KindFloat, Required: true, Float: f})
	}
	if !asCounts.Columns[1].mostlyDistinct() || asCounts.Columns[0].mostlyDistinct() {
		t.Fatal("the test's columns no longer cover both encodings")
	}
	for _, arrow := range []bool{false, true} {
		arrowFloatDict = arrow
		var a, b bytes.Buffer
		errA, errB := asCounts.WriteParquet(&a), asFloats.WriteParquet(&b)
		arrowFloatDict = false
		if err := cmp.Or(errA, errB); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("Arrow's dictionaries %v: counts give %d bytes, floats %d, not the same", arrow, a.Len(), b.Len())
		}
	}
}

// TestPageRowsCorruptBytes flips bytes all over small multi-page files
// (data pages v1 with ZSTD, v2 with Snappy): reading them as events or as a
// table must end (no hang in the decoding goroutines), without a panic,
// with rows or a bad-input error that names the file.
func TestPageRowsCorruptBytes(t *testing.T) {
	dir := t.TempDir()
	bad, files := 0, 0
	for v, codec := range map[int]compress.Codec{1: &parquet.Zstd, 2: &parquet.Snappy} {
		var buf bytes.Buffer
		if err := writeAll(&buf, wideRows(300), []parquet.WriterOption{parquet.PageBufferSize(256),
			parquet.MaxRowsPerRowGroup(120), parquet.Compression(codec), parquet.DataPageVersion(v)}); err != nil {
			t.Fatal(err)
		}
		good := buf.Bytes()
		for off := 4; off < len(good)-8; off += 41 {
			files++
			b := slices.Clone(good)
			b[off] ^= 0x5a
			p := filepath.Join(dir, fmt.Sprintf("c%d-%d.parquet", v, off))
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, terr := ReadParquetTable(context.Background(), bytes.NewReader(b), p)
			err := readAllCells(p)
			if err == io.EOF && terr == nil {
				continue
			}
			bad++
			for _, err := range []error{err, terr} {
				var re *RowError
				var se *SchemaError
				if err != io.EOF && err != nil && (!IsBadInput(err) || errors.As(err, &re) && re.Path != p || errors.As(err, &se) && se.Path != p) {
					t.Fatalf("v%d, byte %d flipped: %v, want a bad-input error naming the file", v, off, err)
				}
			}
		}
	}
	if bad == 0 {
		t.Fatal("no corruption was noticed")
	}
	t.Logf("%d of %d corrupted files rejected", bad, files)
}

// readAllCells reads every cell of the Parquet file p as events are read;
// io.EOF when all were read.
func readAllCells(p string) error {
	r, err := openRows(context.Background(), Source{Path: p})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if err := r.Next(); err != nil {
			return err
		}
		for c := range r.Header() {
			r.Str(c)
			r.Num(c)
			r.Time(c)
		}
	}
}

// pqMore has the encodings and types pqWide lacks: delta and byte-stream-
// split values, booleans, unsigned and small integers.
type pqMore struct {
	ID    string   `parquet:"id,delta"`
	Label string   `parquet:"label,delta"`
	Note  *string  `parquet:"note,optional"`
	I32   int32    `parquet:"i32,delta"`
	I64   int64    `parquet:"i64,delta"`
	F64   float64  `parquet:"f64,split"`
	F32   float32  `parquet:"f32,split"`
	OF32  *float32 `parquet:"of32,optional"`
	Flag  bool     `parquet:"flag"`
	OFlag *bool    `parquet:"oflag,optional"`
	U32   uint32   `parquet:"u32"`
	U64   *uint64  `parquet:"u64,optional"`
	I8    int8     `parquet:"i8"`
}

func moreRows(n int) []pqMore {
	rows := make([]pqMore, n)
	for i := range rows {
		r := pqMore{
			ID:   fmt.Sprintf("contact-%07d", i*7919%100003),
			I32:  int32(i*i - 50000),
			F64:  float64(i) / 7,
			Flag: i%3 == 0,
			U32:  4_000_000_000 - uint32(i),
			I8:   int8(i % 250),
		}
		r.Label = fmt.Sprintf("label %d", i%37)
		r.I64 = int64(i) * -9_000_000_011
		r.F32 = float32(i) * 1.5
		if i%4 != 0 {
			r.Note = ptr(fmt.Sprintf("note %d", i%37))
		}
		if i%5 != 0 {
			r.OF32 = ptr(float32(i) * 2.5)
		}
		if i%2 == 0 {
			r.OFlag = ptr(i%4 == 0)
			r.U64 = ptr(uint64(1<<63) + uint64(i))
		}
		rows[i] = r
	}
	return rows
}

// TestPageRowsReadEveryEncoding: files in both data page versions, with
// every codec and encoding parquet-go writes, read as written: pqWide's
// cells as Arrow reads them, pqMore's (byte-stream-split doubles, which
// Arrow v17 reads as empty columns) as the values written.
func TestPageRowsReadEveryEncoding(t *testing.T) {
	codecs := map[string]compress.Codec{"none": &parquet.Uncompressed, "snappy": &parquet.Snappy, "gzip": &parquet.Gzip,
		"zstd": &parquet.Zstd, "lz4raw": &parquet.Lz4Raw, "brotli": &parquet.Brotli}
	more := moreRows(2000)
	for _, version := range []int{1, 2} {
		var uncompressed string
		for _, name := range []string{"none", "snappy", "gzip", "zstd", "lz4raw", "brotli"} {
			codec := codecs[name]
			opts := []parquet.WriterOption{parquet.PageBufferSize(700), parquet.MaxRowsPerRowGroup(900),
				parquet.Compression(codec), parquet.DataPageVersion(version)}
			var buf bytes.Buffer
			if err := writeAll(&buf, wideRows(2000), opts); err != nil {
				t.Fatal(err)
			}
			wide := writeBytes(t, fmt.Sprintf("wide-v%d-%s.parquet", version, name), buf.Bytes())
			if name == "none" {
				uncompressed = wide
			}
			if name == "lz4raw" { // Arrow v17 does not read LZ4_RAW: compare with the same rows uncompressed
				if got, want := pageCells(t, wide), pageCells(t, uncompressed); !slices.Equal(got, want) {
					t.Fatalf("%s: cells differ from the uncompressed file's", filepath.Base(wide))
				}
			} else {
				compareWithArrow(t, wide)
			}
			buf.Reset()
			if err := writeAll(&buf, more, opts); err != nil {
				t.Fatal(err)
			}
			path := writeBytes(t, fmt.Sprintf("more-v%d-%s.parquet", version, name), buf.Bytes())
			got := rowsOf(t, path)
			if len(got) != len(more) {
				t.Fatalf("%s: %d rows of %d", filepath.Base(path), len(got), len(more))
			}
			for row, cells := range got {
				if want := moreCells(more[row]); !slices.Equal(cells, want) {
					t.Fatalf("%s row %d: %q, want %q", filepath.Base(path), row+1, cells, want)
				}
			}
		}
	}
}

// pageCells reads every cell of path with the page reader.
func pageCells(t *testing.T, path string) []string {
	f, _ := os.Open(path)
	pr, err := newPageRows(f, path)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	return cellsOf(t, pr)
}

// strCells returns the current row's cells as text, "null" for a null.
func strCells(r rows) []string {
	var out []string
	for k := range r.Header() {
		s, null := r.Str(k)
		if null {
			s = "null"
		}
		out = append(out, s)
	}
	return out
}

// rowsOf reads every row of path with the page reader, its cells as
// strCells gives them.
func rowsOf(t *testing.T, path string) [][]string {
	t.Helper()
	f, _ := os.Open(path)
	pr, err := newPageRows(f, path)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	var out [][]string
	for {
		err := pr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strCells(pr))
	}
}

// writeArrowFile writes rec with Arrow's Parquet writer to a file named
// name and returns its path and bytes.
func writeArrowFile(t *testing.T, name string, rec arrow.Record, props *aparquet.WriterProperties,
	aprops pqarrow.ArrowWriterProperties) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(rec.Schema(), &buf, props, aprops)
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeBytes(t, name, buf.Bytes()), buf.Bytes()
}

// moreCells is a pqMore row as the readers give its cells.
func moreCells(r pqMore) []string {
	opt := func(p any, s string) string {
		if reflect.ValueOf(p).IsNil() {
			return "null"
		}
		return s
	}
	note, of32, oflag, u64 := "", "", "", ""
	if r.Note != nil {
		note = *r.Note
	}
	if r.OF32 != nil {
		of32 = strconv.FormatFloat(float64(*r.OF32), 'g', -1, 32)
	}
	if r.OFlag != nil {
		oflag = strconv.FormatBool(*r.OFlag)
	}
	if r.U64 != nil {
		u64 = strconv.FormatUint(*r.U64, 10)
	}
	return []string{r.ID, r.Label, opt(r.Note, note), strconv.Itoa(int(r.I32)), strconv.FormatInt(r.I64, 10),
		strconv.FormatFloat(r.F64, 'g', -1, 64), strconv.FormatFloat(float64(r.F32), 'g', -1, 32), opt(r.OF32, of32),
		strconv.FormatBool(r.Flag), opt(r.OFlag, oflag), strconv.FormatUint(uint64(r.U32), 10), opt(r.U64, u64),
		strconv.Itoa(int(r.I8))}
}

func writeAll[T any](w io.Writer, rows []T, opts []parquet.WriterOption) error {
	pw := parquet.NewGenericWriter[T](w, opts...)
	if _, err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

// compareWithArrow reads path with the page reader and with Arrow and
// expects the same cells.
func compareWithArrow(t *testing.T, path string) {
	t.Helper()
	f1, _ := os.Open(path)
	pr, err := newPageRows(f1, path)
	if err != nil {
		t.Fatalf("%s: page reader: %v", filepath.Base(path), err)
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
		t.Fatalf("%s: %d cells, Arrow %d", filepath.Base(path), len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: row %d column %s: page reader %s, Arrow %s", filepath.Base(path), i/len(pr.Header())+1,
				pr.Header()[i%len(pr.Header())], got[i], want[i])
		}
	}
}

// TestPageRowsDecimalsAndInt96: decimals stored as INT32, INT64 and fixed
// bytes read as the nearest float; INT96 timestamps (Arrow's, as Spark
// writes them) as the instant Arrow reads.
func TestPageRowsDecimalsAndInt96(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "d9", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
		{Name: "d18", Type: &arrow.Decimal128Type{Precision: 18, Scale: 4}},
		{Name: "d30", Type: &arrow.Decimal128Type{Precision: 30, Scale: 3}},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	unscaled := []int64{0, 1234, -1234, 999_999_999, -5, 123_456_789_012}
	want := map[string][]string{}
	for i, u := range unscaled {
		if i == 2 {
			b.Field(0).AppendNull()
			want["d9"] = append(want["d9"], "null")
		} else {
			b.Field(0).(*array.Decimal128Builder).Append(decimal128.FromI64(u % 1_000_000_000))
			want["d9"] = append(want["d9"], strconv.FormatFloat(float64(u%1_000_000_000)/100, 'f', -1, 64))
		}
		b.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(u))
		want["d18"] = append(want["d18"], strconv.FormatFloat(float64(u)/1e4, 'f', -1, 64))
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(u).Mul(decimal128.FromI64(1_000_000_007)))
		v, _ := scaledFloat(new(big.Int).Mul(big.NewInt(u), big.NewInt(1_000_000_007)).String(), 3)
		want["d30"] = append(want["d30"], strconv.FormatFloat(v, 'f', -1, 64))
		ts := time.Date(1969+i*20, 7, 20, 20, 17, 40, i*123, time.UTC)
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixNano()))
		want["ts"] = append(want["ts"], ts.Format(time.RFC3339Nano))
	}
	path, _ := writeArrowFile(t, "dec.parquet", b.NewRecord(), aparquet.NewWriterProperties(),
		pqarrow.NewArrowWriterProperties(pqarrow.WithDeprecatedInt96Timestamps(true)))
	for row, cells := range rowsOf(t, path) {
		for k, name := range []string{"d9", "d18", "d30", "ts"} {
			if cells[k] != want[name][row] {
				t.Errorf("row %d %s: %s, want %s", row+1, name, cells[k], want[name][row])
			}
		}
	}
	f, _ := os.Open(path)
	pr, err := newPageRows(f, path)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if pr.cols[3].typ != ptInt96 {
		t.Fatal("the timestamps were not written as INT96")
	}
}

// TestPageRowsDeltaLengthStrings: text in DELTA_LENGTH_BYTE_ARRAY pages
// (which Arrow writes when asked; parquet-go does not), with nulls, in data
// pages v1 and v2, reads as written.
func TestPageRowsDeltaLengthStrings(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	var want []string
	for i := range 3000 {
		if i%7 == 0 {
			b.Field(0).AppendNull()
			want = append(want, "null")
			continue
		}
		s := fmt.Sprintf("contact-%d-%s", i, strings.Repeat("é", i%4))
		b.Field(0).(*array.StringBuilder).Append(s)
		want = append(want, s)
	}
	rec := b.NewRecord()
	for _, v := range []aparquet.DataPageVersion{aparquet.DataPageV1, aparquet.DataPageV2} {
		props := aparquet.NewWriterProperties(aparquet.WithDictionaryDefault(false), aparquet.WithDataPageSize(2048),
			aparquet.WithEncodingFor("s", aparquet.Encodings.DeltaLengthByteArray), aparquet.WithDataPageVersion(v))
		path, data := writeArrowFile(t, "dlba.parquet", rec, props, pqarrow.NewArrowWriterProperties())
		var got []string
		for _, cells := range rowsOf(t, path) {
			got = append(got, cells[0])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("page version %v: %d values read, first %q; want %d", v, len(got), got[:min(3, len(got))], len(want))
		}
		ar, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		cc, err := ar.MetaData().RowGroup(0).ColumnChunk(0)
		if err != nil || !slices.Contains(cc.Encodings(), aparquet.Encodings.DeltaLengthByteArray) {
			t.Fatalf("the strings were not written as delta lengths: %v %v", cc.Encodings(), err)
		}
	}
}

// pqLooseEvent is an events row with every contract column optional.
type pqLooseEvent struct {
	ID    *string    `parquet:"entity_id,optional"`
	TS    *time.Time `parquet:"ts,optional,timestamp(microsecond)"`
	Type  *string    `parquet:"type,optional,dict"`
	Value *float64   `parquet:"value,optional"`
}

// pqLooseOrder is an orders row (every row an event of type order, the
// amount required) with every column optional and times in milliseconds.
type pqLooseOrder struct {
	ID     *string    `parquet:"entity_id,optional"`
	TS     *time.Time `parquet:"ts,optional,timestamp(millisecond)"`
	Amount *float64   `parquet:"amount,optional"`
}

// TestCleanEventsMatchRowPath: events read a run of rows at a time
// (EventReader.cleanEvents) or a column at a time (readColumns) are the
// events, bad rows, row count and errors of the row-by-row path, on pages
// of a few rows that end at different rows per column, across row groups,
// with every kind of bad cell; for events and for orders.
func TestCleanEventsMatchRowPath(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := make([]pqLooseEvent, 6000)
	for i := range rows {
		ts := base.Add(time.Duration(r.IntN(1e6)) * time.Second)
		e := pqLooseEvent{ID: ptr(fmt.Sprintf("E%04d", r.IntN(500))), TS: &ts, Type: ptr([]string{"order", "page_view", " rfq "}[r.IntN(3)]), Value: ptr(float64(r.IntN(1000)) / 4)}
		switch r.IntN(60) {
		case 0:
			e.ID = nil
		case 1:
			e.ID = ptr("   ")
		case 2:
			e.ID = ptr(strings.Repeat("x", MaxIDBytes+1))
		case 3:
			e.ID = ptr("E\xff")
		case 4:
			e.Type = ptr("a\x00b")
		case 5:
			e.TS = nil
		case 6:
			e.TS = ptr(time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC))
		case 7:
			e.TS = ptr(time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC))
		case 8:
			e.Type = nil
		case 9:
			e.Type = ptr("")
		case 10:
			e.Value = ptr(math.NaN())
		case 11:
			e.Value = ptr(math.Inf(-1))
		case 12:
			e.Value = ptr(2 * MaxMagnitude)
		case 13, 14, 15:
			e.Value = nil
		case 16:
			e.TS = ptr(MinTime)
		case 17:
			e.TS = ptr(MaxTime.Add(-time.Microsecond))
		case 18:
			e.TS = ptr(MaxTime)
		}
		rows[i] = e
	}
	orders := make([]pqLooseOrder, len(rows))
	for i, e := range rows {
		orders[i] = pqLooseOrder{ID: e.ID, TS: e.TS, Amount: e.Value}
	}
	opts := []parquet.WriterOption{parquet.PageBufferSize(300), parquet.MaxRowsPerRowGroup(1700)}
	var buf, obuf bytes.Buffer
	if err := writeAll(&buf, rows, opts); err != nil {
		t.Fatal(err)
	}
	if err := writeAll(&obuf, orders, opts); err != nil {
		t.Fatal(err)
	}
	eventsPath, ordersPath := writeBytes(t, "events.parquet", buf.Bytes()), writeBytes(t, "orders.parquet", obuf.Bytes())
	read := func(path, how string, maxBad int) string {
		var q bytes.Buffer
		bad := &BadRows{Max: maxBad, Quarantine: NewQuarantine(&q)}
		var er *EventReader
		var err error
		if path == ordersPath {
			er, err = OpenOrders(context.Background(), Source{Path: path}, bad)
		} else {
			er, err = openEvents(context.Background(), Source{Path: path}, bad, map[string]bool{}, false)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer er.Close()
		if er.runs == nil {
			t.Fatal("the events' columns are not cleanable")
		}
		if how == "row by row" {
			er.runs = nil
		}
		var out strings.Builder
		size := 1 + r.IntN(700)
		batch := make([]Event, size)
		var cols eventColumns
		for {
			var n int
			var err error
			if how == "columns" {
				err = er.readColumns(&cols, size)
				n = cols.len()
				for i := range n {
					batch[i] = Event{EntityID: cols.id[i], TS: time.Unix(0, cols.ts[i]).UTC(), Type: cols.typ[i], Value: cols.value[i], HasValue: cols.valued[i]}
				}
			} else {
				n, err = er.Read(batch)
			}
			for _, e := range batch[:n] {
				fmt.Fprintf(&out, "%s|%s|%s|%v|%v\n", e.EntityID, e.TS.Format(time.RFC3339Nano), e.Type, e.Value, e.HasValue)
			}
			if err != nil {
				if err != io.EOF {
					fmt.Fprintf(&out, "error: %v\n", err)
				}
				break
			}
		}
		bad.Quarantine.Close()
		fmt.Fprintf(&out, "rows %d\n%s", er.Rows(), q.String())
		return out.String()
	}
	for _, path := range []string{eventsPath, ordersPath} {
		for _, maxBad := range []int{0, 40, 10000} {
			want := read(path, "row by row", maxBad)
			for _, how := range []string{"runs of rows", "columns"} {
				if got := read(path, how, maxBad); got != want {
					t.Errorf("%s, --max-bad-rows %d: %s read\n%.2000s\nwant, row by row\n%.2000s", filepath.Base(path), maxBad, how, got, want)
				}
			}
			if maxBad == 10000 && !strings.Contains(want, "rows 6000") {
				t.Errorf("read %.200s", want[strings.LastIndex(want, "rows"):])
			}
		}
	}
}

// TestCompressedChunkTextOwnsItsPages: the text cells of a compressed
// chunk keep their values when the chunk's buffer, which the reader
// reuses, is overwritten, also on a v2 page stored uncompressed in it.
func TestCompressedChunkTextOwnsItsPages(t *testing.T) {
	var s pqScratch
	defer s.close()
	c := &pqChunk{col: &pqColumn{name: "id", typ: ptBytes, kind: pkText}, codec: codecSnappy, keep: true, scratch: &s, left: 2}
	body := []byte{2, 0, 0, 0, 'a', 'b', 2, 0, 0, 0, 'c', 'd'}
	h := pqPageHeader{typ: pageDataV2, numValues: 2, numRows: 2, encoding: encPlain,
		compressed: int32(len(body)), uncompressed: int32(len(body))}
	var p cells
	if err := c.readData(h, body, &p); err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if p.n != 2 || p.text(0) != "ab" || p.text(1) != "cd" {
		t.Errorf("cells %d: %q %q after the chunk's buffer was reused", p.n, p.text(0), p.text(1))
	}
}

// TestEventsINT96FarFutureIsABadRow: an events file with INT96 times
// (Spark's default) in which one event's time is 9999-12-31: that event
// is a bad row, quarantined with its line, and every other event is read.
func TestEventsINT96FarFutureIsABadRow(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "entity_id", Type: arrow.BinaryTypes.String},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "type", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	far := time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC) // rewritten to 9999-12-31 below
	for i := range 6 {
		ts := time.Date(2024, 3, 1+i, 0, 0, 0, 0, time.UTC)
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("E%d", i))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixNano()))
		b.Field(2).(*array.StringBuilder).Append("visit")
	}
	path, data := writeArrowFile(t, "int96.parquet", b.NewRecord(),
		aparquet.NewWriterProperties(aparquet.WithDictionaryDefault(false)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithDeprecatedInt96Timestamps(true)))
	// INT96: nanoseconds of the day, then the Julian day, little-endian.
	julian := func(t time.Time) []byte {
		return binary.LittleEndian.AppendUint32(make([]byte, 8), uint32(t.Unix()/86400+2440588))
	}
	at := bytes.Index(data, julian(far))
	if at < 0 || bytes.Count(data, julian(far)) != 1 {
		t.Fatal("the time to rewrite is not in the file once")
	}
	copy(data[at:], julian(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var q bytes.Buffer
	bad := &BadRows{Max: 1, Quarantine: NewQuarantine(&q)}
	events, err := readAllEvents(t, Source{Path: path}, bad)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events {
		ids = append(ids, e.EntityID)
	}
	if want := []string{"E0", "E1", "E3", "E4", "E5"}; !slices.Equal(ids, want) {
		t.Errorf("events of %v, want %v", ids, want)
	}
	if bad.Count() != 1 || !errors.Is(bad.Err(), ErrTimeRange) || !strings.Contains(bad.Err().Error(), ":3:") {
		t.Errorf("%d bad rows: %v; want row 3 out of the time range", bad.Count(), bad.Err())
	}
	if err := bad.Quarantine.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q.String(), "E2") {
		t.Errorf("quarantine %q lacks the event", q.String())
	}
}

// TestPageBuffersLastAcrossRowGroups: a column's decoding goroutine keeps
// its page buffers from one row group to the next, so that reading more
// row groups of the same size allocates little more (dictionaries of ten
// ids and three types aside), not a page's buffers per row group.
func TestPageBuffersLastAcrossRowGroups(t *testing.T) {
	type event struct {
		EntityID string    `parquet:"entity_id,dict,snappy"`
		TS       time.Time `parquet:"ts,timestamp(millisecond),snappy"`
		Type     string    `parquet:"type,dict,snappy"`
		Value    *float64  `parquet:"value,optional,snappy"`
	}
	const perGroup = 4000
	read := func(groups int) uint64 {
		rows := make([]event, groups*perGroup)
		for i := range rows {
			rows[i] = event{EntityID: fmt.Sprintf("E%d", i%10), TS: time.UnixMilli(1_700_000_000_000 + int64(i)*1000).UTC(),
				Type: []string{"visit", "email_open", "form_submit"}[i%3]}
			if i%2 == 0 {
				rows[i].Value = ptr(float64(i))
			}
		}
		var buf bytes.Buffer
		if err := writeAll(&buf, rows, []parquet.WriterOption{parquet.MaxRowsPerRowGroup(perGroup)}); err != nil {
			t.Fatal(err)
		}
		path := writeBytes(t, fmt.Sprintf("groups-%d.parquet", groups), buf.Bytes())
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		er, err := openEvents(context.Background(), Source{Path: path}, nil, map[string]bool{}, false)
		if err != nil {
			t.Fatal(err)
		}
		defer er.Close()
		er.transient = true
		n := 0
		if err := Stream(context.Background(), er, func(b []Event) error { n += len(b); return nil }); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if n != len(rows) {
			t.Fatalf("read %d events of %d", n, len(rows))
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	few, many := read(5), read(45)
	// A row group's pages of timestamps alone are 32,000 bytes; its
	// dictionaries and bookkeeping a few thousand.
	per := (int64(many) - int64(few)) / 40
	t.Logf("%d bytes more per row group", per)
	if per > 4*perGroup {
		t.Errorf("each row group more allocated %d bytes (%d for 5 groups, %d for 45); want at most %d", per, few, many, 4*perGroup)
	}
}

// TestColumnIngestMatchesEvents: a table built from Parquet whose rows are
// read a column at a time (eventColumns), with and without event rules to
// match, equals the table built from the same events as CSV, read as
// Events; pages of a few rows make some rows take the row path.
func TestColumnIngestMatchesEvents(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var rows []pqLooseEvent
	csv := []string{"entity_id,ts,type,value"}
	for i := range 3000 {
		ts := asOf.Add(time.Duration(r.IntN(500*24)-450*24) * time.Hour).Add(time.Duration(r.IntN(1e6)) * time.Microsecond)
		id := fmt.Sprintf("E%03d", r.IntN(200))
		if i%50 == 0 {
			id = " " + id + " "
		}
		typ := []string{"order", "page_view", " rfq "}[r.IntN(3)]
		e := pqLooseEvent{ID: ptr(id), TS: ptr(ts), Type: ptr(typ)}
		v := ""
		if strings.TrimSpace(typ) == "order" && i%7 != 0 {
			e.Value = ptr(float64(r.IntN(2000000)) / 100)
			v = strconv.FormatFloat(*e.Value, 'g', -1, 64)
		}
		rows = append(rows, e)
		csv = append(csv, fmt.Sprintf("%q,%s,%q,%s", id, ts.Format(time.RFC3339Nano), typ, v))
	}
	var buf bytes.Buffer
	if err := writeAll(&buf, rows, []parquet.WriterOption{parquet.PageBufferSize(400), parquet.MaxRowsPerRowGroup(900)}); err != nil {
		t.Fatal(err)
	}
	pq := writeBytes(t, "events.parquet", buf.Bytes())
	er, err := openEvents(context.Background(), Source{Path: pq}, nil, map[string]bool{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if er.Close(); er.runs == nil {
		t.Fatal("the Parquet events are not read a column at a time")
	}
	rules := parseRules(t, `version: 1
groups: [{name: g}]
rules:
  - {name: big, group: g, points: 20, event: {type: order, where: [{field: value, op: ">", value: 10000}]}, valid_for: 6 months}
  - {name: rfq, group: g, points: 15, event: {type: rfq}, valid_for: 3 months}
`)
	for _, rs := range []*RuleSet{nil, rules} {
		cfg := Config{AsOf: asOf, Rules: rs}
		cfg.Events = Source{Path: pq}
		got, err := Build(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := build(t, strings.Join(csv, "\n")+"\n", Config{AsOf: asOf, Rules: rs})
		if got.NumRows() != want.NumRows() || len(got.Columns) != len(want.Columns) {
			t.Fatalf("rules %v: %d rows × %d columns from Parquet, %d × %d from CSV", rs != nil, got.NumRows(), len(got.Columns), want.NumRows(), len(want.Columns))
		}
		for c := range want.Columns {
			wc, gc := &want.Columns[c], &got.Columns[c]
			for i := range wc.Len() {
				if wc.Kind == KindFloat && math.Float64bits(wc.Float[i]) != math.Float64bits(gc.Float[i]) || wc.Text(i) != gc.Text(i) {
					t.Fatalf("rules %v: %s row %d: %v from Parquet, %v from CSV", rs != nil, wc.Name, i, gc.Text(i), wc.Text(i))
				}
			}
		}
	}
}

// TestFloatDictionaryChoice: a float column gets a dictionary unless its
// values that are not null are mostly distinct. Days since a rare type's
// latest event are mostly null and otherwise distinct, so they are plain;
// a mostly null column of a few values keeps its dictionary, and so does
// a column of small counts.
func TestFloatDictionaryChoice(t *testing.T) {
	const n = 20000
	sparseDistinct, sparseFew, counts, fractions := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		sparseDistinct[i], sparseFew[i] = math.NaN(), math.NaN()
		if i%10 == 0 {
			sparseDistinct[i], sparseFew[i] = float64(i)/7, float64(i%30)
		}
		counts[i], fractions[i] = float64(i%5), float64(i)/3
	}
	want := map[string]bool{"sparse_distinct": false, "sparse_few": true, "counts": true, "fractions": false}
	tab := &Table{Columns: []Column{{Name: "sparse_distinct", Kind: KindFloat, Float: sparseDistinct},
		{Name: "sparse_few", Kind: KindFloat, Float: sparseFew}, {Name: "counts", Kind: KindFloat, Float: counts},
		{Name: "fractions", Kind: KindFloat, Float: fractions}}}
	var buf bytes.Buffer
	if err := tab.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rg := r.MetaData().RowGroup(0)
	for i := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		name := cc.PathInSchema().String()
		if got := cc.HasDictionaryPage(); got != want[name] {
			t.Errorf("%s: dictionary %v, want %v (encodings %v)", name, got, want[name], cc.Encodings())
		}
	}
	back, err := ReadParquetTable(context.Background(), bytes.NewReader(buf.Bytes()), "mem")
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range tab.Columns {
		for i := range n {
			if g, w := back.Columns[j].Text(i), c.Text(i); g != w {
				t.Fatalf("row %d %s = %q, want %q", i, c.Name, g, w)
			}
		}
	}
}

// TestFloatIDs: entity ids that pandas stored as floats (a column with a
// missing id) read as the whole numbers the CSV export writes, so that
// they join the entities file: 12345678, not 1.2345678e+07.
func TestFloatIDs(t *testing.T) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "entity_id", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "type", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	var ents strings.Builder
	ents.WriteString("entity_id,industry\n")
	for i := range 12 {
		id := 12345678 + i
		b.Field(0).(*array.Float64Builder).Append(float64(id))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()))
		b.Field(2).(*array.StringBuilder).Append("rfq")
		fmt.Fprintf(&ents, "%d,retail\n", id)
	}
	path, _ := writeArrowFile(t, "events.parquet", b.NewRecord(), aparquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	prof, err := ReadProfiles(context.Background(), Source{Path: writeFile(t, "entities.csv", ents.String())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Build(context.Background(), Config{Events: Source{Path: path}, Profiles: prof, AsOf: d("2024-06-01")})
	if err != nil {
		t.Fatal(err)
	}
	if id, ind := tb.Column("entity_id").Str[0], tb.Column("industry"); id != "12345678" || ind.IsNull(0) {
		t.Errorf("first row %q, industry null %v: want 12345678 joined", id, ind.IsNull(0))
	}
}
