package train

import (
	"fmt"
	"io"
	"text/tabwriter"

	"leadscore/features"
)

// WriteText prints the evaluation's headline numbers: each ordering's AUC
// and share converted among the first leads, and the grades.
func (e *Evaluation) WriteText(w io.Writer) error {
	what := "their open deal was won"
	if e.Target == features.TargetConversion {
		what = fmt.Sprintf("opened a deal before %s that was won", e.HorizonEnd)
	}
	fmt.Fprintf(w, "Call list of %s: %d leads, %d converted (%.1f%%: %s)\n\n", e.AsOf, e.Rows, e.Positives, 100*e.BaseRate, what)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ORDERING\tAUC\tFIRST 50\tFIRST 100\tFIRST 500\t")
	for _, l := range e.Lists {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", l.Name, l.AUC.Fixed(3), Percent(l.At(50)), Percent(l.At(100)), Percent(l.At(500)))
	}
	if len(e.Lists) < 3 {
		fmt.Fprintln(tw, "(no rule points in the list: no rules ordering)\t\t\t\t\t")
	}
	fmt.Fprintln(tw, "\t\t\t\t\t")
	fmt.Fprintln(tw, "GRADE\tLEADS\tCONVERTED\tRATE\tLIFT\t")
	for _, g := range e.Grades {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%s\t\n", g.Name, g.Rows, g.Positives, 100*g.Rate, g.Lift.Fixed(2))
	}
	return tw.Flush()
}

// Percent writes a share as a percentage with one decimal, "-" for NaN
// (a list shorter than asked).
func Percent(v float64) string {
	if v != v {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}
