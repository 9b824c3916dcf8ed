package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/train"
)

// trainStage gives a run with a train: section its model, written to
// OUT/<date>/model/: the model of the newest earlier run within the
// retrain period when there is one, else a model trained now on the data
// before the as-of date. The training rows are snapshots from history
// before the as-of date, as the run will score: for a conversion target
// every contact on each snapshot date, labelled by the deals known before
// the as-of date; for an opportunity target the deals open on each
// snapshot date that closed before it, labelled won.
func (p *plan) trainStage(ctx context.Context, o *Outputs, dir string, man *Manifest, opts Options, log *slog.Logger) error {
	tp, c := p.train, p.cfg
	man.TrainConfigHash = tp.hash
	if m, from := p.reusable(opts.AsOf, log); m != nil {
		log.Info("reusing model", "model_id", m.ID, "trained_as_of", from)
		p.model, man.ModelTrainedAsOf = m, from
		return SaveModel(o, filepath.Join(dir, "model"), m, nil)
	}
	start := time.Now()
	deals := c.source(c.Deals)
	job := TableJob{Events: c.source(&c.Events), Outcomes: &deals, Spec: tp.spec, Rules: p.rules, Target: &tp.target,
		Logger: log, Progress: opts.Progress,
		// The scoring stage reads the same files and quarantines their bad
		// rows; here they are only counted against the same limit.
		BadRows: &features.BadRows{Max: c.MaxBadRows}}
	if c.Entities != nil {
		src := c.source(c.Entities)
		job.Entities = &src
	}
	job.Snapshots = or(c.Train.Snapshots, "monthly")
	job.First = features.Period{N: -tp.history.N, Unit: tp.history.Unit}.Add(opts.AsOf)
	job.Last = opts.AsOf
	t, err := BuildTable(ctx, job)
	if err != nil {
		return err
	}
	if err := p.recordInputs(man); err != nil {
		return err
	}
	if c.Train.KeepTable {
		Stamp(t.Meta, tableInputs(man.Inputs), opts.Tool)
		f, err := o.Create(filepath.Join(dir, "model", "training.parquet"))
		if err != nil {
			return err
		}
		if err := t.WriteParquet(f); err != nil {
			return err
		}
	}
	// Dates (of the entities file) become their ages before each row's
	// date, and one mostly after it is warned of, as for a flat table.
	readNotes(t, tp.cfg.TimeColumn, c.Train.Drop, "train: drop: [%s]", log)
	for _, name := range slices.Concat(c.Train.Drop, c.Train.AllowLeaks) {
		if t.Column(name) == nil {
			return Usagef("pipeline.yaml, train: drop or allow_leaks: no column %q among the training rows' (%s)", name, strings.Join(t.Names(), ", "))
		}
	}
	cfg := tp.cfg
	cfg.Logger, cfg.Source = log, man.Inputs["events"]
	var report bytes.Buffer
	cfg.Report = &report
	m, err := train.Train(ctx, t, cfg)
	if le := (*train.LeakError)(nil); errors.As(err, &le) {
		le.Drop, le.Allow = "pipeline.yaml, train: drop: [%s]", "train: allow_leaks: [%s]"
	}
	if err != nil {
		return err
	}
	p.model, man.ModelTrainedAsOf = m, dateOf(opts.AsOf)
	man.Rows["training"] = t.NumRows()
	man.Seconds["train"] = time.Since(start).Round(time.Millisecond).Seconds()
	return SaveModel(o, filepath.Join(dir, "model"), m, report.Bytes())
}

// reusable returns the model of the newest earlier successful run within
// the retrain period before asOf that trained with the same train: section,
// and the date it was trained as of; nil when the policy is to train every
// run or there is none.
func (p *plan) reusable(asOf time.Time, log *slog.Logger) (*predict.Model, string) {
	if p.train.retrain == nil {
		return nil, ""
	}
	from := dateOf(features.Period{N: -p.train.retrain.N, Unit: p.train.retrain.Unit}.Add(asOf))
	date := dateOf(asOf)
	entries, err := os.ReadDir(p.out)
	if err != nil {
		return nil, ""
	}
	var dates []string
	for _, e := range entries {
		if n := e.Name(); dateName.MatchString(n) && e.Type()&fs.ModeSymlink != 0 && n >= from && n < date {
			dates = append(dates, n)
		}
	}
	slices.Sort(dates)
	for _, d := range slices.Backward(dates) {
		var man Manifest
		raw, err := os.ReadFile(filepath.Join(p.out, d, "manifest.json"))
		if err != nil || json.Unmarshal(raw, &man) != nil || man.Status != "ok" || man.TrainConfigHash != p.train.hash || man.ModelTrainedAsOf == "" {
			continue
		}
		m, err := predict.ReadFile(filepath.Join(p.out, d, "model", "model.json"))
		if err != nil {
			log.Warn("not reusing an earlier run's model", "run", d, "error", err)
			continue
		}
		return m, man.ModelTrainedAsOf
	}
	return nil, ""
}
