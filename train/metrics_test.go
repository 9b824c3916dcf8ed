package train

import (
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
// resample's rows (the same draws AUCInterval makes) are copied out and
// given to AUC, and the 2.5% and 97.5% quantiles of those AUCs must be the
// interval's ends. The scores mix tied groups of both classes with
// single rows, the two ways the sweep adds a group.
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
	aucs := make([]float64, resamples)
	rs, ry := make([]float64, n), make([]bool, n)
	for k := range aucs {
		r := rand.New(rand.NewPCG(seed, 0xa0c+uint64(k)))
		for j := range n {
			i := r.IntN(n)
			rs[j], ry[j] = s[i], y[i]
		}
		aucs[k] = AUC(rs, ry)
	}
	slices.Sort(aucs)
	wantLo, wantHi := stat.Quantile(0.025, stat.Empirical, aucs, nil), stat.Quantile(0.975, stat.Empirical, aucs, nil)
	if math.Abs(lo-wantLo) > 1e-12 || math.Abs(hi-wantHi) > 1e-12 {
		t.Errorf("interval [%v, %v], resampled by hand [%v, %v]", lo, hi, wantLo, wantHi)
	}
}
