package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
)

type rfmOptions struct {
	*globalOptions
	job pipeline.RFMJob
}

func newRFMCmd(g *globalOptions) *cobra.Command {
	opts := &rfmOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "rfm (--orders FILE | --events FILE) (--as-of D | --observation-end D) --out rfm.parquet",
		Short: "RFM segments, lifetime value (BG/NBD + Gamma-Gamma) and churn risk",
		Long: `Rfm assesses existing customers from their orders:

  recency, frequency, monetary   per customer (orders on one day are one purchase)
  r/f/m_score, segment           quintile scores 1-5 and named segments (Champions,
                                 Loyal Customers, ... Lost), first match of a table
  value_tier                     VIP (top 10% by spend), mid (next 40%), occasional
  p_alive, expected_purchases    BG/NBD (Fader, Hardie & Lee 2005), fitted by
                                 maximum likelihood; purchases over --horizon months
  clv                            Gamma-Gamma spend x expected purchases, discounted
  churn_risk, churn_reason       P(alive) below --churn-threshold; for one-time
                                 buyers (P(alive) = 1 by construction) a recency
                                 fallback against the typical gap between purchases

--as-of D uses orders before D and measures ages to D. --observation-end D is
the literature's convention (orders on or before day D). Negative amounts are
returns: counted, never purchases. --model-out writes the fitted parameters
(clv.json); --previous adds previous_segment and prints segment transitions;
--holdout-end compares predicted and actual purchases after the end.`,
		Example: `  leadscore rfm --orders data/orders.csv --as-of 2025-01-01 --out rfm.parquet --model-out clv.json
  leadscore rfm --events data/events.csv --order-type order --as-of 2025-01-01 --out rfm.parquet
  # the CDNOW paper's calibration on the raw log, validated on weeks 40-78
  leadscore rfm --orders CDNOW_master.txt --sep space --time-format yyyymmdd \
    --col entity_id=customer_id --col ts=date --col amount=dollar_value \
    --observation-end 1997-09-30 --time-unit week --holdout-end 1998-06-30 --out rfm.parquet`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runRFM(c, opts)
		},
	}
	j, rc := &opts.job, &opts.job.Config
	addReadingFlags(cmd, &j.Reading, "orders")
	f := cmd.Flags()
	f.StringVar(&j.Orders, "orders", "", "orders file (entity_id, ts, amount; with a quantity column, amount is a unit price)")
	f.StringVar(&j.Events, "events", "", "events file (or a pattern of shards, or a folder) whose --order-type events carry the amount in value")
	f.StringVar(&rc.OrderType, "order-type", "order", "event type of orders with --events")
	f.StringVar(&j.AsOf, "as-of", "", "use orders before this date; ages measured to it")
	f.StringVar(&j.ObservationEnd, "observation-end", "", "use orders on or before this date (the literature's convention)")
	f.StringVar(&rc.Unit, "time-unit", "week", "time unit of recency and the model: day, week or month")
	f.StringVar(&j.Previous, "previous", "", "an earlier rfm.parquet, for segment transitions")
	f.StringVar(&j.Segments, "segments", "", "segment table (YAML) replacing the default")
	f.StringVar(&j.Out, "out", "", "rfm.parquet to write (required)")
	f.StringVar(&j.ModelOut, "model-out", "", "write the fitted parameters (clv.json)")
	f.IntVar(&rc.HorizonMonths, "horizon", 12, "CLV and expected-purchases horizon in months")
	f.Float64Var(&j.Discount, "discount", 0.01, "monthly discount rate for CLV")
	f.Float64Var(&rc.ChurnThreshold, "churn-threshold", 0.5, "flag repeat buyers whose P(alive) is below this")
	f.Float64Var(&rc.FallbackMultiple, "fallback-multiple", 2, "flag one-time buyers silent for more than this many typical gaps")
	f.Float64Var(&rc.L2, "l2", 0, "L2 penalty on the BG/NBD parameters")
	f.StringVar(&j.HoldoutEnd, "holdout-end", "", "compare predicted and actual purchases from the end to this date")
	f.StringVar(&j.ValidationOut, "validation-out", "", "with --holdout-end, also write the comparison as CSV")
	return cmd
}

func runRFM(c *cobra.Command, opts *rfmOptions) error {
	var err error
	if opts.job.Logger, err = opts.logger(); err != nil {
		return err
	}
	opts.job.Tool = toolVersion()
	res, val, err := opts.job.Run(c.Context())
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "wrote %s: ", opts.job.Out)
	return res.WriteText(opts.stdout, val)
}
