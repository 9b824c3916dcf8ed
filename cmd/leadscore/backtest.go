package main

import (
	"github.com/spf13/cobra"

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
		return pipeline.Usagef("--config, --dates and --out are required")
	}
	if len(opts.dates) < 2 {
		return pipeline.Usagef("--dates: give at least two: the blend is chosen on the earlier ones and judged on the last")
	}
	bo := pipeline.BacktestOptions{Out: opts.out, Run: pipeline.Options{Tool: toolVersion(), Logger: log}}
	if bo.Dates, err = pipeline.ParseDates("dates", opts.dates); err != nil {
		return err
	}
	if bo.HorizonDays, err = pipeline.ParseHorizon("horizon", opts.horizon); err != nil {
		return err
	}
	cfg, raw, err := pipeline.LoadConfig(opts.config)
	if err != nil {
		return err
	}
	bt, err := pipeline.RunBacktest(c.Context(), cfg, raw, bo)
	if err != nil {
		return err
	}
	return bt.WriteText(opts.stdout, opts.out)
}
