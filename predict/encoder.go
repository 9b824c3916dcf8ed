package predict

import (
	"fmt"
	"math"

	"leadscore/features"
)

// Encoder turns rows of one table into a model's raw log-odds and explains
// them. Column lookups and kind checks happen once, in NewEncoder; the
// model type's arithmetic is its scorer. An Encoder holds scratch space:
// use one per goroutine (see Clone).
type Encoder struct {
	m     *Model
	cols  []*features.Column // per feature
	codes []map[string]int   // per categorical feature, level → index in Levels
	s     scorer
}

// scorer is what a model type computes for a block of table rows: the raw
// log-odds, and with explain their split into per-feature contributions.
// Each Encoder's scorer has its own scratch space.
type scorer interface {
	// logits writes the raw log-odds of rows into out.
	logits(rows []int, out []float64)
	// explain writes the raw log-odds of rows into logits and each row's
	// contributions into contrib (len(rows) × len(Features), row after
	// row): coefficient × standardised value summed per feature (logistic),
	// the value's log ratio (naive Bayes), or the exact SHAP value (trees;
	// they sum to the log-odds minus Trees.ExpectedLogit).
	explain(rows []int, logits, contrib []float64)
	// clone returns a scorer of the same model for another Encoder.
	clone(e *Encoder) scorer
}

// NewEncoder checks that t has every input column with a usable kind; the
// error is a *SchemaError listing missing and mistyped columns. A text
// column whose values are all plain numbers, or that has none (new leads
// whose revenue nobody has entered), is a numeric input (textNumbers).
func NewEncoder(m *Model, t *features.Table) (*Encoder, error) {
	e := &Encoder{m: m, cols: make([]*features.Column, len(m.Features))}
	var se SchemaError
	used := map[string]bool{"entity_id": true} // the rows' id, whatever the file calls it
	for i, f := range m.Features {
		c := t.Column(f.Name)
		used[f.Name] = true
		if c != nil && f.Kind == Numeric && c.Kind == features.KindString {
			if n := textNumbers(c); n != nil {
				c = n
			}
		}
		switch {
		case c == nil:
			se.Missing = append(se.Missing, f.Name)
		case f.Kind == Numeric && c.Kind != features.KindFloat && c.Kind != features.KindBool:
			se.WrongKind = append(se.WrongKind, fmt.Sprintf("%s (model: numeric, table: %s)", f.Name, c.Kind))
		}
		e.cols[i] = c
	}
	for _, n := range t.Names() {
		if !used[n] {
			se.Extra = append(se.Extra, n)
		}
	}
	if len(se.Missing) > 0 || len(se.WrongKind) > 0 {
		return nil, &se
	}
	e.codes = make([]map[string]int, len(m.Features))
	for i, f := range m.Features {
		if f.Kind == Categorical {
			e.codes[i] = levelIndex(f.Levels)
		}
	}
	return e, nil
}

// textNumbers returns a text column whose values are all plain numbers as
// numbers, nil when a value is not one. A model's numeric input meets
// such a column where an export leaves it empty on every row, and where
// its values are codes with leading zeros ("02134"): tables read them as
// text, and a model trained on numbers (--number-format, or a table that
// wrote them without zeros) takes them as the numbers they write.
func textNumbers(c *features.Column) *features.Column {
	out := &features.Column{Name: c.Name, Kind: features.KindFloat, Float: make([]float64, c.Len())}
	for i, s := range c.Str {
		if c.IsNull(i) {
			out.Float[i] = math.NaN()
			continue
		}
		v, ok := features.ParseNumberAs(s, features.NumberPlain)
		if !ok {
			return nil
		}
		out.Float[i] = v
	}
	return out
}

// allNull reports whether a column has no value.
func allNull(c *features.Column) bool {
	for i := range c.Len() {
		if !c.IsNull(i) {
			return false
		}
	}
	return true
}

// scorer returns the model type's scorer, made on first use: training
// encodes rows (CompactRows, TreeRow) before the model has parameters.
// It panics on a model type that Read and Finish refuse.
func (e *Encoder) scorer() scorer {
	if e.s != nil {
		return e.s
	}
	switch e.m.Type {
	case TypeLogistic:
		e.s = &linearScorer{e: e, lin: newLinear(e.m)}
	case TypeNaiveBayes:
		e.s = newNBScorer(e)
	case TypeGBDT:
		e.s = newTreeScorer(e)
	default:
		panic(fmt.Sprintf("predict: scoring a model of type %q", e.m.Type))
	}
	return e.s
}

// Clone returns an encoder of the same model and table with its own
// scratch space.
func (e *Encoder) Clone() *Encoder {
	c := &Encoder{m: e.m, cols: e.cols, codes: e.codes}
	if e.s != nil {
		c.s = e.s.clone(c)
	}
	return c
}

// Logits computes the raw log-odds of the given rows into out.
func (e *Encoder) Logits(rows []int, out []float64) { e.scorer().logits(rows, out) }

// ExplainRows computes the raw log-odds of the given rows into logits and
// their per-feature contributions into contrib (len(rows) × len(Features),
// row after row); see scorer.explain.
func (e *Encoder) ExplainRows(rows []int, logits, contrib []float64) {
	e.scorer().explain(rows, logits, contrib)
}

// Logit computes row i's raw log-odds without explaining them.
func (e *Encoder) Logit(i int) float64 {
	var out [1]float64
	e.Logits([]int{i}, out[:])
	return out[0]
}

// Explain computes row i's raw log-odds and its per-feature contributions
// (contrib has len(Features)).
func (e *Encoder) Explain(i int, contrib []float64) float64 {
	var logit [1]float64
	e.ExplainRows([]int{i}, logit[:], contrib)
	return logit[0]
}

// TreeRow writes a tree model's input row for table row i into x
// (len(Features)): numeric values, categorical level codes, NaN for missing.
func (e *Encoder) TreeRow(i int, x []float64) {
	for k := range e.m.Features {
		x[k] = e.treeValue(k, i)
	}
}

// TreeColumn returns feature k's value in every row of the table, as
// TreeRow gives it. A numeric feature read from a float column is that
// column's own slice, which the caller must not change.
func (e *Encoder) TreeColumn(k int) []float64 {
	c := e.cols[k]
	if e.m.Features[k].Kind == Numeric && c.Kind == features.KindFloat {
		return c.Float
	}
	x := make([]float64, c.Len())
	for i := range x {
		x[i] = e.treeValue(k, i)
	}
	return x
}

// treeValue is feature k's value in row i as the trees read it: the number,
// or the categorical code (OtherLevel's for values without their own), NaN
// when missing.
func (e *Encoder) treeValue(k, i int) float64 {
	c := e.cols[k]
	if e.m.Features[k].Kind == Numeric {
		return numeric(c, i)
	}
	if code := levelCode(e.codes[k], c, i); code >= 0 {
		return float64(code)
	}
	return math.NaN()
}

// level returns the level feature k takes in row i: the value,
// MissingLevel, or OtherLevel for values without their own code.
func (e *Encoder) level(k int, c *features.Column, i int) string {
	switch code := levelCode(e.codes[k], c, i); {
	case code < 0:
		return MissingLevel
	case code == len(e.m.Features[k].Levels):
		return OtherLevel
	default:
		return e.m.Features[k].Levels[code]
	}
}

// levelIndex maps each level to its index in levels.
func levelIndex(levels []string) map[string]int {
	index := make(map[string]int, len(levels))
	for k, l := range levels {
		index[l] = k
	}
	return index
}

// levelCode returns the index of row i's value among the levels of index,
// len(index) for any other value (OtherLevel), and −1 when it is missing.
func levelCode(index map[string]int, c *features.Column, i int) int {
	if c.IsNull(i) {
		return -1
	}
	v := ""
	if c.Kind == features.KindString {
		v = c.Str[i]
	} else {
		v = c.Text(i)
	}
	if k, ok := index[v]; ok {
		return k
	}
	return len(index)
}

// numeric returns row i of a numeric (float or bool) column.
func numeric(c *features.Column, i int) float64 {
	if c.Kind == features.KindBool {
		if c.Bool[i] {
			return 1
		}
		return 0
	}
	return c.Float[i]
}
