package pipeline

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/train"
)

// EvaluateJob judges a past call list by the deals that followed it, as
// 'leadscore evaluate' asks for it.
type EvaluateJob struct {
	// Ranked is a run folder (OUT/<date>) or a ranked.parquet file; Deals
	// the deals file.
	Ranked, Deals string
	// Model, Target, Horizon and AsOf, when set, override what the run
	// folder's model and the rows say.
	Model, Target, Horizon, AsOf string
	// Out and HTML, when set, get the evaluation as JSON and as a page.
	Out, HTML string
	// Reading says how the deals file is read.
	Reading Reading
}

// Run evaluates the list and writes the files asked for.
func (j *EvaluateJob) Run(ctx context.Context, log *slog.Logger) (*train.Evaluation, error) {
	if j.Ranked == "" || j.Deals == "" {
		return nil, Usagef("--ranked and --deals are required")
	}
	if err := namedAsWritten(namedOut{"--out", j.Out, ".json"}, namedOut{"--html", j.HTML, ".html"}); err != nil {
		return nil, err
	}
	rankedPath, modelPath := j.Ranked, j.Model
	if st, err := os.Stat(j.Ranked); err == nil && st.IsDir() {
		rankedPath = filepath.Join(j.Ranked, "ranked.parquet")
		if m := filepath.Join(j.Ranked, "model", "model.json"); modelPath == "" && isFile(m) {
			modelPath = m
		}
	}
	cfg, err := j.config(modelPath)
	if err != nil {
		return nil, err
	}
	if err := j.Reading.checkBadRows(); err != nil {
		return nil, err
	}
	var o Outputs
	defer o.Abort()
	o.Protect(rankedPath, j.Deals, modelPath)
	bad, err := BadRows(&o, QuarantinePath(j.Out), j.Reading.MaxBadRows) // no --out: counted only
	if err != nil {
		return nil, err
	}
	ranked, err := predict.ReadRankedFile(rankedPath)
	if err != nil {
		return nil, err
	}
	src, err := j.Reading.Source("deals", j.Deals)
	if err != nil {
		return nil, err
	}
	deals, err := features.ReadOutcomes(ctx, src, bad)
	if err != nil {
		return nil, err
	}
	ev, err := train.Evaluate(ranked, deals, cfg)
	if err != nil {
		return nil, err
	}
	if ev.DealsSkipped = bad.Count(); ev.DealsSkipped > 0 {
		logger(log).Warn("skipped bad rows of the deals file", "bad_rows", ev.DealsSkipped, "first", bad.First())
	}
	if !ev.Complete {
		logger(log).Warn("the deals file ends before the horizon: conversions yet to come are missing", "outcomes_through", ev.OutcomesThrough, "horizon_end", ev.HorizonEnd)
	}
	if err := o.writeAll(map[string]func(io.Writer) error{j.Out: JSONWriter(ev), j.HTML: ev.WriteHTML}); err != nil {
		return nil, err
	}
	return ev, o.Commit()
}

// config takes the target and horizon from the model, then the job.
func (j *EvaluateJob) config(modelPath string) (train.EvalConfig, error) {
	cfg := train.EvalConfig{}
	if modelPath != "" {
		m, err := readModel(modelFile(modelPath))
		if err != nil {
			return cfg, err
		}
		if m.Target != nil {
			cfg.Target, cfg.HorizonDays = m.Target.Kind, m.Target.HorizonDays
		}
	}
	if j.Target != "" {
		cfg.Target = features.TargetKind(j.Target)
		if cfg.Target != features.TargetConversion && cfg.Target != features.TargetOpportunity {
			return cfg, Usagef("--target %q: want conversion or opportunity", j.Target)
		}
	}
	var err error
	if j.Horizon != "" {
		if cfg.HorizonDays, err = ParseHorizon("horizon", j.Horizon); err != nil {
			return cfg, err
		}
	}
	if j.AsOf != "" {
		if cfg.AsOf, err = ParseDate("as-of", j.AsOf); err != nil {
			return cfg, err
		}
	}
	if cfg.Target != features.TargetOpportunity && cfg.HorizonDays == 0 {
		return cfg, Usagef("give --horizon (or --model, or a run folder whose model records it)")
	}
	return cfg, nil
}

// isFile reports whether path names an existing file.
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
