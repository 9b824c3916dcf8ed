package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/rfm"
)

// PredictJob is a call list to write, as 'leadscore predict' asks for it.
type PredictJob struct {
	Model string // a model directory or its model.json
	// Exactly one of Features (a feature table) and Table (a flat export,
	// whose ID column identifies a lead) holds the rows.
	Features string
	Table    FlatTable
	ID       string
	// Out is the ranked Parquet file; CSV and HTML, when set, the list as
	// CSV and as one HTML page.
	Out, CSV, HTML string
	// Top keeps the N best leads (0: all); only they are explained.
	Top int
	// Settings is predict.yaml; the fields below override it when set.
	Settings          string
	ModelWeight       *float64
	DriftLimit        *float64
	Keep              []string
	AllowWeakModel    bool
	IncludeSuppressed bool
	// Previous is the previous run's ranked file, PreviousFeatures its
	// feature table; KeepFrom an entities file for Keep; RFM an
	// rfm.parquet.
	Previous, PreviousFeatures, KeepFrom, RFM string

	Logger *slog.Logger
}

// Run scores and ranks the rows and writes the call list, or writes
// nothing.
func (j *PredictJob) Run(ctx context.Context) ([]predict.Ranked, predict.Summary, error) {
	var sum predict.Summary
	if j.Model == "" || j.Out == "" {
		return nil, sum, Usagef("--model and --out are required")
	}
	if err := parquetOut(j.Out, "the ranked list is", "; --csv ranked.csv writes it as CSV too"); err != nil {
		return nil, sum, err
	}
	if err := namedAsWritten(namedOut{"--csv", j.CSV, ".csv"}, namedOut{"--html", j.HTML, ".html"}); err != nil {
		return nil, sum, err
	}
	if (j.Features == "") == (j.Table.Path == "") {
		return nil, sum, Usagef("give exactly one of --features and --table")
	}
	if j.Top < 0 {
		return nil, sum, Usagef("--top must be 0 or more")
	}
	m, err := readModel(j.Model)
	if err != nil {
		return nil, sum, err
	}
	if j.Table.Path != "" && j.ID == "" {
		// The id column the model was trained with, when it was given one.
		if j.ID = m.Training.IDColumn; j.ID == "" {
			return nil, sum, Usagef("--table needs --id, the column that identifies a lead")
		}
	}
	var o Outputs
	defer o.Abort()
	o.Protect(j.Model, modelFile(j.Model), j.Features, j.Table.Path, j.RFM, j.Settings, j.KeepFrom, j.Previous, j.PreviousFeatures)
	bad, err := j.Table.badRows(&o, QuarantinePath(j.Out))
	if err != nil {
		return nil, sum, err
	}
	cfg, err := j.config(ctx)
	if err != nil {
		return nil, sum, err
	}
	t, err := readTable(ctx, j.Features, &j.Table, m, bad, j.ID, cfg.Keep...)
	if err != nil {
		return nil, sum, err
	}
	if j.Table.Path != "" {
		if err := useAsID(t, j.ID, j.Table.Path); err != nil {
			return nil, sum, err
		}
	}
	ranked, sum, err := predict.Score(ctx, m, t, cfg)
	if err != nil {
		return nil, sum, err
	}
	if j.Top > 0 && len(ranked) > j.Top {
		ranked = ranked[:j.Top]
	}
	if err := WriteRanked(&o, j.Out, j.CSV, j.HTML, ranked, m, sum); err != nil {
		return nil, sum, err
	}
	if err := o.Commit(); err != nil {
		return nil, sum, err
	}
	logSkipped(j.Logger, bad, QuarantinePath(j.Out), "file", j.Table.Path)
	for name, n := range sum.UnseenLevels {
		logger(j.Logger).Warn("categorical values not seen (or rare) in training were pooled", "feature", name, "rows", n)
	}
	return ranked, sum, nil
}

// config reads predict.yaml and the files scoring looks things up in; the
// job's settings win over the file, the file over the defaults.
func (j *PredictJob) config(ctx context.Context) (predict.Config, error) {
	cfg, err := LoadPredictConfig(j.Settings)
	if err != nil {
		return cfg, err
	}
	if j.ModelWeight != nil {
		cfg.ModelWeight = j.ModelWeight
	}
	if j.DriftLimit != nil {
		cfg.DriftLimit = *j.DriftLimit
	}
	cfg.Logger = j.Logger
	cfg.ExplainTop = j.Top // only the leads written need reasons
	if len(j.Keep) > 0 {
		cfg.Keep = j.Keep
	}
	cfg.AllowWeakModel = cfg.AllowWeakModel || j.AllowWeakModel
	cfg.IncludeSuppressed = cfg.IncludeSuppressed || j.IncludeSuppressed
	if j.Previous != "" {
		if cfg.Previous, err = predict.ReadRankedFile(j.Previous); err != nil {
			return cfg, err
		}
	}
	if j.PreviousFeatures != "" {
		if cfg.PreviousTable, err = readFeatureTable(ctx, j.PreviousFeatures); err != nil {
			return cfg, err
		}
	}
	if j.KeepFrom != "" {
		if cfg.KeepFrom, err = ReadEntities(ctx, features.Source{Path: j.KeepFrom}, cfg.Keep); err != nil {
			return cfg, err
		}
	}
	if j.RFM != "" {
		cs, err := rfm.ReadFile(j.RFM)
		if err != nil {
			return cfg, err
		}
		cfg.Customers, cfg.CustomersFrom = Customers(cs), j.RFM
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &UsageError{Err: err}
	}
	return cfg, nil
}

// modelFile is the model.json a model path names (a directory or the file
// itself).
func modelFile(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return filepath.Join(path, "model.json")
	}
	return path
}

// ErrListedTwice is the error of a lead that a flat table lists twice. It
// is found once the table is read, so --max-bad-rows does not skip it.
var ErrListedTwice = errors.New("a call list ranks each lead once; remove the duplicate from the export")

// useAsID renames a flat table's id column to entity_id; a lead listed
// twice is an error naming its second row.
func useAsID(t *features.Table, id, path string) error {
	c := t.Column(id)
	if c == nil {
		return &features.SchemaError{Path: path, Err: fmt.Errorf("id column %q not found (have %s)", id, strings.Join(t.Names(), ", "))}
	}
	if c.Kind != features.KindString {
		s := make([]string, c.Len())
		for i := range s {
			s[i] = c.Text(i)
		}
		*c = features.Column{Name: c.Name, Kind: features.KindString, Str: s}
	}
	// A call list ranks each lead once: an export that lists one twice
	// would deal it twice.
	first := make(map[string]int, len(c.Str))
	for i, s := range c.Str {
		if j, dup := first[s]; dup && s != "" {
			return t.RowError(i, id, fmt.Errorf("lead %q is listed twice (first in data row %d): %w", s, j+1, ErrListedTwice))
		}
		first[s] = i
	}
	if id != "entity_id" {
		if old := t.Column("entity_id"); old != nil {
			old.Name = "entity_id_original"
		}
	}
	c.Name = "entity_id"
	return nil
}
