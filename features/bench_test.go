package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"leadscore/datasets"
)

// benchEvents writes a generated events file of about n events and returns
// its path (cached per size and format for the benchmark run); the same
// run's deals are beside it (benchFile).
func benchEvents(b *testing.B, n int, format string) string {
	b.Helper()
	p, deals := benchFile("events", n, format), benchFile("deals", n, format)
	_, err := os.Stat(p)
	_, derr := os.Stat(deals)
	if err == nil && derr == nil {
		return p
	}
	os.MkdirAll(filepath.Dir(p), 0o755)
	f, err := os.Create(p + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	d, err := os.Create(deals + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	files := datasets.Files{Events: f, Entities: io.Discard, Deals: d, Orders: io.Discard, Truth: io.Discard}
	var sink interface {
		datasets.Sink
		Close() error
	}
	if format == "csv" {
		sink = datasets.NewCSVSink(files)
	} else {
		sink = datasets.NewParquetSink(files)
	}
	// About 54 events per entity.
	if _, err := datasets.Generate(context.Background(), datasets.Config{Entities: max(1, n/54), Seed: 1}, sink); err != nil {
		b.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		b.Fatal(err)
	}
	// Files are kept under their names only once written whole.
	for _, done := range []func() error{f.Close, d.Close,
		func() error { return os.Rename(deals+".tmp", deals) }, func() error { return os.Rename(p+".tmp", p) }} {
		if err := done(); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// benchFile is where benchEvents keeps a generated file: kind "events"
// or "deals", of the run of about n events.
func benchFile(kind string, n int, format string) string {
	return filepath.Join(os.TempDir(), "leadscore-bench", fmt.Sprintf("%s-%d.%s", kind, n, format))
}

// BenchmarkReadColumns reads events as the feature stage reads them: the
// contract's four columns, a run of clean rows a column at a time (a plain
// CSV file in blocks on every core), handed over on another goroutine,
// and nothing kept; the floor under a features run of the same file.
// With LEADSCORE_BENCH_EVENTS naming an events file, the sub-benchmark
// "file" reads that file.
func BenchmarkReadColumns(b *testing.B) {
	type input struct{ name, path string }
	var inputs []input
	for _, format := range []string{"csv", "parquet"} {
		inputs = append(inputs, input{format + "/events=1000000", ""})
	}
	if p := os.Getenv("LEADSCORE_BENCH_EVENTS"); p != "" {
		inputs = append(inputs, input{"file", p})
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			p := in.path
			if p == "" {
				p = benchEvents(b, 1000000, filepath.Dir(in.name))
			}
			rows := 0
			for b.Loop() {
				er, err := openEvents(context.Background(), Source{Path: p}, nil, map[string]bool{}, false)
				if err != nil {
					b.Fatal(err)
				}
				er.transient = true
				err = streamBatches(context.Background(), er, func(c *eventColumns, _ []Event) error { rows += c.len(); return nil })
				er.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkReadEvents(b *testing.B) {
	for _, format := range []string{"csv", "parquet"} {
		for _, n := range []int{1000, 100000, 1000000} {
			b.Run(fmt.Sprintf("%s/events=%d", format, n), func(b *testing.B) {
				p := benchEvents(b, n, format)
				b.ReportAllocs()
				rows := 0
				buf := make([]Event, 1<<14)
				for b.Loop() {
					er, err := OpenEvents(context.Background(), Source{Path: p}, nil)
					if err != nil {
						b.Fatal(err)
					}
					for {
						k, err := er.Read(buf)
						rows += k
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					er.Close()
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, rules := range []bool{false, true} {
		for _, n := range []int{100000, 1000000} {
			b.Run(fmt.Sprintf("rules=%v/events=%d", rules, n), func(b *testing.B) {
				p := benchEvents(b, n, "parquet")
				cfg := Config{Events: Source{Path: p}, AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
				if rules {
					cfg.Rules = DefaultRules()
				}
				b.ReportAllocs()
				rows := 0
				for b.Loop() {
					t, err := Build(context.Background(), cfg)
					if err != nil {
						b.Fatal(err)
					}
					rows += n
					_ = t
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// BenchmarkSnapshots builds a snapshot table of 12 monthly dates, as the
// conversion target trains on, and writes it as Parquet to nowhere: each
// contact's rows computed date after date and the Parquet writing, ten
// times as many rows as an as-of run of the same events.
func BenchmarkSnapshots(b *testing.B) {
	const n = 1000000
	p := benchEvents(b, n, "parquet")
	ctx := context.Background()
	outcomes, err := ReadOutcomes(ctx, Source{Path: benchFile("deals", n, "parquet")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	first, last := time.Date(2023, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tg := &Target{Kind: TargetConversion, HorizonDays: 90}
	dates, err := SnapshotDates("monthly", first, last, tg.HorizonDays)
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{Events: Source{Path: p}, Snapshots: dates, Target: tg, Outcomes: outcomes, OutcomesKnown: last}
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		got, _, err := BuildParquet(ctx, cfg, io.Discard, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += got
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseCSVBlock parses one block of a plain CSV events file, as
// each of streamCSV's workers does: into events (Stream) and into columns
// (streamColumns, ingest's reading).
func BenchmarkParseCSVBlock(b *testing.B) {
	p := benchEvents(b, 100000, "csv")
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	data = data[:lastRecordEnd(data[:csvEventBlock()])]
	for _, columns := range []bool{false, true} {
		b.Run(fmt.Sprintf("columns=%v", columns), func(b *testing.B) {
			er, err := openEvents(context.Background(), Source{Path: p}, nil, map[string]bool{}, false)
			if err != nil {
				b.Fatal(err)
			}
			defer er.Close()
			er.transient = true
			blk := &eventBlock{data: data, first: 1, lines: bytes.Count(data, []byte{'\n'}), head: true}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				blk.rows = 0
				er.parseBlock(er.r.(*csvRows), blk, columns)
				if blk.syntax || len(blk.bad) > 0 {
					b.Fatal("block not parsed")
				}
			}
			b.ReportMetric(float64(blk.rows), "rows/block")
		})
	}
}

// BenchmarkReadProfiles reads a generated entities file of 100,000
// contacts (nine columns, five of them text), as a features run with
// --entities does before the events: types decided column by column
// (numbers, dates, text).
func BenchmarkReadProfiles(b *testing.B) {
	p := filepath.Join(os.TempDir(), "leadscore-bench", "entities-100000.parquet")
	if _, err := os.Stat(p); err != nil {
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p + ".tmp")
		if err != nil {
			b.Fatal(err)
		}
		sink := datasets.NewParquetSink(datasets.Files{Events: io.Discard, Entities: f, Deals: io.Discard, Orders: io.Discard, Truth: io.Discard})
		if _, err := datasets.Generate(context.Background(), datasets.Config{Entities: 100000, Seed: 1}, sink); err != nil {
			b.Fatal(err)
		}
		if err := errors.Join(sink.Close(), f.Close(), os.Rename(p+".tmp", p)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadProfiles(context.Background(), Source{Path: p}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteParquet writes a feature table as a features run writes
// its output (WriteParquet: row groups of rowGroupRows, columns encoded on
// every core): the table of 1,000,000 generated events as of 2025-01-01,
// built once. With LEADSCORE_BENCH_TABLE naming a Parquet table (a
// features run's output), the sub-benchmark "file" writes that table.
func BenchmarkWriteParquet(b *testing.B) {
	type input struct{ name, path string }
	inputs := []input{{"events=1000000", ""}}
	if p := os.Getenv("LEADSCORE_BENCH_TABLE"); p != "" {
		inputs = append(inputs, input{"file", p})
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			var t *Table
			var err error
			if in.path == "" {
				t, err = Build(context.Background(), Config{Events: Source{Path: benchEvents(b, 1000000, "parquet")}, AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
			} else {
				t, err = ReadFileAt(in.path, func(r io.ReaderAt, size int64) (*Table, error) {
					return ReadParquetTable(context.Background(), io.NewSectionReader(r, 0, size), in.path)
				})
			}
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := t.WriteParquet(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(t.NumRows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
