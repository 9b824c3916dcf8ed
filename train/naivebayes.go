package train

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"

	"leadscore/features"
	"leadscore/predict"
)

// Naive-Bayes settings: numeric fields are cut at training deciles; a value
// needs nbMinRows training rows to get a table entry (rarer values are
// ignored); counts are smoothed by adding nbAlpha; probabilities stay within
// [nbFloor, 1 − nbFloor].
const (
	nbBins    = 10
	nbMinRows = 5
	nbAlpha   = 1.0
	nbFloor   = 0.01
)

// nbInputs chooses the naive-Bayes inputs (the same columns as the logistic
// model's) and the numeric bin edges, from training rows only.
func nbInputs(m *predict.Model, t *features.Table, cfg Config, rows []int) {
	m.NaiveBayes = &predict.NaiveBayes{Floor: nbFloor}
	for ci := range t.Columns {
		c := &t.Columns[ci]
		if excluded(c.Name, t, cfg) || c.Kind == features.KindTime {
			continue
		}
		field := predict.NBField{}
		kind := predict.Categorical
		if c.Kind == features.KindFloat && !slices.Contains(cfg.Categorical, c.Name) {
			kind = predict.Numeric
			var vals []float64
			for _, i := range rows {
				if !math.IsNaN(c.Float[i]) {
					vals = append(vals, c.Float[i])
				}
			}
			if len(vals) == 0 {
				continue
			}
			slices.Sort(vals)
			for b := 1; b < nbBins; b++ {
				e := stat.Quantile(float64(b)/nbBins, stat.Empirical, vals, nil)
				if len(field.Edges) == 0 || e > field.Edges[len(field.Edges)-1] {
					field.Edges = append(field.Edges, e)
				}
			}
		}
		m.Features = append(m.Features, predict.Feature{Name: c.Name, Kind: kind})
		m.NaiveBayes.Fields = append(m.NaiveBayes.Fields, field)
	}
}

// fitNB fills the value tables from the given rows: for each field value
// seen in at least nbMinRows of them, log P(v | won) − log P(v | lost) with
// additive smoothing over the field's kept values.
func fitNB(m *predict.Model, t *features.Table, y []bool, rows []int) {
	nb := m.NaiveBayes
	won := countTrue(y, rows)
	lost := len(rows) - won
	nb.PriorLogit = math.Log(float64(won)+nbAlpha) - math.Log(float64(lost)+nbAlpha)
	for k := range nb.Fields {
		f := &nb.Fields[k]
		c := t.Column(m.Features[k].Name)
		num := m.Features[k].Kind == predict.Numeric
		cw, cl := map[string]int{}, map[string]int{}
		for _, i := range rows {
			key := f.Key(c, num, i)
			if y[i] {
				cw[key]++
			} else {
				cl[key]++
			}
		}
		var keys []string
		for key := range cw {
			keys = append(keys, key)
		}
		for key := range cl {
			if _, ok := cw[key]; !ok {
				keys = append(keys, key)
			}
		}
		sort.Strings(keys)
		var kept []string
		for _, key := range keys {
			if cw[key]+cl[key] >= nbMinRows {
				kept = append(kept, key)
			}
		}
		kk := float64(len(kept))
		f.Values = f.Values[:0]
		for _, key := range kept {
			lr := math.Log((float64(cw[key])+nbAlpha)/(float64(won)+nbAlpha*kk)) -
				math.Log((float64(cl[key])+nbAlpha)/(float64(lost)+nbAlpha*kk))
			f.Values = append(f.Values, predict.NBValue{Value: key, LogRatio: lr})
		}
		f.ResetLookup()
		if !num {
			m.Features[k].Levels = m.Features[k].Levels[:0]
			for _, key := range kept {
				if key != predict.MissingLevel {
					m.Features[k].Levels = append(m.Features[k].Levels, key)
				}
			}
		}
	}
}

// nbOutOfFold returns out-of-fold log-odds for the training rows: the
// tables refitted without each fold, scored on it.
func nbOutOfFold(m *predict.Model, t *features.Table, y []bool, rows []int, fold []int, k int) []float64 {
	oof := make([]float64, len(rows))
	for f := range k {
		var fit []int
		for j, i := range rows {
			if fold[j] != f {
				fit = append(fit, i)
			}
		}
		fitNB(m, t, y, fit)
		enc, _ := predict.NewEncoder(m, t) // columns exist: they come from t
		contrib := make([]float64, len(m.Features))
		for j, i := range rows {
			if fold[j] == f {
				oof[j] = enc.Explain(i, contrib)
			}
		}
	}
	return oof
}
