package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"leadscore/predict/pipeline"
	"leadscore/rfm"
)

type rfmOptions struct {
	*globalOptions
	inputOptions
	orders         string
	events         string
	orderType      string
	asOf           string
	observationEnd string
	unit           string
	previous       string
	segments       string
	out            string
	modelOut       string
	horizon        int
	discount       float64
	churnThreshold float64
	fallbackMult   float64
	l2             float64
	holdoutEnd     string
	validationOut  string
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
  # the CDNOW paper's calibration, validated on weeks 40-78
  leadscore rfm --orders cdnow.csv --observation-end 1997-09-30 --time-unit week \
    --holdout-end 1998-06-30 --out rfm.parquet`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runRFM(c, opts)
		},
	}
	opts.inputOptions.register(cmd, "orders")
	f := cmd.Flags()
	f.StringVar(&opts.orders, "orders", "", "orders file (entity_id, ts, amount)")
	f.StringVar(&opts.events, "events", "", "events file whose --order-type events carry the amount in value")
	f.StringVar(&opts.orderType, "order-type", "order", "event type of orders with --events")
	f.StringVar(&opts.asOf, "as-of", "", "use orders before this date; ages measured to it")
	f.StringVar(&opts.observationEnd, "observation-end", "", "use orders on or before this date (the literature's convention)")
	f.StringVar(&opts.unit, "time-unit", "week", "time unit of recency and the model: day, week or month")
	f.StringVar(&opts.previous, "previous", "", "an earlier rfm.parquet, for segment transitions")
	f.StringVar(&opts.segments, "segments", "", "segment table (YAML) replacing the default")
	f.StringVar(&opts.out, "out", "", "rfm.parquet to write (required)")
	f.StringVar(&opts.modelOut, "model-out", "", "write the fitted parameters (clv.json)")
	f.IntVar(&opts.horizon, "horizon", 12, "CLV and expected-purchases horizon in months")
	f.Float64Var(&opts.discount, "discount", 0.01, "monthly discount rate for CLV")
	f.Float64Var(&opts.churnThreshold, "churn-threshold", 0.5, "flag repeat buyers whose P(alive) is below this")
	f.Float64Var(&opts.fallbackMult, "fallback-multiple", 2, "flag one-time buyers silent for more than this many typical gaps")
	f.Float64Var(&opts.l2, "l2", 0, "L2 penalty on the BG/NBD parameters")
	f.StringVar(&opts.holdoutEnd, "holdout-end", "", "compare predicted and actual purchases from the end to this date")
	f.StringVar(&opts.validationOut, "validation-out", "", "with --holdout-end, also write the comparison as CSV")
	return cmd
}

func runRFM(c *cobra.Command, opts *rfmOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if (opts.orders == "") == (opts.events == "") || opts.out == "" {
		return usageErrorf("give --out and exactly one of --orders and --events")
	}
	if (opts.asOf == "") == (opts.observationEnd == "") {
		return usageErrorf("give exactly one of --as-of and --observation-end")
	}
	cfg := rfm.Config{Unit: opts.unit, OrderType: opts.orderType, FromEvents: opts.events != "", L2: opts.l2, HorizonMonths: opts.horizon,
		MonthlyDiscount: &opts.discount, ChurnThreshold: opts.churnThreshold, FallbackMultiple: opts.fallbackMult, Logger: log}
	if cfg.Orders, err = opts.source("orders", opts.orders+opts.events); err != nil {
		return err
	}
	if opts.asOf != "" {
		if cfg.AsOf, err = parseDate("as-of", opts.asOf); err != nil {
			return err
		}
	} else if cfg.ObservationEnd, err = parseDate("observation-end", opts.observationEnd); err != nil {
		return err
	}
	if opts.segments != "" {
		f, err := os.Open(opts.segments)
		if err != nil {
			return err
		}
		cfg.Segments, err = rfm.ParseSegments(f, opts.segments)
		f.Close()
		if err != nil {
			return err
		}
	}
	if opts.previous != "" {
		prev, err := rfm.ReadFile(opts.previous)
		if err != nil {
			return err
		}
		cfg.Previous = rfm.Segments(prev)
	}
	if err := cfg.Validate(); err != nil {
		return &flagError{err}
	}
	if err := opts.checkBadRows(); err != nil {
		return err
	}
	var holdoutEnd time.Time
	if opts.holdoutEnd != "" {
		if holdoutEnd, err = parseDate("holdout-end", opts.holdoutEnd); err != nil {
			return err
		}
	}
	var o pipeline.Outputs
	defer o.Abort()
	o.Protect(opts.orders, opts.events, opts.previous, opts.segments)
	out, err := o.Create(opts.out)
	if err != nil {
		return err
	}
	bad, err := pipeline.BadRows(&o, opts.out, opts.maxBadRows)
	if err != nil {
		return err
	}
	cfg.BadRows = bad
	res, err := rfm.Compute(c.Context(), cfg)
	if err != nil {
		return err
	}
	if err := rfm.WriteParquet(out, res.Customers, pipeline.RFMMeta(res, toolVersion())); err != nil {
		return err
	}
	if opts.modelOut != "" {
		mf, err := o.Create(opts.modelOut)
		if err != nil {
			return err
		}
		if err := rfm.WriteModel(mf, res.Model); err != nil {
			return err
		}
	}
	var val []rfm.HoldoutRow
	if opts.holdoutEnd != "" {
		if val, err = rfm.Holdout(c.Context(), cfg, res, holdoutEnd); err != nil {
			return err
		}
		if opts.validationOut != "" {
			vf, err := o.Create(opts.validationOut)
			if err != nil {
				return err
			}
			if err := rfm.WriteHoldoutCSV(vf, val); err != nil {
				return err
			}
		}
	}
	if err := o.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "wrote %s: ", opts.out)
	return res.WriteText(opts.stdout, val)
}
