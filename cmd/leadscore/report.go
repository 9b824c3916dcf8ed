package main

import (
	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

type reportOptions struct {
	*globalOptions
	job pipeline.ReportJob
}

func newReportCmd(g *globalOptions) *cobra.Command {
	opts := &reportOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "report --runs OUT --deals deals.csv [--horizon 90d] [--out report.json] [--html report.html]",
		Short: "Close the loop: how past nightly call lists fared",
		Long: `Report judges the call list of every run in a run out folder by the deals
that followed it, as 'leadscore evaluate' does for one: for each run date
whose horizon the deals file covers, the conversions and revenue (the
deals' amount column) by grade, queue and owner, and the list's AUC and
conversions among the first 100; a chart of each grade's conversion rate
and of the AUC over the runs; and a warning for every run whose grade A
converted no better than grade B. Runs whose horizon is not over yet are
listed as pending. The horizon is each run's model's (a run that trained),
else --horizon.`,
		Example: `  leadscore report --runs runs --deals data/deals.csv --html report.html --out report.json`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runReport(c, opts)
		},
	}
	f, j := cmd.Flags(), &opts.job
	addFileFlags(cmd, &j.Reading.FileReading)
	addOutcomeFlags(cmd, &j.Reading.FileReading)
	f.StringVar(&j.Runs, "runs", "", "the run out folder (pipeline.yaml's out:) (required)")
	f.StringVar(&j.Deals, "deals", "", "the deals file: entity_id, ts, won, closed_at, amount (required)")
	f.StringVar(&j.Horizon, "horizon", "", "conversion within this horizon, as in 90d (default: each run's model's)")
	f.IntVar(&j.Reading.MaxBadRows, "max-bad-rows", 0, "skip up to N bad rows of the deals file, writing them to a .quarantine.csv next to --out (0: stop at the first)")
	f.StringVar(&j.Out, "out", "", "write the report as JSON here")
	f.StringVar(&j.HTML, "html", "", "write the report as an HTML page with charts here")
	return cmd
}

func runReport(c *cobra.Command, opts *reportOptions) error {
	if _, err := opts.logger(); err != nil {
		return err
	}
	loop, err := opts.job.Run(c.Context())
	if err != nil {
		return err
	}
	return loop.WriteText(opts.stdout)
}
