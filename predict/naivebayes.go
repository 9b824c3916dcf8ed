package predict

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"leadscore/features"
)

// NaiveBayes is a naive-Bayes lead model in the spirit of Odoo's predictive
// lead scoring: for each input field, how often each of its values occurs
// among won and among lost leads. With S_won = P(won) Πf P(vf | won) and
// S_lost likewise,
//
//	P(won | v) = S_won / (S_won + S_lost) = σ(PriorLogit + Σf LogRatio(vf))
//
// kept within [Floor, 1 − Floor]. Each field's log ratio is also its
// contribution to the explanation.
type NaiveBayes struct {
	// PriorLogit is log(won/lost) on the training rows.
	PriorLogit float64 `json:"prior_logit"`
	// Floor keeps probabilities away from 0 and 1.
	Floor float64 `json:"floor"`
	// Fields, one per model input feature, in Features order.
	Fields []NBField `json:"fields"`
}

// NBField holds one input's value tables. Numeric inputs are binned by
// Edges (bin k holds Edges[k-1] < x ≤ Edges[k]); categorical inputs use their
// levels. Values not in the table (rare in training, unseen, or missing
// when missing was rare) contribute 0.
type NBField struct {
	Edges  []float64 `json:"edges,omitempty"`
	Values []NBValue `json:"values"`
	lookup map[string]float64
}

// NBValue is a value (a level, a bin "b3", or "(missing)") and its log
// ratio log P(v | won) − log P(v | lost) with additive smoothing.
type NBValue struct {
	Value    string  `json:"value"`
	LogRatio float64 `json:"log_ratio"`
}

// Key returns the table key of row i of column c: the bin ("b0", "b1", …)
// of a numeric value, the level of a categorical one, or MissingLevel.
func (nf *NBField) Key(c *features.Column, numericKind bool, i int) string {
	if numericKind {
		x := numeric(c, i)
		if math.IsNaN(x) {
			return MissingLevel
		}
		return "b" + strconv.Itoa(sort.SearchFloat64s(nf.Edges, x))
	}
	if c.IsNull(i) {
		return MissingLevel
	}
	return c.Text(i)
}

func (nb *NaiveBayes) validate(nFeatures int) error {
	if nb == nil {
		return errors.New("naive-Bayes tables missing")
	}
	if len(nb.Fields) != nFeatures {
		return fmt.Errorf("%d naive-Bayes fields for %d features", len(nb.Fields), nFeatures)
	}
	if !within(nb.PriorLogit, maxCoef) || !(nb.Floor >= 0 && nb.Floor < 0.5) {
		return errors.New("naive-Bayes prior or floor out of range")
	}
	for k := range nb.Fields {
		f := &nb.Fields[k]
		f.lookup = make(map[string]float64, len(f.Values))
		for _, v := range f.Values {
			if !within(v.LogRatio, maxCoef) {
				return fmt.Errorf("naive-Bayes field %d value %q: log ratio not a number within ±%g", k, v.Value, float64(maxCoef))
			}
			f.lookup[v.Value] = v.LogRatio
		}
		for i, e := range f.Edges {
			if !finite(e) || i > 0 && e < f.Edges[i-1] {
				return fmt.Errorf("naive-Bayes field %d: bin edges not finite and sorted", k)
			}
		}
	}
	return nil
}

// ResetLookup drops the lookup index after Values changed.
func (nf *NBField) ResetLookup() { nf.lookup = nil }

// LogRatio returns the log ratio of a table key, 0 if the key is unknown.
func (nf *NBField) LogRatio(key string) float64 {
	nf.index()
	return nf.lookup[key]
}

// index builds the lookup index; NewEncoder calls it, so that encoders
// cloned for several goroutines only read it.
func (nf *NBField) index() {
	if nf.lookup == nil {
		nf.lookup = make(map[string]float64, len(nf.Values))
		for _, v := range nf.Values {
			nf.lookup[v.Value] = v.LogRatio
		}
	}
}

// nbScorer scores a naive-Bayes model: the prior plus each field's log
// ratio, which is also the field's contribution.
type nbScorer struct {
	e  *Encoder
	nb *NaiveBayes
}

func newNBScorer(e *Encoder) *nbScorer {
	nb := e.m.NaiveBayes
	for k := range nb.Fields {
		nb.Fields[k].index()
	}
	return &nbScorer{e: e, nb: nb}
}

func (s *nbScorer) clone(e *Encoder) scorer { return &nbScorer{e: e, nb: s.nb} }

func (s *nbScorer) logits(rows []int, out []float64) {
	for j, i := range rows {
		out[j] = s.row(i, nil)
	}
}

func (s *nbScorer) explain(rows []int, logits, contrib []float64) {
	p := len(s.e.m.Features)
	for j, i := range rows {
		logits[j] = s.row(i, contrib[j*p:(j+1)*p])
	}
}

// row returns row i's log-odds and, with contrib set, writes each field's
// log ratio into it.
func (s *nbScorer) row(i int, contrib []float64) float64 {
	logit := s.nb.PriorLogit
	for k, f := range s.e.m.Features {
		fd := &s.nb.Fields[k]
		v := fd.LogRatio(fd.Key(s.e.cols[k], f.Kind == Numeric, i))
		if contrib != nil {
			contrib[k] = v
		}
		logit += v
	}
	return logit
}
