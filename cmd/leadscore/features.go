package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
)

type featuresOptions struct {
	*globalOptions
	inputOptions
	events      string
	entities    string
	asOf        string
	cutoffs     string
	snapshots   string
	first, last string
	outcomes    string
	target      string
	horizon     string
	exclCust    bool
	exclOpen    bool
	sampleNeg   float64
	seed        uint64
	rules       string
	spec        string
	printSpec   bool
	model       string
	allEntities bool
	dedupe      bool
	out         string
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
                   the contact opened within --horizon of the date was won
                   (and known won before --last). Needs --outcomes (the
                   deals file) and --horizon; dates whose horizon ends after
                   --last are left out
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
	opts.inputOptions.register(cmd, "events", "entities", "cutoffs", "outcomes")
	f := cmd.Flags()
	f.StringVar(&opts.events, "events", "", "events file, or a pattern of shards such as \"events/part-*.parquet\" (required)")
	f.StringVar(&opts.entities, "entities", "", "entities file (or a pattern of shards): entity_id plus attribute columns")
	f.StringVar(&opts.asOf, "as-of", "", "compute features as of this date (exclusive)")
	f.StringVar(&opts.cutoffs, "cutoffs", "", "cutoff file (entity_id, ts, ...): one row per cutoff")
	f.StringVar(&opts.snapshots, "snapshots", "", "training rows per contact and date: monthly, weekly, or dates D1,D2,...")
	f.StringVar(&opts.first, "first", "", "with --snapshots: the first date")
	f.StringVar(&opts.last, "last", "", "with --snapshots: the end; labels count deals known won before it")
	f.StringVar(&opts.outcomes, "outcomes", "", "deals file (entity_id, ts opened, won, closed_at): labels, population, open deals")
	f.StringVar(&opts.target, "target", "", "what the rows are for: conversion (with --snapshots) or opportunity")
	f.StringVar(&opts.horizon, "horizon", "", "conversion: how soon after the date a won deal must open, as in 90d")
	f.BoolVar(&opts.exclCust, "exclude-customers", false, "leave out contacts with a won deal closed before the date")
	f.BoolVar(&opts.exclOpen, "exclude-open-deals", false, "leave out contacts with a deal open on the date")
	f.Float64Var(&opts.sampleNeg, "sample-negatives", 0, "keep this share of the negative snapshot rows (0: all)")
	f.Uint64Var(&opts.seed, "seed", 1, "random seed of --sample-negatives")
	f.StringVar(&opts.rules, "rules", "", "rules file, or 'default' for the built-in rules")
	f.StringVar(&opts.spec, "spec", "", "feature spec file (YAML): types, windows, aggregations, attributes")
	f.BoolVar(&opts.printSpec, "print-default-spec", false, "print the spec file equal to the default feature set and exit")
	f.StringVar(&opts.model, "model", "", "build exactly the feature columns, and the population, this model was trained on")
	f.BoolVar(&opts.dedupe, "dedupe", false, "skip exact duplicate events (by default they count as given)")
	f.BoolVar(&opts.allEntities, "all-entities", false, "also emit entities without events before --as-of")
	f.StringVar(&opts.out, "out", "", "output Parquet file (required)")
	return cmd
}

// job turns the flags into a table job; files are opened later.
func (opts *featuresOptions) job() (pipeline.TableJob, error) {
	var job pipeline.TableJob
	modes := 0
	for _, v := range []string{opts.asOf, opts.cutoffs, opts.snapshots} {
		if v != "" {
			modes++
		}
	}
	if modes != 1 {
		return job, usageErrorf("give exactly one of --as-of, --cutoffs and --snapshots")
	}
	if opts.spec != "" && opts.model != "" {
		return job, usageErrorf("give at most one of --spec and --model (the model carries its own spec)")
	}
	if err := opts.checkBadRows(); err != nil {
		return job, err
	}
	var err error
	if job.Events, err = opts.source("events", opts.events); err != nil {
		return job, err
	}
	for _, in := range []struct {
		role, path string
		dst        **features.Source
	}{{"entities", opts.entities, &job.Entities}, {"cutoffs", opts.cutoffs, &job.Cutoffs}, {"outcomes", opts.outcomes, &job.Outcomes}} {
		if in.path != "" {
			src, err := opts.source(in.role, in.path)
			if err != nil {
				return job, err
			}
			*in.dst = &src
		}
	}
	if opts.asOf != "" {
		if job.AsOf, err = parseDate("as-of", opts.asOf); err != nil {
			return job, err
		}
	}
	if opts.snapshots != "" {
		if opts.first == "" || opts.last == "" {
			return job, usageErrorf("--snapshots needs --first and --last")
		}
		job.Snapshots = opts.snapshots
		if job.First, err = parseDate("first", opts.first); err != nil {
			return job, err
		}
		if job.Last, err = parseDate("last", opts.last); err != nil {
			return job, err
		}
		if opts.target == "" {
			opts.target = string(features.TargetConversion)
		}
	}
	if opts.target != "" || opts.horizon != "" || opts.exclCust || opts.exclOpen || opts.sampleNeg != 0 {
		tg := &features.Target{Kind: features.TargetKind(opts.target), ExcludeCustomers: opts.exclCust, ExcludeOpenDeals: opts.exclOpen,
			SampleNegatives: opts.sampleNeg, Seed: opts.seed}
		if tg.Kind == "" {
			tg.Kind = features.TargetConversion
		}
		if opts.horizon != "" {
			if tg.HorizonDays, err = features.ParseHorizon(opts.horizon); err != nil {
				return job, usageErrorf("--horizon: %v", err)
			}
		}
		if err := tg.Validate(); err != nil {
			return job, &flagError{err}
		}
		job.Target = tg
	}
	return job, nil
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
	if opts.events == "" || opts.out == "" {
		return usageErrorf("--events and --out are required")
	}
	if !strings.HasSuffix(strings.ToLower(opts.out), ".parquet") {
		return usageErrorf("--out %q: feature tables are Parquet; name the file .parquet", opts.out)
	}
	job, err := opts.job()
	if err != nil {
		return err
	}
	job.AllEntities, job.Dedupe, job.Logger = opts.allEntities, opts.dedupe, log
	if job.Rules, err = pipeline.LoadRules(opts.rules); err != nil {
		return err
	}
	if opts.spec != "" {
		if job.Spec, err = pipeline.LoadSpec(opts.spec); err != nil {
			return err
		}
	}
	if opts.model != "" {
		if job.Model, err = predict.ReadFile(opts.model); err != nil {
			return err
		}
	}
	var o pipeline.Outputs
	defer o.Abort()
	o.Protect(opts.events, opts.entities, opts.cutoffs, opts.outcomes, opts.spec, opts.rules)
	out, err := o.Create(opts.out)
	if err != nil {
		return err
	}
	if job.BadRows, err = pipeline.BadRows(&o, opts.out, opts.maxBadRows); err != nil {
		return err
	}
	bar := opts.progress("features", "events", 0)
	job.Progress = bar.update
	t, err := pipeline.BuildTable(c.Context(), job)
	bar.done()
	if err != nil {
		return err
	}
	inputs := map[string]string{"events": opts.events, "entities": opts.entities, "cutoffs": opts.cutoffs, "outcomes": opts.outcomes, "spec": opts.spec}
	if opts.rules != "default" {
		inputs["rules"] = opts.rules
	}
	fps, err := pipeline.Fingerprints(inputs)
	if err != nil {
		return err
	}
	pipeline.Stamp(t, fps, toolVersion())
	if err := t.WriteParquet(out); err != nil {
		return err
	}
	if err := o.Commit(); err != nil {
		return err
	}
	if n := job.BadRows.Count(); n > 0 {
		log.Warn("skipped bad rows", "bad_rows", n, "quarantine", pipeline.QuarantinePath(opts.out), "first", job.BadRows.Err())
	}
	fmt.Fprintf(opts.stdout, "wrote %s: %d rows, %d columns\n", opts.out, t.NumRows(), len(t.Columns))
	return nil
}
