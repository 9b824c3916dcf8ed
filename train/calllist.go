package train

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// callListSizes are the call lists the metrics measure: the top 50, 100
// and 500 rows.
var callListSizes = []int{50, 100, 500}

// callLists measures the validation rows as call lists: one per
// validation date of a snapshot table, else one of all the rows, ranked
// as ranked gives them when it is not nil (rank's order). Sampled
// negatives weigh 1/r.
func callLists(t *features.Table, p []float64, y []bool, sp *rowSplit, ks []int, ranked []int) []predict.AtK {
	negWeight := 1.0
	tg, _ := t.Target()
	if tg != nil && tg.SampleNegatives > 0 && tg.SampleNegatives < 1 {
		negWeight = 1 / tg.SampleNegatives
	}
	var groups [][]int
	if _, snaps := t.Meta[features.MetaSnapshots]; snaps && sp.times != nil {
		for j, i := range sp.valid {
			if j == 0 || !sp.times[i].Equal(sp.times[sp.valid[j-1]]) {
				groups = append(groups, nil)
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], j)
		}
	} else {
		if ranked != nil {
			return atK(y, [][]int{ranked}, ks, negWeight)
		}
		groups = [][]int{allRows(len(p))}
	}
	return PrecisionAtK(p, y, groups, ks, negWeight)
}

// referenceRows is the fewest rows latestSnapshot gathers: deciles of a
// few dozen rows (the deals open on one date whose outcome is known) make
// noise that a drift check would report.
const referenceRows = 1000

// latestSnapshot returns the rows of a snapshot table's latest dates (in
// the validation part when the split is by time): the latest date's, and
// earlier dates' in turn until they hold referenceRows; nil for other
// tables.
func latestSnapshot(t *features.Table, sp *rowSplit) []int {
	if _, ok := t.Meta[features.MetaSnapshots]; !ok || sp.times == nil {
		return nil
	}
	rows := append(slices.Clone(sp.train), sp.valid...)
	byDate := map[time.Time][]int{}
	for _, i := range rows {
		d := sp.times[i].UTC()
		byDate[d] = append(byDate[d], i)
	}
	dates := slices.SortedFunc(maps.Keys(byDate), func(a, b time.Time) int { return b.Compare(a) })
	var out []int
	for _, d := range dates {
		if len(out) >= referenceRows {
			break
		}
		out = append(out, byDate[d]...)
	}
	slices.Sort(out)
	return out
}

// blendSteps is the grid of model weights fitBlend tries: 0, 0.05, …, 1.
const blendSteps = 20

// fitBlend chooses the model weight of predict's blend on the validation
// rows: the weight whose blended score w·p + (1 − w)·clamp(r/R, −1, 1) has
// the highest AUC, ties going to the larger weight. It returns nil when the
// table has no rule points (the model scores alone) or no rules scale.
func fitBlend(t *features.Table, validP []float64, validY []bool, sp *rowSplit) *predict.Blend {
	rp := t.Column("rule_points")
	rmax, _ := strconv.ParseFloat(t.Meta[features.MetaRulesMaxTotal], 64)
	if rp == nil || rp.Kind != features.KindFloat || !(rmax > 0) || len(validP) == 0 {
		return nil
	}
	rs := make([]float64, len(validP))
	for j, i := range sp.valid {
		rs[j] = math.Min(1, math.Max(-1, rp.Float[i]/rmax))
	}
	b := &predict.Blend{RulesMax: rmax}
	best := math.Inf(-1)
	v := make([]float64, len(validP))
	for s := range blendSteps + 1 {
		w := float64(s) / blendSteps
		for j := range v {
			v[j] = w*validP[j] + (1-w)*rs[j]
		}
		pt := predict.BlendPoint{ModelWeight: w, AUC: AUC(v, validY)}
		if at := callLists(t, v, validY, sp, []int{100}, nil); len(at) == 1 {
			pt.PrecisionAt100 = at[0].Precision
		}
		b.Candidates = append(b.Candidates, pt)
		if pt.AUC >= best {
			best, b.ModelWeight = pt.AUC, w
		}
	}
	return b
}
