package features

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

type pqEvent struct {
	EntityID *string   `parquet:"entity_id,optional"`
	TS       time.Time `parquet:"ts,timestamp(millisecond)"`
	Type     string    `parquet:"type"`
	Value    *float64  `parquet:"value,optional"`
	Page     *string   `parquet:"page,optional"`
}

func writeParquetEvents(t *testing.T, rows []pqEvent) string {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[pqEvent](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "events.parquet")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func TestReadEventsParquet(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	p := writeParquetEvents(t, []pqEvent{
		{EntityID: ptr("a"), TS: ts, Type: "order", Value: ptr(12.5)},
		{EntityID: ptr("b"), TS: ts.Add(time.Hour), Type: "page_view", Page: ptr("pricing")},
	})
	got, err := readAllEvents(t, Source{Path: p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEvents(t, got, []Event{
		{EntityID: "a", TS: ts, Type: "order", Value: 12.5, HasValue: true},
		{EntityID: "b", TS: ts.Add(time.Hour), Type: "page_view", Props: []Prop{{"page", "pricing"}}},
	})
}

func TestReadEventsParquetBadRow(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	p := writeParquetEvents(t, []pqEvent{
		{EntityID: ptr("a"), TS: ts, Type: "order"},
		{EntityID: ptr("b"), TS: ts, Type: "order"},
		{EntityID: nil, TS: ts, Type: "order"},
	})
	_, err := readAllEvents(t, Source{Path: p}, nil)
	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 || re.Field != "entity_id" || !errors.Is(err, ErrEmptyField) {
		t.Fatalf("error = %v, want row 3 field entity_id empty", err)
	}
}

func TestReadEventsNotParquet(t *testing.T) {
	ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	good := writeParquetEvents(t, []pqEvent{{EntityID: ptr("a"), TS: ts, Type: "order"}})
	b, _ := os.ReadFile(good)
	dir := t.TempDir()
	files := map[string][]byte{
		"truncated.parquet": b[:len(b)/2],
		"csv.parquet":       []byte("entity_id,ts,type\na,2024-01-01,x\n"),
		"empty.parquet":     nil,
		"footer.parquet":    append([]byte("PAR1"), b[len(b)-8:]...),
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			os.WriteFile(p, content, 0o644)
			_, err := readAllEvents(t, Source{Path: p}, nil)
			if !IsBadInput(err) {
				t.Fatalf("error = %v, want bad input", err)
			}
			var se *SchemaError
			var re *RowError
			if errors.As(err, &se) && se.Path != p || errors.As(err, &re) && re.Path != p {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
}

// writeParquetRows writes rows of any struct type to a Parquet file.
func writeParquetRows[T any](t *testing.T, rows []T) string {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "rows.parquet")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
