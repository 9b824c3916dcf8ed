package train

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// TestAUCIntervalCoversAUC checks the bootstrap interval on scores that
// separate the classes partly, with ties: it holds the AUC, is narrow on
// many rows, and is NaN with one class.
func TestAUCIntervalCoversAUC(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	n := 20_000
	s, y := make([]float64, n), make([]bool, n)
	for i := range s {
		y[i] = r.Float64() < 0.3
		s[i] = math.Round(4*(r.NormFloat64()+b2f(y[i]))) / 4
	}
	auc := AUC(s, y)
	lo, hi := AUCInterval(s, y, 500, 1)
	if !(lo < auc && auc < hi) || hi-lo > 0.03 {
		t.Errorf("interval [%.4f, %.4f] around AUC %.4f", lo, hi, auc)
	}
	if lo, hi := AUCInterval(s, make([]bool, n), 50, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one class: [%v, %v], want NaN", lo, hi)
	}
}

// TestAUCIntervalResamples recomputes the bootstrap by hand: each
// resample's rows (the counts resample gives the rows in score order) are
// copied out and given to AUC, and the 2.5% and 97.5% quantiles of those
// AUCs must be the interval's ends. The scores mix tied groups of both
// classes with single rows, the two ways the sweep adds a group.
func TestAUCIntervalResamples(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	n := 3000
	s, y := make([]float64, n), make([]bool, n)
	for i := range s {
		y[i] = r.Float64() < 0.25
		s[i] = r.NormFloat64() + b2f(y[i])
		if i%3 == 0 {
			s[i] = math.Round(2 * s[i]) // ties
		}
	}
	const resamples, seed = 300, 9
	lo, hi := AUCInterval(s, y, resamples, seed)
	order := allRows(n)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s[a], s[b]) })
	aucs := make([]float64, resamples)
	count := make([]int32, n)
	for k := range aucs {
		resample(seed, k, count)
		var rs []float64
		var ry []bool
		for x, c := range count {
			for range c {
				rs, ry = append(rs, s[order[x]]), append(ry, y[order[x]])
			}
		}
		if len(rs) != n {
			t.Fatalf("resample %d drew %d rows of %d", k, len(rs), n)
		}
		aucs[k] = AUC(rs, ry)
	}
	slices.Sort(aucs)
	wantLo, wantHi := stat.Quantile(0.025, stat.Empirical, aucs, nil), stat.Quantile(0.975, stat.Empirical, aucs, nil)
	if math.Abs(lo-wantLo) > 1e-12 || math.Abs(hi-wantHi) > 1e-12 {
		t.Errorf("interval [%v, %v], resampled by hand [%v, %v]", lo, hi, wantLo, wantHi)
	}
}

// TestResampleUniform checks that resample draws every row equally often:
// over many resamples of a few rows, Pearson's χ² of the rows' totals
// stays under its 99.99th percentile.
func TestResampleUniform(t *testing.T) {
	for _, tc := range []struct {
		n     int
		limit float64 // χ² with n − 1 degrees of freedom, 99.99th percentile
	}{{2, 15.1}, {5, 23.5}, {7, 27.9}, {100, 160.1}} {
		total := make([]float64, tc.n)
		count := make([]int32, tc.n)
		const resamples = 20000
		for k := range resamples {
			resample(1, k, count)
			for i, c := range count {
				total[i] += float64(c)
			}
		}
		want := float64(resamples)
		chi := 0.0
		for _, c := range total {
			chi += (c - want) * (c - want) / want
		}
		if chi > tc.limit {
			t.Errorf("n=%d: χ² %.1f over %g; counts %v", tc.n, chi, tc.limit, total)
		}
	}
}
