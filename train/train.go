package train

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// Config configures Train. The zero value of each optional field means its
// default.
type Config struct {
	// Label is the outcome column. Required.
	Label string
	// Positive lists the label values counted as a success, comma-separated
	// ("won, closed won"), compared as features.NormValue compares; ""
	// accepts true, 1, yes, won as positive and their opposites as
	// negative.
	Positive string
	// Negative, with Positive, lists the values counted as a failure; rows
	// with any other value (open deals, say) have no outcome yet and are
	// left out, reported by value. Without it every other value is a
	// failure (also reported by value).
	Negative string
	// ID names the row id column, never a feature; "" means entity_id if
	// present.
	ID string
	// TimeColumn orders rows for the out-of-time split: the earliest rows
	// train, the latest validate. "" splits at random, stratified by label.
	TimeColumn string
	// Drop lists columns that must not be features (leaks, free text).
	Drop []string
	// Categorical overrides type detection: these columns are categorical
	// even when every value is a number (codes, zip codes).
	Categorical []string
	// AllowLeaks names columns that may stay features although on their
	// own they all but decide the outcome (see Leak): Train refuses any
	// other such column with a *LeakError.
	AllowLeaks []string
	// Group names a column whose equal values are one case seen at several
	// times (an open deal on each snapshot date, one outcome): the rows of
	// a case that has rows among the validation rows are left out of
	// training, so that validation measures cases the model has not seen.
	// "" means deal_row in an opportunity target's snapshot table, else
	// none; ValidRows turns it off.
	Group string
	// ValidFraction is the share of rows held out for validation; 0 means 0.2.
	ValidFraction float64
	// ValidRows, when set, are the validation rows (0-based), overriding
	// the split: to compare with another tool on exactly its split.
	ValidRows []int
	// C is the inverse L2 strength; 0 chooses it from CGrid by k-fold
	// cross-validation on the training rows (mean validation log loss).
	// Either way the folds' out-of-fold predictions fit the calibration
	// (Platt or isotonic, whichever cross-fits better, or none).
	C float64
	// CGrid are the candidates for C; nil means 10⁻⁴ to 10 in half-decades.
	CGrid []float64
	// Folds is k for the cross-validation; 0 means 5.
	Folds int
	// MinClass is the fewest positives and negatives the training part
	// must have; 0 means 50.
	MinClass int
	// Seed drives the random split and the bootstrap.
	Seed uint64
	// Model is the model type; "" means predict.TypeLogistic.
	Model predict.ModelType
	// GBDT configures the "gbdt" model (its Seed and Workers come from
	// this Config).
	GBDT GBDTConfig
	// Report, when set, receives report.html (see writeReport).
	Report io.Writer
	// Compare is an earlier model measured on the same validation rows, for
	// the metrics and the report; nil for none.
	Compare *predict.Model
	// Workers bounds parallelism; 0 means 2. Results do not depend on it.
	Workers int
	// Refit fits the model again, once measured, on the training and
	// validation rows together (see refit): the latest rows then count.
	// The metrics stay those measured before.
	Refit bool

	// Source names the training data in the model's metadata.
	Source string

	compared     *predict.Metrics // Compare's metrics, once measured
	unusable     map[string]bool  // text columns whose every value differs (ids, names, emails)
	allowedLeaks []string         // the AllowLeaks columns that are leaks, with their AUCs
	// Logger receives one line per stage; nil discards.
	Logger *slog.Logger
}

// Validate checks the configuration and names the bad field.
func (c *Config) Validate() error {
	if c.Label == "" {
		return errors.New("train: Config.Label is empty")
	}
	if c.ValidFraction < 0 || c.ValidFraction >= 1 {
		return fmt.Errorf("train: Config.ValidFraction must be in [0, 1), got %g", c.ValidFraction)
	}
	if c.C < 0 {
		return fmt.Errorf("train: Config.C must be positive, got %g", c.C)
	}
	if c.MinClass < 0 {
		return fmt.Errorf("train: Config.MinClass must not be negative, got %d", c.MinClass)
	}
	for _, name := range c.Categorical {
		if slices.Contains(c.Drop, name) {
			return fmt.Errorf("train: Config.Categorical: %q is also dropped", name)
		}
	}
	if m := c.model(); m != predict.TypeLogistic && m != predict.TypeNaiveBayes && m != predict.TypeGBDT {
		return fmt.Errorf("train: Config.Model %q: want logistic, naive_bayes or gbdt", c.Model)
	}
	if err := c.GBDT.Validate(); err != nil {
		return err
	}
	return nil
}

// TooFewError reports a training set with too few positives or negatives.
type TooFewError struct {
	Positives, Negatives, Min int
}

func (e *TooFewError) Error() string {
	return fmt.Sprintf("train: the training rows have %d positives and %d negatives; at least %d of each are needed to fit and validate honestly (collect more outcomes, or lower the minimum knowingly)",
		e.Positives, e.Negatives, e.Min)
}

// Train fits a model on a table and measures it on held-out rows.
// Preprocessing (imputation, standardisation, one-hot levels, bins) is
// learned from the training rows only and stored in the model.
//
// Features are every column but the label, the id, the time column, Drop,
// the pass-through columns named in the table's leadscore.passthrough
// metadata, time columns, and the feature stage's text and rule columns
// (missing_fields, rule_awards, rule_points*: predict blends rule points in
// itself). Float columns are numeric, string and bool columns categorical.
//
// The steps: read the outcomes (leaving out rows without one), split the
// rows (out of time, at random, or as given), fit the model type, fit the
// calibration on out-of-fold predictions of the training rows, measure on
// the validation rows, and record what the model was trained on.
func Train(ctx context.Context, t *features.Table, cfg Config) (*predict.Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.CheckColumns(t); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	t, y, labels, err := outcomes(t, &cfg, log)
	if err != nil {
		return nil, err
	}
	if cfg.Group == "" {
		cfg.Group = defaultGroup(t)
	}
	cfg.unusable = map[string]bool{}
	for _, c := range t.Columns {
		if c.Kind == features.KindString && !excluded(c.Name, t, cfg) {
			if r := profile(&c); r.Distinct >= idLikeMin && float64(r.Distinct) == math.Round(float64(c.Len())*(1-r.MissingShare)) {
				cfg.unusable[c.Name] = true
				log.Info("not a feature: every value differs (an id, a name, an email)", "column", c.Name)
			}
		}
	}
	if cfg.allowedLeaks, err = checkLeaks(t, y, cfg, log); err != nil {
		return nil, err
	}
	if pos := positives(y); cfg.ValidRows == nil && isSmall(len(y), pos, cmp.Or(cfg.ValidFraction, 0.2)) {
		return trainSmall(ctx, t, y, cfg, log)
	}
	sp, err := splitRows(t, y, &cfg)
	if err != nil {
		return nil, err
	}
	m := &predict.Model{Type: cfg.model(), Label: cfg.Label, Positive: cfg.Positive}
	m.Training.Labels = labels
	// Distributions and the training AUC are measured on at most
	// sampleRows training rows, evenly spread: plenty for deciles and an
	// overfitting check, and cheap on millions of rows.
	sampled := evenly(sp.train, sampleRows)
	f, err := fitModel(ctx, m, t, y, sp, sampled, cfg, log)
	if err != nil {
		return nil, err
	}
	// Drift is measured against the population the model will next score:
	// for a snapshot table, the latest snapshot date's rows; otherwise the
	// training rows.
	reference := sampled
	if latest := latestSnapshot(t, sp); latest != nil {
		reference = evenly(latest, sampleRows)
	}
	reference = inRowOrder(reference, t.NumRows()) // the same distributions, read front to back
	// An open-deal table has a row per deal; an account's deals on a date
	// share their inputs, and the drift check counts them once.
	distinct := predict.DistinctRows(t, reference)
	parallelFor(len(m.Features), cfg.workers(), func(k int) {
		f := &m.Features[k]
		f.Distribution = predict.DistributionOf(f, t.Column(f.Name), reference)
		if distinct < len(reference) {
			f.Distribution.Distinct = distinct
		}
	})
	// Calibration is fitted on the out-of-fold predictions of the training
	// rows (a tree model's held-out training rows): the validation rows
	// never touch it.
	cal, calLoss, err := chooseCalibration(ctx, f.oof, f.y, f.fold, cfg.folds())
	if err != nil {
		return nil, err
	}
	m.Calibration = cal
	var validP []float64
	var validRank ranking // the validation rows by score, for the call lists and the report
	m.Metrics, validP, validRank = evaluate(m, t, y, sp.valid, cfg.Seed, cfg.workers())
	m.Metrics.CalibrationCVLoss = calLoss
	m.Metrics.Split = sp.describe
	validY := pick(y, sp.valid)
	m.Metrics.PrecisionAt = callLists(t, validP, validY, sp, callListSizes, validRank.idx)
	m.NoBetterThanChance = !(m.Metrics.AUCLow > 0.5)
	if !m.NoBetterThanChance {
		m.Blend = fitBlend(t, validP, validY, sp)
	}
	trainLogits := f.sampled
	if trainLogits == nil {
		_, trainLogits = scoreRows(m, t, sampled, cfg.workers())
	}
	m.Metrics.TrainAUC = AUC(probabilities(m, trainLogits), pick(y, sampled))
	if err := record(m, t, y, sp, &cfg); err != nil {
		return nil, err
	}
	if cfg.Refit && len(sp.valid) > 0 {
		if err := refit(ctx, m, t, y, sp, cfg, log); err != nil {
			return nil, err
		}
	}
	if m.Trees != nil {
		m.Trees.ShapImportance = shapImportance(m, t, sp.valid, cfg.workers())
	}
	if err := m.Finish(); err != nil {
		return nil, err
	}
	if cfg.Report != nil {
		if err := writeReport(cfg.Report, m, validP, validY, validRank, cfg.compared); err != nil {
			return nil, fmt.Errorf("train: report: %w", err)
		}
	}
	log.Info("trained", "model", m.Type, "rows_train", len(sp.train), "rows_valid", len(sp.valid), "features", len(m.Features),
		"design_columns", len(m.Design), "calibration", m.Calibration.Method, "auc", round4(m.Metrics.AUC), "auc_ci_low", round4(m.Metrics.AUCLow), "auc_ci_high", round4(m.Metrics.AUCHigh),
		"duration", time.Since(start).Round(time.Millisecond))
	if m.NoBetterThanChance {
		log.Warn(ChanceWarning, "auc", round4(m.Metrics.AUC), "auc_ci_low", round4(m.Metrics.AUCLow))
	}
	return m, nil
}

// ChanceWarning is the warning Train logs for a model no better than
// chance.
const ChanceWarning = "model is no better than chance: the validation AUC's 95% interval includes 0.5; predict will rank by rule points alone"

// fitted is what fitting a model type leaves for calibration: raw
// out-of-fold log-odds, the labels of those rows and their folds; and,
// when fitting has them already, the raw log-odds of the sampled training
// rows.
type fitted struct {
	oof     []float64
	y       []bool
	fold    []int
	sampled []float64
}

// fitModel learns the model type's inputs and parameters on the training
// rows.
func fitModel(ctx context.Context, m *predict.Model, t *features.Table, y []bool, sp *rowSplit, sampled []int, cfg Config, log *slog.Logger) (fitted, error) {
	k := cfg.folds()
	yTrain := pick(y, sp.train)
	switch m.Type {
	case predict.TypeGBDT:
		gbdtInputs(m, t, cfg, sp.train)
		if len(m.Features) == 0 {
			return fitted{}, errors.New("train: no usable feature columns")
		}
		oof, holdY, sampledLogits, err := trainGBDT(ctx, m, t, y, sp.train, sampled, sp.times, cfg, log)
		if err != nil {
			return fitted{}, err
		}
		return fitted{oof: oof, y: holdY, fold: stratifiedFolds(holdY, k, cfg.Seed), sampled: sampledLogits}, nil
	case predict.TypeNaiveBayes:
		nbInputs(m, t, cfg, sp.train)
		if len(m.Features) == 0 {
			return fitted{}, errors.New("train: no usable feature columns")
		}
		fold := stratifiedFolds(yTrain, k, cfg.Seed)
		oof := nbOutOfFold(m, t, y, sp.train, fold, k)
		fitNB(m, t, y, sp.train)
		return fitted{oof: oof, y: yTrain, fold: fold}, nil
	}
	if err := fitPreprocessing(m, t, cfg, sp.train); err != nil {
		return fitted{}, err
	}
	xTrain := compactDesign(m, t, sp.train, cfg.workers())
	cv, err := crossValidate(ctx, xTrain, yTrain, cfg, log)
	if err != nil {
		return fitted{}, err
	}
	m.Logistic = cv.lr
	return fitted{oof: cv.oof, y: yTrain, fold: cv.fold}, nil
}

// record notes in the model what it was trained on: the rows and window,
// the feature spec and descriptors of a feature table, the data's and the
// configuration's fingerprints, an earlier model measured on the same
// validation rows, and a tree model's SHAP importance.
func record(m *predict.Model, t *features.Table, y []bool, sp *rowSplit, cfg *Config) error {
	m.Training.Rows, m.Training.Positives, m.Training.Seed, m.Training.Source = len(sp.train), countTrue(y, sp.train), cfg.Seed, cfg.Source
	m.Training.TimeColumn, m.Training.IDColumn, m.Training.AllowedLeaks = cfg.TimeColumn, cfg.ID, cfg.allowedLeaks
	m.Training.DealAgeDays = predict.TypicalDealAge(t)
	if sp.times != nil && cfg.ValidRows == nil {
		m.Training.WindowStart = sp.times[sp.train[0]].Format(time.RFC3339)
		m.Training.WindowEnd = sp.times[sp.train[len(sp.train)-1]].Format(time.RFC3339)
		m.Training.ValidStart = sp.times[sp.valid[0]].Format(time.RFC3339)
	}
	m.Training.DataFingerprint, m.Training.ConfigHash = fingerprintTable(t), cfg.hash()
	var err error
	if _, ok := t.Meta[features.MetaSpec]; ok {
		spec, err := t.Resolved()
		if err != nil {
			return err
		}
		m.FeatureSpec = &spec
	}
	if m.Target, err = t.Target(); err != nil {
		return err
	}
	m.Read = t.ColumnReads()
	desc, err := t.Descriptors()
	if err != nil {
		return err
	}
	for k := range m.Features {
		if d, ok := desc[m.Features[k].Name]; ok {
			m.Features[k].Desc = &d
		}
	}
	if cfg.Compare != nil {
		if _, err := predict.NewEncoder(cfg.Compare, t); err != nil {
			return fmt.Errorf("train: --compare model %s does not fit this table: %w", cfg.Compare.ID, err)
		}
		prev, _, _ := evaluate(cfg.Compare, t, y, sp.valid, cfg.Seed, cfg.workers())
		m.Metrics.Extra = predict.JSONObject{"previous_auc": prev.AUC, "previous_log_loss": prev.LogLoss, "previous_brier": prev.Brier}
		cfg.compared = &prev
	}
	return nil
}

// sampleRows is the most training rows the distributions and the training
// AUC are measured on.
const sampleRows = 100_000

// evenly returns at most k of rows, every ⌈len/k⌉-th from the first.
func evenly(rows []int, k int) []int {
	step := (len(rows) + k - 1) / k
	if step <= 1 {
		return rows
	}
	out := make([]int, 0, k)
	for j := 0; j < len(rows); j += step {
		out = append(out, rows[j])
	}
	return out
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// positives counts the true labels.
func positives(labels []bool) int {
	n := 0
	for _, l := range labels {
		if l {
			n++
		}
	}
	return n
}

// countTrue counts the true labels of rows.
func countTrue(y []bool, rows []int) int {
	n := 0
	for _, i := range rows {
		if y[i] {
			n++
		}
	}
	return n
}

// inRowOrder returns rows (distinct rows of a table of n) in ascending
// order, for the passes whose result does not depend on the order: rows in
// time order would read the columns at random.
func inRowOrder(rows []int, n int) []int {
	if slices.IsSorted(rows) {
		return rows
	}
	in := make([]bool, n)
	for _, i := range rows {
		in[i] = true
	}
	out := make([]int, 0, len(rows))
	for i, ok := range in {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// allRows returns 0, 1, …, n−1.
func allRows(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func pick[T any](v []T, rows []int) []T {
	out := make([]T, len(rows))
	for j, i := range rows {
		out[j] = v[i]
	}
	return out
}

// excluded reports whether a column is never a feature: the label, id
// and time columns, --drop, leadscore's own non-feature columns, and the
// columns Train found unusable (Config.unusable).
func excluded(name string, t *features.Table, cfg Config) bool {
	if name == cfg.Label || name == cfg.IDColumn() || name == cfg.TimeColumn || name == cfg.Group || cfg.dropped(name) || cfg.unusable[name] {
		return true
	}
	return excludedByTable(name, t)
}

// dropped reports whether Drop names a column, or the date a date-age
// column was made from (features.AddDateAges): dropping close_date drops
// close_date_days_before_<time column>.
func (c *Config) dropped(name string) bool {
	if slices.Contains(c.Drop, name) {
		return true
	}
	date, ok := features.DateOfAge(name, c.TimeColumn)
	return ok && slices.Contains(c.Drop, date)
}

// scoreRows returns the model's probabilities and raw log-odds for rows of
// t, as predict computes them. The rows are scored in ascending order,
// which reads each column front to back (rows in time order would cost a
// cache miss per feature and row), and the results come back in the
// caller's order.
func scoreRows(m *predict.Model, t *features.Table, rows []int, workers int) ([]float64, []float64) {
	enc, err := predict.NewEncoder(m, t)
	if err != nil {
		panic("train: encoder on its own training table: " + err.Error()) // the columns were just read from t
	}
	var at []int // at[k]: the position in rows of the k-th smallest row
	sorted := rows
	if !slices.IsSorted(rows) {
		at, sorted = sortedRows(rows)
	}
	logit := make([]float64, len(rows))
	parallelChunks(len(rows), workers, func(lo, hi int) {
		e := enc.Clone()
		e.Logits(sorted[lo:hi], logit[lo:hi])
	})
	if at != nil {
		inOrder := make([]float64, len(rows))
		for k, j := range at {
			inOrder[j] = logit[k]
		}
		logit = inOrder
	}
	return probabilities(m, logit), logit
}

// sortedRows returns rows sorted ascending, and at: at[k] is the position
// in rows of sorted[k] (ties in position order). Each row and its
// position are packed into one key, which sortKeys sorts by radix: rows
// are a table's, below 2³².
func sortedRows(rows []int) (at, sorted []int) {
	keys := make([]uint64, len(rows))
	for k, i := range rows {
		if uint64(i) >= 1<<32 {
			panic("train: a row index of 2³² or more")
		}
		keys[k] = uint64(i)<<32 | uint64(k)
	}
	sortKeys(keys)
	at, sorted = make([]int, len(rows)), make([]int, len(rows))
	for k, key := range keys {
		at[k], sorted[k] = int(key&(1<<32-1)), int(key>>32)
	}
	return at, sorted
}

// probabilities returns m's probabilities of raw log-odds.
func probabilities(m *predict.Model, logits []float64) []float64 {
	p := make([]float64, len(logits))
	for j, z := range logits {
		p[j] = m.Probability(z)
	}
	return p
}

// evaluate measures m on the rows and returns the metrics with its
// probabilities and their ranking.
func evaluate(m *predict.Model, t *features.Table, y []bool, rows []int, seed uint64, workers int) (predict.Metrics, []float64, ranking) {
	p, logits := scoreRows(m, t, rows, workers)
	yv := pick(y, rows)
	met := predict.Metrics{AUC: AUC(p, yv), LogLoss: LogLoss(p, yv), Brier: Brier(p, yv), Rows: len(rows), Positives: countTrue(y, rows)}
	met.BaseRate = float64(met.Positives) / float64(met.Rows)
	met.AUCLow, met.AUCHigh = AUCInterval(p, yv, 1000, seed)
	r := rank(p, yv)
	met.PRAUC, met.KS = r.averagePrecision(yv), r.ks(p, yv)
	met.ECE, met.ECERaw = ECE(p, yv), ECE(probs(nil, logits), yv)
	met.Calibration = m.Calibration.Method
	met.CalibrationTable, met.Deciles = CalibrationTable(p, yv), r.deciles(yv)
	return met, p, r
}

// IDColumn is the row id column: ID, or entity_id.
func (c *Config) IDColumn() string { return cmp.Or(c.ID, "entity_id") }

func (c *Config) folds() int {
	if c.Folds == 0 {
		return 5
	}
	return c.Folds
}

func (c *Config) workers() int {
	if c.Workers == 0 {
		return 2
	}
	return c.Workers
}

func (c *Config) model() predict.ModelType {
	if c.Model == "" {
		return predict.TypeLogistic
	}
	return c.Model
}
