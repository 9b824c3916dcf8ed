package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"leadscore/features"
)

func newRulesCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Business point rules that expire",
		Long: `Rules award points for events (an RFQ: +15 for 3 months), for inactivity
(no order for 6 months: -10 for 3 months) and for profile attributes
(decision maker: +15). Each event award counts only while it is valid, so
the points show the entity's potential as of any date.`,
	}
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
	return cmd
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
