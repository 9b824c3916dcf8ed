package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"leadscore/train"
)

type inspectOptions struct {
	*globalOptions
	table    string
	tf       tableFlags
	label    string
	id       string
	timeCol  string
	drop     []string
	category []string
	json     bool
}

func newInspectCmd(g *globalOptions) *cobra.Command {
	opts := &inspectOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "inspect --table FILE [--label COL --id COL --time-col COL]",
		Short: "Show how a flat export is read and what train would do with each column",
		Long: `Inspect reads a flat table (a CRM export, one row per lead) exactly as train
and predict --table do, with the same flags, and says per column: the kind
it was read as (numeric, categorical, time), how its text was read (a
number format such as 1,234.5, a date pattern such as dd.mm.yyyy), the
share missing, the number of distinct values with the most frequent ones,
and the role train would give it (label, id, time, feature, not a
feature) and why: an id-like column whose every value differs, a
constant, a date without --time-col, a --drop.

Run it before train on a new export: an ambiguous column (1,200 could be
1200 or 1.2; 03/04/2024 the 3rd of April or the 4th of March) is an error
naming the flag that settles it.`,
		Example: `  leadscore inspect --table leads.csv
  leadscore inspect --table leads.csv --label Status --id "Lead Number" --time-col Created --time-format dd.mm.yyyy
  leadscore inspect --table leads.csv --json > columns.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runInspect(c, opts)
		},
	}
	opts.tf.add(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.table, "table", "", "the flat table to inspect, CSV or Parquet (required)")
	f.StringVar(&opts.label, "label", "", "the outcome column, as train would take it")
	f.StringVar(&opts.id, "id", "", "the id column (default entity_id)")
	f.StringVar(&opts.timeCol, "time-col", "", "the time column of an out-of-time split")
	f.StringSliceVar(&opts.drop, "drop", nil, "columns that must not be features (comma-separated)")
	f.StringSliceVar(&opts.category, "categorical", nil, "columns to treat as categories even when they hold numbers")
	f.BoolVar(&opts.json, "json", false, "print the columns as JSON, for scripts")
	return cmd
}

func runInspect(c *cobra.Command, opts *inspectOptions) error {
	log, err := opts.logger()
	if err != nil {
		return err
	}
	if opts.table == "" {
		return usageErrorf("--table is required")
	}
	t, err := readTable(c, "", opts.table, &opts.tf, nil)
	if err != nil {
		return err
	}
	if opts.timeCol != "" {
		readNotes(t, opts.timeCol, log)
	}
	for _, name := range append([]string{opts.label, opts.id, opts.timeCol}, opts.drop...) {
		if name != "" && t.Column(name) == nil {
			return usageErrorf("no column %q in %s (have %s)", name, opts.table, strings.Join(t.Names(), ", "))
		}
	}
	roles := train.Roles(t, train.Config{Label: opts.label, ID: opts.id, TimeColumn: opts.timeCol, Drop: opts.drop, Categorical: opts.category})
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Table   string             `json:"table"`
			Rows    int                `json:"rows"`
			Columns []train.ColumnRole `json:"columns"`
		}{opts.table, t.NumRows(), roles})
	}
	return writeRoles(opts.stdout, opts.table, t.NumRows(), roles)
}

// writeRoles prints the columns as a table, then the reasons.
func writeRoles(w io.Writer, table string, rows int, roles []train.ColumnRole) error {
	fmt.Fprintf(w, "%s: %d rows, %d columns\n\n", table, rows, len(roles))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tKIND\tREAD AS\tMISSING\tDISTINCT\tRANGE / MOST FREQUENT\tROLE\tWHY")
	for _, r := range roles {
		values := ""
		if r.Min != nil {
			values = strconv.FormatFloat(*r.Min, 'f', -1, 64) + " to " + strconv.FormatFloat(*r.Max, 'f', -1, 64)
		}
		var top []string
		for _, l := range r.Top {
			top = append(top, fmt.Sprintf("%s (%d)", clip(l.Value, 24), l.Count))
		}
		if len(top) > 0 {
			values = strings.Join(top[:min(3, len(top))], ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f%%\t%d\t%s\t%s\t%s\n", clip(r.Column, 32), r.Kind, r.Read, 100*r.MissingShare, r.Distinct, values, r.Role, r.Why)
	}
	return tw.Flush()
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
