package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"leadscore/datasets"
	"leadscore/predict/pipeline"
)

type generateOptions struct {
	*globalOptions
	out      string
	entities int
	seed     uint64
	start    string
	end      string
	format   string
	dirty    float64
}

func newDatasetsCmd(g *globalOptions) *cobra.Command {
	cmd := asGroup(&cobra.Command{
		Use:   "datasets",
		Short: "Synthetic CRM data with ground truth",
	})
	opts := &generateOptions{globalOptions: g}
	gen := &cobra.Command{
		Use:   "generate --out DIR --entities N",
		Short: "Write a synthetic CRM (events, entities, deals, orders, truth)",
		Long: `Generate simulates a B2B company's CRM and writes five tables to DIR:

  events     entity_id, ts, type, value, channel, page, justified
  entities   entity_id and firmographics (industry, employees, annual_revenue,
             country, role, decision_maker, budget, lead_source)
  deals      deal_id, entity_id, ts (opened), won, closed_at, amount
  orders     entity_id, ts, amount
  truth      per entity: latent fit, intent, customer, alive_at_end, ...
plus truth.json with counts and the AUC that the true win probabilities
reach on the deals (the ceiling for any model).

The same seed gives byte-identical files. Generation streams: memory holds a
few blocks of entities, not the event log.`,
		Example: `  leadscore datasets generate --out data --entities 5000 --seed 1
  leadscore datasets generate --out big --entities 400000 --format parquet
  leadscore datasets generate --out dirty --entities 2000 --dirty 0.01`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runGenerate(c, opts)
		},
	}
	f := gen.Flags()
	f.StringVar(&opts.out, "out", "", "output directory (required)")
	f.IntVar(&opts.entities, "entities", 5000, "number of contacts")
	f.Uint64Var(&opts.seed, "seed", 1, "random seed")
	f.StringVar(&opts.start, "start", "2023-01-01", "start of the simulated period")
	f.StringVar(&opts.end, "end", "2025-01-01", "end of the simulated period (exclusive)")
	f.StringVar(&opts.format, "format", "csv", "file format: csv or parquet")
	f.Float64Var(&opts.dirty, "dirty", 0, "share of event and order rows given a realistic fault")
	cmd.AddCommand(gen, newOrdersCmd(g), newLeadsCmd(g))
	return cmd
}

func newLeadsCmd(g *globalOptions) *cobra.Command {
	var out string
	var cfg datasets.LeadsConfig
	cmd := &cobra.Command{
		Use:   "leads --out FILE.csv --rows N",
		Short: "Write a flat table of won/lost leads: 40 numeric and 5 categorical columns",
		Long: `Leads writes a flat CRM export, one row per lead: lead_id, created, x00-x39
(counts, amounts, rates and scores, some missing), channel, industry,
country, campaign and product (6 to 900 levels), and won (about 22% won).
The outcome depends on thresholds, interactions and level effects plus
noise. It is the data of the gradient-boosting benchmarks.`,
		Example: `  leadscore datasets leads --out leads.csv --rows 800000
  leadscore train --table leads.csv --label won --id lead_id --time-col created --model gbdt --out models/leads`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			setGCPercent(100) // see runGenerate
			if out == "" {
				return pipeline.Usagef("--out is required")
			}
			if err := cfg.Validate(); err != nil {
				return &pipeline.UsageError{Err: err}
			}
			if err := pipeline.WriteFile(out, func(w io.Writer) error { return datasets.GenerateLeads(c.Context(), cfg, w) }); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s: %d leads\n", out, cfg.Rows)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "CSV to write (required)")
	f.IntVar(&cfg.Rows, "rows", 100000, "number of leads")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	return cmd
}

func newOrdersCmd(g *globalOptions) *cobra.Command {
	var out string
	var cfg datasets.OrdersConfig
	cmd := &cobra.Command{
		Use:   "orders --out FILE.csv --customers N",
		Short: "Write orders of customers who follow BG/NBD and Gamma-Gamma with known parameters",
		Long: `Orders simulates customers who buy by the BG/NBD process (rate per week
lambda ~ Gamma(r, alpha), drop-out after each repeat purchase p ~ Beta(a, b))
and spend by the Gamma-Gamma model (p, q, gamma), and writes entity_id, ts,
amount. 'leadscore rfm' should recover the parameters; it is also the scale
test of the rfm stage. Streaming: memory holds one customer.`,
		Example: `  leadscore datasets orders --out orders.csv --customers 1000000 --r 2 --alpha 4 --a 0.3 --b 6`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			setGCPercent(100) // see runGenerate
			if out == "" {
				return pipeline.Usagef("--out is required")
			}
			var n int64
			if err := pipeline.WriteFile(out, func(w io.Writer) (err error) {
				n, err = datasets.GenerateOrders(c.Context(), cfg, w)
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s: %d customers, %d orders\n", out, cfg.Customers, n)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "orders CSV to write (required)")
	f.IntVar(&cfg.Customers, "customers", 10000, "number of customers")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f.Float64Var(&cfg.R, "r", 0.5, "BG/NBD r (shape of the purchase rate)")
	f.Float64Var(&cfg.Alpha, "alpha", 6, "BG/NBD alpha (rate of the purchase rate, per week)")
	f.Float64Var(&cfg.A, "a", 0.8, "BG/NBD a (drop-out Beta)")
	f.Float64Var(&cfg.B, "b", 4, "BG/NBD b (drop-out Beta)")
	f.Float64Var(&cfg.P, "p", 6, "Gamma-Gamma p")
	f.Float64Var(&cfg.Q, "q", 4, "Gamma-Gamma q")
	f.Float64Var(&cfg.Gamma, "gamma", 15, "Gamma-Gamma gamma")
	return cmd
}

func runGenerate(c *cobra.Command, opts *generateOptions) error {
	// The generators keep little and allocate much: Go's default
	// collection pace suits them better than main's 50.
	setGCPercent(100)
	log, err := opts.logger()
	if err != nil {
		return err
	}
	cfg := datasets.Config{Entities: opts.entities, Seed: opts.seed, Dirty: opts.dirty, Logger: log}
	if cfg.Start, err = pipeline.ParseDate("start", opts.start); err != nil {
		return err
	}
	if cfg.End, err = pipeline.ParseDate("end", opts.end); err != nil {
		return err
	}
	t0 := time.Now()
	bar := opts.progress("generating", "entities", int64(cfg.Entities))
	cfg.Progress = bar.update
	sum, err := pipeline.Generate(c.Context(), cfg, opts.format, opts.out)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.stdout, "wrote %s: %d entities, %d events, %d deals (%d won), %d orders; true-probability AUC %.4f (%.0f events/s)\n",
		opts.out, sum.Entities, sum.Events, sum.Deals, sum.DealsWon, sum.Orders, sum.DealAUCTrue, float64(sum.Events)/time.Since(t0).Seconds())
	return nil
}
