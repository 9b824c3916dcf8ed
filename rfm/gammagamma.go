package rfm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"
)

// GammaGamma holds the parameters of the Gamma-Gamma spend model (Fader,
// Hardie and Lee 2005, "RFM and CLV"; Colombo and Jiang 1999): a customer's
// transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers,
// independent of the purchase process.
type GammaGamma struct {
	P             float64 `json:"p"`
	Q             float64 `json:"q"`
	V             float64 `json:"v"` // γ, the scale of the spend distribution
	LogLikelihood float64 `json:"log_likelihood"`
	// Customers is the number of repeat buyers it was fitted on.
	Customers int `json:"customers"`
	// SpendFrequencyCorrelation is the Pearson correlation between mean
	// spend and the number of repeat purchases; the model assumes none.
	SpendFrequencyCorrelation float64 `json:"spend_frequency_correlation"`
}

// Spend is a repeat buyer's number of repeat purchases X and their mean
// value M.
type Spend struct {
	X, M float64
}

// logLik is one customer's log-likelihood:
//
//	ℓ = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ + m x)
func (g GammaGamma) logLik(s Spend) float64 {
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	p, q, v, x, m := g.P, g.Q, g.V, s.X, s.M
	return lg(p*x+q) - lg(p*x) - lg(q) + q*math.Log(v) + (p*x-1)*math.Log(m) + p*x*math.Log(x) - (p*x+q)*math.Log(v+m*x)
}

// ExpectedSpend returns the expected mean transaction value of a customer
// with x repeat purchases of mean value m:
//
//	E[M | m, x] = p (γ + m x) / (p x + q − 1)
//
// With x = 0 it is the population mean p γ / (q − 1). It is NaN when q ≤ 1.
func (g GammaGamma) ExpectedSpend(x, m float64) float64 {
	if g.Q <= 1 {
		return math.NaN()
	}
	if x == 0 {
		return g.P * g.V / (g.Q - 1)
	}
	return g.P * (g.V + m*x) / (g.P*x + g.Q - 1)
}

// FitGammaGamma estimates p, q, γ by maximum likelihood (gonum L-BFGS on the
// logarithms) from repeat buyers with positive mean spend. Customers with
// x = 0 or m ≤ 0 must be left out by the caller.
func FitGammaGamma(ctx context.Context, data []Spend) (GammaGamma, error) {
	if len(data) < 2 {
		return GammaGamma{}, errors.New("rfm: Gamma-Gamma needs at least two repeat buyers with positive spend")
	}
	xs := make([]float64, len(data))
	ms := make([]float64, len(data))
	for i, s := range data {
		if s.X <= 0 || s.M <= 0 || math.IsNaN(s.M) || math.IsInf(s.M, 0) {
			return GammaGamma{}, fmt.Errorf("rfm: Gamma-Gamma: bad spend %+v (want x > 0, m > 0)", s)
		}
		xs[i], ms[i] = s.X, s.M
	}
	negLL := func(p []float64) float64 {
		g := GammaGamma{P: math.Exp(p[0]), Q: math.Exp(p[1]), V: math.Exp(p[2])}
		ll := 0.0
		for _, s := range data {
			ll += g.logLik(s)
		}
		if math.IsNaN(ll) {
			return math.Inf(1)
		}
		return -ll
	}
	var ctxErr error
	problem := optimize.Problem{
		Func: negLL,
		Grad: func(grad, p []float64) {
			for i := range p {
				h := 1e-6 * math.Max(1, math.Abs(p[i]))
				q := append([]float64(nil), p...)
				q[i] = p[i] + h
				fp := negLL(q)
				q[i] = p[i] - h
				grad[i] = (fp - negLL(q)) / (2 * h)
			}
		},
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				ctxErr = err
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	// Start at the method-of-moments-like guess p = q = 1, γ = mean spend.
	init := []float64{0, 0, math.Log(stat.Mean(ms, nil))}
	res, err := optimize.Minimize(problem, init, &optimize.Settings{GradientThreshold: 1e-7, MajorIterations: 2000}, &optimize.LBFGS{})
	if ctxErr != nil {
		return GammaGamma{}, ctxErr
	}
	if res == nil {
		return GammaGamma{}, fmt.Errorf("rfm: Gamma-Gamma fit: %w", err)
	}
	if err != nil {
		g := make([]float64, 3)
		problem.Grad(g, res.X)
		for _, v := range g {
			if math.Abs(v) > 1e-3*math.Max(1, float64(len(data))/1000) {
				return GammaGamma{}, fmt.Errorf("rfm: Gamma-Gamma fit stopped with gradient %.3g: %w", v, err)
			}
		}
	}
	gg := GammaGamma{P: math.Exp(res.X[0]), Q: math.Exp(res.X[1]), V: math.Exp(res.X[2]), Customers: len(data)}
	gg.LogLikelihood = -negLL(res.X)
	gg.SpendFrequencyCorrelation = stat.Correlation(xs, ms, nil)
	return gg, nil
}
