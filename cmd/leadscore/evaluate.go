package main

import (
	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

type evaluateOptions struct {
	*globalOptions
	job pipeline.EvaluateJob
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
	f, j := cmd.Flags(), &opts.job
	addFileFlags(cmd, &j.Reading.FileReading)
	addOutcomeFlags(cmd, &j.Reading.FileReading)
	f.StringVar(&j.Ranked, "ranked", "", "a run folder (OUT/<date>) or a ranked.parquet file (required)")
	f.StringVar(&j.Deals, "deals", "", "the deals file: entity_id, ts, won, closed_at (required)")
	f.StringVar(&j.Model, "model", "", "the model that made the list, for its target and horizon (default: the run folder's)")
	f.StringVar(&j.Horizon, "horizon", "", "conversion: how soon after the date a won deal must open, as in 90d (default: the model's)")
	f.StringVar(&j.Target, "target", "", "conversion or opportunity (default: the model's, else conversion)")
	f.StringVar(&j.AsOf, "as-of", "", "the list's date (default: the rows' as_of)")
	f.IntVar(&j.Reading.MaxBadRows, "max-bad-rows", 0, "skip up to N bad rows of the deals file, writing them to a .quarantine.csv next to --out (0: stop at the first)")
	f.StringVar(&j.Out, "out", "", "write the evaluation as JSON here")
	f.StringVar(&j.HTML, "html", "", "write the evaluation as an HTML page with charts here")
	return cmd
}

func runEvaluate(c *cobra.Command, opts *evaluateOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	ev, err := opts.job.Run(c.Context(), log)
	if err != nil {
		return err
	}
	return ev.WriteText(opts.stdout)
}
