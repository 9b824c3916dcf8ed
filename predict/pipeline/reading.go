package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"leadscore/features"
	"leadscore/predict"
)

// Reading says how a job reads the data contract's files: Columns, Sep,
// Encoding and TimeFormat apply to every input, a role's own settings
// (Roles["entities"]) over them.
type Reading struct {
	FileReading
	MaxBadRows int
	Roles      map[string]*FileReading
}

// FileReading says how one file is read.
type FileReading struct {
	Columns    []string // name=column: the contract's column name=the file's
	Sep        string   // one character, or "tab"
	Encoding   string   // utf-8 or cp1252
	TimeFormat string   // a pattern such as dd.mm.yyyy, or a Go layout
	// NumberFormat is how the file writes numbers with separators:
	// "1,234.5" or "1.234,5"; "" reads a cell one of them reads alone.
	NumberFormat string
	NA           []string // values that mean missing, such as "-"
	// Won and Lost are the values of a deals or cutoffs file's won column
	// that mean won and lost; any other value is a deal still open.
	Won, Lost []string
	// RenameTypes, spelling=type, are the events file's spellings of
	// event types read as another type (features.Source.RenameTypes).
	RenameTypes []string
}

// Source returns how to read the file of an input role at path: its own
// settings over the shared ones.
func (in *Reading) Source(role, path string) (features.Source, error) {
	o := in.FileReading
	if err := checkMapped(o.Columns, "col", "contract column", allMappable()); err != nil {
		return features.Source{}, err
	}
	if r := in.Roles[role]; r != nil {
		if err := checkMapped(r.Columns, role+"-col", "contract column of the "+role+" file", mappable(role)); err != nil {
			return features.Source{}, err
		}
		o.Sep = ifSet(r.Sep, o.Sep)
		o.Encoding = ifSet(r.Encoding, o.Encoding)
		o.TimeFormat = ifSet(r.TimeFormat, o.TimeFormat)
		o.NumberFormat = ifSet(r.NumberFormat, o.NumberFormat)
		if r.NA != nil {
			o.NA = r.NA
		}
		o.Columns = append(append([]string(nil), o.Columns...), r.Columns...)
	}
	if err := checkOutcomeValues(o.Won, o.Lost); err != nil {
		return features.Source{}, badOption("won", err)
	}
	cols, err := parseColumns(o.Columns)
	if err != nil {
		return features.Source{}, err
	}
	sep, err := parseSep(ifSet(o.Sep, ","))
	if err != nil {
		return features.Source{}, err
	}
	layout := ""
	if o.TimeFormat != "" {
		if layout, err = features.TimeLayout(o.TimeFormat); err != nil {
			return features.Source{}, badOption("time-format", err)
		}
	}
	if o.NumberFormat != "" {
		if err := features.CheckNumberFormat(o.NumberFormat); err != nil {
			return features.Source{}, badOption("number-format", err)
		}
	}
	var renames map[string]string
	if role == "events" && len(o.RenameTypes) > 0 {
		renames = map[string]string{}
		for _, p := range o.RenameTypes {
			from, to, ok := strings.Cut(p, "=")
			if !ok {
				return features.Source{}, Usagef("--rename-type %q: want SPELLING=TYPE, as in \"Page View=page_view\"", p)
			}
			if was, twice := renames[from]; twice && was != to {
				return features.Source{}, Usagef("--rename-type reads %q as %q and as %q: give it one type", from, was, to)
			}
			renames[from] = to
		}
		if err := features.CheckRenameTypes(renames); err != nil {
			return features.Source{}, badOption("rename-type", err)
		}
	}
	return features.Source{Path: path, Columns: cols, CSV: features.CSVOptions{Sep: sep, Encoding: o.Encoding, NumberFormat: o.NumberFormat, NA: o.NA}, TimeLayout: layout,
		Won: o.Won, Lost: o.Lost, RenameTypes: renames}, nil
}

// mappable returns the contract's column names an input role's file can
// map: rfm reads its orders from an orders file or from events.
func mappable(role string) []string {
	switch role {
	case "outcomes":
		return contractColumns("deals")
	case "orders":
		return contractColumns("orders", "events")
	}
	return contractColumns(role)
}

// allMappable returns the names any input's file can map, for the
// mappings every input shares.
func allMappable() []string {
	return contractColumns("events", "orders", "deals", "cutoffs", "entities")
}

// contractColumns returns the contract's column names of the kinds of
// file, each once.
func contractColumns(kinds ...string) []string {
	var all []string
	for _, kind := range kinds {
		for _, c := range features.ContractColumns(kind) {
			if !slices.Contains(all, c) {
				all = append(all, c)
			}
		}
	}
	return all
}

// checkMapped returns a *UsageError naming the option for a mapping
// (name=column) whose name is none of names: a misspelt contract name
// (chanel) would be ignored, and the column not read.
func checkMapped(pairs []string, option, what string, names []string) error {
	for _, p := range pairs {
		name, _, _ := strings.Cut(p, "=")
		if name = strings.TrimSpace(name); name != "" && !slices.Contains(names, name) {
			return &UsageError{Option: option, Err: fmt.Errorf("%q maps %q, which is no %s (%s)", p, name, what, strings.Join(names, ", "))}
		}
	}
	return nil
}

// checkOutcomeValues checks lists of won and lost values: both or
// neither, and no value in both.
func checkOutcomeValues(won, lost []string) error {
	if (len(won) == 0) != (len(lost) == 0) {
		return errors.New("give the won values and the lost values together (any other value is a deal still open)")
	}
	for _, w := range won {
		for _, l := range lost {
			if features.NormValue(w) == features.NormValue(l) {
				return fmt.Errorf("%q is both a won and a lost value", w)
			}
		}
	}
	return nil
}

// optional returns the source of a role's file, nil when path is empty.
func (in *Reading) optional(role, path string) (*features.Source, error) {
	if path == "" {
		return nil, nil
	}
	src, err := in.Source(role, path)
	return &src, err
}

// checkBadRows validates MaxBadRows.
func (in *Reading) checkBadRows() error { return checkMaxBadRows(in.MaxBadRows) }

// checkMaxBadRows validates a --max-bad-rows setting.
func checkMaxBadRows(n int) error {
	if n < 0 {
		return Usagef("--max-bad-rows must be 0 or more, got %d", n)
	}
	return nil
}

// logSkipped logs the rows bad skipped and where they went (quarantine,
// "" when only counted), with attrs before them.
func logSkipped(log *slog.Logger, bad *features.BadRows, quarantine string, attrs ...any) {
	if n := bad.Count(); n > 0 {
		logger(log).Warn("skipped bad rows", append(attrs, "bad_rows", n, "quarantine", quarantine, "first", bad.First())...)
	}
}

// FlatTable is a flat table to read (a CRM export, one row per lead): its
// separator, missing-value markers, and the formats of its numbers and
// dates when detection cannot tell.
type FlatTable struct {
	Path       string
	Sep        string
	Encoding   string // utf-8 (or empty) or cp1252
	NA         []string
	TimeFormat string
	Numbers    []string // COLUMN=FORMAT, as in Amount=1,234.5
	Text       []string // columns kept as written, neither numbers nor dates
	// MaxBadRows is how many bad rows of a CSV table (another number of
	// fields, text that is not UTF-8) are skipped into a quarantine file
	// before the read fails; 0 fails at the first.
	MaxBadRows int
}

// badRows sets up the table's bad-row policy, its skipped rows written to
// quarantine (when not "") as an output of o.
func (ft *FlatTable) badRows(o *Outputs, quarantine string) (*features.BadRows, error) {
	if err := checkMaxBadRows(ft.MaxBadRows); err != nil {
		return nil, err
	}
	return BadRows(o, quarantine, ft.MaxBadRows)
}

// Source returns how to read the table. A model, when given, reads its
// columns as its training table's were read; the settings win.
func (ft *FlatTable) Source(m *predict.Model) (features.Source, error) {
	sep, err := parseSep(ifSet(ft.Sep, ","))
	if err != nil {
		return features.Source{}, err
	}
	if err := features.CheckEncoding(ft.Encoding); err != nil {
		return features.Source{}, badOption("encoding", err)
	}
	src := features.Source{Path: ft.Path, CSV: features.CSVOptions{Sep: sep, Encoding: ft.Encoding}, Numbers: map[string]string{}, Times: map[string]string{},
		Text: map[string]bool{}}
	for _, col := range ft.Text {
		src.Text[col] = true
	}
	if m != nil {
		for _, r := range m.Read {
			if r.Text {
				src.Text[r.Column] = true
			}
			if r.Number != "" {
				src.Numbers[r.Column] = r.Number
			}
			if r.Time != "" {
				src.Times[r.Column] = r.Time
			}
		}
	}
	if col, format, ok := strings.Cut(ft.TimeFormat, "="); ok {
		// One column's format: seconds since 1970 in a column of numbers.
		if _, err := features.TimeLayout(format); err != nil || col == "" {
			return src, Usagef("--time-format %q: want FORMAT, or COLUMN=FORMAT for one column, as in Created=unix", ft.TimeFormat)
		}
		src.Times[col] = format
	} else if ft.TimeFormat != "" {
		layout, err := features.TimeLayout(ft.TimeFormat)
		if err != nil {
			return src, badOption("time-format", err)
		}
		if features.IsNumberLayout(layout) {
			return src, Usagef("--time-format %s would read every column of numbers in %s as times: give the column, as in --time-format Created=%s", ft.TimeFormat, ft.Path, ft.TimeFormat)
		}
		src.TimeLayout = ft.TimeFormat // flat tables take the pattern as it is
		clear(src.Times)
	}
	for _, kv := range ft.Numbers {
		col, format, ok := strings.Cut(kv, "=")
		if !ok || col == "" {
			return src, Usagef("--number-format %q: want COLUMN=FORMAT, as in Amount=1,234.5", kv)
		}
		if err := features.CheckNumberFormat(format); err != nil {
			return src, badOption("number-format", err)
		}
		src.Numbers[col] = format
	}
	return src, nil
}

// readTable reads a feature table (Parquet) at featuresPath, or else the
// flat table (read as ft says; with a model, as its training table was;
// its id column, when id names one, as written; the columns in keep also
// as written, features.Column.Written), its bad rows handled by bad.
func readTable(ctx context.Context, featuresPath string, ft *FlatTable, m *predict.Model, bad *features.BadRows, id string, keep ...string) (*features.Table, error) {
	if featuresPath != "" {
		return readFeatureTable(ctx, featuresPath)
	}
	src, err := ft.Source(m)
	if err != nil {
		return nil, err
	}
	if id != "" {
		// The id column is kept as written ("1,000.50" stays so): the call
		// list gives sales the CRM's own id to look up.
		src.Text[id] = true
		delete(src.Numbers, id)
		delete(src.Times, id)
	}
	src.Written = map[string]bool{}
	for _, k := range keep {
		src.Written[k] = true
	}
	t, err := features.ReadTable(ctx, src, ft.NA, bad)
	if err != nil {
		return nil, err
	}
	for _, col := range ft.Text {
		if t.Column(col) == nil {
			return nil, Usagef("--text: no column %q in %s (have %s)", col, ft.Path, strings.Join(t.Names(), ", "))
		}
	}
	return t, nil
}

// readFeatureTable reads a feature table file.
func readFeatureTable(ctx context.Context, path string) (*features.Table, error) {
	f, err := features.OpenInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return features.ReadParquetTable(ctx, f, path)
}

// ifSet returns s, or def when s is empty.
func ifSet(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ExportCSV writes the Parquet file in as CSV with a header to out.
func ExportCSV(ctx context.Context, in, out string) (*features.Table, error) {
	if in == "" || out == "" {
		return nil, Usagef("--in and --out are required")
	}
	if err := namedAsWritten(namedOut{"--out", out, ".csv"}); err != nil {
		return nil, err
	}
	t, err := readFeatureTable(ctx, in)
	if err != nil {
		return nil, err
	}
	return t, WriteFile(out, t.WriteCSV, in)
}
