package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

type runOptions struct {
	*globalOptions
	config string
	asOf   string
	wait   bool
}

func newRunCmd(g *globalOptions) *cobra.Command {
	opts := &runOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "run --config pipeline.yaml [--as-of DATE]",
		Short: "The nightly batch: features, rules, rfm and predict in one atomic run",
		Long: `Run does what pipeline.yaml says for one as-of date: with a train:
section, a model trained on the data before the date; today's features with
the model's spec and the rules; the customers' rfm stage when orders are
given; and the ranked call list. Outputs go to OUT/<as-of>/ (model/,
features.parquet, rfm.parquet, clv.json, ranked.parquet, ranked.csv,
ranked.summary.json, manifest.json) and OUT/latest points at the newest date.

Training reads nothing from the as-of date on: for the conversion target
(will the contact open a deal, within the horizon, that is won?) its rows
are every contact at each snapshot date from history back, labelled by the
deals won and closed before the as-of date, using only snapshots whose
horizon has ended; for the opportunity target, the deals closed before the
date, seen at their opening. So a run with a past --as-of is an honest
backtest of that day (see 'leadscore backtest').

OUT is leadscore's: a run writes only into a new or empty folder, or one
it made (marked by OUT/.leadscore), and replaces only what it wrote. One
run at a time holds OUT (OUT/.lock); another fails at once with exit code
5, naming the holder, or waits with --wait. OUT/<as-of> is a symbolic link
to the run's folder under OUT/.data, swapped atomically: a rerun for the
same date replaces it, and readers see the old outputs or the new, never a
mix. A failed or killed run leaves the previous outputs untouched; its
folder is removed by the next run. A failed run also writes
OUT/<as-of>.failed.json (the manifest with the error), which the next
successful run for that date removes. A backfill of an older date does not
move OUT/latest. Every output is byte-identical for the same inputs, config
and date, but manifest.json, which also records durations.

pipeline.yaml (paths are relative to the file, out: included):

  out: runs
  events: {path: data/events.csv, columns: {entity_id: "Lead Number"}}
  entities: {path: data/entities.csv}
  orders: {path: data/orders.csv}
  deals: {path: data/deals.csv}   # entity_id, ts, won, closed_at
  train:                  # or model: models/lr, a model trained before
    target: conversion    # or opportunity
    horizon: 90d
    snapshots: monthly    # or weekly, or a list of dates
    history: 12 months    # how far back the first snapshot lies
    model: gbdt           # or lr, nb
    options: {learning_rate: 0.05, early_stopping_rounds: 50}
    retrain: every run    # or a period (28d): reuse a newer run's model
  rules: default          # or a rules file; empty for none
  predict: predict.yaml   # optional scoring settings
  time_unit: week         # rfm
  max_bad_rows: 0

Exit codes: 0 ok, 1 failure, 2 usage or configuration, 3 bad input, 4
model/schema mismatch or drift beyond predict.yaml's drift_limit, 5 the
out folder is in use by another run, 130 interrupted.`,
		Example: "  leadscore run --config pipeline.yaml --as-of 2025-01-01",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runPipeline(c, opts)
		},
	}
	cmd.Flags().StringVar(&opts.config, "config", "", "pipeline.yaml (required)")
	cmd.Flags().StringVar(&opts.asOf, "as-of", "", "the run's date: only events before it count (default: today, UTC)")
	cmd.Flags().BoolVar(&opts.wait, "wait", false, "wait for another run holding the out folder instead of failing")
	return cmd
}

func runPipeline(c *cobra.Command, opts *runOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if opts.config == "" {
		return pipeline.Usagef("--config is required")
	}
	if opts.asOf == "" {
		// The scheduler's "tonight": the start of today, UTC. Only the
		// command decides this; the libraries take explicit dates.
		opts.asOf = time.Now().UTC().Format(time.DateOnly)
	}
	asOf, err := pipeline.ParseDate("as-of", opts.asOf)
	if err != nil {
		return err
	}
	cfg, raw, err := pipeline.LoadConfig(opts.config)
	if err != nil {
		return err
	}
	bar := opts.progress("features", "events", 0)
	res, err := pipeline.Run(c.Context(), cfg, raw, pipeline.Options{AsOf: asOf, Wait: opts.wait, Tool: toolVersion(), Logger: log,
		Progress: bar.update, ExitCode: func(err error) int { return pipeline.ExitCode(c.Context(), err) }})
	bar.done()
	if err != nil {
		return err
	}
	skipped := ""
	if n := res.Manifest.BadRows; n > 0 {
		skipped = fmt.Sprintf("; %d bad rows skipped (quarantine.csv)", n)
	}
	fmt.Fprintf(opts.stdout, "wrote %s: %d leads, %d customers; %d warnings%s (manifest.json)\n", res.Dir, res.Ranked,
		res.Manifest.Rows["customers"], len(res.Manifest.Warnings), skipped)
	return nil
}
