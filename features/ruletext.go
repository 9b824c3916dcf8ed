package features

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the ledger for people: every entry with its grant,
// expiry and why it counts or not, then each group's points and the total
// (with what the caps took).
func (x *Explanation) WriteText(w io.Writer, rs *RuleSet) error {
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
	return nil
}

// WriteTable writes the rules as a table (name, group, points, condition,
// validity, repeat policy), then the caps and the counts.
func (rs *RuleSet) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
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
			if r.ValidFor.N == 0 {
				valid = "while inactive"
			}
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
		fmt.Fprintf(w, "\ncaps: %s\n", strings.Join(caps, "; "))
	}
	fmt.Fprintf(w, "%d rules, %d groups\n", len(rs.Rules), len(rs.Groups))
	return nil
}

// conds says a list of conditions in words: " where a = 1 and b in [x, y]".
func conds(cs []Cond) string {
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

// capText says a cap in words: "min -10, max 50".
func capText(c Cap) string {
	var s []string
	if c.Min != nil {
		s = append(s, fmt.Sprintf("min %g", *c.Min))
	}
	if c.Max != nil {
		s = append(s, fmt.Sprintf("max %g", *c.Max))
	}
	return strings.Join(s, ", ")
}
