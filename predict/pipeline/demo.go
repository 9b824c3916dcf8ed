package pipeline

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"leadscore/datasets"
	"leadscore/predict"
)

// demoSpec is the demo's feature spec: the default features, and views of
// the pricing page as a type of their own (the sample's page views carry a
// page column).
const demoSpec = `version: 1
derived:
  - name: pricing_visit
    type: page_view
    where: {page: [pricing]}
    phrase: visited the pricing page
    noun: pricing-page visit
`

// demoPipeline is the demo's pipeline.yaml; %d is the training seed.
const demoPipeline = `# The demo's nightly run: leadscore run --config pipeline.yaml --as-of DATE
out: runs
events: {path: data/events.parquet}
entities: {path: data/entities.parquet}
orders: {path: data/orders.parquet}
deals: {path: data/deals.parquet}
rules: default
train:
  target: conversion      # who opens a deal, within the horizon, that is won
  horizon: 90d
  snapshots: monthly
  history: 12 months
  model: gbdt
  spec: features.yaml
  keep_table: true        # model/training.parquet, for the notebooks
  seed: %d
`

// demoBacktest are the dates the demo backtests: their 90-day horizons end
// within the sample.
var demoBacktest = []time.Time{time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)}

// Demo runs the nightly pipeline on the embedded sample in dir, as a team
// would set it up: the sample's tables in dir/data, dir/pipeline.yaml
// (training with seed) and dir/features.yaml; a backtest of two dates in
// dir/backtest; then the run as of the sample's end, whose top 10, model
// and backtest it prints to w.
func Demo(ctx context.Context, dir string, seed uint64, run Options, w io.Writer) error {
	if err := copySample(filepath.Join(dir, "data")); err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "pipeline.yaml")
	text := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := WriteFiles(map[string]func(io.Writer) error{cfgPath: text(fmt.Sprintf(demoPipeline, seed)), filepath.Join(dir, "features.yaml"): text(demoSpec)}); err != nil {
		return err
	}
	cfg, raw, err := LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	bt, err := RunBacktest(ctx, cfg, raw, BacktestOptions{Dates: demoBacktest, Out: filepath.Join(dir, "backtest"), Run: run})
	if err != nil {
		return err
	}
	run.AsOf = datasets.SampleEnd
	res, err := Run(ctx, cfg, raw, run)
	if err != nil {
		return err
	}
	return demoReport(w, res.Dir, bt, dir)
}

// demoReport prints the run's top 10 and grades, its model's validation,
// the backtest and where the files are.
func demoReport(w io.Writer, runDir string, bt *Backtest, dir string) error {
	ranked, err := predict.ReadRankedFile(filepath.Join(runDir, "ranked.parquet"))
	if err != nil {
		return err
	}
	m, err := predict.ReadFile(filepath.Join(runDir, "model", "model.json"))
	if err != nil {
		return err
	}
	grades := map[string]int{}
	churn := 0
	for _, r := range ranked {
		grades[r.Grade]++
		if r.ChurnRisk != nil && *r.ChurnRisk {
			churn++
		}
	}
	fmt.Fprintf(w, "Top 10 of %d leads as of %s:\n\n", len(ranked), datasets.SampleEnd.Format(time.DateOnly))
	if err := predict.WriteTop(w, ranked, 10); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nGrades: A %d, B %d, C %d, D %d; %d customers flagged at churn risk\n", grades["A"], grades["B"], grades["C"], grades["D"], churn)
	met := m.Metrics
	fmt.Fprintf(w, "Model %s (%s, target %s within %d days): out-of-time AUC %.3f (95%% CI %.3f-%.3f) on %d snapshot rows (%s)",
		m.ID, m.Type, m.Target.Kind, m.Target.HorizonDays, met.AUC, met.AUCLow, met.AUCHigh, met.Rows, met.Split)
	for _, a := range met.PrecisionAt {
		if a.K == 100 {
			fmt.Fprintf(w, "; %.0f%% converted among the top 100", 100*a.Precision)
		}
	}
	fmt.Fprintln(w)
	if m.NoBetterThanChance {
		fmt.Fprintln(w, "The model is no better than chance: scores are rule points alone.")
	}
	fmt.Fprintln(w, "\nBacktest (each date's run trained on the data before it, judged by the deals that followed):")
	if err := bt.WriteText(w, filepath.Join(dir, "backtest")); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "\nFiles:\n  %s (ranked.csv, model/, features.parquet, rfm.parquet, manifest.json)\n  %s (evaluate-<date>.html)\n  %s (the nightly run's config)\n",
		runDir, filepath.Join(dir, "backtest"), filepath.Join(dir, "pipeline.yaml"))
	return err
}

// copySample writes the embedded sample's input tables into dir.
func copySample(dir string) error {
	var o Outputs
	defer o.Abort()
	src := datasets.Sample()
	for _, name := range []string{"events.parquet", "entities.parquet", "deals.parquet", "orders.parquet"} {
		b, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		f, err := o.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	return o.Commit()
}
