package predict

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"leadscore/features"
)

// FormatVersion is the version of the model.json layout.
const FormatVersion = 1

// ModelType names a model's kind in model.json.
type ModelType string

// Model types.
const (
	TypeLogistic   ModelType = "logistic"
	TypeNaiveBayes ModelType = "naive_bayes"
	TypeGBDT       ModelType = "gbdt"
)

// FeatureKind says how an input is used: by its value or by its level.
type FeatureKind string

// Feature kinds.
const (
	Numeric     FeatureKind = "numeric"
	Categorical FeatureKind = "categorical"
)

// Role is what a design column of a logistic model holds.
type Role string

// Design column roles.
const (
	RoleValue   Role = "value"   // a numeric feature's standardised value
	RoleMissing Role = "missing" // its missing-value indicator
	RoleLevel   Role = "level"   // a categorical level's indicator
)

// Model is a trained model with everything needed to score a table: the
// input features and their preprocessing, the fitted parameters, and what
// the training measured. It is stored as model.json.
type Model struct {
	FormatVersion int       `json:"format_version"`
	ID            string    `json:"id"` // content hash, set by Finish
	Type          ModelType `json:"type"`
	// Label is the outcome column the model was trained on; Positive its
	// positive value as text.
	Label    string `json:"label"`
	Positive string `json:"positive,omitempty"`
	// Features are the input columns, in design order.
	Features []Feature `json:"features"`
	// Design describes each column of the design matrix.
	Design   []DesignColumn `json:"design"`
	Logistic *Logistic      `json:"logistic,omitempty"`
	// NaiveBayes holds the tables of a "naive_bayes" model.
	NaiveBayes *NaiveBayes `json:"naive_bayes,omitempty"`
	// Trees holds the ensemble of a "gbdt" model.
	Trees *Trees `json:"trees,omitempty"`
	// Calibration maps the logistic model's log-odds to probabilities.
	Calibration *Calibration `json:"calibration,omitempty"`
	// FeatureSpec is the resolved feature spec of the training table (event
	// types, windows, aggregations); the scoring table is built with it.
	FeatureSpec *features.Spec `json:"feature_spec,omitempty"`
	// Read says how the text columns of a flat training table were read
	// (number formats, date patterns), so that a table scored with the
	// model is read alike.
	Read []features.ColumnRead `json:"read,omitempty"`
	// Target is the question the model answers and the population it was
	// trained on, from the training table; nil for a flat table or a
	// table of deal openings built without one. A scoring table must hold
	// the same population (PopulationError).
	Target *features.Target `json:"target,omitempty"`
	// Blend is the model weight chosen on the validation rows, when the
	// training table holds rule points; predict uses it unless told a
	// weight.
	Blend   *Blend  `json:"blend,omitempty"`
	Metrics Metrics `json:"metrics"`
	// NoBetterThanChance is set when the validation AUC's 95% interval
	// includes 0.5; predict then ranks by rule points alone.
	NoBetterThanChance bool     `json:"no_better_than_chance"`
	Training           Training `json:"training"`
}

// Blend is how the model's probability and the rule points were weighed on
// the validation rows: the blended score w·p + (1 − w)·clamp(r/R, −1, 1) of
// each candidate weight w, judged by its AUC (ties to the larger weight),
// with its precision in the top 100 beside it.
type Blend struct {
	ModelWeight float64      `json:"model_weight"`
	RulesMax    float64      `json:"rules_max"`
	Candidates  []BlendPoint `json:"candidates"`
}

// BlendPoint is one candidate weight's result on the validation rows.
type BlendPoint struct {
	ModelWeight    float64 `json:"model_weight"`
	AUC            float64 `json:"auc"`
	PrecisionAt100 float64 `json:"precision_at_100"`
}

// Feature is an input column and how it is preprocessed.
type Feature struct {
	Name string      `json:"name"`
	Kind FeatureKind `json:"kind"`
	// Desc says what a generated feature measures (features.Descriptor),
	// for reasons in words; nil for a column of a flat table.
	Desc *features.Descriptor `json:"desc,omitempty"`
	// Impute replaces a missing numeric value (the training median).
	Impute float64 `json:"impute,omitempty"`
	// Log1p says the value is transformed by log(1 + x) before
	// standardisation (skewed non-negative features such as counts).
	Log1p bool `json:"log1p,omitempty"`
	// Levels are the categorical levels with their own design column; any
	// other level (rare in training or unseen) maps to OtherLevel.
	Levels []string `json:"levels,omitempty"`
	// Distribution is the training rows' distribution, for drift checks.
	Distribution *Distribution `json:"distribution,omitempty"`
}

// Special categorical levels.
const (
	OtherLevel   = "(other)"
	MissingLevel = "(missing)"
)

// DesignColumn is one column of the design matrix: the standardised value
// (x − Mean) / Scale of a numeric feature ("value"), of its missing
// indicator ("missing"), or of a categorical level's indicator ("level").
type DesignColumn struct {
	Name    string  `json:"name"`
	Feature int     `json:"feature"`
	Role    Role    `json:"role"`
	Level   string  `json:"level,omitempty"`
	Mean    float64 `json:"mean"`
	Scale   float64 `json:"scale"`
}

// Logistic holds a logistic regression: P(y=1|x) = σ(Intercept + Σ Coef·z),
// with z the standardised design row.
type Logistic struct {
	Intercept float64   `json:"intercept"`
	Coef      []float64 `json:"coef"`
	C         float64   `json:"c"` // inverse L2 strength used in training
}

// Metrics are measured on the validation rows.
type Metrics struct {
	AUC       float64 `json:"auc"`
	AUCLow    float64 `json:"auc_ci_low"`
	AUCHigh   float64 `json:"auc_ci_high"`
	LogLoss   float64 `json:"log_loss"`
	Brier     float64 `json:"brier"`
	BaseRate  float64 `json:"base_rate"`
	Rows      int     `json:"rows"`
	Positives int     `json:"positives"`
	Split     string  `json:"split"`
	TrainAUC  float64 `json:"train_auc"`
	PRAUC     float64 `json:"pr_auc"`
	KS        float64 `json:"ks"`
	// ECE is the expected calibration error of the calibrated
	// probabilities, ECERaw that of the raw ones.
	ECE               float64            `json:"ece"`
	ECERaw            float64            `json:"ece_raw"`
	Calibration       string             `json:"calibration"`
	CalibrationCVLoss map[string]float64 `json:"calibration_cv_log_loss,omitempty"`
	CalibrationTable  []CalibrationBin   `json:"calibration_table,omitempty"`
	Deciles           []Decile           `json:"deciles,omitempty"`
	// PrecisionAt is what a call list of the k best validation rows
	// holds: the share of positives among them, averaged over the
	// validation dates (a snapshot table has one list per date), and its
	// lift over the base rate.
	PrecisionAt []AtK      `json:"precision_at,omitempty"`
	Extra       JSONObject `json:"extra,omitempty"`
}

// CalibrationBin is a row of the calibration table.
type CalibrationBin struct {
	Low           float64 `json:"low"`
	High          float64 `json:"high"`
	Count         int     `json:"count"`
	MeanPredicted float64 `json:"mean_predicted"`
	Observed      float64 `json:"observed"`
}

// Decile is a row of the lift and gain table (decile 1 holds the highest
// scores).
type Decile struct {
	Decile    int       `json:"decile"`
	Rows      int       `json:"rows"`
	Positives int       `json:"positives"`
	Lift      Undefined `json:"lift"` // undefined when no row is positive
	Gain      Undefined `json:"gain"` // undefined when no row is positive
}

// AtK is the precision of the top k rows and its lift over the base rate.
type AtK struct {
	K         int       `json:"k"`
	Precision float64   `json:"precision"`
	Lift      Undefined `json:"lift"`  // undefined when no row is positive
	Lists     int       `json:"lists"` // call lists averaged (validation dates with at least k rows)
}

// Undefined is a measure that may have no value (NaN): the AUC of a list
// in which every lead converted or none did, a lift or gain of one in
// which none did. JSON holds it as null, and reads null back as NaN.
type Undefined float64

// Fixed writes u with d decimals, "-" when it is undefined.
func (u Undefined) Fixed(d int) string {
	if math.IsNaN(float64(u)) {
		return "-"
	}
	return fmt.Sprintf("%.*f", d, float64(u))
}

// MarshalJSON writes NaN as null.
func (u Undefined) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(u)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(u))
}

// UnmarshalJSON reads null as NaN.
func (u *Undefined) UnmarshalJSON(b []byte) error {
	var v *float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*u = Undefined(math.NaN())
	if v != nil {
		*u = Undefined(*v)
	}
	return nil
}

// Percent writes u as a percentage with one decimal, "-" when it is
// undefined.
func (u Undefined) Percent() string {
	if math.IsNaN(float64(u)) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(u))
}

// JSONObject holds optional extra metrics.
type JSONObject map[string]float64

// Training records what the model was trained on.
type Training struct {
	Rows       int    `json:"rows"`
	Positives  int    `json:"positives"`
	TimeColumn string `json:"time_column,omitempty"`
	// IDColumn is the id column a flat table was trained with (train
	// --id), which predict --table then takes as its own.
	IDColumn    string `json:"id_column,omitempty"`
	WindowStart string `json:"window_start,omitempty"`
	WindowEnd   string `json:"window_end,omitempty"`
	ValidStart  string `json:"valid_start,omitempty"`
	Seed        uint64 `json:"seed"`
	// Source names the training data, with its size and SHA-256 when read
	// from a file.
	Source string `json:"source,omitempty"`
	// DataFingerprint is a SHA-256 over the training table's columns and
	// values; ConfigHash one over the training configuration.
	DataFingerprint string `json:"data_fingerprint,omitempty"`
	ConfigHash      string `json:"config_hash,omitempty"`
	// Labels says which label values counted as positive and negative and
	// which rows were left out, by value ("Open 210, In Progress 95"),
	// when the label was read with value lists.
	Labels *LabelCounts `json:"labels,omitempty"`
	// Refit says the model was fitted again, after its validation, on the
	// training and validation rows together (Rows counts both); the
	// metrics are those of the first fit.
	Refit bool `json:"refit,omitempty"`
	// AllowedLeaks lists the features kept although on their own they all
	// but decided the label ("close_value (AUC 1.000)"): the trainer
	// vouched that they are known before the outcome.
	AllowedLeaks []string `json:"allowed_leaks,omitempty"`
	// DealAgeDays is, for an opportunity model, how long 99% of its rows'
	// deals had been open at most on their rows' dates (TypicalDealAge):
	// they are deals that closed, so a deal open far longer when scored
	// is beyond what the model saw.
	DealAgeDays float64 `json:"deal_age_days,omitempty"`
}

// LabelCounts are label values with their row counts, by side.
type LabelCounts struct {
	Positive string `json:"positive"`
	Negative string `json:"negative"`
	LeftOut  string `json:"left_out,omitempty"`
}

// Finish validates the model and sets its ID: a hash of its content, so two
// identical trainings give the same ID.
func (m *Model) Finish() error {
	m.FormatVersion = FormatVersion
	if err := m.validate(); err != nil {
		return err
	}
	id, err := m.contentID()
	if err != nil {
		return err
	}
	m.ID = id
	return nil
}

// contentID returns the ID the model's content gives: its type and a hash
// of its JSON form without the ID.
func (m *Model) contentID() (string, error) {
	c := *m
	c.ID = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return string(m.Type) + "-" + hex.EncodeToString(h[:6]), nil
}

// ModelError reports an unusable model file.
type ModelError struct {
	Path string
	Err  error
}

func (e *ModelError) Error() string { return fmt.Sprintf("model %s: %v", e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e *ModelError) Unwrap() error { return e.Err }

func (m *Model) validate() error {
	if err := m.Calibration.validate(); err != nil {
		return err
	}
	if err := m.validateFeatures(); err != nil {
		return err
	}
	if b := m.Blend; b != nil && !(b.ModelWeight >= 0 && b.ModelWeight <= 1 && b.RulesMax > 0 && b.RulesMax <= features.MaxMagnitude) {
		return fmt.Errorf("blend: model weight %g outside [0, 1] or rules scale %g outside (0, 1e15]", b.ModelWeight, b.RulesMax)
	}
	switch m.Type {
	case TypeLogistic:
	case TypeNaiveBayes:
		return m.NaiveBayes.validate(len(m.Features))
	case TypeGBDT:
		for _, f := range m.Features {
			if len(f.Levels) > maxSetCode {
				return fmt.Errorf("feature %q: %d levels, a tree model codes at most %d", f.Name, len(f.Levels), maxSetCode)
			}
		}
		return m.Trees.validate(len(m.Features))
	default:
		return fmt.Errorf("unknown model type %q", m.Type)
	}
	if m.Logistic == nil {
		return errors.New("logistic parameters missing")
	}
	if len(m.Logistic.Coef) != len(m.Design) {
		return fmt.Errorf("%d coefficients for %d design columns", len(m.Logistic.Coef), len(m.Design))
	}
	if !within(m.Logistic.Intercept, maxCoef) {
		return fmt.Errorf("intercept %g is not a number within ±%g", m.Logistic.Intercept, float64(maxCoef))
	}
	for i, d := range m.Design {
		if d.Feature < 0 || d.Feature >= len(m.Features) {
			return fmt.Errorf("design column %q: feature index %d out of range", d.Name, d.Feature)
		}
		if !within(d.Mean, features.MaxMagnitude) || !(d.Scale >= minScale && d.Scale <= features.MaxMagnitude) {
			return fmt.Errorf("design column %q: mean or scale out of range (scale from %g to 1e15)", d.Name, minScale)
		}
		if !within(m.Logistic.Coef[i], maxCoef) {
			return fmt.Errorf("design column %q: coefficient %g is not a number within ±%g", d.Name, m.Logistic.Coef[i], float64(maxCoef))
		}
		switch d.Role {
		case RoleValue, RoleMissing:
			if m.Features[d.Feature].Kind != Numeric {
				return fmt.Errorf("design column %q: role %s on a %s feature", d.Name, d.Role, m.Features[d.Feature].Kind)
			}
		case RoleLevel:
			if m.Features[d.Feature].Kind != Categorical {
				return fmt.Errorf("design column %q: level of a %s feature", d.Name, m.Features[d.Feature].Kind)
			}
		default:
			return fmt.Errorf("design column %q: unknown role %q", d.Name, d.Role)
		}
	}
	return nil
}

// feature returns the input named name, nil if none.
func (m *Model) feature(name string) *Feature {
	for k := range m.Features {
		if m.Features[k].Name == name {
			return &m.Features[k]
		}
	}
	return nil
}

// Bounds on a model's numbers: coefficients of standardised inputs and
// log ratios beyond maxCoef, or a scale below minScale, come from a broken
// or edited file, not from training, and would make scores or reasons
// infinite.
const (
	maxCoef  = 1e6
	minScale = 1e-12
)

// validateFeatures checks what every model type shares: feature kinds,
// unique names, finite imputation values and drift distributions.
func (m *Model) validateFeatures() error {
	names := make(map[string]bool, len(m.Features))
	for _, f := range m.Features {
		if f.Kind != Numeric && f.Kind != Categorical {
			return fmt.Errorf("feature %q: unknown kind %q", f.Name, f.Kind)
		}
		if names[f.Name] {
			return fmt.Errorf("feature %q is listed twice", f.Name)
		}
		names[f.Name] = true
		if !within(f.Impute, features.MaxMagnitude) {
			return fmt.Errorf("feature %q: impute value out of range", f.Name)
		}
		if err := f.Distribution.validate(f); err != nil {
			return fmt.Errorf("feature %q: distribution: %w", f.Name, err)
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// within reports whether x is a number with |x| ≤ bound (false for NaN).
func within(x, bound float64) bool { return math.Abs(x) <= bound }

// Write encodes the model as indented JSON.
func (m *Model) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// Read decodes and validates a model; name is used in messages. Unknown
// fields, a newer format version and inconsistent parameters are errors (a
// *ModelError).
func Read(r io.Reader, name string) (*Model, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, &ModelError{Path: name, Err: fmt.Errorf("not a leadscore model: %w", err)}
	}
	if m.FormatVersion != FormatVersion {
		return nil, &ModelError{Path: name, Err: fmt.Errorf("format version %d, this leadscore reads %d", m.FormatVersion, FormatVersion)}
	}
	if err := m.validate(); err != nil {
		return nil, &ModelError{Path: name, Err: err}
	}
	// The ID names what was trained: a file edited since (coefficients,
	// levels, trees) must not score under it.
	id, err := m.contentID()
	if err != nil {
		return nil, &ModelError{Path: name, Err: err}
	}
	if id != m.ID {
		return nil, &ModelError{Path: name, Err: fmt.Errorf("its id %q does not match its content (%s): the file was changed after training; retrain, or restore the file", m.ID, id)}
	}
	return &m, nil
}

// ReadFile reads model.json from a path; a directory means its model.json.
func ReadFile(path string) (*Model, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = strings.TrimRight(path, "/") + "/model.json"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// KeepError reports a column to keep in the call list (Config.Keep) that
// neither the scored table nor Config.KeepFrom has: a misspelt name in the
// settings, not data the model lacks.
type KeepError struct {
	Column         string
	Have, HaveFrom []string // the table's columns, KeepFrom's
}

func (e *KeepError) Error() string {
	have := strings.Join(e.Have, ", ")
	if e.HaveFrom != nil {
		have += "; in the entities file " + strings.Join(e.HaveFrom, ", ")
	}
	return fmt.Sprintf("keep %q: no such column (have %s)", e.Column, have)
}

// SchemaError lists the model's input columns missing from a table, and
// columns of the wrong kind.
type SchemaError struct {
	Missing   []string
	WrongKind []string
	Extra     []string // informational: table columns the model does not use
}

func (e *SchemaError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing columns: "+strings.Join(e.Missing, ", "))
	}
	if len(e.WrongKind) > 0 {
		parts = append(parts, "columns of the wrong kind: "+strings.Join(e.WrongKind, ", "))
	}
	if len(e.Extra) > 0 {
		extra := e.Extra
		more := ""
		if len(extra) > 10 {
			extra, more = extra[:10], fmt.Sprintf(" and %d more", len(e.Extra)-10)
		}
		parts = append(parts, "columns the model does not use: "+strings.Join(extra, ", ")+more)
	}
	return "input does not match the model: " + strings.Join(parts, "; ")
}

// Probability turns raw log-odds into the model's probability: calibrated,
// and for naive Bayes kept within its floor.
func (m *Model) Probability(logit float64) float64 {
	p := m.Calibration.Probability(logit)
	if nb := m.NaiveBayes; nb != nil {
		p = math.Min(math.Max(p, nb.Floor), 1-nb.Floor)
	}
	// Trained on a share r of the negative rows, the model's odds are 1/r
	// times too high: p·r / (p·r + 1 − p) undoes that.
	if t := m.Target; t != nil && t.SampleNegatives > 0 && t.SampleNegatives < 1 {
		r := t.SampleNegatives
		p = p * r / (p*r + 1 - p)
	}
	return p
}

// Logit returns the log-odds for a standardised design row.
func (l *Logistic) Logit(z []float64) float64 {
	s := l.Intercept
	for j, c := range l.Coef {
		s += c * z[j]
	}
	return s
}

// Sigmoid is the logistic function 1 / (1 + e^−x).
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	ex := math.Exp(x)
	return ex / (1 + ex)
}
