package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"leadscore/features"

	"leadscore/predict/pipeline"
)

type backtestOptions struct {
	*globalOptions
	config  string
	dates   []string
	out     string
	horizon string
}

func newBacktestCmd(g *globalOptions) *cobra.Command {
	opts := &backtestOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "backtest --config pipeline.yaml --dates D1,D2,... --out DIR",
		Short: "Run the pipeline on past dates and judge each call list by what followed",
		Long: `Backtest runs the nightly pipeline as of each date, exactly as 'leadscore
run --as-of' would (with a train: section, each run trains on the data
before its date only), then judges each call list by the deals that
followed it (as 'leadscore evaluate' does).

The blend of model and rules is then chosen honestly: for each date after
the first, the model weight (0 to 1 in steps of 0.05) and the rules' scale
(their cap times 0.5, 1 or 2) with the best mean AUC on the earlier dates
are judged on that date. The blend chosen on all dates but the last, and
its result on the last, is the recommendation: put its model_weight and
rules_max in predict.yaml.

DIR gets runs/ (a run out folder: runs/<date>/...), evaluate-<date>.json
and .html per date, and backtest.json. The deals file must cover each
date's horizon.`,
		Example: `  leadscore backtest --config pipeline.yaml --dates 2024-04-01,2024-07-01,2024-10-01 --out backtest`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runBacktest(c, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.config, "config", "", "pipeline.yaml (required)")
	f.StringSliceVar(&opts.dates, "dates", nil, "the as-of dates, comma-separated (at least two)")
	f.StringVar(&opts.out, "out", "", "the backtest's folder (required)")
	f.StringVar(&opts.horizon, "horizon", "", "judge conversions within this horizon (default: the model's)")
	return cmd
}

func runBacktest(c *cobra.Command, opts *backtestOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if opts.config == "" || opts.out == "" || len(opts.dates) == 0 {
		return usageErrorf("--config, --dates and --out are required")
	}
	if len(opts.dates) < 2 {
		return usageErrorf("--dates: give at least two: the blend is chosen on the earlier ones and judged on the last")
	}
	bo := pipeline.BacktestOptions{Out: opts.out, Run: pipeline.Options{Tool: toolVersion(), Logger: log}}
	for _, d := range opts.dates {
		t, err := parseDate("dates", strings.TrimSpace(d))
		if err != nil {
			return err
		}
		bo.Dates = append(bo.Dates, t)
	}
	if opts.horizon != "" {
		if bo.HorizonDays, err = features.ParseHorizon(opts.horizon); err != nil {
			return usageErrorf("--horizon: %v", err)
		}
	}
	cfg, raw, err := pipeline.LoadConfig(opts.config)
	if err != nil {
		return err
	}
	bt, err := pipeline.RunBacktest(c.Context(), cfg, raw, bo)
	if err != nil {
		return err
	}
	return writeBacktest(opts.stdout, bt, opts.out)
}

// writeBacktest prints each date's result and the recommendation.
func writeBacktest(w io.Writer, bt *pipeline.Backtest, out string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AS OF\tLEADS\tCONVERTED\tAUC LIST\tMODEL\tRULES\tFIRST 100 LIST\tMODEL\tRULES\tCHOSEN BLEND: WEIGHT\tSCALE\tAUC\tFIRST 100\t")
	for _, d := range bt.Dates {
		ev := d.Evaluation
		fmt.Fprintf(tw, "%s\t%d\t%d", d.AsOf, ev.Rows, ev.Positives)
		for _, name := range []string{"call list", "model", "rules"} {
			if l := ev.List(name); l != nil {
				fmt.Fprintf(tw, "\t%.3f", l.AUC)
			} else {
				fmt.Fprint(tw, "\t-")
			}
		}
		for _, name := range []string{"call list", "model", "rules"} {
			if l := ev.List(name); l != nil {
				fmt.Fprintf(tw, "\t%s", pctOf(l.At(100)))
			} else {
				fmt.Fprint(tw, "\t-")
			}
		}
		if ch := d.Chosen; ch != nil {
			fmt.Fprintf(tw, "\t%.2f\t%.1f\t%.3f\t%s\t\n", ch.ModelWeight, ch.RulesScale, ch.AUC, pctOf(ch.PrecisionAt100))
		} else {
			fmt.Fprint(tw, "\t-\t-\t-\t-\t\n")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	last := bt.Dates[len(bt.Dates)-1]
	_, err := fmt.Fprintf(w, "\nRecommended for predict.yaml (chosen before %s, judged on it: AUC %.3f, %s converted among the first 100):\n  model_weight: %g\n  rules_max: %g\nDetails: %s/backtest.json and evaluate-<date>.html\n",
		last.AsOf, last.Chosen.AUC, pctOf(last.Chosen.PrecisionAt100), bt.ModelWeight, bt.RulesMax, out)
	return err
}
