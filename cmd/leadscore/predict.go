package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
	"leadscore/rfm"
)

type predictOptions struct {
	*globalOptions
	model             string
	features          string
	table             string
	id                string
	tf                tableFlags
	out               string
	csv               string
	top               int
	modelWeight       float64
	keep              []string
	keepFrom          string
	allowWeak         bool
	previous          string
	html              string
	previousFeatures  string
	includeSuppressed bool
	rfm               string
	config            string
	driftLimit        float64
}

func newPredictCmd(g *globalOptions) *cobra.Command {
	opts := &predictOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "predict --model models/NAME (--features F.parquet | --table T --id COL) --out ranked.parquet",
		Short: "Score and rank leads into a call list",
		Long: `Predict scores every row with the model, blends the probability with the
row's rule points into a 0-100 score, grades it with a queue per grade (a
conversion model's list by rank: A the top 1%, B the next 4%, C the next
15%, D the rest; otherwise by score: A >= 75, B >= 50, C >= 25, else D;
predict.yaml may set either), and explains it: the top positive and
negative contributions in words, and the active rule awards.

  score = round(100 * clamp(w * probability + (1 - w) * clamp(rule_points / cap, -1, 1), 0, 1))

w is --model-weight, else the weight the model chose on its validation
rows (model.json "blend"), else 0.7. A model marked "no better than chance" is not
used: the score is the rule score alone, and the log says so. Output is
sorted by score descending, ties by the unrounded blend, then entity_id.`,
		Example: `  leadscore predict --model models/lr --features today.parquet \
    --out ranked.parquet --csv ranked.csv
  leadscore predict --model models/xedu --table Leads.csv --id "Lead Number" \
    --na Select --out p.parquet --csv p.csv`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runPredict(c, opts)
		},
	}
	f := cmd.Flags()
	opts.tf.add(cmd)
	f.StringVar(&opts.model, "model", "", "model directory or model.json (required)")
	f.StringVar(&opts.features, "features", "", "feature table (Parquet) from 'leadscore features --as-of'")
	f.StringVar(&opts.table, "table", "", "flat table (CSV or Parquet), one row per lead")
	f.StringVar(&opts.id, "id", "", "id column of --table")
	f.StringVar(&opts.out, "out", "", "ranked Parquet file to write (required)")
	f.StringVar(&opts.csv, "csv", "", "also write the ranked list as CSV")
	f.IntVar(&opts.top, "top", 0, "keep only the N best leads (0: all); every lead is scored and ranked, only those N are explained")
	f.Float64Var(&opts.driftLimit, "drift-limit", 0, "fail with exit code 4, writing nothing, when an input's PSI exceeds this (0: never)")
	f.StringSliceVar(&opts.keep, "keep", nil, "columns to carry into the call list as they are, such as \"Lead Origin,Email\" (comma-separated; from the scored table, else --keep-from)")
	f.StringVar(&opts.html, "html", "", "also write the call list as one HTML page for sales: by queue and rep, sortable, filterable")
	f.StringVar(&opts.previous, "previous", "", "the previous run's ranked.parquet: leads keep their owners, and the list shows what changed")
	f.StringVar(&opts.previousFeatures, "previous-features", "", "with --previous, that run's feature table: a lead whose score dropped much names the inputs that moved")
	f.BoolVar(&opts.includeSuppressed, "include-suppressed", false, "list the leads predict.yaml suppresses, last, graded suppressed, without an owner")
	f.BoolVar(&opts.allowWeak, "allow-weak-model", false, "score with a model marked no better than chance (instead of rule points or an error), its verdict written into every output")
	f.StringVar(&opts.keepFrom, "keep-from", "", "an entities file (entity_id and other columns) to look --keep columns up in")
	f.StringVar(&opts.config, "settings", "", "scoring settings, predict.yaml: blend, grades by share, score or capacity, queues, reps, keep")
	// --config once named predict.yaml here; elsewhere it names
	// pipeline.yaml.
	f.StringVar(&opts.config, "config", "", "predict.yaml (now --settings)")
	f.MarkDeprecated("config", "use --settings (--config names pipeline.yaml in run and backtest)")
	f.StringVar(&opts.rfm, "rfm", "", "rfm.parquet from 'leadscore rfm': adds churn_risk, p_alive, rfm_segment, clv")
	f.Float64Var(&opts.modelWeight, "model-weight", 0, "model share of the score in [0, 1]; the rules get the rest (default: the model's fitted weight, else 0.7)")
	return cmd
}

func runPredict(c *cobra.Command, opts *predictOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if opts.model == "" || opts.out == "" {
		return usageErrorf("--model and --out are required")
	}
	if (opts.features == "") == (opts.table == "") {
		return usageErrorf("give exactly one of --features and --table")
	}
	if opts.table != "" && opts.id == "" {
		return usageErrorf("--table needs --id, the column that identifies a lead")
	}
	if opts.top < 0 {
		return usageErrorf("--top must be 0 or more")
	}
	m, err := predict.ReadFile(opts.model)
	if err != nil {
		return err
	}
	t, err := readTable(c, opts.features, opts.table, &opts.tf, m)
	if err != nil {
		return err
	}
	if opts.table != "" {
		if err := useAsID(t, opts.id, opts.table); err != nil {
			return err
		}
		if tc := m.Training.TimeColumn; tc != "" {
			features.AddDateAges(t, tc)
		}
	}
	cfg, err := pipeline.LoadPredictConfig(opts.config)
	if err != nil {
		return err
	}
	// Flags win over the file; the file over the defaults.
	if c.Flags().Changed("model-weight") {
		cfg.ModelWeight = &opts.modelWeight
	}
	if c.Flags().Changed("drift-limit") {
		cfg.DriftLimit = opts.driftLimit
	}
	cfg.Logger = log
	cfg.ExplainTop = opts.top // only the leads written need reasons
	if len(opts.keep) > 0 {
		cfg.Keep = opts.keep
	}
	if opts.allowWeak {
		cfg.AllowWeakModel = true
	}
	if opts.includeSuppressed {
		cfg.IncludeSuppressed = true
	}
	if opts.previous != "" {
		if cfg.Previous, err = predict.ReadRankedFile(opts.previous); err != nil {
			return err
		}
	}
	if opts.previousFeatures != "" {
		f, err := os.Open(opts.previousFeatures)
		if err != nil {
			return err
		}
		cfg.PreviousTable, err = features.ReadParquetTable(c.Context(), f, opts.previousFeatures)
		f.Close()
		if err != nil {
			return err
		}
	}
	if opts.keepFrom != "" {
		if cfg.KeepFrom, err = pipeline.ReadEntities(c.Context(), features.Source{Path: opts.keepFrom}); err != nil {
			return err
		}
	}
	if opts.rfm != "" {
		cs, err := rfm.ReadFile(opts.rfm)
		if err != nil {
			return err
		}
		cfg.Customers = pipeline.Customers(cs)
	}
	if err := cfg.Validate(); err != nil {
		return &flagError{err}
	}
	var o pipeline.Outputs
	defer o.Abort()
	o.Protect(opts.model, modelFile(opts.model), opts.features, opts.table, opts.rfm, opts.config, opts.keepFrom, opts.previous, opts.previousFeatures)
	ranked, sum, err := predict.Score(c.Context(), m, t, cfg)
	if err != nil {
		return err
	}
	if opts.top > 0 && len(ranked) > opts.top {
		ranked = ranked[:opts.top]
	}
	if err := pipeline.WriteRanked(&o, opts.out, opts.csv, opts.html, ranked, m, sum); err != nil {
		return err
	}
	if err := o.Commit(); err != nil {
		return err
	}
	for name, n := range sum.UnseenLevels {
		log.Warn("categorical values not seen (or rare) in training were pooled", "feature", name, "rows", n)
	}
	fmt.Fprintf(opts.stdout, "wrote %s and %s: %d leads\n", opts.out, pipeline.SummaryPath(opts.out), len(ranked))
	return sum.WriteText(opts.stdout)
}

// modelFile is the model.json a --model flag names (a directory or the
// file itself).
func modelFile(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return filepath.Join(path, "model.json")
	}
	return path
}

// useAsID renames a flat table's id column to entity_id.
func useAsID(t *features.Table, id, path string) error {
	c := t.Column(id)
	if c == nil {
		return &features.SchemaError{Path: path, Err: fmt.Errorf("id column %q not found (have %s)", id, strings.Join(t.Names(), ", "))}
	}
	if c.Kind != features.KindString {
		s := make([]string, c.Len())
		for i := range s {
			s[i] = c.Text(i)
		}
		*c = features.Column{Name: c.Name, Kind: features.KindString, Str: s}
	}
	if id != "entity_id" {
		if old := t.Column("entity_id"); old != nil {
			old.Name = "entity_id_original"
		}
	}
	c.Name = "entity_id"
	return nil
}
