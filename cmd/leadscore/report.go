package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict/pipeline"
	"leadscore/train"
)

type reportOptions struct {
	*globalOptions
	runs    string
	deals   string
	horizon string
	out     string
	html    string
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
	f := cmd.Flags()
	f.StringVar(&opts.runs, "runs", "", "the run out folder (pipeline.yaml's out:) (required)")
	f.StringVar(&opts.deals, "deals", "", "the deals file: entity_id, ts, won, closed_at, amount (required)")
	f.StringVar(&opts.horizon, "horizon", "", "conversion within this horizon, as in 90d (default: each run's model's)")
	f.StringVar(&opts.out, "out", "", "write the report as JSON here")
	f.StringVar(&opts.html, "html", "", "write the report as an HTML page with charts here")
	return cmd
}

func runReport(c *cobra.Command, opts *reportOptions) error {
	if _, err := opts.logger(); err != nil {
		return err
	}
	if opts.runs == "" || opts.deals == "" {
		return usageErrorf("--runs and --deals are required")
	}
	horizon := 0
	if opts.horizon != "" {
		var err error
		if horizon, err = features.ParseHorizon(opts.horizon); err != nil {
			return usageErrorf("--horizon: %v", err)
		}
	}
	loop, err := pipeline.RunLoop(c.Context(), opts.runs, features.Source{Path: opts.deals}, horizon)
	if err != nil {
		return err
	}
	if err := pipeline.WriteFiles(map[string]func(io.Writer) error{opts.out: pipeline.JSONWriter(loop), opts.html: loop.WriteHTML}, opts.deals); err != nil {
		return err
	}
	return writeLoop(opts.stdout, loop)
}

// writeLoop prints one line per judged run and the warnings.
func writeLoop(w io.Writer, loop *train.Loop) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "AS OF\tLEADS\tCONVERTED\tAUC\tFIRST 100\tA\tB\tC\tD\t")
	for _, r := range loop.Runs {
		ev := r.Evaluation
		l := ev.List("call list")
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%s", r.AsOf, ev.Rows, ev.Positives, l.AUC, pctOf(l.At(100)))
		rate := map[string]string{}
		for _, g := range ev.Grades {
			rate[g.Name] = fmt.Sprintf("%.1f%%", 100*g.Rate)
		}
		for _, g := range []string{"A", "B", "C", "D"} {
			fmt.Fprintf(tw, "\t%s", rate[g])
		}
		fmt.Fprintln(tw, "\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range loop.Pending {
		fmt.Fprintf(w, "pending (horizon not covered yet): %s\n", p)
	}
	for _, warn := range loop.Warnings {
		fmt.Fprintln(w, "warning: "+warn)
	}
	return nil
}
