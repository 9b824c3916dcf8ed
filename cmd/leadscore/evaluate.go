package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
	"leadscore/train"
)

type evaluateOptions struct {
	*globalOptions
	ranked  string
	deals   string
	model   string
	horizon string
	target  string
	asOf    string
	out     string
	html    string
}

func newEvaluateCmd(g *globalOptions) *cobra.Command {
	opts := &evaluateOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "evaluate --ranked OUT/DATE --deals deals.csv [--out eval.json] [--html eval.html]",
		Short: "Judge a past call list by what happened next",
		Long: `Evaluate judges a ranked call list by the deals that followed it. For the
conversion target a lead converted when it opened a deal within the
horizon after the list's date that was won; for the opportunity target,
when its deal open on that date was won.

It reports, for the list as ranked (the score), the model's probability
alone and the rule points alone: the AUC, the share converted among the
first 50, 100 and 500 leads and down to the end of each grade, and the lift
by decile; and the conversion rate per grade, queue and owner.

--ranked takes a run folder (OUT/<date>, whose model/ says the target and
horizon) or a ranked.parquet file (then give --horizon, or --model).
A list whose horizon the deals file does not yet cover is still judged,
with a warning: the conversions yet to come are missing.`,
		Example: `  leadscore evaluate --ranked runs/2024-07-01 --deals data/deals.csv --html eval.html
  leadscore evaluate --ranked ranked.parquet --deals deals.csv --horizon 90d --out eval.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runEvaluate(c, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.ranked, "ranked", "", "a run folder (OUT/<date>) or a ranked.parquet file (required)")
	f.StringVar(&opts.deals, "deals", "", "the deals file: entity_id, ts, won, closed_at (required)")
	f.StringVar(&opts.model, "model", "", "the model that made the list, for its target and horizon (default: the run folder's)")
	f.StringVar(&opts.horizon, "horizon", "", "conversion: how soon after the date a won deal must open, as in 90d (default: the model's)")
	f.StringVar(&opts.target, "target", "", "conversion or opportunity (default: the model's, else conversion)")
	f.StringVar(&opts.asOf, "as-of", "", "the list's date (default: the rows' as_of)")
	f.StringVar(&opts.out, "out", "", "write the evaluation as JSON here")
	f.StringVar(&opts.html, "html", "", "write the evaluation as an HTML page with charts here")
	return cmd
}

func runEvaluate(c *cobra.Command, opts *evaluateOptions) error {
	if _, err := opts.logger(); err != nil {
		return err
	}
	if opts.ranked == "" || opts.deals == "" {
		return usageErrorf("--ranked and --deals are required")
	}
	rankedPath, modelPath := opts.ranked, opts.model
	if st, err := os.Stat(opts.ranked); err == nil && st.IsDir() {
		rankedPath = filepath.Join(opts.ranked, "ranked.parquet")
		if m := filepath.Join(opts.ranked, "model", "model.json"); modelPath == "" && fileExists(m) {
			modelPath = m
		}
	}
	cfg := train.EvalConfig{}
	if modelPath != "" {
		m, err := predict.ReadFile(modelFile(modelPath))
		if err != nil {
			return err
		}
		if m.Target != nil {
			cfg.Target, cfg.HorizonDays = m.Target.Kind, m.Target.HorizonDays
		}
	}
	var err error
	if opts.target != "" {
		cfg.Target = features.TargetKind(opts.target)
		if cfg.Target != features.TargetConversion && cfg.Target != features.TargetOpportunity {
			return usageErrorf("--target %q: want conversion or opportunity", opts.target)
		}
	}
	if opts.horizon != "" {
		if cfg.HorizonDays, err = features.ParseHorizon(opts.horizon); err != nil {
			return usageErrorf("--horizon: %v", err)
		}
	}
	if opts.asOf != "" {
		if cfg.AsOf, err = parseDate("as-of", opts.asOf); err != nil {
			return err
		}
	}
	if cfg.Target != features.TargetOpportunity && cfg.HorizonDays == 0 {
		return usageErrorf("give --horizon (or --model, or a run folder whose model records it)")
	}
	ranked, err := predict.ReadRankedFile(rankedPath)
	if err != nil {
		return err
	}
	deals, err := features.ReadOutcomes(c.Context(), features.Source{Path: opts.deals}, nil)
	if err != nil {
		return err
	}
	ev, err := train.Evaluate(ranked, deals, cfg)
	if err != nil {
		return err
	}
	log, _ := opts.logger()
	if !ev.Complete {
		log.Warn("the deals file ends before the horizon: conversions yet to come are missing", "outcomes_through", ev.OutcomesThrough, "horizon_end", ev.HorizonEnd)
	}
	if err := pipeline.WriteFiles(map[string]func(io.Writer) error{opts.out: pipeline.JSONWriter(ev), opts.html: ev.WriteHTML},
		rankedPath, opts.deals, modelPath); err != nil {
		return err
	}
	return writeEvaluation(opts.stdout, ev)
}

// writeEvaluation prints the evaluation's headline numbers.
func writeEvaluation(w io.Writer, ev *train.Evaluation) error {
	what := "their open deal was won"
	if ev.Target == features.TargetConversion {
		what = fmt.Sprintf("opened a deal before %s that was won", ev.HorizonEnd)
	}
	fmt.Fprintf(w, "Call list of %s: %d leads, %d converted (%.1f%%: %s)\n\n", ev.AsOf, ev.Rows, ev.Positives, 100*ev.BaseRate, what)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ORDERING\tAUC\tFIRST 50\tFIRST 100\tFIRST 500\t")
	for _, l := range ev.Lists {
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t%s\t\n", l.Name, l.AUC, pctOf(l.At(50)), pctOf(l.At(100)), pctOf(l.At(500)))
	}
	if len(ev.Lists) < 3 {
		fmt.Fprintln(tw, "(no rule points in the list: no rules ordering)\t\t\t\t\t")
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	fmt.Fprintln(tw, "GRADE\tLEADS\tCONVERTED\tRATE\tLIFT\t")
	for _, g := range ev.Grades {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%.2f\t\n", g.Name, g.Rows, g.Positives, 100*g.Rate, g.Lift)
	}
	return tw.Flush()
}

func pctOf(v float64) string {
	if v != v {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
