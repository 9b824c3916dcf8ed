package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"leadscore/train"
)

// Inspection says how a flat table was read and what training would do
// with each of its columns.
type Inspection struct {
	Table   string             `json:"table"`
	Rows    int                `json:"rows"`
	Columns []train.ColumnRole `json:"columns"`
}

// Inspect reads a flat table as train and predict do and gives each
// column's role under cfg (its Label, ID, TimeColumn, Drop and
// Categorical).
func Inspect(ctx context.Context, ft *FlatTable, cfg train.Config, log *slog.Logger) (*Inspection, error) {
	if ft.Path == "" {
		return nil, Usagef("--table is required")
	}
	bad, err := ft.badRows(nil, "") // counted: inspect writes nothing
	if err != nil {
		return nil, err
	}
	t, err := readTable(ctx, "", ft, nil, bad, cfg.IDColumn())
	if err != nil {
		return nil, err
	}
	logSkipped(log, bad, "", "file", ft.Path)
	tableDefaults(t, &cfg, cfg.Label != "", cfg.TimeColumn != "")
	if cfg.TimeColumn != "" {
		readNotes(t, cfg.TimeColumn, cfg.Drop, dropFlag, logger(log))
	} else {
		logReads(t, logger(log)) // the table shows the dates left out
	}
	if err := cfg.CheckColumns(t); err != nil {
		return nil, err
	}
	return &Inspection{Table: ft.Path, Rows: t.NumRows(), Columns: train.Roles(t, cfg)}, nil
}

// WriteText prints the columns as a table.
func (in *Inspection) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d rows, %d columns\n\n", in.Table, in.Rows, len(in.Columns))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tKIND\tREAD AS\tMISSING\tDISTINCT\tRANGE / MOST FREQUENT\tAUC ALONE\tROLE\tWHY")
	for _, r := range in.Columns {
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
		alone := ""
		if r.AUCAlone > 0 {
			alone = fmt.Sprintf("%.3f", r.AUCAlone)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f%%\t%d\t%s\t%s\t%s\t%s\n", clip(r.Column, 32), r.Kind, r.Read, 100*r.MissingShare, r.Distinct, values, alone, r.Role, r.Why)
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
