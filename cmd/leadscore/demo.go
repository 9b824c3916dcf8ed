package main

import (
	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

type demoOptions struct {
	*globalOptions
	out  string
	seed uint64
}

func newDemoCmd(g *globalOptions) *cobra.Command {
	opts := &demoOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Run the whole pipeline on the embedded sample",
		Long: `Demo runs the nightly pipeline on a small synthetic CRM embedded in the
binary (3,000 contacts, 2023-2024), as a team would set it up:

  1. copies the sample's events, entities, deals and orders to DIR/data and
     writes DIR/pipeline.yaml (and DIR/features.yaml, the feature spec)
  2. backtests it: a run as of 2024-07-01 and one as of 2024-10-01, each
     training on the data before its date (monthly snapshots of every
     contact, labelled by a won deal opened within 90 days) and judged by
     the deals that followed (DIR/backtest)
  3. runs it as of 2025-01-01: trains on everything before, scores every
     contact, assesses customers (RFM, BG/NBD and Gamma-Gamma CLV, churn),
     writes DIR/runs/2025-01-01 (and DIR/runs/latest) and prints the top 10

Every file in DIR is byte-identical from run to run but the manifests,
which record durations.`,
		Example: `  leadscore demo
  leadscore demo --out /tmp/demo`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runDemo(c, opts)
		},
	}
	cmd.Flags().StringVar(&opts.out, "out", "leadscore-demo", "output directory")
	cmd.Flags().Uint64Var(&opts.seed, "seed", 1, "random seed for training")
	return cmd
}

func runDemo(c *cobra.Command, opts *demoOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	return pipeline.Demo(c.Context(), opts.out, opts.seed, pipeline.Options{Tool: toolVersion(), Logger: log}, opts.stdout)
}
