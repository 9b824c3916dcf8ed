package main

import (
	"errors"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"leadscore/predict/pipeline"
	"leadscore/train"
)

type trainOptions struct {
	*globalOptions
	job pipeline.TrainJob
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
saved as NAME/model.json with its validation metrics (AUC with a 95%
interval, DeLong's from 20,000 validation rows and a bootstrap below; log
loss, Brier, the share converted among the first 50, 100 and 500 of each
validation date's list); when the interval includes 0.5 the
model is marked "no better than chance" and predict falls back to rule
points. With rule points in the table, the weight of the model in the
blend is chosen on the validation rows. --refit then fits the model again
on all the rows, so the latest count too.

Before fitting, each would-be feature is measured alone against the label:
one that all but decides it (AUC 0.98 or more; a deal's close value, a
reason for losing) was most likely filled in once the outcome was known,
and would make a model perfect in validation and blind on new leads.
Training stops there (exit 3) naming it; --drop leaves it out, and
--allow-leak keeps it when it is known before the outcome.`,
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
	j, tc := &opts.job, &opts.job.Config
	addTableFlags(cmd, &j.Table, "flat table (CSV or Parquet), one row per lead")
	f := cmd.Flags()
	f.StringVar(&j.Features, "features", "", "feature table (Parquet) from 'leadscore features --cutoffs'")
	f.StringVar(&tc.Label, "label", "won", "outcome column (a table built for a target names its own: converted or won)")
	f.StringVar(&tc.Positive, "positive", "", "label values that count as success, comma-separated, any case: \"won,closed won\" (default: true/1/yes/won)")
	f.StringVar(&tc.Negative, "negative", "", "with --positive, the values that count as failure; rows with other values (open deals) are left out and reported")
	f.StringVar(&tc.ID, "id", "", "id column, never a feature (default entity_id)")
	f.StringSliceVar(&tc.Drop, "drop", nil, "columns that must not be features (comma-separated)")
	f.StringVar(&tc.TimeColumn, "time-col", "", "timestamp column for an out-of-time split (snapshot tables: ts)")
	f.StringSliceVar(&tc.Categorical, "categorical", nil, "columns to treat as categories even when they hold numbers (comma-separated)")
	f.StringSliceVar(&tc.AllowLeaks, "allow-leak", nil, "columns to keep as features although alone they all but decide the outcome (known before it, you vouch); any other such column stops training, exit 3")
	f.StringVar(&j.Model, "model", "lr", "model type: lr (logistic regression), gbdt (gradient-boosted trees) or nb (naive-Bayes baseline)")
	f.StringVar(&j.Out, "out", "", "model directory to write (required)")
	f.Float64Var(&tc.C, "c", 0, "inverse L2 regularisation strength (0: choose by 5-fold cross-validation)")
	f.Float64Var(&tc.ValidFraction, "valid-fraction", 0.2, "share of rows held out for validation")
	f.IntVar(&tc.MinClass, "min-class", 50, "fewest positives and negatives to train on")
	f.Uint64Var(&tc.Seed, "seed", 1, "random seed (split, bootstrap)")
	f.StringVar(&j.Compare, "compare", "", "an earlier model to measure on the same validation rows (models/OLD)")
	gb := &tc.GBDT
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
	f.BoolVar(&tc.Refit, "refit", false, "once measured, fit the model again on the training and validation rows together (the metrics stay those measured)")
	f.IntVar(&tc.Workers, "workers", 0, "goroutines for training (0: 2); results do not depend on it")
	return cmd
}

func runTrain(c *cobra.Command, opts *trainOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	opts.job.LabelGiven, opts.job.TimeGiven = c.Flags().Changed("label"), c.Flags().Changed("time-col")
	if err := treeZeros(c.Flags(), &opts.job.Config.GBDT); err != nil {
		return err
	}
	tr, err := opts.job.Run(c.Context(), log)
	if err != nil {
		return err
	}
	return tr.WriteText(opts.stdout)
}

// treeZeros refuses a tree setting given as 0, which GBDTConfig reads as
// its default (--rounds 0 trained 300 trees), and takes --lambda 0 as no
// L2 on leaf values (GBDTConfig's negative), not as the default 1.
func treeZeros(f *pflag.FlagSet, gb *train.GBDTConfig) error {
	for _, name := range []string{"rounds", "leaves", "learning-rate", "min-data-in-leaf", "min-sum-hessian", "subsample", "colsample", "max-bins"} {
		if v, err := strconv.ParseFloat(f.Lookup(name).Value.String(), 64); f.Changed(name) && err == nil && v == 0 {
			return &pipeline.UsageError{Option: name, Err: errors.New("must be more than 0")}
		}
	}
	if f.Changed("lambda") && gb.Lambda == 0 {
		gb.Lambda = -1
	}
	return nil
}
