package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkFitLogistic fits standard-normal designs with known coefficients
// (β_j = ((j mod 7) − 3)/10, intercept −1), the data scripts/lr_speed_sklearn.py
// times scikit-learn on.
func BenchmarkFitLogistic(b *testing.B) {
	for _, n := range []int{1000, 100000, 800000} {
		b.Run(fmt.Sprintf("rows=%d/cols=45", n), func(b *testing.B) {
			p := 45
			r := rand.New(rand.NewPCG(1, 1))
			x := make([]float64, n*p)
			y := make([]bool, n)
			for i := range n {
				eta := -1.0
				for j := range p {
					v := r.NormFloat64()
					x[i*p+j] = v
					eta += float64(j%7-3) / 10 * v
				}
				y[i] = r.Float64() < 1/(1+math.Exp(-eta))
			}
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				if _, err := FitLogistic(context.Background(), x, y, p, LogisticConfig{C: 1}); err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchScores returns n scores and labels: a fifth of the rows positive,
// their scores one standard deviation above the negatives'.
func benchScores(n int) ([]float64, []bool) {
	r := rand.New(rand.NewPCG(2, 3))
	return labeledScores(r, n, 0.2, func(_ int, pos bool) float64 { return r.NormFloat64() + b2f(pos) })
}

// BenchmarkAUCInterval times the interval as evaluate takes it: a
// bootstrap of 1000 resamples at 10,000 rows, DeLong's at 160,000.
func BenchmarkAUCInterval(b *testing.B) {
	for _, n := range []int{10000, 160000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			s, y := benchScores(n)
			for b.Loop() {
				AUCInterval(s, y, 1000, 7)
			}
		})
	}
}

// BenchmarkFitPlatt fits Platt scaling to a holdout's logits, as the
// calibration of a tree model does (six fits: five folds and all rows).
func BenchmarkFitPlatt(b *testing.B) {
	for _, n := range []int{10000, 64000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			logits, y := benchScores(n)
			for b.Loop() {
				if _, err := FitPlatt(context.Background(), logits, y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
