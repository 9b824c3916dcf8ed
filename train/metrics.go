package train

import (
	"cmp"
	"leadscore/predict"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// AUC returns the area under the ROC curve of scores against labels, with
// tied scores counting one half: gonum's stat.ROC on the sorted scores,
// integrated by the trapezoidal rule. It is NaN when one class is absent.
func AUC(scores []float64, labels []bool) float64 {
	s := slices.Clone(scores)
	c := slices.Clone(labels)
	stat.SortWeightedLabeled(s, c, nil)
	pos := 0
	for _, l := range c {
		if l {
			pos++
		}
	}
	if pos == 0 || pos == len(c) {
		return math.NaN()
	}
	tpr, fpr, _ := stat.ROC(nil, s, c, nil)
	return integrate.Trapezoidal(fpr, tpr)
}

// AUCInterval returns a percentile bootstrap 95% interval of the AUC from
// resamples draws of the rows (with replacement); resample k draws from its
// own random stream (seed, k), so the resamples run on two goroutines and
// the interval does not depend on them. The rows are sorted once; each
// resample only counts how often it drew each row and takes the AUC of
// those counts in one pass (the Mann–Whitney statistic, ties counting one
// half), so a resample costs O(n), not a sort.
func AUCInterval(scores []float64, labels []bool, resamples int, seed uint64) (lo, hi float64) {
	n := len(scores)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
	// Rows of equal score form a group: [start[g], start[g+1]).
	var start []int
	for k, i := range order {
		if k == 0 || scores[i] != scores[order[k-1]] {
			start = append(start, k)
		}
	}
	start = append(start, n)
	// A resample draws rows by their place in that order (every row is as
	// likely either way), so that the sweep below reads its counts and the
	// labels front to back; lab is 1 for a positive.
	lab := make([]float64, n)
	for k, i := range order {
		if labels[i] {
			lab[k] = 1
		}
	}
	aucs := make([]float64, resamples)
	const workers = 2
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			count := make([]int32, n)
			for k := w; k < resamples; k += workers {
				resample(seed, k, count)
				var below, area, pos, neg float64
				for g := range len(start) - 1 {
					// A group's positive and negative counts, without a
					// branch on the label (adding zero leaves a sum as it
					// is); a group of one row, the common case, without
					// the loop.
					var p, q float64
					if j := start[g]; start[g+1] == j+1 {
						c := float64(count[j])
						p = c * lab[j]
						q = c - p
					} else {
						for ; j < start[g+1]; j++ {
							c := float64(count[j])
							pj := c * lab[j]
							p += pj
							q += c - pj
						}
					}
					area += p * (below + q/2)
					below += q
					pos, neg = pos+p, neg+q
				}
				aucs[k] = math.NaN()
				if pos > 0 && neg > 0 {
					aucs[k] = area / (pos * neg)
				}
			}
		})
	}
	wg.Wait()
	aucs = slices.DeleteFunc(aucs, math.IsNaN)
	if len(aucs) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(aucs)
	return stat.Quantile(0.025, stat.Empirical, aucs, nil), stat.Quantile(0.975, stat.Empirical, aucs, nil)
}

// resample sets count[i] to how often the i-th row comes up in len(count)
// draws with replacement, every row equally likely, from resample k's
// stream (seed, k). Each 64-bit output of the stream gives two draws: a
// 32-bit half x becomes row ⌊x·n/2³²⌋, except that the halves whose
// product's low 32 bits fall under 2³² mod n are passed over (Lemire's
// method), which leaves exactly ⌊2³²/n⌋ halves for every row.
func resample(seed uint64, k int, count []int32) {
	clear(count)
	n := uint32(len(count))
	if n == 0 {
		return
	}
	src := rand.NewPCG(seed, 0xa0c+uint64(k))
	thresh := -n % n // 2³² mod n
	left := n
	// While two draws or more are left, both halves are taken without
	// asking whether one is: the same draws as the loop below, written out.
	for left >= 2 {
		u := src.Uint64()
		m0, m1 := uint64(uint32(u>>32))*uint64(n), uint64(uint32(u))*uint64(n)
		if uint32(m0) >= thresh {
			count[m0>>32]++
			left--
		}
		if uint32(m1) >= thresh {
			count[m1>>32]++
			left--
		}
	}
	for left > 0 {
		u := src.Uint64()
		for _, x := range [2]uint32{uint32(u >> 32), uint32(u)} {
			m := uint64(x) * uint64(n)
			if uint32(m) < thresh || left == 0 {
				continue
			}
			count[m>>32]++
			left--
		}
	}
}

// LogLoss returns the mean negative log-likelihood of probabilities p,
// clipped to [1e-15, 1 − 1e-15] as scikit-learn does.
func LogLoss(p []float64, labels []bool) float64 {
	s := 0.0
	for i, q := range p {
		q = math.Min(math.Max(q, 1e-15), 1-1e-15)
		if labels[i] {
			s -= math.Log(q)
		} else {
			s -= math.Log1p(-q)
		}
	}
	return s / float64(len(p))
}

// Brier returns the mean squared difference between p and the outcomes.
func Brier(p []float64, labels []bool) float64 {
	s := 0.0
	for i, q := range p {
		y := 0.0
		if labels[i] {
			y = 1
		}
		s += (q - y) * (q - y)
	}
	return s / float64(len(p))
}

// PrecisionAtK measures call lists: for each group of rows (one list per
// date), the weighted share of positives among the k highest scores, then
// the mean over the groups with at least k rows. Positives weigh 1 and
// negatives negWeight (1/r for rows of which a share r of negatives was
// kept). Ties in score are broken by row order. Lift is the precision over
// the weighted base rate of all rows.
func PrecisionAtK(p []float64, y []bool, groups [][]int, ks []int, negWeight float64) []predict.AtK {
	var pos, all float64
	for i := range y {
		all += weightOf(y[i], negWeight)
		if y[i] {
			pos++
		}
	}
	base := pos / all
	// Each group is ranked once, for every k.
	ranked := make([][]int, len(groups))
	for gi, g := range groups {
		ranked[gi] = slices.Clone(g)
		slices.SortStableFunc(ranked[gi], func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	}
	out := make([]predict.AtK, 0, len(ks))
	for _, k := range ks {
		at := predict.AtK{K: k}
		for _, order := range ranked {
			var w, hit float64
			for _, i := range order {
				if w >= float64(k) {
					break
				}
				w += weightOf(y[i], negWeight)
				if y[i] {
					hit++
				}
			}
			if w < float64(k) {
				continue
			}
			at.Precision += hit / w
			at.Lists++
		}
		if at.Lists == 0 {
			continue
		}
		at.Precision /= float64(at.Lists)
		at.Lift = predict.Undefined(math.NaN())
		if base > 0 {
			at.Lift = predict.Undefined(at.Precision / base)
		}
		out = append(out, at)
	}
	return out
}

func weightOf(positive bool, negWeight float64) float64 {
	if positive {
		return 1
	}
	return negWeight
}
