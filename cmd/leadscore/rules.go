package main

import (
	"os"

	"github.com/spf13/cobra"

	"leadscore/features"
	"leadscore/predict/pipeline"
)

func newRulesCmd(g *globalOptions) *cobra.Command {
	cmd := asGroup(&cobra.Command{
		Use:   "rules",
		Short: "Business point rules that expire",
		Long: `Rules award points for events (an RFQ: +15 for 3 months), for inactivity
(no order for 6 months: -10 for 3 months) and for profile attributes
(decision maker: +15). Each event award counts only while it is valid, so
the points show the entity's potential as of any date.`,
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "default",
		Short:   "Print the default rules file",
		Example: "  leadscore rules default > rules.yaml",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := g.stdout.Write(features.DefaultRulesYAML())
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "check FILE",
		Short:   "Validate a rules file and print its rules as a table",
		Example: "  leadscore rules check rules.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			rs, err := features.ParseRules(f, args[0])
			if err != nil {
				return err
			}
			return rs.WriteTable(g.stdout)
		},
	})
	cmd.AddCommand(newRulesExplainCmd(g))
	return cmd
}

type explainOptions struct {
	inputOptions
	events   string
	entities string
	entity   string
	asOf     string
	rules    string
}

func newRulesExplainCmd(g *globalOptions) *cobra.Command {
	opts := &explainOptions{}
	cmd := &cobra.Command{
		Use:   "explain --events FILE --entity ID --as-of DATE [--rules FILE]",
		Short: "Print one entity's rule ledger as of a date",
		Long: `Explain lists every award the rules consider for one entity as of a date:
when it was granted, when it expires, whether it counts, and why (expired,
not granted under the repeat policy, inactivity not yet reached, attribute
does not hold). The totals are the ones 'leadscore features --rules' writes.`,
		Example: `  leadscore rules explain --events data/events.csv --entities data/entities.csv \
    --entity E00042 --as-of 2025-01-01`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.events == "" || opts.entity == "" || opts.asOf == "" {
				return usageErrorf("--events, --entity and --as-of are required")
			}
			asOf, err := parseDate("as-of", opts.asOf)
			if err != nil {
				return err
			}
			rules := opts.rules
			if rules == "" {
				rules = "default"
			}
			cfg := features.ExplainConfig{EntityID: opts.entity, AsOf: asOf}
			if cfg.Rules, err = pipeline.LoadRules(rules); err != nil {
				return err
			}
			if cfg.Events, err = opts.source("events", opts.events); err != nil {
				return err
			}
			if opts.entities != "" {
				src, err := opts.source("entities", opts.entities)
				if err != nil {
					return err
				}
				if cfg.Profiles, err = features.ReadProfiles(c.Context(), src, nil); err != nil {
					return err
				}
			}
			x, err := features.Explain(c.Context(), cfg)
			if err != nil {
				return err
			}
			return x.WriteText(g.stdout, cfg.Rules)
		},
	}
	opts.inputOptions.register(cmd, "events", "entities")
	f := cmd.Flags()
	f.StringVar(&opts.events, "events", "", "events file (required)")
	f.StringVar(&opts.entities, "entities", "", "entities file, for attribute rules")
	f.StringVar(&opts.entity, "entity", "", "the entity_id to explain (required)")
	f.StringVar(&opts.asOf, "as-of", "", "evaluation date (required); events at or after it do not count")
	f.StringVar(&opts.rules, "rules", "", "rules file (default: the built-in rules)")
	return cmd
}
