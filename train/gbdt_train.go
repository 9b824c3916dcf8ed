package train

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// maxTreeLevels is the most categorical levels a tree model codes; the
// rest share OtherLevel's code.
const maxTreeLevels = 253

// gbdtInputs chooses the inputs of a tree model: every usable column, as
// it is (no imputation or scaling: trees learn where missing values go).
// A categorical column keeps its 253 most frequent training levels, coded
// by their sorted order; the others share OtherLevel's code.
func gbdtInputs(m *predict.Model, t *features.Table, cfg Config, rows []int) {
	// Columns are examined two at a time; the inputs keep the table's order.
	rows = inRowOrder(rows, t.NumRows())
	found := make([]*predict.Feature, len(t.Columns))
	parallelFor(len(t.Columns), 2, func(ci int) {
		c := &t.Columns[ci]
		if excluded(c.Name, t, cfg) || c.Kind == features.KindTime {
			return
		}
		if c.Kind == features.KindFloat && !slices.Contains(cfg.Categorical, c.Name) {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, i := range rows {
				// NaN, a missing value, fails both comparisons.
				v := c.Float[i]
				if v < lo {
					lo = v
				}
				if v > hi {
					hi = v
				}
			}
			if hi > lo {
				found[ci] = &predict.Feature{Name: c.Name, Kind: predict.Numeric}
			}
			return
		}
		counts, nulls := map[string]int{}, 0
		for _, i := range rows {
			if c.IsNull(i) {
				nulls++
			} else if c.Kind == features.KindString {
				counts[c.Str[i]]++
			} else {
				counts[c.Text(i)]++
			}
		}
		if len(counts) == 0 || len(counts) == 1 && nulls == 0 {
			return // constant
		}
		levels := levelsByCount(counts)
		levels = levels[:min(len(levels), maxTreeLevels)]
		slices.Sort(levels)
		found[ci] = &predict.Feature{Name: c.Name, Kind: predict.Categorical, Levels: levels}
	})
	for _, f := range found {
		if f != nil {
			m.Features = append(m.Features, *f)
		}
	}
}

// gbdtColumns encodes every row of t for the engine, as predict's encoder
// does; numeric columns are shared with the table, not copied.
func gbdtColumns(m *predict.Model, t *features.Table, workers int) []GBColumn {
	enc, err := predict.NewEncoder(m, t)
	if err != nil {
		panic("train: encoder on its own training table: " + err.Error())
	}
	cols := make([]GBColumn, len(m.Features))
	parallelFor(len(cols), workers, func(k int) {
		cols[k].Values = enc.TreeColumn(k)
		if f := &m.Features[k]; f.Kind == predict.Categorical {
			cols[k].Levels = len(f.Levels) + 1 // OtherLevel
		}
	})
	return cols
}

// trainGBDT trains the tree model on the training rows minus a holdout (the
// latest tenth by time, or a stratified random tenth), which stops the
// boosting early when asked and yields the logits the calibration is
// fitted on. It also returns the logits of the sampled training rows,
// which the boosting and the holdout's scoring have already given. The
// validation rows take no part.
func trainGBDT(ctx context.Context, m *predict.Model, t *features.Table, y []bool, trainRows, sampled []int, times []time.Time, cfg Config, log *slog.Logger) (holdLogits []float64, holdY []bool, sampleLogits []float64, err error) {
	gcfg := cfg.GBDT
	gcfg.Seed, gcfg.Workers = cfg.Seed, cfg.workers()
	cols := gbdtColumns(m, t, gcfg.Workers)
	sub := pick(y, trainRows)
	var subTimes []time.Time
	if times != nil {
		subTimes = pick(times, trainRows)
	}
	fitIdx, holdIdx := Split(sub, subTimes, 0.1, cfg.Seed+1)
	fitRows, holdRows := pick(trainRows, fitIdx), pick(trainRows, holdIdx)
	// The boosting tracks the sampled rows it fits: track holds their
	// positions in fitRows, trackAt their places in sampled.
	at := places(sampled, t.NumRows()) // a row's place in sampled, −1 for none; its rows are distinct
	var track, trackAt []int
	for k, i := range fitRows {
		if j := at[i]; j >= 0 {
			track, trackAt = append(track, k), append(trackAt, int(j))
		}
	}
	start := time.Now()
	var es []int
	if gcfg.EarlyStoppingRounds > 0 {
		es = holdRows
	}
	ens, fitLogits, err := fitGBDT(ctx, cols, y, fitRows, es, gcfg, track)
	if err != nil {
		return nil, nil, nil, err
	}
	m.Trees = ens // fitGBDT returns the trees ready for scoring
	log.Info("boosted", "trees", len(ens.Trees), "rows", len(fitRows), "holdout_rows", len(holdRows),
		"duration", time.Since(start).Round(time.Millisecond))
	_, holdLogits = scoreRows(m, t, holdRows, cfg.workers())
	sampleLogits = make([]float64, len(sampled))
	for x, j := range trackAt {
		sampleLogits[j] = fitLogits[x]
	}
	for k, i := range holdRows {
		if j := at[i]; j >= 0 {
			sampleLogits[j] = holdLogits[k]
		}
	}
	return holdLogits, pick(y, holdRows), sampleLogits, nil
}

// shapRows is the most validation rows whose SHAP values measure the
// global importance.
const shapRows = 2000

// shapImportance is the mean |SHAP value| per feature over the rows (at
// most shapRows of them, evenly spread), explained in blocks of rows on up
// to workers goroutines; the blocks' sums are added in block order, so the
// result does not depend on workers.
func shapImportance(m *predict.Model, t *features.Table, rows []int, workers int) []float64 {
	rows = evenly(rows, shapRows)
	enc, err := predict.NewEncoder(m, t)
	if err != nil {
		panic("train: encoder on its own training table: " + err.Error())
	}
	const block = 256
	p := len(m.Features)
	nb := (len(rows) + block - 1) / block
	parts := make([][]float64, nb)
	parallelFor(nb, workers, func(b int) {
		e := enc.Clone()
		rs := rows[b*block : min(len(rows), (b+1)*block)]
		phi := make([]float64, len(rs)*p)
		e.ExplainRows(rs, make([]float64, len(rs)), phi)
		sum := make([]float64, p)
		for j, v := range phi {
			sum[j%p] += math.Abs(v)
		}
		parts[b] = sum
	})
	imp := make([]float64, p)
	for _, s := range parts {
		for k, v := range s {
			imp[k] += v
		}
	}
	for k := range imp {
		imp[k] /= float64(len(rows))
	}
	return imp
}
