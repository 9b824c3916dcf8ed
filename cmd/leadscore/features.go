package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict/pipeline"
)

type featuresOptions struct {
	*globalOptions
	job       pipeline.FeaturesJob
	printSpec bool
}

func newFeaturesCmd(g *globalOptions) *cobra.Command {
	opts := &featuresOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "features --events FILE (--as-of DATE | --cutoffs FILE | --snapshots STEP) --out FILE.parquet",
		Short: "Build a point-in-time feature table from events",
		Long: `Features turns events into rows of features, each computed as of a moment:
only events strictly before it count, so a model trained on these rows never
sees the future.

  --as-of D        one row per contact with an event before D (scoring)
  --snapshots S    training rows for the question a call list asks: one row
                   per contact and date (S: monthly, weekly, or dates
                   D1,D2,...) from --first to --last, for contacts with an
                   event before the date, labelled "converted" when a deal
                   the contact opened within --horizon (90d unless given)
                   of the date was won (and known won before --last). Needs
                   --outcomes (the deals file); dates whose horizon ends
                   after --last are left out. With --target opportunity: one
                   row per deal open on each date that closed before --last,
                   labelled won (the rows an open-deal model learns from;
                   the deals file needs its closed_at column)
  --cutoffs F      one row per row of F (entity_id, ts, and e.g. won): each
                   from that entity's events before that row's ts (a deals
                   file gives rows at each deal's opening)

--target conversion (the default with --snapshots) or opportunity says what
the rows are for; it is recorded in the table and in a model trained on it,
and a model refuses to score other rows. --exclude-customers and
--exclude-open-deals narrow the population; --sample-negatives R keeps a
share R of the negative snapshot rows (the model corrects for it).
With --model, as-of rows follow the model's spec and population (an
opportunity model's rows are the deals open on --as-of, from --outcomes).

Per event type T and window W (7, 30, 90, 365 days): T_count_Wd,
T_value_sum_Wd, T_days_since_last, T_trend; plus events_total, tenure_days,
active_days_30d/90d, the entity attributes, data_quality and missing_fields.
With --rules, rule points that expire are added (rule_points, per group,
rule_awards). Inputs are CSV or Parquet (by extension). The table is the
same whatever the order of the events file.`,
		Example: `  # training rows: every contact on the first of each month, labelled by
  # whether it opened a won deal within 90 days
  leadscore features --events data/events.csv --entities data/entities.csv \
    --snapshots monthly --first 2023-07-01 --last 2025-01-01 \
    --outcomes data/deals.csv --horizon 90d --rules default --out train.parquet

  # scoring rows: every contact today, with the columns the model expects
  leadscore features --events data/events.csv --entities data/entities.csv \
    --as-of 2025-01-01 --rules default --model models/lr --out today.parquet

  # a CRM export with its own column names
  leadscore features --events export.csv --col entity_id="Lead Number" \
    --col ts=created_at --col type=activity --as-of 2025-01-01 --out f.parquet`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runFeatures(c, opts)
		},
	}
	j := &opts.job
	addReadingFlags(cmd, &j.Reading, "events", "entities", "cutoffs", "outcomes")
	addOutcomeFlags(cmd, &j.Reading.FileReading)
	addRenameTypeFlag(cmd, &j.Reading.FileReading)
	f := cmd.Flags()
	f.StringVar(&j.Events, "events", "", "events file, or a pattern of shards such as \"events/part-*.parquet\" (required)")
	f.StringVar(&j.Entities, "entities", "", "entities file (or a pattern of shards): entity_id plus attribute columns")
	f.StringVar(&j.AsOf, "as-of", "", "compute features as of this date (exclusive)")
	f.StringVar(&j.Cutoffs, "cutoffs", "", "cutoff file (entity_id, ts, ...): one row per cutoff")
	f.StringVar(&j.Snapshots, "snapshots", "", "training rows per contact and date: monthly, weekly, or dates D1,D2,...")
	f.StringVar(&j.First, "first", "", "with --snapshots: the first date")
	f.StringVar(&j.Last, "last", "", "with --snapshots: the end; labels count deals known won before it")
	f.StringVar(&j.Outcomes, "outcomes", "", "deals file (entity_id, ts opened, won, closed_at): labels, population, open deals")
	f.StringVar(&j.Target, "target", "", "what the rows are for: conversion (the default with --snapshots) or opportunity (open deals)")
	f.StringVar(&j.Horizon, "horizon", "", "conversion: how soon after the date a won deal must open (default 90d)")
	f.BoolVar(&j.ExcludeCustomers, "exclude-customers", false, "leave out contacts with a won deal closed before the date")
	f.BoolVar(&j.ExcludeOpenDeals, "exclude-open-deals", false, "leave out contacts with a deal open on the date")
	f.Float64Var(&j.SampleNegatives, "sample-negatives", 0, "keep this share of the negative snapshot rows (0: all)")
	f.Uint64Var(&j.Seed, "seed", 1, "random seed of --sample-negatives")
	f.StringVar(&j.Rules, "rules", "", "rules file, or 'default' for the built-in rules")
	f.StringVar(&j.Spec, "spec", "", "feature spec file (YAML): types, windows, aggregations, attributes")
	f.BoolVar(&opts.printSpec, "print-default-spec", false, "print the spec file equal to the default feature set and exit")
	f.StringVar(&j.Model, "model", "", "build exactly the feature columns, and the population, this model was trained on")
	f.BoolVar(&j.Dedupe, "dedupe", false, "skip exact duplicate events (by default they count as given)")
	f.BoolVar(&j.AllEntities, "all-entities", false, "also emit entities without events before --as-of")
	f.StringVar(&j.Out, "out", "", "output Parquet file (required)")
	return cmd
}

func runFeatures(c *cobra.Command, opts *featuresOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if opts.printSpec {
		_, err := opts.stdout.Write(features.DefaultSpecYAML())
		return err
	}
	bar := opts.progress("features", "events", 0)
	opts.job.Tool, opts.job.Logger, opts.job.Progress = toolVersion(), log, bar.update
	rows, columns, err := opts.job.Run(c.Context())
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "wrote %s: %d rows, %d columns\n", opts.job.Out, rows, columns)
	return nil
}
