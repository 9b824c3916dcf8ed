package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
)

// inputOptions are the flags shared by commands that read the data
// contract's tables.
type inputOptions struct {
	cols       []string
	sep        string
	encoding   string
	timeFormat string
	maxBadRows int
}

func (in *inputOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&in.cols, "col", nil, "map a contract column to the file's column, as name=column (repeatable)")
	f.StringVar(&in.sep, "sep", ",", "CSV field separator (one character, or 'tab')")
	f.StringVar(&in.encoding, "encoding", "utf-8", "CSV text encoding: utf-8 or cp1252 (Windows-1252/Latin-1)")
	f.StringVar(&in.timeFormat, "time-format", "", "Go time layout of the timestamps, e.g. \"1/2/06 15:04\" (default: RFC 3339 and YYYY-MM-DD forms)")
	f.IntVar(&in.maxBadRows, "max-bad-rows", 0, "skip up to N bad rows, writing them to a .quarantine.csv next to the output (0: stop at the first)")
}

// checkBadRows validates --max-bad-rows.
func (in *inputOptions) checkBadRows() error {
	if in.maxBadRows < 0 {
		return usageErrorf("--max-bad-rows must be 0 or more, got %d", in.maxBadRows)
	}
	return nil
}

func (in *inputOptions) source(path string) (features.Source, error) {
	cols, err := parseColumns(in.cols)
	if err != nil {
		return features.Source{}, err
	}
	sep, err := parseSep(in.sep)
	if err != nil {
		return features.Source{}, err
	}
	return features.Source{Path: path, Columns: cols, CSV: features.CSVOptions{Sep: sep, Encoding: in.encoding}, TimeLayout: in.timeFormat}, nil
}

type featuresOptions struct {
	*globalOptions
	inputOptions
	events      string
	entities    string
	asOf        string
	cutoffs     string
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
		Use:   "features --events FILE (--as-of DATE | --cutoffs FILE) --out FILE.parquet",
		Short: "Build a point-in-time feature table from events",
		Long: `Features turns events into one row of features per entity, computed as of
a date: only events strictly before the date count, so a model trained on
these rows never sees the future.

  --as-of D      one row per entity with an event before D (scoring)
  --cutoffs F    one row per row of F (entity_id, ts, and e.g. won): each
                 from that entity's events before that row's ts (training;
                 a deals file is a cutoff file)

Per event type T and window W (7, 30, 90, 365 days): T_count_Wd,
T_value_sum_Wd, T_days_since_last, T_trend; plus events_total, tenure_days,
active_days_30d/90d, the entity attributes, data_quality and missing_fields.
With --rules, rule points that expire are added (rule_points, per group,
rule_awards). Inputs are CSV or Parquet (by extension).`,
		Example: `  # training rows: features at each deal's opening
  leadscore features --events data/events.csv --entities data/entities.csv \
    --cutoffs data/deals.csv --rules default --out train.parquet

  # scoring rows: features today, with the columns a model expects
  leadscore features --events data/events.csv --entities data/entities.csv \
    --as-of 2025-01-01 --rules default --model models/demo --out today.parquet

  # a CRM export with its own column names
  leadscore features --events export.csv --col entity_id="Lead Number" \
    --col ts=created_at --col type=activity --as-of 2025-01-01 --out f.parquet`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runFeatures(c, opts)
		},
	}
	opts.inputOptions.register(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.events, "events", "", "events file (required)")
	f.StringVar(&opts.entities, "entities", "", "entities file: entity_id plus attribute columns")
	f.StringVar(&opts.asOf, "as-of", "", "compute features as of this date (exclusive)")
	f.StringVar(&opts.cutoffs, "cutoffs", "", "cutoff file (entity_id, ts, ...): one row per cutoff")
	f.StringVar(&opts.rules, "rules", "", "rules file, or 'default' for the built-in rules")
	f.StringVar(&opts.spec, "spec", "", "feature spec file (YAML): types, windows, aggregations, attributes")
	f.BoolVar(&opts.printSpec, "print-default-spec", false, "print the spec file equal to the default feature set and exit")
	f.StringVar(&opts.model, "model", "", "build exactly the feature columns this model was trained on (its spec)")
	f.BoolVar(&opts.dedupe, "dedupe", false, "skip exact duplicate events (by default they count as given)")
	f.BoolVar(&opts.allEntities, "all-entities", false, "also emit entities without events before --as-of")
	f.StringVar(&opts.out, "out", "", "output Parquet file (required)")
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
	if opts.events == "" || opts.out == "" {
		return usageErrorf("--events and --out are required")
	}
	if (opts.asOf == "") == (opts.cutoffs == "") {
		return usageErrorf("give exactly one of --as-of and --cutoffs")
	}
	if opts.spec != "" && opts.model != "" {
		return usageErrorf("give at most one of --spec and --model (the model carries its own spec)")
	}
	if err := opts.checkBadRows(); err != nil {
		return err
	}
	cfg := features.Config{AllEntities: opts.allEntities, Dedupe: opts.dedupe, Logger: log}
	if cfg.Events, err = opts.source(opts.events); err != nil {
		return err
	}
	if opts.asOf != "" {
		if cfg.AsOf, err = parseDate("as-of", opts.asOf); err != nil {
			return err
		}
	}
	if cfg.Rules, err = pipeline.LoadRules(opts.rules); err != nil {
		return err
	}
	if opts.spec != "" {
		if cfg.Spec, err = pipeline.LoadSpec(opts.spec); err != nil {
			return err
		}
	}
	if opts.model != "" {
		m, err := predict.ReadFile(opts.model)
		if err != nil {
			return err
		}
		if m.FeatureSpec == nil {
			return fmt.Errorf("model %s was not trained on a feature table: --model has no spec to follow", opts.model)
		}
		cfg.Spec = *m.FeatureSpec
	}
	if !strings.HasSuffix(strings.ToLower(opts.out), ".parquet") {
		return usageErrorf("--out %q: feature tables are Parquet; name the file .parquet", opts.out)
	}
	var o pipeline.Outputs
	defer o.Abort()
	o.Protect(opts.events, opts.entities, opts.cutoffs, opts.spec, opts.rules)
	out, err := o.Create(opts.out)
	if err != nil {
		return err
	}
	bad, err := pipeline.BadRows(&o, opts.out, opts.maxBadRows)
	if err != nil {
		return err
	}
	cfg.BadRows = bad
	ctx := c.Context()
	if opts.entities != "" {
		src, _ := opts.source(opts.entities)
		if cfg.Profiles, err = features.ReadProfiles(ctx, src, bad); err != nil {
			return err
		}
	}
	if opts.cutoffs != "" {
		src, _ := opts.source(opts.cutoffs)
		if cfg.Cutoffs, err = features.ReadCutoffs(ctx, src, bad); err != nil {
			return err
		}
	}
	bar := opts.progress("features", "events", 0)
	cfg.Progress = bar.update
	t, err := features.Build(ctx, cfg)
	bar.done()
	if err != nil {
		return err
	}
	inputs := map[string]string{"events": opts.events, "entities": opts.entities, "cutoffs": opts.cutoffs, "spec": opts.spec}
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
	if n := bad.Count(); n > 0 {
		log.Warn("skipped bad rows", "bad_rows", n, "quarantine", pipeline.QuarantinePath(opts.out), "first", bad.Err())
	}
	fmt.Fprintf(opts.stdout, "wrote %s: %d rows, %d columns\n", opts.out, t.NumRows(), len(t.Columns))
	return nil
}
