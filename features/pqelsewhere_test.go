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
)

// elsewhereDir holds Parquet files written by other tools, from
// apache/parquet-testing (see its README.md), each with the rows DuckDB
// reads from it (scripts/duckdb -dump).
var elsewhereDir = filepath.Join("testdata", "parquet-testing")

// TestReadParquetWrittenElsewhere reads Parquet files that Spark,
// parquet-mr, Impala, Arrow C++ and others wrote, and compares every cell
// with what DuckDB reads from the same file: text as it is, numbers as
// the nearest double, times to the microsecond, nulls as nulls (text
// trimmed of surrounding spaces, as leadscore reads every cell). Times no
// int64 of nanoseconds holds are bad cells (ErrTimeRange) where DuckDB
// gives its own readings.
func TestReadParquetWrittenElsewhere(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(elsewhereDir, "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s (%v)", elsewhereDir, err)
	}
	// DuckDB does not read the deprecated LZ4 codec; these hold the same
	// rows as the LZ4_RAW file.
	sameAs := map[string]string{
		"hadoop_lz4_compressed.parquet":        "lz4_raw_compressed",
		"non_hadoop_lz4_compressed.parquet":    "lz4_raw_compressed",
		"hadoop_lz4_compressed_larger.parquet": "lz4_raw_compressed_larger",
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
			want := readExpected(t, filepath.Join(elsewhereDir, base))
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
