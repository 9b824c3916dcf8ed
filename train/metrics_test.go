package train

import (
	"math"
	"math/rand/v2"
	"testing"
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
