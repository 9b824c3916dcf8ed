package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

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
			printRules(g, rs)
			return nil
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
			if cfg.Events, err = opts.source(opts.events); err != nil {
				return err
			}
			if opts.entities != "" {
				src, _ := opts.source(opts.entities)
				if cfg.Profiles, err = features.ReadProfiles(c.Context(), src, nil); err != nil {
					return err
				}
			}
			x, err := features.Explain(c.Context(), cfg)
			if err != nil {
				return err
			}
			printExplanation(g.stdout, cfg.Rules, x)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.cols, "col", nil, "map a contract column to the file's column, as name=column (repeatable)")
	f.StringVar(&opts.sep, "sep", ",", "CSV field separator (one character, or 'tab')")
	f.StringVar(&opts.events, "events", "", "events file (required)")
	f.StringVar(&opts.entities, "entities", "", "entities file, for attribute rules")
	f.StringVar(&opts.entity, "entity", "", "the entity_id to explain (required)")
	f.StringVar(&opts.asOf, "as-of", "", "evaluation date (required); events at or after it do not count")
	f.StringVar(&opts.rules, "rules", "", "rules file (default: the built-in rules)")
	return cmd
}

func printExplanation(w io.Writer, rs *features.RuleSet, x *features.Explanation) {
	fmt.Fprintf(w, "%s as of %s: %d events before, %d at or after (not used)\n\n", x.EntityID, x.AsOf.Format(time.RFC3339), x.Events, x.Later)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tGROUP\tPOINTS\tGRANTED\tEXPIRES\tCOUNTS\tWHY")
	for _, a := range x.Entries {
		granted, expires := "-", "-"
		if !a.Granted.IsZero() {
			granted = a.Granted.Format(time.DateOnly)
		}
		if !a.Expires.IsZero() {
			expires = a.Expires.Format(time.DateOnly)
		}
		counts := "no"
		if a.Active {
			counts = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%+g\t%s\t%s\t%s\t%s\n", a.Rule, a.Group, a.Points, granted, expires, counts, a.Why)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for i, g := range rs.Groups {
		capped := ""
		if x.Raw[i] != x.Points.Groups[i] {
			capped = fmt.Sprintf(" (capped from %+g)", x.Raw[i])
		}
		fmt.Fprintf(w, "rule_points_%s = %+g%s\n", g.Name, x.Points.Groups[i], capped)
	}
	sum := 0.0
	for _, v := range x.Points.Groups {
		sum += v
	}
	capped := ""
	if sum != x.Points.Total {
		capped = fmt.Sprintf(" (capped from %+g)", sum)
	}
	fmt.Fprintf(w, "rule_points = %+g%s\n", x.Points.Total, capped)
}

func printRules(g *globalOptions, rs *features.RuleSet) {
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tGROUP\tPOINTS\tWHEN\tVALID FOR\tREPEAT")
	for _, r := range rs.Rules {
		when, valid, repeat := "", r.ValidFor.String(), r.Repeat.String()
		switch {
		case r.Event != nil:
			when = r.Event.Type + conds(r.Event.Where)
		case r.Inactive != nil:
			when = fmt.Sprintf("no %s for %s", r.Inactive.Type, r.Inactive.For)
			if r.Inactive.OnlyIfSeen {
				when += " (after one)"
			}
			repeat = "-"
		default:
			when = strings.TrimPrefix(conds(r.Attribute), " where ")
			valid, repeat = "while it holds", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%+g\t%s\t%s\t%s\n", r.Name, r.Group, r.Points, when, valid, repeat)
	}
	tw.Flush()
	var caps []string
	for _, gr := range rs.Groups {
		if s := capText(gr.Cap); s != "" {
			caps = append(caps, gr.Name+" "+s)
		}
	}
	if s := capText(rs.Total); s != "" {
		caps = append(caps, "total "+s)
	}
	if len(caps) > 0 {
		fmt.Fprintf(g.stdout, "\ncaps: %s\n", strings.Join(caps, "; "))
	}
	fmt.Fprintf(g.stdout, "%d rules, %d groups\n", len(rs.Rules), len(rs.Groups))
}

func conds(cs []features.Cond) string {
	if len(cs) == 0 {
		return ""
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		v := c.Value
		if c.Op == "in" {
			v = "[" + strings.Join(c.List, ", ") + "]"
		}
		parts[i] = fmt.Sprintf("%s %s %s", c.Field, c.Op, v)
	}
	return " where " + strings.Join(parts, " and ")
}

func capText(c features.Cap) string {
	var s []string
	if c.Min != nil {
		s = append(s, fmt.Sprintf("min %g", *c.Min))
	}
	if c.Max != nil {
		s = append(s, fmt.Sprintf("max %g", *c.Max))
	}
	return strings.Join(s, ", ")
}
