package train

import (
	"context"
	"errors"
	"fmt"
	"math"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"leadscore/predict"
)

// chunkRows is the number of rows each partial gradient covers. Partial sums
// are added in chunk order, so results do not depend on the worker count.
const chunkRows = 8192

// LogisticConfig configures FitLogistic.
type LogisticConfig struct {
	// C is the inverse L2 strength, as in scikit-learn; 0 means 1.
	C float64
	// MaxIter bounds L-BFGS iterations; 0 means 1000.
	MaxIter int
	// Workers bounds parallelism; 0 means 2.
	Workers int
	// Rows, when set, are the rows of x and y to fit on (a cross-validation
	// fold, without copying the design); nil means every row.
	Rows []int
}

// FitLogistic fits an L2-regularised logistic regression on the row-major
// design matrix x (n rows × p columns) and labels y by minimising, with
// gonum's L-BFGS,
//
//	F(b₀, w) = Σᵢ [log(1 + exp(ηᵢ)) − yᵢ ηᵢ] + ‖w‖² / (2C),  ηᵢ = b₀ + xᵢ·w
//
// which is scikit-learn's LogisticRegression(penalty="l2", C=C) objective
// divided by C: the intercept b₀ is not penalised. It panics if
// len(x) != len(y)·p.
func FitLogistic(ctx context.Context, x []float64, y []bool, p int, cfg LogisticConfig) (*predict.Logistic, error) {
	if len(x) != len(y)*p {
		panic(fmt.Sprintf("train: FitLogistic: len(x) = %d, want %d×%d", len(x), len(y), p))
	}
	rows := cfg.Rows
	if rows == nil {
		rows = make([]int, len(y))
		for i := range rows {
			rows[i] = i
		}
	}
	n := len(rows)
	c := cfg.C
	if c == 0 {
		c = 1
	}
	if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
		return nil, fmt.Errorf("train: LogisticConfig.C must be positive and finite, got %g", c)
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = 2
	}
	maxIter := cfg.MaxIter
	if maxIter == 0 {
		maxIter = 1000
	}
	yf := make([]float64, n)
	for j, i := range rows {
		if y[i] {
			yf[j] = 1
		}
	}
	nChunks := (n + chunkRows - 1) / chunkRows
	partG := make([][]float64, nChunks)
	for k := range partG {
		partG[k] = make([]float64, p+1)
	}
	partF := make([]float64, nChunks)
	scale := 1 / float64(n) // minimise F/n for well-scaled tolerances

	// eval computes F/n and its gradient at beta = (b₀, w) in one pass.
	eval := func(beta, grad []float64) float64 {
		b0, w := beta[0], beta[1:]
		var g errgroup.Group
		g.SetLimit(workers)
		for k := range nChunks {
			g.Go(func() error {
				lo, hi := k*chunkRows, min((k+1)*chunkRows, n)
				gk := partG[k]
				clear(gk)
				f := 0.0
				for j := lo; j < hi; j++ {
					i := rows[j]
					row := x[i*p : (i+1)*p]
					eta := b0 + floats.Dot(row, w)
					// One exponential serves both log(1+e^η) and σ(η):
					// with e = exp(−|η|), log(1+e^η) = max(η, 0) + log1p(e)
					// and σ(η) = 1/(1+e) for η ≥ 0, e/(1+e) otherwise.
					e := math.Exp(-math.Abs(eta))
					sig := 1 / (1 + e)
					if eta < 0 {
						sig = e / (1 + e)
					}
					f += math.Max(eta, 0) + math.Log1p(e) - yf[j]*eta
					r := sig - yf[j]
					gk[0] += r
					floats.AddScaled(gk[1:], r, row)
				}
				partF[k] = f
				return nil
			})
		}
		g.Wait()
		f := 0.0
		if grad != nil {
			clear(grad)
		}
		for k := range nChunks {
			f += partF[k]
			if grad != nil {
				floats.Add(grad, partG[k])
			}
		}
		f += floats.Dot(w, w) / (2 * c)
		if grad != nil {
			floats.AddScaled(grad[1:], 1/c, w)
			floats.Scale(scale, grad)
		}
		return f * scale
	}
	// L-BFGS asks for the value and the gradient at the same point; compute
	// both once and serve the second call from the cache.
	var lastX, lastG []float64
	var lastF float64
	cached := func(beta []float64) {
		if lastX != nil && floats.Equal(beta, lastX) {
			return
		}
		if lastG == nil {
			lastG = make([]float64, p+1)
		}
		lastF = eval(beta, lastG)
		lastX = append(lastX[:0], beta...)
	}
	var ctxErr error
	problem := optimize.Problem{
		Func: func(beta []float64) float64 {
			cached(beta)
			return lastF
		},
		Grad: func(grad, beta []float64) {
			cached(beta)
			copy(grad, lastG)
		},
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				ctxErr = err
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	init := make([]float64, p+1)
	// Start the intercept at the log-odds of the base rate.
	pos := floats.Sum(yf)
	if pos > 0 && pos < float64(n) {
		init[0] = math.Log(pos / (float64(n) - pos))
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-14, Iterations: 50},
	}
	res, err := optimize.Minimize(problem, init, settings, &optimize.LBFGS{Store: 20})
	if ctxErr != nil {
		return nil, ctxErr
	}
	if res == nil {
		return nil, fmt.Errorf("train: L-BFGS: %w", err)
	}
	if err != nil {
		// L-BFGS may stop with "linesearch: failed to converge" when it sits
		// at the optimum and cannot decrease the loss in float64. Accept
		// that when the gradient is small; fail otherwise.
		g := make([]float64, p+1)
		eval(res.X, g)
		if floats.Norm(g, math.Inf(1)) > 1e-5 {
			return nil, fmt.Errorf("train: L-BFGS stopped with gradient %.3g: %w", floats.Norm(g, math.Inf(1)), err)
		}
	}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("train: L-BFGS diverged (non-finite coefficients)")
		}
	}
	return &predict.Logistic{Intercept: res.X[0], Coef: append([]float64(nil), res.X[1:]...), C: c}, nil
}
