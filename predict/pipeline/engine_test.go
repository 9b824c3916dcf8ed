package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"leadscore/features"
)

// entityEngine builds a run's feature table as a distributed engine
// would: each "worker" makes its own plan from pipeline.yaml
// (FeatureConfig), records are keyed by entity, counted, merged, and the
// rows computed and assembled entity by entity.
func entityEngine(t *testing.T, cfgPath string) func(context.Context, features.Config) (*features.Table, error) {
	return func(ctx context.Context, driver features.Config) (*features.Table, error) {
		worker := func(tables bool) *features.EntityPlan {
			c, _, err := LoadConfig(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			fc, err := FeatureConfig(ctx, c, driver.AsOf, driver.Spec, driver.Target, tables)
			if err != nil {
				t.Fatal(err)
			}
			p, err := features.NewEntityPlan(fc)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		reader := worker(false)
		er, err := features.OpenEvents(ctx, driver.Events, nil)
		if err != nil {
			return nil, err
		}
		defer er.Close()
		byID := map[string][]features.Record{}
		err = features.Stream(ctx, er, func(batch []features.Event) error {
			for i := range batch {
				if r, ok := reader.Record(&batch[i]); ok {
					byID[batch[i].EntityID] = append(byID[batch[i].EntityID], r)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		counter, total := worker(false), features.Counts{}
		for id, recs := range byID {
			c, err := counter.Count(id, recs)
			if err != nil {
				return nil, err
			}
			total = features.MergeCounts(c, total)
		}
		rows := worker(true)
		if err := rows.Resolve(context.Background(), total); err != nil {
			return nil, err
		}
		var out []features.EntityRow
		for id, recs := range byID {
			r, ok, err := rows.Row(id, recs)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, r)
			}
		}
		return rows.Table(out)
	}
}

// checkEntityEngine runs pipeline.yaml with model (a trained model) as of
// date twice, with Build and with the entity-at-a-time engine, and finds
// every output but the manifest byte-identical.
func checkEntityEngine(t *testing.T, dir, model, date string) {
	t.Helper()
	for _, out := range []string{"local", "entity"} {
		p := filepath.Join(dir, out+".yaml")
		os.WriteFile(p, []byte("out: "+out+"\nevents: {path: events.csv}\nentities: {path: entities.csv}\ndeals: {path: deals.csv}\nrules: default\nmodel: "+model+"\n"), 0o644)
		c, raw, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{AsOf: day(date)}
		if out == "entity" {
			opts.Features = entityEngine(t, p)
		}
		if _, err := Run(context.Background(), c, raw, opts); err != nil {
			t.Fatal(err)
		}
	}
	names, err := os.ReadDir(filepath.Join(dir, "local", date))
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, n := range names {
		if n.Name() == "manifest.json" {
			continue
		}
		a, errA := os.ReadFile(filepath.Join(dir, "local", date, n.Name()))
		b, errB := os.ReadFile(filepath.Join(dir, "entity", date, n.Name()))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the engines (%v, %v)", n.Name(), errA, errB)
		}
		compared++
	}
	if !slices.ContainsFunc(names, func(e os.DirEntry) bool { return e.Name() == "features.parquet" }) || compared < 3 {
		t.Errorf("compared %d outputs", compared)
	}
}

// TestWarningLog: warnings (not infos) logged through warningLog reach the
// manifest once each, with the logger's and the record's attributes, and
// the log still gets every record.
func TestWarningLog(t *testing.T) {
	var buf bytes.Buffer
	man := &Manifest{Warnings: []string{"earlier"}}
	log := warningLog(slog.New(slog.NewTextHandler(&buf, nil)), man, "").With("file", "e.csv")
	log.Info("read", "rows", 3)
	log.Warn("entities missing", "missing", 2)
	log.Warn("entities missing", "missing", 2)
	log.Error("failed")
	want := []string{"earlier", "entities missing (file=e.csv, missing=2)", "failed (file=e.csv)"}
	if !slices.Equal(man.Warnings, want) {
		t.Errorf("warnings %q, want %q", man.Warnings, want)
	}
	if n := strings.Count(buf.String(), "\n"); n != 4 {
		t.Errorf("%d records logged, want 4:\n%s", n, buf.String())
	}
	// A stage's warnings are named by it; those it skips are only logged.
	man.Warnings = nil
	buf.Reset()
	log = warningLog(slog.New(slog.NewTextHandler(&buf, nil)), man, "training", "said elsewhere")
	log.Warn("said elsewhere")
	log.Warn("entities missing", "missing", 2)
	if want := []string{"training: entities missing (missing=2)"}; !slices.Equal(man.Warnings, want) {
		t.Errorf("warnings %q, want %q", man.Warnings, want)
	}
	if !strings.Contains(buf.String(), "said elsewhere") {
		t.Errorf("a skipped warning was not logged:\n%s", buf.String())
	}
	// A log that shows errors only (or nothing) still gives the manifest
	// its warnings, and shows no more than it did.
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}), slog.DiscardHandler} {
		man.Warnings = nil
		buf.Reset()
		log = warningLog(slog.New(h), man, "")
		log.Info("read")
		log.Warn("entities missing")
		if want := []string{"entities missing"}; !slices.Equal(man.Warnings, want) || buf.Len() != 0 {
			t.Errorf("%T: warnings %q, want %q; logged %q", h, man.Warnings, want, buf.String())
		}
	}
}
