package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// TestPipelineConfigChecksFirst: mistakes in pipeline.yaml, and in the
// configuration files it names, fail the run before any work: nothing is
// read but configuration, and the out folder is not made.
func TestPipelineConfigChecksFirst(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "predict.yaml"), []byte("reasons: -1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte("version: 1\ngroups: [{name: g}]\nrules:\n  - {name: a, group: g, points: .nan, event: {type: x}, valid_for: 1 day}\n"), 0o644)
	tests := []struct {
		name string
		yaml string
		line int
	}{
		{"time unit", "out: runs\nevents: {path: e.csv}\nmodel: m\norders: {path: o.csv}\ntime_unit: fortnight\n", 5},
		{"separator", "out: runs\nevents: {path: e.csv, sep: ';;'}\nmodel: m\n", 2},
		{"encoding", "out: runs\nevents: {path: e.csv}\nentities:\n  path: x.csv\n  encoding: ebcdic\nmodel: m\n", 5},
		{"missing out", "events: {path: e.csv}\nmodel: m\n", 1},
		{"unknown key", "out: runs\nevents: {path: e.csv}\nmodel: m\ncolour: red\n", 4},
		{"model and train", "out: runs\nevents: {path: e.csv}\nmodel: m\ndeals: {path: d.csv}\ntrain: {model: lr}\n", 5},
		{"train without deals", "out: runs\nevents: {path: e.csv}\ntrain: {model: lr}\n", 3},
		{"horizon", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  target: conversion\n  horizon: soon\n", 6},
		{"target", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  target: revenue\n", 5},
		{"tree option for lr", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  model: lr\n  options: {leaves: 8}\n", 6},
		{"retrain", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  retrain: sometimes\n", 5},
		{"snapshot dates", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  snapshots: 2024-01-01,someday\n", 5},
		{"won without lost", "out: runs\nevents: {path: e.csv}\nmodel: m\ndeals:\n  path: d.csv\n  won: [Closed Won]\n", 6},
		{"a value both won and lost", "out: runs\nevents: {path: e.csv}\nmodel: m\ndeals:\n  path: d.csv\n  won: [Won]\n  lost: [won]\n", 6},
		{"won values of events", "out: runs\nevents:\n  path: e.csv\n  won: [a]\n  lost: [b]\nmodel: m\n", 4},
		{"zero rounds", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  model: gbdt\n  options: {rounds: 0}\n", 6},
		{"unknown option", "out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  model: gbdt\n  options:\n    roundz: 5\n", 7},
		{"a misspelt column name", "out: runs\nevents: {path: e.csv}\nmodel: m\ndeals:\n  path: d.csv\n  columns: {closedat: close_date}\n", 6},
		{"a deals column for events", "out: runs\nevents:\n  path: e.csv\n  columns: {closed_at: x}\nmodel: m\n", 4},
		{"number format", "out: runs\nevents: {path: e.csv}\nmodel: m\nentities:\n  path: x.csv\n  number_format: 1 234,5\n", 6},
		{"types renamed in entities", "out: runs\nevents: {path: e.csv}\nmodel: m\nentities:\n  path: x.csv\n  rename_types: {A: a}\n", 6},
		{"types renamed in a chain", "out: runs\nevents:\n  path: e.csv\n  rename_types: {A: b, b: c}\nmodel: m\n", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml), "pipeline.yaml")
			var ce *features.ConfigError
			if !errors.As(err, &ce) || ce.Line != tt.line {
				t.Errorf("error = %v, want a *features.ConfigError on line %d", err, tt.line)
			}
		})
	}
	// Files that pipeline.yaml names are loaded before any data is read:
	// the events file does not even exist here.
	for _, extra := range []string{"predict: predict.yaml\n", "rules: rules.yaml\n"} {
		p := filepath.Join(dir, "pipeline.yaml")
		os.WriteFile(p, []byte("out: runs\nevents: {path: missing.csv}\nmodel: model.json\n"+extra), 0o644)
		writeTinyModel(t, filepath.Join(dir, "model.json"))
		cfg, raw, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Run(context.Background(), cfg, raw, Options{AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
		var ce *features.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error = %v, want a *features.ConfigError", extra, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "runs")); err == nil {
			t.Errorf("%s: the out folder was made", extra)
		}
	}
}

// TestMissingFiles: a settings file or model that pipeline.yaml names and
// that is not there is a usage error (exit 2) saying what it was to be,
// before the out folder is made; a data input that is not there (a file,
// or a pattern of shards matching none) is bad input (exit 3) naming its
// key, before any stage reads or trains, and the run says so beside its
// outputs.
func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	generate(t, dir, 300, 1)
	writeTinyModel(t, filepath.Join(dir, "model.json"))
	os.MkdirAll(filepath.Join(dir, "exports"), 0o755)
	run := func(yaml string) error {
		p := filepath.Join(dir, "pipeline.yaml")
		os.WriteFile(p, []byte(yaml), 0o644)
		cfg, raw, err := LoadConfig(p)
		if err != nil {
			return err
		}
		_, err = Run(context.Background(), cfg, raw, Options{AsOf: day("2024-07-01"), ExitCode: func(err error) int { return ExitCode(context.Background(), err) }})
		return err
	}
	for _, tt := range []struct{ yaml, want string }{
		{"out: a\nevents: {path: events.csv}\nmodel: model.json\nrules: rules.yml\n", "rules file " + filepath.Join(dir, "rules.yml") + ": no such file"},
		{"out: a\nevents: {path: events.csv}\nmodel: model.json\npredict: predict.yml\n", "predict settings " + filepath.Join(dir, "predict.yml") + ": no such file"},
		{"out: a\nevents: {path: events.csv}\nmodel: models/lr\n", "model " + filepath.Join(dir, "models/lr") + ": no such file or folder"},
	} {
		err := run(tt.yaml)
		if ExitCode(context.Background(), err) != ExitUsage || err == nil || err.Error() != tt.want {
			t.Errorf("%q: %v, want exit 2 with %q", tt.yaml, err, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
			t.Errorf("%q: the out folder was made", tt.yaml)
		}
	}
	if _, _, err := LoadConfig(filepath.Join(dir, "nope.yaml")); ExitCode(context.Background(), err) != ExitUsage {
		t.Errorf("no pipeline.yaml: %v, want exit 2", err)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"out: b\nevents: {path: events.csv}\ndeals: {path: deals.csv}\norders: {path: order.csv}\ntrain: {model: lr}\n",
			"orders: " + filepath.Join(dir, "order.csv") + ": no such file"},
		{"out: c\nevents: {path: ev/part-*.parquet}\nmodel: model.json\n", "events: " + filepath.Join(dir, "ev/part-*.parquet") + ": no file matches"},
		{"out: d\nevents: {path: events.csv}\ndeals: {path: exports}\ntrain: {model: lr}\n", "deals: " + filepath.Join(dir, "exports") + ": a folder, not a file: only events and entities may be folders of files"},
	} {
		err := run(tt.yaml)
		if ExitCode(context.Background(), err) != ExitBadInput || err == nil || err.Error() != tt.want ||
			errors.Is(err, fs.ErrNotExist) == strings.Contains(tt.want, "folder") {
			t.Errorf("%q: %v, want exit 3 with %q", tt.yaml, err, tt.want)
		}
		out := filepath.Join(dir, tt.yaml[5:6])
		raw, _ := os.ReadFile(filepath.Join(out, "2024-07-01.failed.json"))
		if !strings.Contains(string(raw), `"exit_code": 3`) {
			t.Errorf("%q: failure manifest %s", tt.yaml, raw)
		}
		if _, err := os.Stat(filepath.Join(out, ".data")); err == nil {
			if entries, _ := os.ReadDir(filepath.Join(out, ".data")); len(entries) > 0 {
				t.Errorf("%q: a run folder was left: %v", tt.yaml, entries)
			}
		}
	}
}

// writeTinyModel writes a one-feature logistic model with a feature spec.
func writeTinyModel(t *testing.T, path string) {
	t.Helper()
	m := &predict.Model{Type: predict.TypeLogistic, Label: "won",
		Features:    []predict.Feature{{Name: "events_total", Kind: predict.Numeric}},
		Design:      []predict.DesignColumn{{Name: "events_total", Feature: 0, Role: predict.RoleValue, Mean: 1, Scale: 2}},
		Logistic:    &predict.Logistic{Intercept: 0.5, Coef: []float64{2}, C: 1},
		FeatureSpec: &features.Spec{}}
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.Write(f); err != nil {
		t.Fatal(err)
	}
}

// TestDocsPipeline: the example in docs/pipeline.yaml is a valid config
// that trains.
func TestDocsPipeline(t *testing.T) {
	c, _, err := LoadConfig("../../docs/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Train == nil || c.Deals == nil || c.Train.Model != "gbdt" {
		t.Errorf("docs/pipeline.yaml: train %+v, deals %+v", c.Train, c.Deals)
	}
}

// TestTrainOptionsZero: lambda: 0 is no L2 on leaf values, not a run's
// default 10; without it the default holds; rounds: 0 is refused (it
// would have meant 300).
func TestTrainOptionsZero(t *testing.T) {
	for give, want := range map[string]float64{"options: {lambda: 0}": -1, "options: {lambda: 2}": 2, "options: {rounds: 10}": defaultLambda} {
		c, err := ParseConfig([]byte("out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  model: gbdt\n  "+give+"\n"), "pipeline.yaml")
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Train.parse()
		if err != nil || p.cfg.GBDT.Lambda != want {
			t.Errorf("%s: lambda %v (%v), want %v", give, p.cfg.GBDT.Lambda, err, want)
		}
	}
	_, err := ParseConfig([]byte("out: runs\nevents: {path: e.csv}\ndeals: {path: d.csv}\ntrain:\n  model: gbdt\n  options: {learning_rate: 0.0}\n"), "pipeline.yaml")
	if err == nil || !strings.Contains(err.Error(), "train.options.learning_rate: must be more than 0") {
		t.Errorf("learning_rate: 0: %v", err)
	}
}

// TestRenameTypesInReuseKey: a run reuses a model trained with the same
// train: section, spec and type renames, whose columns it names after;
// other renames make another key.
func TestRenameTypesInReuseKey(t *testing.T) {
	key := func(yaml string) string {
		c, err := ParseConfig([]byte(yaml), "pipeline.yaml")
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.plan([]byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		return p.train.hash
	}
	const rest = "deals: {path: d.csv}\ntrain: {model: lr}\n"
	plain := key("out: runs\nevents: {path: e.csv}\n" + rest)
	renamed := key("out: runs\nevents: {path: e.csv, rename_types: {Page View: page_view}}\n" + rest)
	other := key("out: runs\nevents: {path: e.csv, rename_types: {Page View: page_visit}}\n" + rest)
	if plain == renamed || renamed == other || renamed != key("out: runs\nevents: {path: e.csv, rename_types: {Page View: page_view}}\n"+rest) {
		t.Errorf("reuse keys %s, %s, %s", plain, renamed, other)
	}
}
