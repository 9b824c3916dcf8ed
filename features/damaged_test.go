package features

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTruncatedGzip: a gzip file cut short is bad input naming the file
// and how far the read got, not an I/O failure.
func TestTruncatedGzip(t *testing.T) {
	var csvText strings.Builder
	csvText.WriteString("entity_id,ts,type\n")
	for i := range 20000 {
		fmt.Fprintf(&csvText, "e%d,2024-01-01,rfq\n", i)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(csvText.String()))
	zw.Close()
	p := filepath.Join(t.TempDir(), "events.csv.gz")
	os.WriteFile(p, gz.Bytes()[:gz.Len()/2], 0o644)
	_, err := readAllEvents(t, Source{Path: p}, &BadRows{Max: 100})
	var se *SchemaError
	if !errors.As(err, &se) || !IsBadInput(err) || !strings.Contains(err.Error(), "events.csv.gz") || !strings.Contains(err.Error(), "after data row") {
		t.Errorf("error = %v, want bad input naming the file and the row reached", err)
	}
}

// TestUnclosedQuoteNamesBothLines: a quote left open reports the line its
// record began on and the line where parsing gave up, as encoding/csv
// does.
func TestUnclosedQuoteNamesBothLines(t *testing.T) {
	p := writeFile(t, "events.csv", "entity_id,ts,type\na,2024-01-01,rfq\nb,2024-01-01,\"rfq\nc,2024-01-01,rfq\nd,2024-01-02,rfq\n")
	_, err := readAllEvents(t, Source{Path: p}, nil)
	var re *RowError
	if !errors.As(err, &re) || re.StartLine != 3 || re.Line != 5 {
		t.Fatalf("error = %v, want a *RowError for the record on line 3 failing on line 5", err)
	}
	if !strings.HasPrefix(err.Error(), p+": record on line 3; parse error on line 5, column ") {
		t.Errorf("message %q", err)
	}
}

type pqText struct {
	EntityID string    `parquet:"entity_id"`
	TS       time.Time `parquet:"ts,timestamp(millisecond)"`
	Type     string    `parquet:"type"`
	Note     string    `parquet:"note,dict"`
}

// TestParquetTextChecked: invalid UTF-8 and NUL bytes in Parquet text
// columns, plain or dictionary-encoded, are bad rows as they are in CSV.
func TestParquetTextChecked(t *testing.T) {
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		rows []pqText
		line int
		want error
	}{
		{"invalid UTF-8 in a plain column", []pqText{{"a", ts, "rfq", "x"}, {"b\xff", ts, "rfq", "x"}}, 2, ErrInvalidUTF8},
		{"NUL in a plain column", []pqText{{"a", ts, "rfq", "x"}, {"a", ts, "r\x00fq", "x"}}, 2, ErrNULByte},
		{"invalid UTF-8 in a dictionary", []pqText{{"a", ts, "rfq", "x"}, {"b", ts, "rfq", "y"}, {"c", ts, "rfq", "\xc3("}}, 3, ErrInvalidUTF8},
		{"a character split between values", []pqText{{"\xc3", ts, "rfq", "x"}, {"\xa9", ts, "rfq", "x"}}, 1, ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeParquetRows(t, tt.rows)
			_, err := readAllEvents(t, Source{Path: p}, nil)
			var re *RowError
			if !errors.As(err, &re) || !errors.Is(err, tt.want) || re.Line != tt.line {
				t.Errorf("error = %v, want a *RowError on row %d wrapping %v", err, tt.line, tt.want)
			}
		})
	}
}

// TestUnreadColumnsNotChecked: a Parquet column no feature reads is not a
// reason to reject a row, whether bad rows fail the run or are
// quarantined; once a derived type reads it, its bad text is a bad row.
func TestUnreadColumnsNotChecked(t *testing.T) {
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	rows := []pqText{{"a", ts, "rfq", "x"}, {"b", ts.Add(time.Hour), "rfq", "bad \xff"}, {"a", ts.Add(48 * time.Hour), "demo", "y"}}
	clean := slices.Clone(rows)
	clean[1].Note = "fine"
	asOf := ts.AddDate(0, 1, 0)
	want, err := Build(t.Context(), Config{Events: Source{Path: writeParquetRows(t, clean)}, AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	p := writeParquetRows(t, rows)
	for _, bad := range []*BadRows{nil, {Max: 5, Quarantine: NewQuarantine(io.Discard)}} {
		got, err := Build(t.Context(), Config{Events: Source{Path: p}, AsOf: asOf, BadRows: bad})
		if err != nil {
			t.Fatalf("bad rows %v: %v", bad, err)
		}
		if err := sameTable(want, got); err != nil {
			t.Errorf("bad rows %v: %v", bad, err)
		}
		if bad != nil && bad.Count() != 0 {
			t.Errorf("%d rows skipped, want none", bad.Count())
		}
	}
	spec := Spec{Derived: []DerivedType{{Name: "noted_rfq", Type: "rfq", Where: map[string][]string{"note": {"x"}}}}}
	_, err = Build(t.Context(), Config{Events: Source{Path: p}, AsOf: asOf, Spec: spec})
	var re *RowError
	if !errors.As(err, &re) || !errors.Is(err, ErrInvalidUTF8) || re.Line != 2 {
		t.Errorf("with a derived type reading note: %v, want a *RowError on row 2", err)
	}
}

// TestRecordText: a record's fields are checked at once only when that
// gives each field's answer: a character split between two fields, a NUL,
// or fields that do not lie one after another send the caller to check
// them one by one.
func TestRecordText(t *testing.T) {
	read := func(line string) []string {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	gap := "ab\x00cd"
	for _, tc := range []struct {
		rec  []string
		want bool
	}{
		{read("a,héllo,,3.5\n"), true},
		{read("a\xc3,\xa9b\n"), false}, // valid as one span, not field by field
		{read("a,b\x00c\n"), false},
		{read("a,b\xffc\n"), false},
		{[]string{gap[0:2], gap[3:5]}, false}, // a byte between them
		{[]string{"", ""}, true},
	} {
		if got := recordText(tc.rec); got != tc.want {
			t.Errorf("recordText(%q) = %v, want %v", tc.rec, got, tc.want)
		}
	}
	// A split character is still a bad row through the reader.
	p := writeFile(t, "events.csv", "entity_id,ts,type\na\xc3,2024-01-01,\xa9rfq\n")
	_, err := readAllEvents(t, Source{Path: p}, nil)
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("split character: %v, want ErrInvalidUTF8", err)
	}
}
