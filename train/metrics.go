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
	if pos := positives(c); pos == 0 || pos == len(c) {
		return math.NaN()
	}
	tpr, fpr, _ := stat.ROC(nil, s, c, nil)
	return integrate.Trapezoidal(fpr, tpr)
}

// deLongRows is the fewest rows whose AUC interval is DeLong's rather than
// the bootstrap's: on that many rows the two agree to about a thousandth
// (TestAUCIntervalMethodsAgree), and DeLong's takes two sorts where the
// bootstrap makes a thousand passes over the rows.
const deLongRows = 20_000

// AUCInterval returns a 95% interval of the AUC. On fewer than deLongRows
// rows it is a percentile bootstrap from resamples draws of the rows (with
// replacement); resample k draws from its own random stream (seed, k), so
// the resamples run on two goroutines and the interval does not depend on
// them. The rows are sorted once; each resample only counts how often it
// drew each row and takes the AUC of those counts in one pass (the
// Mann–Whitney statistic, ties counting one half), so a resample costs
// O(n), not a sort. On more rows it is DeLong's interval (deLong), and
// resamples and seed are unused. Either is NaN when a class is absent.
func AUCInterval(scores []float64, labels []bool, resamples int, seed uint64) (lo, hi float64) {
	return aucInterval(scores, labels, resamples, seed, deLongRows)
}

// aucInterval is AUCInterval with DeLong's interval from deLongMin rows.
func aucInterval(scores []float64, labels []bool, resamples int, seed uint64, deLongMin int) (lo, hi float64) {
	n := len(scores)
	if n >= deLongMin {
		return deLong(scores, labels)
	}
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

// deLong returns DeLong's 95% interval of the AUC (DeLong, DeLong and
// Clarke-Pearson 1988), as pROC's ci.auc computes it: the AUC ± 1.96
// standard errors, cut to [0, 1]. Each positive's placement is the share
// of negatives scored below it (ties counting one half), each negative's
// the share of positives above it; the AUC is the mean of either, and its
// variance var(positives' placements)/n₁ + var(negatives')/n₀. The two
// classes' scores are sorted apart and walked together, one distinct
// score at a time: rows of equal score share their placement. It is NaN
// with fewer than two rows of a class.
func deLong(scores []float64, labels []bool) (lo, hi float64) {
	k := positives(labels)
	pos, neg := make([]float64, 0, k), make([]float64, 0, len(scores)-k)
	for i, v := range scores {
		if labels[i] {
			pos = append(pos, v)
		} else {
			neg = append(neg, v)
		}
	}
	n1, n0 := float64(len(pos)), float64(len(neg))
	if n1 < 2 || n0 < 2 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(pos)
	slices.Sort(neg)
	// One distinct score: p positives and q negatives have it, below
	// negatives and seen positives (these included) score no higher.
	type group struct{ p, q, below, seen float64 }
	groups := make([]group, 0, len(scores))
	var area float64
	for i, j := 0, 0; i < len(pos) || j < len(neg); {
		v := math.Inf(1)
		if i < len(pos) {
			v = pos[i]
		}
		if j < len(neg) && neg[j] < v {
			v = neg[j]
		}
		i0, j0 := i, j
		for i < len(pos) && pos[i] == v {
			i++
		}
		for j < len(neg) && neg[j] == v {
			j++
		}
		p, q := float64(i-i0), float64(j-j0)
		groups = append(groups, group{p: p, q: q, below: float64(j0), seen: float64(i)})
		area += p * (float64(j0) + q/2)
	}
	auc := area / (n1 * n0)
	var s10, s01 float64
	for _, g := range groups {
		v10 := (g.below+g.q/2)/n0 - auc
		v01 := (n1-g.seen+g.p/2)/n1 - auc
		s10 += g.p * v10 * v10
		s01 += g.q * v01 * v01
	}
	se := math.Sqrt(s10/(n1-1)/n1 + s01/(n0-1)/n0)
	const z = 1.959963984540054 // the normal's 97.5th percentile
	return max(0, auc-z*se), min(1, auc+z*se)
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
	// Each group is ranked once, for every k.
	ranked := make([][]int, len(groups))
	for gi, g := range groups {
		ranked[gi] = rankRows(p, g)
	}
	return atK(y, ranked, ks, negWeight)
}

// atK is PrecisionAtK on groups already ranked.
func atK(y []bool, ranked [][]int, ks []int, negWeight float64) []predict.AtK {
	var pos, all float64
	for i := range y {
		all += weightOf(y[i], negWeight)
		if y[i] {
			pos++
		}
	}
	base := pos / all
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
