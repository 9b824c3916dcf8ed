package train

import (
	"errors"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"

	"leadscore/features"
	"leadscore/predict"
)

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
