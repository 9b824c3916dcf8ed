package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"leadscore/datasets"
	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
)

func TestMain(m *testing.M) {
	flag.Parse() // -runner: prism, embedded, unless the command line says otherwise
	beam.Init()
	os.Exit(m.Run())
}

// generate writes a generated CRM as CSV to dir, and its events and
// entities again in shards under dir/shards.
func generate(t *testing.T, dir string, entities int) {
	t.Helper()
	if err := datasets.GenerateDir(context.Background(), dir, datasets.Config{Entities: entities, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "shards"), 0o755)
	shard(t, filepath.Join(dir, "events.csv"), filepath.Join(dir, "shards", "part-%d.csv"), 3)
	shard(t, filepath.Join(dir, "entities.csv"), filepath.Join(dir, "shards", "entities-%d.csv"), 2)
}

// shard deals the rows of a CSV file round-robin into n files named by
// pattern, each with the header.
func shard(t *testing.T, from, pattern string, n int) {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	for k := range n {
		var b strings.Builder
		b.WriteString(lines[0])
		for i := 1 + k; i < len(lines); i += n {
			b.WriteString(lines[i])
		}
		if err := os.WriteFile(fmt.Sprintf(pattern, k), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeConfig(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBeamMatchesRun: leadscore-beam on Prism, over the events in three
// shards and the entities in two, writes the features, call list and CSV
// of leadscore run over the same data in one file each: the same rows,
// values and order. Both train their model from the same train: section
// on one machine first; the models differ only in the names of the files
// they were trained on, hence in their ids.
func TestBeamMatchesRun(t *testing.T) {
	dir := t.TempDir()
	generate(t, dir, 1500)
	ctx := context.Background()
	const rest = "deals: {path: deals.csv}\nrules: default\ntrain: {target: conversion, horizon: 90d, snapshots: monthly, model: gbdt}\n"
	localCfg := writeConfig(t, filepath.Join(dir, "local.yaml"), "out: local\nevents: {path: events.csv}\nentities: {path: entities.csv}\n"+rest)
	beamCfg := writeConfig(t, filepath.Join(dir, "beam.yaml"), "out: beam\nevents: {path: shards/part-*.csv}\nentities: {path: shards/entities-*.csv}\n"+rest)
	c, raw, err := pipeline.LoadConfig(localCfg)
	if err != nil {
		t.Fatal(err)
	}
	ran, err := pipeline.Run(ctx, c, raw, pipeline.Options{AsOf: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	markers := func() []string {
		m, _ := filepath.Glob(filepath.Join(os.TempDir(), "beamloopbackworker-*"))
		return m
	}
	before := markers()
	res, err := run(ctx, beamCfg, "2024-10-01")
	if err != nil {
		t.Fatal(err)
	}
	if left := markers(); len(left) > len(before) {
		t.Errorf("Beam's loopback marker left in the temporary folder: %v", left)
	}
	if res.Ranked == 0 {
		t.Fatal("nothing ranked")
	}

	local, beamDir := filepath.Join(dir, "local", "2024-10-01"), filepath.Join(dir, "beam", "2024-10-01")
	want, got := readTable(t, filepath.Join(local, "features.parquet")), readTable(t, filepath.Join(beamDir, "features.parquet"))
	sameTable(t, "features", want, got)
	for k, v := range want.Meta {
		if k != features.MetaToolVersion && !strings.HasPrefix(k, features.MetaInputPrefix) && got.Meta[k] != v {
			t.Errorf("features metadata %s: %q, run has %q", k, got.Meta[k], v)
		}
	}
	wr, err := predict.ReadRankedFile(filepath.Join(local, "ranked.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	gr, err := predict.ReadRankedFile(filepath.Join(beamDir, "ranked.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range gr {
		gr[i].ModelID = ran.Manifest.ModelID
	}
	if !reflect.DeepEqual(wr, gr) {
		t.Errorf("ranked.parquet: the rows differ from run's (%d and %d)", len(gr), len(wr))
	}
	// A date before every event stops, as leadscore run does (exit 3).
	early := writeConfig(t, filepath.Join(dir, "early.yaml"), "out: early\nevents: {path: shards/part-*.csv}\nmodel: "+filepath.Join(local, "model")+"\n")
	if _, err := run(ctx, early, "2020-01-01"); err == nil || exitCode(ctx, err) != pipeline.ExitBadInput || !strings.Contains(err.Error(), "no event falls before the as-of date 2020-01-01T00:00:00Z") {
		t.Errorf("a date before every event: %v", err)
	}
	// Events files without a row: an empty table, every entity scored on
	// its attributes with a warning, as leadscore run does.
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	header, _, _ := strings.Cut(string(must(os.ReadFile(filepath.Join(dir, "events.csv")))), "\n")
	for k := range 2 {
		os.WriteFile(filepath.Join(dir, "empty", fmt.Sprintf("part-%d.csv", k)), []byte(header+"\n"), 0o644)
	}
	none := "events: {path: empty/part-*.csv}\nentities: {path: shards/entities-*.csv}\nmodel: " + filepath.Join(local, "model") + "\n"
	c, raw, err = pipeline.LoadConfig(writeConfig(t, filepath.Join(dir, "none-local.yaml"), "out: none-local\n"+none))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(ctx, c, raw, pipeline.Options{AsOf: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	noneRes, err := run(ctx, writeConfig(t, filepath.Join(dir, "none-beam.yaml"), "out: none-beam\n"+none), "2024-10-01")
	if err != nil {
		t.Fatalf("events without a row: %v", err)
	}
	if w := noneRes.Manifest.Warnings; noneRes.Ranked != 1500 || len(w) == 0 || !strings.HasPrefix(w[0], "no event falls before the as-of date") {
		t.Errorf("events without a row: %d ranked, warnings %.200q", noneRes.Ranked, w)
	}
	sameTable(t, "events without a row: features", readTable(t, filepath.Join(dir, "none-local", "2024-10-01", "features.parquet")),
		readTable(t, filepath.Join(dir, "none-beam", "2024-10-01", "features.parquet")))
	if a, b := must(os.ReadFile(filepath.Join(dir, "none-local", "2024-10-01", "ranked.csv"))), must(os.ReadFile(filepath.Join(dir, "none-beam", "2024-10-01", "ranked.csv"))); !bytes.Equal(a, b) {
		t.Errorf("events without a row: ranked.csv differs from run's")
	}
	a, _ := os.ReadFile(filepath.Join(local, "ranked.csv"))
	b, _ := os.ReadFile(filepath.Join(beamDir, "ranked.csv"))
	b = bytes.ReplaceAll(b, []byte(res.Manifest.ModelID), []byte(ran.Manifest.ModelID))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("ranked.csv differs from run's (%d and %d bytes)", len(b), len(a))
	}
	checkErrors(t, dir, "model: local/2024-10-01/model/model.json\n")
}

// sameTable fails the test unless got has want's columns and values, to
// the bit.
func sameTable(t *testing.T, what string, want, got *features.Table) {
	t.Helper()
	if !reflect.DeepEqual(want.Names(), got.Names()) || want.NumRows() != got.NumRows() {
		t.Fatalf("%s: %d rows of %v, run has %d of %v", what, got.NumRows(), got.Names(), want.NumRows(), want.Names())
	}
	for c := range want.Columns {
		w, g := &want.Columns[c], &got.Columns[c]
		for i := range w.Len() {
			if w.Kind == features.KindFloat && math.Float64bits(w.Float[i]) != math.Float64bits(g.Float[i]) || w.Text(i) != g.Text(i) {
				t.Fatalf("%s %s row %d: %s, run has %s", what, w.Name, i, g.Text(i), w.Text(i))
			}
		}
	}
}

// must returns v, panicking on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func readTable(t *testing.T, path string) *features.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb, err := features.ReadParquetTable(context.Background(), f, path)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// checkErrors: a bad event row fails the job with its file, line and
// column and leadscore's bad-input exit code, leaving no outputs; a bad
// date is a usage error. dir holds TestBeamMatchesRun's data and model.
func checkErrors(t *testing.T, dir, model string) {
	t.Helper()
	ctx := context.Background()
	const common = "entities: {path: entities.csv}\ndeals: {path: deals.csv}\nrules: default\n"
	if _, err := run(ctx, filepath.Join(dir, "beam.yaml"), "2024-13-01"); exitCode(ctx, err) != pipeline.ExitUsage {
		t.Errorf("--as-of 2024-13-01: %v (exit %d), want a usage error", err, exitCode(ctx, err))
	}
	os.Mkdir(filepath.Join(dir, "bad"), 0o755)
	raw, err := os.ReadFile(filepath.Join(dir, "shards", "part-1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "bad", "part-1.csv"), append(raw, "E000001,not-a-date,page_view\n"...), 0o644)
	cfg := writeConfig(t, filepath.Join(dir, "bad.yaml"), "out: bad-runs\nevents: {path: bad/part-*.csv}\n"+common+model)
	_, err = run(ctx, cfg, "2024-10-01")
	if code := exitCode(ctx, err); code != pipeline.ExitBadInput || err == nil || !strings.Contains(err.Error(), "part-1.csv:") || strings.Contains(err.Error(), "DataSource") {
		t.Errorf("a bad row: %v (exit %d), want its file and line alone, exit %d", err, code, pipeline.ExitBadInput)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad-runs", "2024-10-01")); err == nil {
		t.Error("a failed run left outputs")
	}
}
