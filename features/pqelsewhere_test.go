package features

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// elsewhereDir holds Parquet files written by other tools, from
// apache/parquet-testing (see its README.md), each with the rows DuckDB
// reads from it (scripts/duckdb -dump); arrowCppDir, events written by the
// Arrow C++ that pyarrow wraps, in three of pyarrow's ways, with the rows
// DuckDB reads from all three.
var (
	elsewhereDir = filepath.Join("testdata", "parquet-testing")
	arrowCppDir  = filepath.Join("testdata", "arrow-cpp")
)

// TestReadParquetWrittenElsewhere reads Parquet files that Spark,
// parquet-mr, Impala, Arrow C++ (14 to 17, and 25) and others wrote, and
// compares every cell with what DuckDB reads from the same file: text as
// it is, numbers as the nearest double, times to the microsecond, nulls as
// nulls (text trimmed of surrounding spaces, as leadscore reads every
// cell). Times no int64 of nanoseconds holds are bad cells (ErrTimeRange)
// where DuckDB gives its own readings.
func TestReadParquetWrittenElsewhere(t *testing.T) {
	var files []string
	for _, dir := range []string{elsewhereDir, arrowCppDir} {
		in, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
		if err != nil || len(in) == 0 {
			t.Fatalf("no files in %s (%v)", dir, err)
		}
		files = append(files, in...)
	}
	// DuckDB does not read the deprecated LZ4 codec; these hold the same
	// rows as the LZ4_RAW file. The Arrow C++ files hold the same events.
	sameAs := map[string]string{
		"hadoop_lz4_compressed.parquet":        "lz4_raw_compressed",
		"non_hadoop_lz4_compressed.parquet":    "lz4_raw_compressed",
		"hadoop_lz4_compressed_larger.parquet": "lz4_raw_compressed_larger",
		"events_pyarrow_defaults.parquet":      "events",
		"events_zstd_v2_split.parquet":         "events",
		"events_delta.parquet":                 "events",
	}
	// Rows (from 1) whose times are out of range: Spark's 9999-12-31 and
	// year 290000 (which DuckDB reads as year -226413).
	outOfRange := map[string][]int{"int96_from_spark.parquet": {3, 6}}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			base := strings.TrimSuffix(name, ".parquet")
			if s, ok := sameAs[name]; ok {
				base = s
			}
			want := readExpected(t, filepath.Join(filepath.Dir(path), base))
			r, err := openRows(context.Background(), Source{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !slices.Equal(r.Header(), want[0]) {
				t.Fatalf("header %q, DuckDB reads %q", r.Header(), want[0])
			}
			pr := r.(*pageRows)
			row := 0
			for {
				err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("row %d: %v", row+1, err)
				}
				row++
				if row >= len(want) {
					t.Fatalf("more than DuckDB's %d rows", len(want)-1)
				}
				for c, exp := range want[row] {
					got, err := cellText(pr, c)
					if slices.Contains(outOfRange[name], row) {
						if !errors.Is(err, ErrTimeRange) {
							t.Errorf("row %d, %s: %q, %v; want an error wrapping ErrTimeRange", row, want[0][c], got, err)
						}
						continue
					}
					if err != nil {
						t.Errorf("row %d, %s: %v", row, want[0][c], err)
					} else if !sameCell(got, exp) {
						t.Errorf("row %d, %s: %q, DuckDB reads %q", row, want[0][c], got, exp)
					}
				}
			}
			if row != len(want)-1 {
				t.Errorf("%d rows, DuckDB reads %d", row, len(want)-1)
			}
		})
	}
}

// cellText is cell c of the current row in scripts/duckdb -dump's form.
func cellText(r *pageRows, c int) (string, error) {
	switch r.cols[c].kind {
	case pkText:
		s, null := r.Str(c)
		if null {
			return `\N`, nil
		}
		return s, nil
	case pkTime:
		tm, null, err := r.Time(c)
		if err != nil || null {
			return `\N`, err
		}
		return strconv.FormatInt(tm.UnixMicro(), 10), nil
	}
	f, null, err := r.Num(c)
	if err != nil || null {
		return `\N`, err
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}

// sameCell compares two cells, numbers as numbers; a NaN is DuckDB's NaN.
func sameCell(got, want string) bool {
	if want = strings.TrimSpace(want); want == "" {
		want = `\N`
	}
	if got == want {
		return true
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	return err1 == nil && err2 == nil && (g == w || math.IsNaN(g) && math.IsNaN(w))
}

// readExpected reads the rows DuckDB reads, base.csv or base.csv.gz.
func readExpected(t *testing.T, base string) [][]string {
	var in io.Reader
	f, err := os.Open(base + ".csv")
	if errors.Is(err, fs.ErrNotExist) {
		if f, err = os.Open(base + ".csv.gz"); err == nil {
			in, err = gzip.NewReader(f)
		}
	} else {
		in = f
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %d records, %v", base, len(recs), err)
	}
	return recs
}

// TestSparkFarFutureNamesItsRow: Spark's INT96 9999-12-31, in the file's
// dictionary, is an error of the row that holds it (ErrTimeRange, line
// and field named), not of the file's first row.
func TestSparkFarFutureNamesItsRow(t *testing.T) {
	_, err := ReadTable(context.Background(), Source{Path: filepath.Join(elsewhereDir, "int96_from_spark.parquet")}, nil, nil)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 || re.Field != "a" || !errors.Is(err, ErrTimeRange) {
		t.Errorf("%v: want row 3's ts out of the time range", err)
	}
}

// TestArrowCppEventsBuildOneTable builds the feature table, with derived
// types and the default rules (which read the files' other columns), from
// each of the Arrow C++ files and from the rows DuckDB reads from them
// written as CSV: the four tables must be equal, bit for bit.
func TestArrowCppEventsBuildOneTable(t *testing.T) {
	rows := readExpected(t, filepath.Join(arrowCppDir, "events"))
	var b strings.Builder
	w := csv.NewWriter(&b)
	for i, row := range rows {
		row = slices.Clone(row)
		for c, cell := range row {
			switch {
			case cell == `\N`:
				row[c] = ""
			case i > 0 && rows[0][c] == "ts":
				us, err := strconv.ParseInt(cell, 10, 64)
				if err != nil {
					t.Fatalf("row %d: ts %q", i, cell)
				}
				row[c] = time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
			}
		}
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	cfg := Config{
		AsOf:  time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC), // three months of the events come after
		Rules: DefaultRules(),
		Spec: Spec{
			Aggregations: []string{"count", "sum", "mean", "max", "distinct_days", "days_since", "trend"},
			Derived:      []DerivedType{{Name: "pricing_view", Type: "page_view", Where: map[string][]string{"page": {"pricing"}}}},
		},
	}
	want := build(t, b.String(), cfg)
	if n := want.Columns[0].Len(); n < 100 {
		t.Fatalf("%d rows from the CSV", n)
	}
	files, err := filepath.Glob(filepath.Join(arrowCppDir, "*.parquet"))
	if err != nil || len(files) != 3 {
		t.Fatalf("%d files in %s (%v), want 3", len(files), arrowCppDir, err)
	}
	for _, path := range files {
		cfg.Events = Source{Path: path}
		got, err := Build(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := sameTable(got, want); err != nil {
			t.Errorf("%s against the CSV: %v", filepath.Base(path), err)
		}
	}
}
