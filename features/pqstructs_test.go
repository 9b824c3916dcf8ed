package features

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type structRow struct {
	Name  string   `parquet:"name"`
	Note  *string  `parquet:"note,optional"`
	N     int32    `parquet:"n"`
	Big   int64    `parquet:"big"`
	PN    *int32   `parquet:"pn,optional"`
	F     float64  `parquet:"f"`
	PF    *float64 `parquet:"pf,optional"`
	B     bool     `parquet:"b"`
	PB    *bool    `parquet:"pb,optional"`
	Skip  []string `parquet:"-"`
	local int
}

// TestReadParquetStructs: what parquet-go writes from a struct reads back
// into the struct, nulls as nil pointers, across pages and row groups.
func TestReadParquetStructs(t *testing.T) {
	rows := make([]structRow, 700)
	for i := range rows {
		r := structRow{Name: strings.Repeat("x", i%5) + "é", N: int32(i - 300), Big: int64(i) << 40, F: float64(i) / 3, B: i%2 == 0}
		if i%3 != 0 {
			r.Note, r.PN, r.PF, r.PB = ptr("n"), ptr(int32(i)), ptr(float64(-i)), ptr(i%4 == 1)
		}
		rows[i] = r
	}
	var buf bytes.Buffer
	if err := writeAll(&buf, rows, []parquet.WriterOption{parquet.PageBufferSize(300), parquet.MaxRowsPerRowGroup(250)}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquetStructs[structRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()), "s.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("read back differs: first row %+v, want %+v", got[0], rows[0])
	}

	type missing struct {
		Other string `parquet:"other"`
	}
	type wrongKind struct {
		Name float64 `parquet:"name"`
	}
	type notNull struct {
		Note string `parquet:"note"`
	}
	b := bytes.NewReader(buf.Bytes())
	_, err1 := ReadParquetStructs[missing](b, int64(buf.Len()), "s.parquet")
	_, err2 := ReadParquetStructs[wrongKind](b, int64(buf.Len()), "s.parquet")
	_, err3 := ReadParquetStructs[notNull](b, int64(buf.Len()), "s.parquet")
	var se *SchemaError
	var re *RowError
	if !errors.As(err1, &se) || !strings.Contains(err1.Error(), `no column "other"`) {
		t.Errorf("a missing column: %v", err1)
	}
	if !errors.As(err2, &se) || !strings.Contains(err2.Error(), `"name"`) {
		t.Errorf("a column of another kind: %v", err2)
	}
	if !errors.As(err3, &re) || re.Line != 1 || re.Field != "note" {
		t.Errorf("a null in a field that is not a pointer: %v", err3)
	}
	// A file written before an optional column was added reads it as nil.
	type added struct {
		Name string  `parquet:"name"`
		Deal *string `parquet:"deal,optional"`
		Some *string `parquet:"note,optional"`
	}
	old, err := ReadParquetStructs[added](b, int64(buf.Len()), "s.parquet")
	if err != nil || len(old) != len(rows) || old[1].Deal != nil || old[1].Name != rows[1].Name || *old[1].Some != "n" {
		t.Errorf("an optional column the file lacks: %v", err)
	}
}
