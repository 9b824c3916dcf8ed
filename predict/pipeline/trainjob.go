package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"leadscore/features"
	"leadscore/predict"
	"leadscore/train"
)

// TrainJob is a model to train and save, as 'leadscore train' asks for it.
type TrainJob struct {
	// Exactly one of Features (a feature table) and Table (a flat export)
	// holds the rows.
	Features string
	Table    FlatTable
	Model    string // lr, gbdt or nb
	Out      string // the model directory
	Compare  string // an earlier model to measure on the same rows
	// Config is the training's; Model, Source, Compare, Report and Logger
	// are set by Run. A table built for a target gives the label, and
	// snapshot rows their date column, unless LabelGiven or TimeGiven.
	Config                train.Config
	LabelGiven, TimeGiven bool
}

// modelTypes are the model kinds a job names.
var modelTypes = map[string]predict.ModelType{"lr": predict.TypeLogistic, "nb": predict.TypeNaiveBayes, "gbdt": predict.TypeGBDT}

// Trained is what a TrainJob made: the model, and the earlier model it was
// compared with.
type Trained struct {
	Model, Compared *predict.Model
	Dir             string
}

// WriteText prints the model's validation in a few lines.
func (tr *Trained) WriteText(w io.Writer) error {
	m := tr.Model
	fmt.Fprintf(w, "model %s: validation AUC %.4f (95%% CI %.4f–%.4f) on %d rows; written to %s (open report.html)\n",
		m.ID, m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh, m.Metrics.Rows, tr.Dir)
	if prev, ok := m.Metrics.Extra["previous_auc"]; ok {
		fmt.Fprintf(w, "previous model %s on the same rows: AUC %.4f\n", tr.Compared.ID, prev)
	}
	if m.NoBetterThanChance {
		_, err := fmt.Fprintln(w, "warning: this model is no better than chance; predict will rank by rule points alone")
		return err
	}
	return nil
}

// Run trains the model and saves it (model.json, report.html) to Out, or
// writes nothing.
func (j *TrainJob) Run(ctx context.Context, log *slog.Logger) (*Trained, error) {
	if (j.Features == "") == (j.Table.Path == "") {
		return nil, Usagef("give exactly one of --features and --table")
	}
	if j.Out == "" {
		return nil, Usagef("--out is required")
	}
	cfg := j.Config
	if cfg.Model = modelTypes[j.Model]; cfg.Model == "" {
		return nil, Usagef("--model %q: want lr (logistic regression), gbdt (gradient-boosted trees) or nb (naive Bayes)", j.Model)
	}
	log = logger(log)
	cfg.Logger = log
	if err := cfg.Validate(); err != nil {
		return nil, &UsageError{Err: err}
	}
	start := time.Now()
	path := j.Features + j.Table.Path
	hashes := hashInputs(map[string]string{"source": path})
	var o Outputs
	defer o.Abort()
	o.Protect(j.Features, j.Table.Path, j.Compare, modelFile(j.Compare))
	quarantine := filepath.Join(j.Out, "quarantine.csv") // beside the model
	bad, err := j.Table.badRows(&o, quarantine)
	if err != nil {
		return nil, err
	}
	t, err := readTable(ctx, j.Features, &j.Table, nil, bad, cfg.IDColumn())
	if err != nil {
		return nil, err
	}
	fps, err := hashes.wait()
	if err != nil {
		return nil, err
	}
	cfg.Source = fps["source"]
	log.Info("read", "file", path, "rows", t.NumRows(), "columns", len(t.Columns), "duration", time.Since(start).Round(time.Millisecond))
	tableDefaults(t, &cfg, j.LabelGiven, j.TimeGiven)
	readNotes(t, cfg.TimeColumn, cfg.Drop, dropFlag, log)
	if j.Compare != "" {
		if cfg.Compare, err = readModel(j.Compare); err != nil {
			return nil, err
		}
	}
	var report bytes.Buffer
	cfg.Report = &report
	m, err := train.Train(ctx, t, cfg)
	if err != nil {
		return nil, err
	}
	if err := SaveModel(&o, j.Out, m, report.Bytes()); err != nil {
		return nil, err
	}
	if err := o.Commit(); err != nil {
		return nil, err
	}
	logSkipped(log, bad, quarantine, "file", j.Table.Path)
	return &Trained{Model: m, Compared: cfg.Compare, Dir: j.Out}, nil
}

// dropFlag is how train's flags drop a column (readNotes).
const dropFlag = "--drop %s"

// logReads logs how a flat table's text columns were read, and its notes
// on columns (renamed, mostly numbers) as warnings.
func logReads(t *features.Table, log *slog.Logger) {
	for _, r := range t.ColumnReads() {
		switch {
		case r.Number != "":
			log.Info("read as numbers", "column", r.Column, "format", r.Number)
		case r.Time != "":
			log.Info("read as dates", "column", r.Column, "format", r.Time)
		case r.Note != "":
			log.Warn(r.Note, "column", r.Column)
		}
	}
}

// readNotes logs how a flat table's text columns were read (logReads),
// turns its other date columns into ages before the time column (a model
// cannot use a date as it is), warns of those mostly after it that drop
// does not name, with how to drop one (dropAs, a format of its name), and
// says which date columns are left out.
func readNotes(t *features.Table, timeCol string, drop []string, dropAs string, log *slog.Logger) {
	logReads(t, log)
	if timeCol != "" {
		added := features.AddDateAges(t, timeCol)
		if len(added) > 0 {
			log.Info("date columns become ages before the time column", "columns", strings.Join(added, ", "))
		}
		for _, name := range added {
			date, _ := features.DateOfAge(name, timeCol)
			if s := features.LaterShare(t.Column(name)); s > train.LaterLimit && !slices.Contains(drop, date) && !slices.Contains(drop, name) {
				log.Warn("a date falls after the time column on most rows: filled in later than the row's time, it may leak the outcome ("+fmt.Sprintf(dropAs, date)+")",
					"column", date, "later_share", math.Round(s*1000)/1000)
			}
		}
		return
	}
	for _, c := range t.Columns {
		if c.Kind == features.KindTime {
			log.Warn("a date column is not a feature without --time-col (give it, and dates become ages before it)", "column", c.Name)
		}
	}
}

// tableDefaults gives a feature table built for a target its label, and
// snapshot rows their date as the time column, where the command was not
// given them (train and inspect alike).
func tableDefaults(t *features.Table, cfg *train.Config, labelGiven, timeGiven bool) {
	if tg, err := t.Target(); err == nil && tg != nil && !labelGiven {
		cfg.Label = tg.Label()
	}
	if _, snaps := t.Meta[features.MetaSnapshots]; snaps && !timeGiven {
		cfg.TimeColumn = "ts"
	}
}
