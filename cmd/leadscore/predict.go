package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

type predictOptions struct {
	*globalOptions
	job                     pipeline.PredictJob
	modelWeight, driftLimit float64
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
	j := &opts.job
	addTableFlags(cmd, &j.Table, "flat table (CSV or Parquet), one row per lead")
	f := cmd.Flags()
	f.StringVar(&j.Model, "model", "", "model directory or model.json (required)")
	f.StringVar(&j.Features, "features", "", "feature table (Parquet) from 'leadscore features --as-of'")
	f.StringVar(&j.ID, "id", "", "id column of --table (default: the one the model was trained with)")
	f.StringVar(&j.Out, "out", "", "ranked Parquet file to write (required)")
	f.StringVar(&j.CSV, "csv", "", "also write the ranked list as CSV")
	f.IntVar(&j.Top, "top", 0, "keep only the N best leads (0: all); every lead is scored and ranked, only those N are explained")
	f.Float64Var(&opts.driftLimit, "drift-limit", 0, "fail with exit code 4, writing nothing, when an input's PSI exceeds this (0: never)")
	f.StringSliceVar(&j.Keep, "keep", nil, "columns to carry into the call list as the CSV file writes them, such as \"Lead Origin,Phone\" (comma-separated; from the scored table, else --keep-from; a Parquet table's as stored)")
	f.StringVar(&j.HTML, "html", "", "also write the call list as one HTML page for sales: by queue and rep, sortable, filterable")
	f.StringVar(&j.Previous, "previous", "", "the previous run's ranked.parquet: leads keep their owners, and the list shows what changed")
	f.StringVar(&j.PreviousFeatures, "previous-features", "", "with --previous, that run's feature table: a lead whose score dropped much names the inputs that moved")
	f.BoolVar(&j.IncludeSuppressed, "include-suppressed", false, "list the leads predict.yaml suppresses, last, graded suppressed, without an owner")
	f.BoolVar(&j.AllowWeakModel, "allow-weak-model", false, "score with a model marked no better than chance (instead of rule points or an error), its verdict written into every output")
	f.StringVar(&j.KeepFrom, "keep-from", "", "an entities file (entity_id and other columns) to look --keep columns up in")
	f.StringVar(&j.Settings, "settings", "", "scoring settings, predict.yaml: blend, grades by share, score or capacity, queues, reps, keep")
	// --config once named predict.yaml here; elsewhere it names
	// pipeline.yaml.
	f.StringVar(&j.Settings, "config", "", "predict.yaml (now --settings)")
	f.MarkDeprecated("config", "use --settings (--config names pipeline.yaml in run and backtest)")
	f.StringVar(&j.RFM, "rfm", "", "rfm.parquet from 'leadscore rfm': adds churn_risk, p_alive, rfm_segment, clv")
	f.Float64Var(&opts.modelWeight, "model-weight", 0, "model share of the score in [0, 1]; the rules get the rest (default: the model's fitted weight, else 0.7)")
	return cmd
}

func runPredict(c *cobra.Command, opts *predictOptions) error {
	var err error
	if opts.job.Logger, err = opts.logger(); err != nil {
		return err
	}
	if c.Flags().Changed("model-weight") {
		opts.job.ModelWeight = &opts.modelWeight
	}
	if c.Flags().Changed("drift-limit") {
		opts.job.DriftLimit = &opts.driftLimit
	}
	ranked, sum, err := opts.job.Run(c.Context())
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "wrote %s and %s: %d leads\n", opts.job.Out, pipeline.SummaryPath(opts.job.Out), len(ranked))
	return sum.WriteText(opts.stdout)
}
