package features

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// ReadParquetStructs reads a flat Parquet file into a slice of T, the way
// leadscore reads back the fixed-schema files it writes (ranked.parquet,
// rfm.parquet). Each exported field of T names its column in its parquet
// tag (`parquet:"name"` or `parquet:"name,optional"`; "-" skips the
// field); strings read text columns, int32 and int64 integer columns,
// float64 float or integer columns, bool boolean columns, and a pointer to
// one of these takes a null as nil, as it takes a missing column for an
// optional pointer field (a file written before the column was added). A
// missing column for any other field, a column of another kind or a null
// in a field that is not a pointer is a *SchemaError; the
// file is read through the same checked reader as events, so a corrupt
// file is an error, never a panic. name is used in messages.
func ReadParquetStructs[T any](r io.ReaderAt, size int64, name string) ([]T, error) {
	pf, err := openPQ(r, size)
	if err != nil {
		return nil, &SchemaError{Path: name, Err: err}
	}
	fields, err := structFields(reflect.TypeFor[T](), pf)
	if err != nil {
		return nil, &SchemaError{Path: name, Err: err}
	}
	out := make([]T, pf.numRows)
	if len(out) == 0 {
		return out, nil
	}
	base, stride := unsafe.Pointer(&out[0]), unsafe.Sizeof(out[0])
	for _, f := range fields {
		err := pf.eachCell(f.col, name, func(pc *pageCol, row int) error {
			if err := f.set(unsafe.Add(base, uintptr(row)*stride+f.offset), pc); err != nil {
				return &RowError{Path: name, Line: row + 1, Field: pc.name, Err: err}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// structField is a field of the struct ReadParquetStructs fills.
type structField struct {
	col    int
	offset uintptr
	kind   reflect.Kind
	ptr    bool // the field is a pointer: a null is nil
}

// structFields matches T's tagged fields with the file's columns.
func structFields(t reflect.Type, pf *pqFile) ([]structField, error) {
	byName := map[string]int{}
	for k, c := range pf.cols {
		byName[c.name] = k
	}
	var out []structField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("parquet"), ",")[0]
		if !sf.IsExported() || tag == "-" || tag == "" {
			continue
		}
		k, ok := byName[tag]
		if !ok && sf.Type.Kind() == reflect.Pointer && slices.Contains(strings.Split(sf.Tag.Get("parquet"), ",")[1:], "optional") {
			continue // a column added since the file was written: nil
		}
		if !ok {
			return nil, fmt.Errorf("no column %q", tag)
		}
		f := structField{col: k, offset: sf.Offset, kind: sf.Type.Kind()}
		if f.kind == reflect.Pointer {
			f.ptr, f.kind = true, sf.Type.Elem().Kind()
		}
		want := map[reflect.Kind][]pageKind{
			reflect.String:  {pkText},
			reflect.Int32:   {pkInt},
			reflect.Int64:   {pkInt},
			reflect.Float64: {pkFloat, pkFloat32, pkInt},
			reflect.Bool:    {pkBool},
		}[f.kind]
		found := false
		for _, w := range want {
			found = found || w == pf.cols[k].kind
		}
		if !found {
			return nil, fmt.Errorf("column %q does not hold the %s values of field %s", tag, sf.Type, sf.Name)
		}
		out = append(out, f)
	}
	return out, nil
}

// set stores the cell pc.i into the field at p.
func (f structField) set(p unsafe.Pointer, pc *pageCol) error {
	if pc.null != nil && pc.null[pc.i] {
		if !f.ptr {
			return fmt.Errorf("null in a column that may not hold one")
		}
		return nil // the pointer stays nil
	}
	if f.ptr {
		switch f.kind {
		case reflect.String:
			*(**string)(p) = new(string)
			p = unsafe.Pointer(*(**string)(p))
		case reflect.Int32:
			*(**int32)(p) = new(int32)
			p = unsafe.Pointer(*(**int32)(p))
		case reflect.Int64:
			*(**int64)(p) = new(int64)
			p = unsafe.Pointer(*(**int64)(p))
		case reflect.Float64:
			*(**float64)(p) = new(float64)
			p = unsafe.Pointer(*(**float64)(p))
		case reflect.Bool:
			*(**bool)(p) = new(bool)
			p = unsafe.Pointer(*(**bool)(p))
		}
	}
	switch f.kind {
	case reflect.String:
		if err := pc.badErr(pc.i); err != nil {
			return err
		}
		*(*string)(p) = pc.text(pc.i)
	case reflect.Int32:
		v := pc.i64[pc.i]
		if int64(int32(v)) != v {
			return fmt.Errorf("%d does not fit in 32 bits", v)
		}
		*(*int32)(p) = int32(v)
	case reflect.Int64:
		*(*int64)(p) = pc.i64[pc.i]
	case reflect.Float64:
		*(*float64)(p) = pc.float()
	case reflect.Bool:
		*(*bool)(p) = pc.i64[pc.i] != 0
	}
	return nil
}
