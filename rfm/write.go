package rfm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"

	"leadscore/features"
)

// WriteParquet writes customers as rfm.parquet (zstd) with parquet-go's
// typed writer; meta goes into the key/value metadata in sorted order.
func WriteParquet(w io.Writer, cs []Customer, meta map[string]string) error {
	pw := parquet.NewGenericWriter[Customer](w, parquet.Compression(&parquet.Zstd), parquet.CreatedBy("leadscore", "", ""))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		pw.SetKeyValueMetadata(k, meta[k])
	}
	for lo := 0; lo < len(cs); lo += 1 << 16 {
		if _, err := pw.Write(cs[lo:min(lo+1<<16, len(cs))]); err != nil {
			pw.Close()
			return err
		}
	}
	return pw.Close()
}

// ReadParquet reads an rfm.parquet file back.
func ReadParquet(r io.ReaderAt, size int64) ([]Customer, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, err
	}
	pr := parquet.NewGenericReader[Customer](f)
	defer pr.Close()
	out := make([]Customer, f.NumRows())
	n, err := pr.Read(out)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return out[:n], nil
}

// ReadFile reads an rfm.parquet file; a file that is not one is a
// *features.SchemaError.
func ReadFile(path string) ([]Customer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	cs, err := ReadParquet(f, st.Size())
	if err != nil {
		return nil, &features.SchemaError{Path: path, Err: fmt.Errorf("not an rfm.parquet file: %w", err)}
	}
	return cs, nil
}

// Segments maps entity → segment, the form Config.Previous takes.
func Segments(cs []Customer) map[string]string {
	m := make(map[string]string, len(cs))
	for _, c := range cs {
		m[c.EntityID] = c.Segment
	}
	return m
}

// WriteModel writes clv.json.
func WriteModel(w io.Writer, m Model) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}
