package main

import (
	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
	"leadscore/train"
)

type inspectOptions struct {
	*globalOptions
	table pipeline.FlatTable
	cfg   train.Config
	json  bool
}

func newInspectCmd(g *globalOptions) *cobra.Command {
	opts := &inspectOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "inspect --table FILE [--label COL --id COL --time-col COL]",
		Short: "Show how a flat export is read and what train would do with each column",
		Long: `Inspect reads a flat table (a CRM export, one row per lead) exactly as train
and predict --table do, with the same flags, and says per column: the kind
it was read as (numeric, categorical, time), how its text was read (a
number format such as 1,234.5, a date pattern such as dd.mm.yyyy), the
share missing, the number of distinct values with the most frequent ones,
with --label its AUC alone against the label (how much it says by
itself), and the role train would give it (label, id, time, feature, not a
feature, suspected leak) and why: an id-like column whose every value
differs, a constant, a date without --time-col, a --drop. With --label
(and --positive/--negative where its values are not yes/no), a column
that alone all but decides the outcome is a suspected leak, which train
refuses: a field filled in once a deal closed.

A training table from 'leadscore features --snapshots' is taken as train
takes it: its target's label and the snapshot date as the time column,
unless --label or --time-col say otherwise.

Run it before train on a new export: an ambiguous column (1,200 could be
1200 or 1.2; 03/04/2024 the 3rd of April or the 4th of March) is an error
naming the flag that settles it.`,
		Example: `  leadscore inspect --table leads.csv
  leadscore inspect --table leads.csv --label Status --id "Lead Number" --time-col Created --time-format dd.mm.yyyy
  leadscore inspect --table leads.csv --json > columns.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runInspect(c, opts)
		},
	}
	addTableFlags(cmd, &opts.table, "the flat table to inspect, CSV or Parquet (required)")
	f := cmd.Flags()
	f.StringVar(&opts.cfg.Label, "label", "", "the outcome column, as train would take it")
	f.StringVar(&opts.cfg.Positive, "positive", "", "with --label, the values that count as success, as train takes them")
	f.StringVar(&opts.cfg.Negative, "negative", "", "with --positive, the values that count as failure")
	f.StringSliceVar(&opts.cfg.AllowLeaks, "allow-leak", nil, "columns train would keep although alone they all but decide the outcome")
	f.StringVar(&opts.cfg.ID, "id", "", "the id column (default entity_id)")
	f.StringVar(&opts.cfg.TimeColumn, "time-col", "", "the time column of an out-of-time split")
	f.StringSliceVar(&opts.cfg.Drop, "drop", nil, "columns that must not be features (comma-separated)")
	f.StringSliceVar(&opts.cfg.Categorical, "categorical", nil, "columns to treat as categories even when they hold numbers")
	f.BoolVar(&opts.json, "json", false, "print the columns as JSON, for scripts")
	return cmd
}

func runInspect(c *cobra.Command, opts *inspectOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	in, err := pipeline.Inspect(c.Context(), &opts.table, opts.cfg, log)
	if err != nil {
		return err
	}
	if opts.json {
		return pipeline.JSONWriter(in)(opts.stdout)
	}
	return in.WriteText(opts.stdout)
}
