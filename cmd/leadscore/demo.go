package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"leadscore/datasets"
	"leadscore/features"
	"leadscore/predict"
	"leadscore/predict/pipeline"
	"leadscore/rfm"
	"leadscore/train"
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
		Long: `Demo runs every stage on a small synthetic CRM embedded in the binary
(3,000 contacts, 2023-2024):

  1. copies the sample's events, entities, deals and orders to DIR/data
  2. builds training features at each deal's opening (point in time), with
     the default rules' expiring points
  3. trains a logistic regression on won/lost deals, validated out of time
  4. assesses existing customers from their orders: RFM segments, BG/NBD
     and Gamma-Gamma lifetime value, churn risk (DIR/rfm.parquet, clv.json)
  5. builds today's features as of 2025-01-01 and scores every contact
  6. writes DIR/ranked.parquet and DIR/ranked.csv and prints the top 10

Every file in DIR is byte-identical from run to run.`,
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
	ctx := c.Context()
	dir := opts.out
	data := filepath.Join(dir, "data")
	if err := copySample(data); err != nil {
		return err
	}
	in := func(name string) features.Source { return features.Source{Path: filepath.Join(data, name)} }
	profiles, err := features.ReadProfiles(ctx, in("entities.parquet"), nil)
	if err != nil {
		return err
	}
	deals, err := features.ReadCutoffs(ctx, in("deals.parquet"), nil)
	if err != nil {
		return err
	}
	rules := features.DefaultRules()
	// The default features, and views of the pricing page as a type of
	// their own (the sample's page views carry a page column).
	spec := features.Spec{Derived: []features.DerivedType{{Name: "pricing_visit", Type: "page_view", Where: map[string][]string{"page": {"pricing"}},
		Phrase: "visited the pricing page", Noun: "pricing-page visit"}}}
	trainTable, err := features.Build(ctx, features.Config{Events: in("events.parquet"), Profiles: profiles, Cutoffs: deals, Rules: rules, Spec: spec, Logger: log})
	if err != nil {
		return err
	}
	var report bytes.Buffer
	m, err := train.Train(ctx, trainTable, train.Config{Label: "won", TimeColumn: "ts", Drop: []string{"deal_id"}, Seed: opts.seed,
		Source: "embedded sample deals.parquet", Report: &report, Logger: log})
	if err != nil {
		return err
	}
	modelDir := filepath.Join(dir, "models", "demo")
	var om pipeline.Outputs
	defer om.Abort()
	if err := pipeline.SaveModel(&om, modelDir, m, report.Bytes()); err != nil {
		return err
	}
	if err := om.Commit(); err != nil {
		return err
	}
	today, err := features.Build(ctx, features.Config{Events: in("events.parquet"), Profiles: profiles, AsOf: datasets.SampleEnd,
		AllEntities: true, Rules: rules, Spec: *m.FeatureSpec, Logger: log})
	if err != nil {
		return err
	}
	rres, err := rfm.Compute(ctx, rfm.Config{Orders: in("orders.parquet"), AsOf: datasets.SampleEnd, Logger: log})
	if err != nil {
		return err
	}
	ranked, sum, err := predict.Score(ctx, m, today, predict.Config{Customers: pipeline.Customers(rres.Customers), Logger: log})
	if err != nil {
		return err
	}
	var o pipeline.Outputs
	defer o.Abort()
	if err := pipeline.WriteRFM(&o, filepath.Join(dir, "rfm.parquet"), filepath.Join(dir, "clv.json"), rres, toolVersion()); err != nil {
		return err
	}
	// Each feature table as Parquet, and as CSV for the notebooks (Debian's
	// Python has no Parquet reader), written from memory and committed
	// together.
	for name, t := range map[string]*features.Table{"features_train": trainTable, "features_today": today} {
		f, err := o.Create(filepath.Join(dir, name+".parquet"))
		if err != nil {
			return err
		}
		if err := t.WriteParquet(f); err != nil {
			return err
		}
		if f, err = o.Create(filepath.Join(dir, name+".csv")); err != nil {
			return err
		}
		if err := t.WriteCSV(f); err != nil {
			return err
		}
	}
	rankedPath, csvPath := filepath.Join(dir, "ranked.parquet"), filepath.Join(dir, "ranked.csv")
	if err := pipeline.WriteRanked(&o, rankedPath, csvPath, ranked, m, sum); err != nil {
		return err
	}
	if err := o.Commit(); err != nil {
		return err
	}
	if err := exportCSV(c, filepath.Join(dir, "rfm.parquet"), filepath.Join(dir, "rfm.csv"), nil); err != nil {
		return err
	}
	w := opts.stdout
	fmt.Fprintf(w, "Top 10 of %d leads as of %s:\n\n", len(ranked), datasets.SampleEnd.Format("2006-01-02"))
	predict.WriteTop(w, ranked, 10)
	fmt.Fprintf(w, "\nGrades: A %d, B %d, C %d, D %d\n", sum.PerGrade["A"], sum.PerGrade["B"], sum.PerGrade["C"], sum.PerGrade["D"])
	if len(sum.Drifted) > 0 {
		fmt.Fprintf(w, "Drift: %d inputs differ from the training rows (PSI > 0.2), as expected here: training rows are\n"+
			"contacts at a deal's opening, scoring rows are every contact on one date (details in summary.json).\n", len(sum.Drifted))
	}
	fmt.Fprintf(w, "Customers: %d assessed; %d flagged at churn risk; BG/NBD r=%.3f alpha=%.3f a=%.3f b=%.3f (weeks)\n",
		len(rres.Customers), sum.ChurnRisk, rres.Model.R, rres.Model.Alpha, rres.Model.A, rres.Model.B)
	fmt.Fprintf(w, "Model %s: out-of-time AUC %.3f (95%% CI %.3f-%.3f) on the latest %d deals (%s)\n",
		m.ID, m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.Metrics.Rows, m.Metrics.Split)
	if m.NoBetterThanChance {
		fmt.Fprintln(w, "The model is no better than chance: scores are rule points alone.")
	}
	fmt.Fprintf(w, "\nFiles:\n  %s\n  %s\n  %s (and report.html beside it)\n  %s (training features), %s (scoring features)\n  %s, %s (customers)\n  %s (sample input)\n",
		rankedPath, csvPath, filepath.Join(modelDir, "model.json"), filepath.Join(dir, "features_train.parquet"),
		filepath.Join(dir, "features_today.parquet"), filepath.Join(dir, "rfm.parquet"), filepath.Join(dir, "clv.json"), data)
	return nil
}

// copySample writes the embedded sample's input tables into dir.
func copySample(dir string) error {
	var o pipeline.Outputs
	defer o.Abort()
	src := datasets.Sample()
	for _, name := range []string{"events.parquet", "entities.parquet", "deals.parquet", "orders.parquet"} {
		b, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		f, err := o.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	return o.Commit()
}
