package train

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// TestAUCIntervalCoversAUC checks the interval (DeLong's, on this many
// rows) on scores that separate the classes partly, with ties: it holds
// the AUC, is narrow on many rows, and is NaN with one class.
func TestAUCIntervalCoversAUC(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	n := 20_000
	s, y := labeledScores(r, n, 0.3, func(_ int, pos bool) float64 { return math.Round(4*(r.NormFloat64()+b2f(pos))) / 4 })
	auc := AUC(s, y)
	lo, hi := AUCInterval(s, y, 500, 1)
	if !(lo < auc && auc < hi) || hi-lo > 0.03 {
		t.Errorf("interval [%.4f, %.4f] around AUC %.4f", lo, hi, auc)
	}
	if lo, hi := AUCInterval(s, make([]bool, n), 50, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one class: [%v, %v], want NaN", lo, hi)
	}
}

// labeledScores returns n rows' scores and labels: row i is positive with
// probability rate, then scored by score(i, positive).
func labeledScores(r *rand.Rand, n int, rate float64, score func(i int, positive bool) float64) ([]float64, []bool) {
	s, y := make([]float64, n), make([]bool, n)
	for i := range s {
		y[i] = r.Float64() < rate
		s[i] = score(i, y[i])
	}
	return s, y
}

// TestDeLongByDefinition computes DeLong's interval pair by pair: each
// positive's share of negatives below it and each negative's share of
// positives above it (ties one half), their sample variances, and the AUC
// ± 1.96 standard errors. Scores are rounded to make many ties of both
// classes.
func TestDeLongByDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	n := deLongRows
	s, y := labeledScores(r, n, 0.2, func(_ int, p bool) float64 { return math.Round(8*(r.NormFloat64()+0.6*b2f(p))) / 8 })
	var pos, neg []float64
	for i, v := range s {
		if y[i] {
			pos = append(pos, v)
		} else {
			neg = append(neg, v)
		}
	}
	psi := func(a, b float64) float64 { // a positive's score a against a negative's b
		switch {
		case a > b:
			return 1
		case a == b:
			return 0.5
		}
		return 0
	}
	v10, v01 := make([]float64, len(pos)), make([]float64, len(neg))
	for i, a := range pos {
		for j, b := range neg {
			k := psi(a, b)
			v10[i] += k / float64(len(neg))
			v01[j] += k / float64(len(pos))
		}
	}
	auc := stat.Mean(v10, nil)
	se := math.Sqrt(stat.Variance(v10, nil)/float64(len(pos)) + stat.Variance(v01, nil)/float64(len(neg)))
	wantLo, wantHi := auc-1.959963984540054*se, auc+1.959963984540054*se
	lo, hi := AUCInterval(s, y, 1000, 1)
	if math.Abs(lo-wantLo) > 1e-9 || math.Abs(hi-wantHi) > 1e-9 {
		t.Errorf("DeLong [%.10f, %.10f], by definition [%.10f, %.10f]", lo, hi, wantLo, wantHi)
	}
	if math.Abs(auc-AUC(s, y)) > 1e-12 {
		t.Errorf("mean placement %v, AUC %v", auc, AUC(s, y))
	}
	// Two positives among many negatives: still an interval; one: NaN.
	few := make([]bool, n)
	few[3], few[n-1] = true, true
	if lo, hi := AUCInterval(s, few, 1000, 1); math.IsNaN(lo) || math.IsNaN(hi) || lo < 0 || hi > 1 {
		t.Errorf("two positives: [%v, %v]", lo, hi)
	}
	few[3] = false
	if lo, hi := AUCInterval(s, few, 1000, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one positive: [%v, %v], want NaN", lo, hi)
	}
}

// TestAUCIntervalMethodsAgree checks that where AUCInterval turns from
// the bootstrap to DeLong's interval, the two agree: on deLongRows rows
// of a middling and of a high AUC, both ends within 0.002.
func TestAUCIntervalMethodsAgree(t *testing.T) {
	for _, shift := range []float64{0.8, 3} {
		r := rand.New(rand.NewPCG(8, uint64(shift*10)))
		s, y := labeledScores(r, deLongRows, 0.15, func(_ int, pos bool) float64 { return r.NormFloat64() + shift*b2f(pos) })
		lo, hi := AUCInterval(s, y, 1000, 3)
		blo, bhi := aucInterval(s, y, 1000, 3, math.MaxInt)
		if math.Abs(lo-blo) > 0.002 || math.Abs(hi-bhi) > 0.002 {
			t.Errorf("AUC %.4f: DeLong [%.4f, %.4f], bootstrap [%.4f, %.4f]", AUC(s, y), lo, hi, blo, bhi)
		}
		t.Logf("AUC %.4f: DeLong [%.5f, %.5f], bootstrap [%.5f, %.5f]", AUC(s, y), lo, hi, blo, bhi)
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
	s, y := labeledScores(r, n, 0.25, func(i int, pos bool) float64 {
		v := r.NormFloat64() + b2f(pos)
		if i%3 == 0 {
			v = math.Round(2 * v) // ties
		}
		return v
	})
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
