package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// writeLikePyarrow rewrites the Parquet file src as pyarrow's
// pq.write_table writes a pandas frame, through Arrow's Parquet writer
// (the Go implementation of pyarrow's): format version 2.6, data pages
// v1, Snappy, row groups of 1Mi rows, dictionary encoding for every
// column, falling back to plain within a chunk once the dictionary
// passes 1 MB (as the 400k entity ids do), the Arrow schema stored, and
// ts as pandas holds it, nanoseconds adjusted to UTC. With int96, ts is
// written as Spark writes a timestamp by default
// (spark.sql.parquet.outputTimestampType INT96: nanoseconds of the day
// and Julian day, 12 bytes) and no Arrow schema is stored.
func writeLikePyarrow(src, dst string, int96 bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	mem := memory.DefaultAllocator
	tbl, err := pqarrow.ReadTable(context.Background(), in, nil, pqarrow.ArrowReadProperties{Parallel: true, BatchSize: 1 << 16}, mem)
	if err != nil {
		return err
	}
	defer tbl.Release()
	fields := tbl.Schema().Fields()
	cols := make([]arrow.Column, len(fields))
	for i := range fields {
		col := tbl.Column(i)
		if fields[i].Name == "ts" {
			if fields[i], col, err = tsNanos(fields[i], col, mem); err != nil {
				return err
			}
			defer col.Release()
		}
		cols[i] = *col
	}
	schema := arrow.NewSchema(fields, nil)
	out := array.NewTable(schema, cols, tbl.NumRows())
	defer out.Release()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	props := parquet.NewWriterProperties(parquet.WithVersion(parquet.V2_6), parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDictionaryDefault(true),
		parquet.WithDictionaryPageSizeLimit(1<<20), parquet.WithDataPageSize(1<<20))
	// WriteTable closes what it writes to; f is closed here, to see its error.
	sink := struct{ io.Writer }{f}
	arrowProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
	if int96 {
		arrowProps = pqarrow.NewArrowWriterProperties(pqarrow.WithDeprecatedInt96Timestamps(true))
	}
	if err := pqarrow.WriteTable(out, sink, 1<<20, props, arrowProps); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tsNanos turns a timestamp column of any unit into nanoseconds, UTC.
func tsNanos(field arrow.Field, col *arrow.Column, mem memory.Allocator) (arrow.Field, *arrow.Column, error) {
	typ, ok := field.Type.(*arrow.TimestampType)
	if !ok {
		return field, nil, fmt.Errorf("column ts is %s, not a timestamp", field.Type)
	}
	scale := map[arrow.TimeUnit]int64{arrow.Second: 1e9, arrow.Millisecond: 1e6, arrow.Microsecond: 1e3, arrow.Nanosecond: 1}[typ.Unit]
	ns := &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}
	var chunks []arrow.Array
	for _, c := range col.Data().Chunks() {
		ts := c.(*array.Timestamp)
		b := array.NewTimestampBuilder(mem, ns)
		b.Reserve(ts.Len())
		for i := range ts.Len() {
			if ts.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(int64(ts.Value(i)) * scale))
			}
		}
		chunks = append(chunks, b.NewArray())
		b.Release()
	}
	field.Type = ns
	chunked := arrow.NewChunked(ns, chunks)
	for _, c := range chunks {
		c.Release()
	}
	defer chunked.Release()
	return field, arrow.NewColumn(field, chunked), nil
}
