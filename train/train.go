package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"

	"leadscore/features"
	"leadscore/predict"
)

// Config configures Train. The zero value of each optional field means its
// default.
type Config struct {
	// Label is the outcome column. Required.
	Label string
	// Positive is the label value counted as a success; "" accepts true, 1,
	// yes, won (case-insensitive) as positive and their opposites as
	// negative.
	Positive string
	// Negative, with Positive, is the value counted as a failure; rows with
	// any other value (open deals, say) have no outcome yet and are left
	// out, counted in the log. Without it every other value is a failure.
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

	// Source names the training data in the model's metadata.
	Source string

	compared *predict.Metrics // Compare's metrics, once measured
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

// Labels reads the label column as booleans. A missing or unrecognised
// value is an error naming the row.
func Labels(t *features.Table, label, positive string) ([]bool, error) {
	c := t.Column(label)
	if c == nil {
		return nil, fmt.Errorf("train: label column %q not in the table (have %s)", label, strings.Join(t.Names(), ", "))
	}
	y := make([]bool, t.NumRows())
	for i := range y {
		if c.Kind == features.KindBool {
			y[i] = c.Bool[i]
			continue
		}
		if c.IsNull(i) {
			return nil, fmt.Errorf("train: row %d: label %q is missing", i+1, label)
		}
		s := c.Text(i)
		if positive != "" {
			y[i] = s == positive
			continue
		}
		v, ok := features.ParseBool(s)
		if !ok {
			return nil, fmt.Errorf("train: row %d: label %q = %q is not true/false, 1/0, yes/no or won/lost (use --positive VALUE)", i+1, label, s)
		}
		y[i] = v
	}
	return y, nil
}

// Split returns the training and validation row indexes: out of time when
// times is non-nil (rows sorted by time, ties by row order; the last
// fraction validates), else stratified at random with the seed.
func Split(y []bool, times []time.Time, fraction float64, seed uint64) (trainRows, validRows []int) {
	n := len(y)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if times != nil {
		slices.SortStableFunc(idx, func(a, b int) int { return times[a].Compare(times[b]) })
		cut := n - int(math.Round(fraction*float64(n)))
		return idx[:cut], idx[cut:]
	}
	r := rand.New(rand.NewPCG(seed, 0x5b1))
	var pos, neg []int
	for _, i := range idx {
		if y[i] {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	for _, g := range [][]int{pos, neg} {
		r.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
		k := int(math.Round(fraction * float64(len(g))))
		validRows = append(validRows, g[:k]...)
		trainRows = append(trainRows, g[k:]...)
	}
	slices.Sort(trainRows)
	slices.Sort(validRows)
	return trainRows, validRows
}

// Train fits a logistic regression on a table and measures it on held-out
// rows. Preprocessing (imputation, standardisation, one-hot levels) is
// learned from the training rows only and stored in the model.
//
// Features are every column but the label, the id, the time column, Drop,
// the pass-through columns named in the table's leadscore.passthrough
// metadata, time columns, and the feature stage's text and rule columns
// (missing_fields, rule_awards, rule_points*: predict blends rule points in
// itself). Float columns are numeric, string and bool columns categorical.
func Train(ctx context.Context, t *features.Table, cfg Config) (*predict.Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	if cfg.Negative != "" {
		if cfg.Positive == "" {
			return nil, errors.New("train: Config.Negative needs Config.Positive")
		}
		c := t.Column(cfg.Label)
		if c == nil {
			return nil, fmt.Errorf("train: label column %q not in the table", cfg.Label)
		}
		var keep []int
		other := map[string]int{}
		for i := range t.NumRows() {
			if v := c.Text(i); v == cfg.Positive || v == cfg.Negative {
				keep = append(keep, i)
			} else {
				other[v]++
			}
		}
		if len(keep) < t.NumRows() {
			log.Info("rows without an outcome left out", "rows", t.NumRows()-len(keep), "values", fmt.Sprint(other))
			t = t.Rows(keep)
		}
	}
	y, err := Labels(t, cfg.Label, cfg.Positive)
	if err != nil {
		return nil, err
	}
	frac := cfg.ValidFraction
	if frac == 0 {
		frac = 0.2
	}
	var times []time.Time
	if cfg.TimeColumn != "" {
		c := t.Column(cfg.TimeColumn)
		if c == nil || c.Kind != features.KindTime {
			return nil, fmt.Errorf("train: time column %q is not a timestamp column of the table", cfg.TimeColumn)
		}
		times = c.Time
	}
	trainRows, validRows := Split(y, times, frac, cfg.Seed)
	if cfg.ValidRows != nil {
		isValid := make([]bool, len(y))
		for _, i := range cfg.ValidRows {
			if i < 0 || i >= len(y) {
				return nil, fmt.Errorf("train: Config.ValidRows: row %d out of range (%d rows)", i, len(y))
			}
			isValid[i] = true
		}
		trainRows, validRows = trainRows[:0], validRows[:0]
		for i, v := range isValid {
			if v {
				validRows = append(validRows, i)
			} else {
				trainRows = append(trainRows, i)
			}
		}
	}
	minClass := cfg.MinClass
	if minClass == 0 {
		minClass = 50
	}
	tp := countTrue(y, trainRows)
	if tp < minClass || len(trainRows)-tp < minClass {
		return nil, &TooFewError{Positives: tp, Negatives: len(trainRows) - tp, Min: minClass}
	}
	vp := countTrue(y, validRows)
	if vp == 0 || vp == len(validRows) {
		return nil, fmt.Errorf("train: the validation rows (%d) hold only one class; an honest AUC needs both", len(validRows))
	}
	m := &predict.Model{Type: cfg.model(), Label: cfg.Label, Positive: cfg.Positive}
	yTrain := pick(y, trainRows)
	var oof []float64
	var fold []int
	k := cfg.folds()
	var calY []bool // the rows calibration is fitted on, when not yTrain
	switch m.Type {
	case predict.TypeGBDT:
		gbdtInputs(m, t, cfg, trainRows)
		if len(m.Features) == 0 {
			return nil, errors.New("train: no usable feature columns")
		}
		oof, calY, err = fitGBDT(ctx, m, t, y, trainRows, times, cfg, log)
		if err != nil {
			return nil, err
		}
		fold = stratifiedFolds(calY, k, cfg.Seed)
	case predict.TypeNaiveBayes:
		nbInputs(m, t, cfg, trainRows)
		if len(m.Features) == 0 {
			return nil, errors.New("train: no usable feature columns")
		}
		fold = stratifiedFolds(yTrain, k, cfg.Seed)
		oof = nbOutOfFold(m, t, y, trainRows, fold, k)
		fitNB(m, t, y, trainRows)
	default:
		if err := fitPreprocessing(m, t, cfg, trainRows); err != nil {
			return nil, err
		}
		log.Debug("preprocessing fitted", "design_columns", len(m.Design), "elapsed", time.Since(start).Round(time.Millisecond))
		xTrain := compactDesign(m, t, trainRows, cfg.workers())
		log.Debug("design encoded", "elapsed", time.Since(start).Round(time.Millisecond))
		cv, err := crossValidate(ctx, xTrain, yTrain, cfg, log)
		if err != nil {
			return nil, err
		}
		m.Logistic, oof, fold = cv.lr, cv.oof, cv.fold
		log.Debug("fitted", "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if calY == nil {
		calY = yTrain
	}
	// Distributions and the training AUC are measured on at most
	// sampleRows training rows, evenly spread: plenty for deciles and an
	// overfitting check, and cheap on millions of rows.
	sampled := evenly(trainRows, sampleRows)
	parallelFor(len(m.Features), cfg.workers(), func(k int) {
		f := &m.Features[k]
		f.Distribution = predict.DistributionOf(f, t.Column(f.Name), sampled)
	})
	// Calibration is fitted on the out-of-fold predictions of the training
	// rows (a tree model's held-out training rows): the validation rows
	// never touch it.
	cal, calLoss, err := chooseCalibration(ctx, oof, calY, fold, k)
	if err != nil {
		return nil, err
	}
	m.Calibration = cal
	log.Debug("calibrated", "method", cal.Method, "elapsed", time.Since(start).Round(time.Millisecond))
	var validP []float64
	m.Metrics, validP = evaluate(m, t, y, validRows, cfg.Seed, cfg.workers())
	m.Metrics.CalibrationCVLoss = calLoss
	log.Debug("evaluated", "elapsed", time.Since(start).Round(time.Millisecond))
	trainP, _ := scoreRows(m, t, sampled, cfg.workers())
	m.Metrics.TrainAUC = AUC(trainP, pick(y, sampled))
	if cfg.ValidRows != nil {
		m.Metrics.Split = fmt.Sprintf("given validation rows (%d)", len(validRows))
	} else if times != nil {
		m.Metrics.Split = fmt.Sprintf("out-of-time on %s: earliest %.0f%% train, latest %.0f%% validate", cfg.TimeColumn, 100*(1-frac), 100*frac)
		m.Training.TimeColumn = cfg.TimeColumn
		m.Training.WindowStart = times[trainRows[0]].Format(time.RFC3339)
		m.Training.WindowEnd = times[trainRows[len(trainRows)-1]].Format(time.RFC3339)
		m.Training.ValidStart = times[validRows[0]].Format(time.RFC3339)
	} else {
		m.Metrics.Split = fmt.Sprintf("random stratified, %.0f%% validate, seed %d", 100*frac, cfg.Seed)
	}
	m.Training.Rows, m.Training.Positives, m.Training.Seed, m.Training.Source = len(trainRows), tp, cfg.Seed, cfg.Source
	m.Training.DataFingerprint, m.Training.ConfigHash = fingerprintTable(t), cfg.hash()
	m.NoBetterThanChance = !(m.Metrics.AUCLow > 0.5)
	if _, ok := t.Meta[features.MetaSpec]; ok {
		spec, err := t.Resolved()
		if err != nil {
			return nil, err
		}
		m.FeatureSpec = &spec
	}
	desc, err := t.Descriptors()
	if err != nil {
		return nil, err
	}
	for k := range m.Features {
		if d, ok := desc[m.Features[k].Name]; ok {
			m.Features[k].Desc = &d
		}
	}
	if cfg.Compare != nil {
		if _, err := predict.NewEncoder(cfg.Compare, t); err != nil {
			return nil, fmt.Errorf("train: --compare model %s does not fit this table: %w", cfg.Compare.ID, err)
		}
		prev, _ := evaluate(cfg.Compare, t, y, validRows, cfg.Seed, cfg.workers())
		m.Metrics.Extra = predict.JSONObject{"previous_auc": prev.AUC, "previous_log_loss": prev.LogLoss, "previous_brier": prev.Brier}
		cfg.compared = &prev
	}
	if m.Trees != nil {
		m.Trees.ShapImportance = shapImportance(m, t, validRows, cfg.workers())
	}
	if err := m.Finish(); err != nil {
		return nil, err
	}
	if cfg.Report != nil {
		if err := writeReport(cfg.Report, m, validP, pick(y, validRows), cfg.compared); err != nil {
			return nil, fmt.Errorf("train: report: %w", err)
		}
	}
	log.Info("trained", "model", m.Type, "rows_train", len(trainRows), "rows_valid", len(validRows), "features", len(m.Features),
		"design_columns", len(m.Design), "calibration", m.Calibration.Method, "auc", round4(m.Metrics.AUC), "auc_ci_low", round4(m.Metrics.AUCLow), "auc_ci_high", round4(m.Metrics.AUCHigh),
		"duration", time.Since(start).Round(time.Millisecond))
	if m.NoBetterThanChance {
		log.Warn("model is no better than chance: the validation AUC's 95% interval includes 0.5; predict will rank by rule points alone",
			"auc", round4(m.Metrics.AUC), "auc_ci_low", round4(m.Metrics.AUCLow))
	}
	return m, nil
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

func countTrue(y []bool, rows []int) int {
	n := 0
	for _, i := range rows {
		if y[i] {
			n++
		}
	}
	return n
}

func pick[T any](v []T, rows []int) []T {
	out := make([]T, len(rows))
	for j, i := range rows {
		out[j] = v[i]
	}
	return out
}

// excluded reports whether a column is never a feature.
func excluded(name string, t *features.Table, cfg Config) bool {
	id := cfg.ID
	if id == "" {
		id = "entity_id"
	}
	if name == cfg.Label || name == id || name == cfg.TimeColumn || slices.Contains(cfg.Drop, name) {
		return true
	}
	if name == "ts" && t.Meta[features.MetaPassthrough] != "" || name == "missing_fields" || name == "rule_awards" ||
		strings.HasPrefix(name, "rule_points") {
		return true
	}
	return slices.Contains(strings.Split(t.Meta[features.MetaPassthrough], ","), name)
}

// skewLog1p is the sample skewness above which a non-negative numeric
// feature is log1p-transformed.
const skewLog1p = 2.0

// Level pooling: a categorical level needs at least this many training rows
// (and this share of them) to get its own column; at most maxLevels do.
const (
	minLevelRows  = 10
	minLevelShare = 0.001
	maxLevels     = 50
)

func fitPreprocessing(m *predict.Model, t *features.Table, cfg Config, rows []int) error {
	// Columns are learned independently, on every worker, and kept in
	// table order.
	type learned struct {
		f      predict.Feature
		design []predict.DesignColumn
	}
	out := make([]learned, len(t.Columns))
	parallelFor(len(t.Columns), cfg.workers(), func(ci int) {
		c := &t.Columns[ci]
		if excluded(c.Name, t, cfg) || c.Kind == features.KindTime {
			return
		}
		l := &out[ci]
		if c.Kind == features.KindFloat && !slices.Contains(cfg.Categorical, c.Name) {
			l.f, l.design = learnNumeric(c, rows)
		} else {
			l.f, l.design = learnCategorical(c, rows)
		}
	})
	for _, l := range out {
		if len(l.design) == 0 {
			continue // excluded, or constant: carries no information
		}
		for k := range l.design {
			l.design[k].Feature = len(m.Features)
		}
		m.Features = append(m.Features, l.f)
		m.Design = append(m.Design, l.design...)
	}
	if len(m.Design) == 0 {
		return errors.New("train: no usable feature columns (every column is excluded, constant or empty)")
	}
	return nil
}

// learnNumeric learns a numeric column's imputation, log1p decision and
// standardisation; no design columns when it is constant or empty.
func learnNumeric(c *features.Column, rows []int) (predict.Feature, []predict.DesignColumn) {
	vals := make([]float64, 0, len(rows))
	missing := 0
	for _, i := range rows {
		if math.IsNaN(c.Float[i]) {
			missing++
		} else {
			vals = append(vals, c.Float[i])
		}
	}
	if len(vals) == 0 {
		return predict.Feature{}, nil
	}
	f := predict.Feature{Name: c.Name, Kind: predict.Numeric, Impute: median(vals)}
	// Counts, sums and durations are skewed; log1p makes them fit a linear
	// model's scale. The decision is learned on training rows like the rest.
	if floats.Min(vals) >= 0 && stat.Skew(vals, nil) > skewLog1p {
		f.Log1p = true
	}
	imputed := make([]float64, 0, len(rows))
	ind := make([]float64, 0, len(rows))
	for _, i := range rows {
		v, miss := c.Float[i], 0.0
		if math.IsNaN(v) {
			v, miss = f.Impute, 1
		}
		if f.Log1p {
			v = math.Log1p(v)
		}
		imputed = append(imputed, v)
		ind = append(ind, miss)
	}
	var design []predict.DesignColumn
	if mean, sd := meanStd(imputed); sd > 0 {
		design = append(design, predict.DesignColumn{Name: c.Name, Role: predict.RoleValue, Mean: mean, Scale: sd})
	}
	if missing > 0 {
		if mean, sd := meanStd(ind); sd > 0 {
			design = append(design, predict.DesignColumn{Name: c.Name + "__missing", Role: predict.RoleMissing, Mean: mean, Scale: sd})
		}
	}
	return f, design
}

// learnCategorical learns a categorical column's levels (the frequent
// ones; the rest pool as OtherLevel) and their indicator columns.
func learnCategorical(c *features.Column, rows []int) (predict.Feature, []predict.DesignColumn) {
	// One map lookup per row: each distinct value gets an id, counted.
	ids := map[string]int32{}
	var values []string
	var count []int
	id := make([]int32, len(rows)) // −1: missing
	for j, i := range rows {
		if c.IsNull(i) {
			id[j] = -1
			continue
		}
		v := c.Text(i)
		k, ok := ids[v]
		if !ok {
			k = int32(len(values))
			ids[v] = k
			values, count = append(values, v), append(count, 0)
		}
		id[j] = k
		count[k]++
	}
	counts := make(map[string]int, len(values))
	for k, v := range values {
		counts[v] = count[k]
	}
	levels := levelsByCount(counts)
	minRows := max(minLevelRows, int(minLevelShare*float64(len(rows))))
	var kept []string
	for _, l := range levels {
		if counts[l] >= minRows && len(kept) < maxLevels {
			kept = append(kept, l)
		}
	}
	slices.Sort(kept)
	f := predict.Feature{Name: c.Name, Kind: predict.Categorical, Levels: kept}
	// Each row's level, once: an index into all (the kept levels, then
	// OtherLevel and MissingLevel).
	all := append(slices.Clone(kept), predict.OtherLevel, predict.MissingLevel)
	levelOf := make([]int, len(values)) // value id → index in all
	for k, v := range values {
		levelOf[k] = len(all) - 2
		if at, ok := slices.BinarySearch(kept, v); ok {
			levelOf[k] = at
		}
	}
	level := make([]int, len(rows))
	for j, k := range id {
		if k < 0 {
			level[j] = len(all) - 1
		} else {
			level[j] = levelOf[k]
		}
	}
	var design []predict.DesignColumn
	// A level's indicator has mean m = its share of the rows and
	// population standard deviation √(m(1−m)); a level on no row or on
	// every row is constant and gets no column.
	on := make([]int, len(all))
	for _, k := range level {
		on[k]++
	}
	for k, l := range all {
		if on[k] == 0 || on[k] == len(rows) {
			continue
		}
		mean := float64(on[k]) / float64(len(rows))
		design = append(design, predict.DesignColumn{Name: c.Name + "=" + l, Role: predict.RoleLevel, Level: l, Mean: mean, Scale: math.Sqrt(mean * (1 - mean))})
	}
	return f, design
}

// levelsByCount returns the levels, most frequent first, ties in order.
func levelsByCount(counts map[string]int) []string {
	levels := make([]string, 0, len(counts))
	for l := range counts {
		levels = append(levels, l)
	}
	sort.Slice(levels, func(a, b int) bool {
		if counts[levels[a]] != counts[levels[b]] {
			return counts[levels[a]] > counts[levels[b]]
		}
		return levels[a] < levels[b]
	})
	return levels
}

// median returns the lower median of x, stat.Quantile(0.5, stat.Empirical)
// of the sorted values: the ⌈n/2⌉-th smallest. It reorders x, selecting
// in linear time instead of sorting.
func median(x []float64) float64 {
	k := (len(x)+1)/2 - 1
	lo, hi := 0, len(x) // the k-th smallest is in x[lo:hi]
	for rounds := 0; hi-lo > 16; rounds++ {
		if rounds > 64 { // an unlucky run of pivots: sort what is left
			break
		}
		// Median-of-three pivot, then a three-way partition:
		// [lo, lt) < pivot, [lt, gt) = pivot, [gt, hi) > pivot.
		a, b, c := x[lo], x[lo+(hi-lo)/2], x[hi-1]
		pivot := max(min(a, b), min(max(a, b), c))
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch v := x[i]; {
			case v < pivot:
				x[lt], x[i] = x[i], x[lt]
				lt++
				i++
			case v > pivot:
				gt--
				x[gt], x[i] = x[i], x[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return pivot
		}
	}
	slices.Sort(x[lo:hi])
	return x[k]
}

// meanStd returns the mean and the population standard deviation.
func meanStd(x []float64) (float64, float64) {
	mean, sd := stat.PopMeanStdDev(x, nil)
	if sd < 1e-12*math.Max(1, math.Abs(mean)) {
		sd = 0
	}
	return mean, sd
}

// compactDesign encodes the given rows into the standardised design
// matrix in compact form (predict.Layout): 8 bytes per row per dense
// column and 4 per categorical feature, however many levels it has.
func compactDesign(m *predict.Model, t *features.Table, rows []int, workers int) *design {
	enc, err := predict.NewEncoder(m, t)
	if err != nil {
		panic("train: encoder on its own training table: " + err.Error()) // the columns were just read from t
	}
	l := predict.NewLayout(m)
	nd, ng := len(l.Dense), len(l.Groups)
	d := &design{n: len(rows), p: len(m.Design), denseCols: l.Dense, dense: make([]float64, len(rows)*nd), slots: make([]int32, len(rows)*ng)}
	for _, g := range l.Groups {
		lc := levelColumns{cols: g.Cols}
		for _, j := range g.Cols {
			lc.mean = append(lc.mean, m.Design[j].Mean)
			lc.scale = append(lc.scale, m.Design[j].Scale)
		}
		d.groups = append(d.groups, lc)
	}
	parallelChunks(len(rows), workers, func(lo, hi int) {
		enc.CompactRows(l, rows[lo:hi], d.dense[lo*nd:hi*nd], d.slots[lo*ng:hi*ng])
	})
	return d
}

// scoreRows returns the model's probabilities and raw log-odds for rows of
// t, as predict computes them.
func scoreRows(m *predict.Model, t *features.Table, rows []int, workers int) ([]float64, []float64) {
	enc, err := predict.NewEncoder(m, t)
	if err != nil {
		panic("train: encoder on its own training table: " + err.Error()) // the columns were just read from t
	}
	prob, logit := make([]float64, len(rows)), make([]float64, len(rows))
	parallelChunks(len(rows), workers, func(lo, hi int) {
		e := enc.Clone()
		e.Logits(rows[lo:hi], logit[lo:hi])
		for j := lo; j < hi; j++ {
			prob[j] = m.Probability(logit[j])
		}
	})
	return prob, logit
}

// evaluate measures m on the rows and returns the metrics with its
// probabilities.
func evaluate(m *predict.Model, t *features.Table, y []bool, rows []int, seed uint64, workers int) (predict.Metrics, []float64) {
	p, logits := scoreRows(m, t, rows, workers)
	yv := pick(y, rows)
	met := predict.Metrics{AUC: AUC(p, yv), LogLoss: LogLoss(p, yv), Brier: Brier(p, yv), Rows: len(rows), Positives: countTrue(y, rows)}
	met.BaseRate = float64(met.Positives) / float64(met.Rows)
	met.AUCLow, met.AUCHigh = AUCInterval(p, yv, 1000, seed)
	met.PRAUC, met.KS = PRAUC(p, yv), KS(p, yv)
	met.ECE, met.ECERaw = ECE(p, yv), ECE(probs(nil, logits), yv)
	met.Calibration = m.Calibration.Method
	met.CalibrationTable, met.Deciles = CalibrationTable(p, yv), Deciles(p, yv)
	return met, p
}

// stratifiedFolds assigns rows to k folds, each class shuffled with the seed
// and dealt round-robin.
func stratifiedFolds(y []bool, k int, seed uint64) []int {
	fold := make([]int, len(y))
	r := rand.New(rand.NewPCG(seed, 0xcf))
	for _, cls := range []bool{true, false} {
		var idx []int
		for i, v := range y {
			if v == cls {
				idx = append(idx, i)
			}
		}
		r.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for j, i := range idx {
			fold[i] = j % k
		}
	}
	return fold
}

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

// cvResult is what cross-validation on the training rows yields.
type cvResult struct {
	c    float64           // the chosen C
	lr   *predict.Logistic // fitted on all training rows at c
	oof  []float64         // out-of-fold logits at c, per training row
	fold []int             // each training row's fold
	k    int
}

// crossValidate picks the C of the grid (or Config.C alone, when set) with
// the lowest mean validation log loss over k stratified folds of the
// training rows, and keeps the out-of-fold logits at that C for
// calibration, and the fit on all training rows at that C. The folds
// reuse the preprocessing fitted on all training rows; validation rows
// never take part.
func crossValidate(ctx context.Context, x *design, y []bool, cfg Config, log *slog.Logger) (cvResult, error) {
	grid := cfg.CGrid
	if grid == nil {
		grid = []float64{0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 10}
	}
	if cfg.C != 0 {
		grid = []float64{cfg.C}
	}
	k := cfg.folds()
	n := len(y)
	fold := stratifiedFolds(y, k, cfg.Seed)
	train, held := make([][]int, k), make([][]int, k)
	for i, f := range fold {
		held[f] = append(held[f], i)
		for g := range k {
			if g != f {
				train[g] = append(train[g], i)
			}
		}
	}
	best := cvResult{fold: fold, k: k}
	bestLoss := math.Inf(1)
	for _, c := range grid {
		oof := make([]float64, n)
		for f := range k {
			lr, err := fitLogistic(ctx, x, y, LogisticConfig{C: c, Workers: cfg.Workers, Rows: train[f]})
			if err != nil {
				return cvResult{}, fmt.Errorf("train: cross-validation fold %d, C=%g: %w", f+1, c, err)
			}
			out := make([]float64, len(held[f]))
			x.logits(lr, held[f], out)
			for j, i := range held[f] {
				oof[i] = out[j]
			}
		}
		loss := LogLoss(probs(nil, oof), y)
		log.Debug("cross-validation", "c", c, "log_loss", loss)
		if loss < bestLoss {
			best.c, best.oof, bestLoss = c, oof, loss
		}
	}
	log.Info("cross-validated", "c", best.c, "folds", k, "cv_log_loss", round4(bestLoss), "grid", len(grid))
	lr, err := fitLogistic(ctx, x, y, LogisticConfig{C: best.c, Workers: cfg.Workers})
	if err != nil {
		return cvResult{}, err
	}
	best.lr = lr
	return best, nil
}

// fingerprintTable hashes a table's column names, kinds and values (floats
// by their bits, times as Unix nanoseconds).
func fingerprintTable(t *features.Table) string {
	// Each column is hashed on its own (on every core), then the column
	// hashes in order.
	sums := make([][sha256.Size]byte, len(t.Columns))
	parallelFor(len(t.Columns), 2, func(i int) {
		c := &t.Columns[i]
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%s\x00", c.Name, c.Kind)
		var buf []byte
		for r := range c.Len() {
			switch c.Kind {
			case features.KindFloat:
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(c.Float[r]))
			case features.KindString:
				buf = append(append(buf, c.Str[r]...), 0)
			case features.KindBool:
				buf = append(buf, b2byte(c.Bool[r]))
			case features.KindTime:
				buf = binary.LittleEndian.AppendUint64(buf, uint64(c.Time[r].UnixNano()))
			}
			if len(buf) > 1<<16 {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
		h.Sum(sums[i][:0])
	})
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func b2byte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// gbdtForHash is the GBDT configuration that shapes a gbdt model (none for
// the other models), without the worker count.
func gbdtForHash(c *Config) GBDTConfig {
	if c.model() != predict.TypeGBDT {
		return GBDTConfig{}
	}
	g := c.GBDT.withDefaults()
	g.Workers = 0
	return g
}

// hash is a short hash of everything in the configuration that shapes the
// model (not the logger or the writers).
func (c *Config) hash() string {
	b, _ := json.Marshal(struct {
		Label, Positive, Negative, ID, TimeColumn string
		Model                                     predict.ModelType
		Drop, Categorical                         []string
		ValidFraction, C                          float64
		CGrid                                     []float64
		Folds, MinClass, ValidRows                int
		Seed                                      uint64
		GBDT                                      GBDTConfig
	}{c.Label, c.Positive, c.Negative, c.ID, c.TimeColumn, c.model(), c.Drop, c.Categorical, c.ValidFraction, c.C, c.CGrid,
		c.folds(), c.MinClass, len(c.ValidRows), c.Seed, gbdtForHash(c)})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}
