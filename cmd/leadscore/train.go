package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
	"leadscore/train"
)

type trainOptions struct {
	*globalOptions
	features  string
	table     string
	tf        tableFlags
	label     string
	positive  string
	negative  string
	id        string
	drop      []string
	timeCol   string
	model     string
	out       string
	c         float64
	validFrac float64
	minClass  int
	seed      uint64
	compare   string
	category  []string
	gbdt      train.GBDTConfig
	workers   int
	refit     bool
}

func newTrainCmd(g *globalOptions) *cobra.Command {
	opts := &trainOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "train (--features F.parquet | --table T.csv) --label COL --out models/NAME",
		Short: "Train a model on outcomes: conversions within a horizon, or won deals",
		Long: `Train fits a logistic regression (L2, gonum L-BFGS) on a feature table
(--features), or on a flat one-row-per-lead export (--table). Preprocessing
(median imputation with missing indicators, standardisation, one-hot levels
with rare ones pooled) is learned on the training rows only and saved with
the model.

A snapshot table from 'leadscore features --snapshots' (every contact at
each date, labelled "converted" when a won deal opened within the horizon)
trains the model a call list needs; its label and date column are taken
from the table. A table of deals at their opening (--cutoffs deals.csv)
trains the opportunity model: will this open deal be won?

--model gbdt trains gradient-boosted trees instead (histograms of binned
values, leaf-wise growth, learned directions for missing values, native
categorical splits; the --rounds, --leaves, --learning-rate ... flags): no
imputation or scaling, 90% of the training rows fit the trees and 10% fit
the calibration (and stop the boosting with --early-stopping-rounds).
--model nb trains the naive-Bayes baseline.

With --time-col the split is out of time: the earliest 80% of rows train and
the latest 20% validate (never splitting one date), as the model will be
used. Without it the split is random and stratified (--seed). The model is
saved as NAME/model.json with its validation metrics (AUC with a bootstrap
95% interval, log loss, Brier, the share converted among the first 50, 100
and 500 of each validation date's list); when the interval includes 0.5 the
model is marked "no better than chance" and predict falls back to rule
points. With rule points in the table, the weight of the model in the
blend is chosen on the validation rows. --refit then fits the model again
on all the rows, so the latest count too.`,
		Example: `  leadscore train --features snapshots.parquet --model gbdt --learning-rate 0.05 --lambda 10 \
    --min-data-in-leaf 100 --early-stopping-rounds 50 --refit --out models/conv
  leadscore train --features deals.parquet --label won --time-col ts --drop deal_id --out models/opp
  leadscore train --table Leads.csv --label Converted --id "Lead Number" \
    --drop "Prospect ID,Tags" --na Select --out models/xedu
  leadscore train --table leads.csv --label won --id lead_id --time-col created \
    --model gbdt --rounds 300 --leaves 31 --out models/gbdt`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runTrain(c, opts)
		},
	}
	f := cmd.Flags()
	opts.tf.add(cmd)
	f.StringVar(&opts.features, "features", "", "feature table (Parquet) from 'leadscore features --cutoffs'")
	f.StringVar(&opts.table, "table", "", "flat table (CSV or Parquet), one row per lead")
	f.StringVar(&opts.label, "label", "won", "outcome column (a table built for a target names its own: converted or won)")
	f.StringVar(&opts.positive, "positive", "", "label values that count as success, comma-separated, any case: \"won,closed won\" (default: true/1/yes/won)")
	f.StringVar(&opts.negative, "negative", "", "with --positive, the values that count as failure; rows with other values (open deals) are left out and reported")
	f.StringVar(&opts.id, "id", "", "id column, never a feature (default entity_id)")
	f.StringSliceVar(&opts.drop, "drop", nil, "columns that must not be features (comma-separated)")
	f.StringVar(&opts.timeCol, "time-col", "", "timestamp column for an out-of-time split (snapshot tables: ts)")
	f.StringSliceVar(&opts.category, "categorical", nil, "columns to treat as categories even when they hold numbers (comma-separated)")
	f.StringVar(&opts.model, "model", "lr", "model type: lr (logistic regression), gbdt (gradient-boosted trees) or nb (naive-Bayes baseline)")
	f.StringVar(&opts.out, "out", "", "model directory to write (required)")
	f.Float64Var(&opts.c, "c", 0, "inverse L2 regularisation strength (0: choose by 5-fold cross-validation)")
	f.Float64Var(&opts.validFrac, "valid-fraction", 0.2, "share of rows held out for validation")
	f.IntVar(&opts.minClass, "min-class", 50, "fewest positives and negatives to train on")
	f.Uint64Var(&opts.seed, "seed", 1, "random seed (split, bootstrap)")
	f.StringVar(&opts.compare, "compare", "", "an earlier model to measure on the same validation rows (models/OLD)")
	gb := &opts.gbdt
	f.IntVar(&gb.Rounds, "rounds", 300, "gbdt: boosting rounds (trees)")
	f.IntVar(&gb.Leaves, "leaves", 31, "gbdt: leaves per tree")
	f.IntVar(&gb.MaxDepth, "max-depth", 0, "gbdt: deepest leaf (0: bounded by --leaves alone)")
	f.Float64Var(&gb.LearningRate, "learning-rate", 0.1, "gbdt: shrinkage of each tree")
	f.IntVar(&gb.MinDataInLeaf, "min-data-in-leaf", 20, "gbdt: fewest training rows in a leaf")
	f.Float64Var(&gb.MinSumHessian, "min-sum-hessian", 1e-3, "gbdt: smallest hessian sum in a leaf")
	f.Float64Var(&gb.Lambda, "lambda", 1, "gbdt: L2 regularisation of leaf values")
	f.Float64Var(&gb.Subsample, "subsample", 1, "gbdt: share of rows drawn for each tree")
	f.Float64Var(&gb.Colsample, "colsample", 1, "gbdt: share of features drawn for each tree")
	f.IntVar(&gb.EarlyStoppingRounds, "early-stopping-rounds", 0, "gbdt: stop when the holdout log loss has not improved for this many rounds (0: never)")
	f.IntVar(&gb.MaxBins, "max-bins", 255, "gbdt: value bins per numeric feature (at most 255)")
	f.BoolVar(&opts.refit, "refit", false, "once measured, fit the model again on the training and validation rows together (the metrics stay those measured)")
	f.IntVar(&opts.workers, "workers", 0, "goroutines for training (0: 2); results do not depend on it")
	return cmd
}

func runTrain(c *cobra.Command, opts *trainOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if (opts.features == "") == (opts.table == "") {
		return usageErrorf("give exactly one of --features and --table")
	}
	if opts.out == "" {
		return usageErrorf("--out is required")
	}
	models := map[string]predict.ModelType{"lr": predict.TypeLogistic, "nb": predict.TypeNaiveBayes, "gbdt": predict.TypeGBDT}
	if models[opts.model] == "" {
		return usageErrorf("--model %q: want lr (logistic regression), gbdt (gradient-boosted trees) or nb (naive Bayes)", opts.model)
	}
	cfg := train.Config{Model: models[opts.model], Label: opts.label, Positive: opts.positive, Negative: opts.negative, ID: opts.id, Drop: opts.drop, Categorical: opts.category, TimeColumn: opts.timeCol,
		ValidFraction: opts.validFrac, C: opts.c, MinClass: opts.minClass, Seed: opts.seed, Logger: log, GBDT: opts.gbdt, Workers: opts.workers, Refit: opts.refit}
	if err := cfg.Validate(); err != nil {
		return &flagError{err}
	}
	start := time.Now()
	// The source file's checksum is read beside the table, on its own
	// goroutine.
	type fingerprint struct {
		fp  string
		err error
	}
	fpc := make(chan fingerprint, 1)
	go func() {
		fp, err := pipeline.Fingerprint(opts.features + opts.table)
		fpc <- fingerprint{fp, err}
	}()
	t, err := readTable(c, opts.features, opts.table, &opts.tf, nil)
	fp := <-fpc
	if err != nil {
		return err
	}
	log.Info("read", "file", opts.features+opts.table, "rows", t.NumRows(), "columns", len(t.Columns), "duration", time.Since(start).Round(time.Millisecond))
	// A table built for a target says its label; snapshot rows split by
	// their date.
	if tg, err := t.Target(); err == nil && tg != nil && !c.Flags().Changed("label") {
		cfg.Label = tg.Label()
	}
	if _, snaps := t.Meta[features.MetaSnapshots]; snaps && !c.Flags().Changed("time-col") {
		cfg.TimeColumn = "ts"
	}
	readNotes(t, cfg.TimeColumn, log)
	if opts.compare != "" {
		if cfg.Compare, err = predict.ReadFile(opts.compare); err != nil {
			return err
		}
	}
	var report bytes.Buffer
	cfg.Report = &report
	if cfg.Source, err = fp.fp, fp.err; err != nil {
		return err
	}
	m, err := train.Train(c.Context(), t, cfg)
	if err != nil {
		return err
	}
	var o pipeline.Outputs
	defer o.Abort()
	o.Protect(opts.features, opts.table, opts.compare, modelFile(opts.compare))
	if err := pipeline.SaveModel(&o, opts.out, m, report.Bytes()); err != nil {
		return err
	}
	if err := o.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "model %s: validation AUC %.4f (95%% CI %.4f–%.4f) on %d rows; written to %s (open report.html)\n",
		m.ID, m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.Metrics.Rows, opts.out)
	if prev, ok := m.Metrics.Extra["previous_auc"]; ok {
		fmt.Fprintf(opts.stdout, "previous model %s on the same rows: AUC %.4f\n", cfg.Compare.ID, prev)
	}
	if m.NoBetterThanChance {
		fmt.Fprintln(opts.stdout, "warning: this model is no better than chance; predict will rank by rule points alone")
	}
	return nil
}

// readNotes logs how a flat table's text columns were read, turns its
// other date columns into ages before the time column (a model cannot use
// a date as it is), and says which date columns are left out.
func readNotes(t *features.Table, timeCol string, log *slog.Logger) {
	for _, r := range t.ColumnReads() {
		switch {
		case r.Number != "":
			log.Info("read as numbers", "column", r.Column, "format", r.Number)
		case r.Time != "":
			log.Info("read as dates", "column", r.Column, "format", r.Time)
		case r.Note != "":
			log.Warn(r.Note, "column", r.Column)
		}
	}
	if timeCol != "" {
		if added := features.AddDateAges(t, timeCol); len(added) > 0 {
			log.Info("date columns become ages before the time column", "columns", strings.Join(added, ", "))
		}
		return
	}
	for _, c := range t.Columns {
		if c.Kind == features.KindTime {
			log.Warn("a date column is not a feature without --time-col (give it, and dates become ages before it)", "column", c.Name)
		}
	}
}
