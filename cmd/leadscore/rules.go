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

func newRulesExplainCmd(g *globalOptions) *cobra.Command {
	j := &pipeline.ExplainJob{}
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
			return j.Run(c.Context(), g.stdout)
		},
	}
	addReadingFlags(cmd, &j.Reading, "events", "entities")
	addRenameTypeFlag(cmd, &j.Reading.FileReading)
	f := cmd.Flags()
	f.StringVar(&j.Events, "events", "", "events file, or a pattern of shards or a folder (required)")
	f.StringVar(&j.Entities, "entities", "", "entities file, for attribute rules")
	f.StringVar(&j.Entity, "entity", "", "the entity_id to explain (required)")
	f.StringVar(&j.AsOf, "as-of", "", "evaluation date (required); events at or after it do not count")
	f.StringVar(&j.Rules, "rules", "", "rules file (default: the built-in rules)")
	return cmd
}
