package rfm

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
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
	// Gamma-function terms depend on x alone and are computed once per
	// distinct x; ln m and ln x are computed once. Gradients are analytic:
	//
	//	∂ℓ/∂p = x [ψ(px+q) − ψ(px) + ln m + ln x − ln(γ+mx)]
	//	∂ℓ/∂q = ψ(px+q) − ψ(q) + ln γ − ln(γ+mx)
	//	∂ℓ/∂γ = q/γ − (px+q)/(γ+mx)
	type xTerms struct{ lgA, lgB, psiA, psiB float64 }
	xIndex := map[float64]int{}
	var xs2 []float64
	xi := make([]int, len(data))
	lnM := make([]float64, len(data))
	lnX := make([]float64, len(data))
	for i, s := range data {
		k, ok := xIndex[s.X]
		if !ok {
			k = len(xs2)
			xIndex[s.X] = k
			xs2 = append(xs2, s.X)
		}
		xi[i], lnM[i], lnX[i] = k, math.Log(s.M), math.Log(s.X)
	}
	cache := make([]xTerms, len(xs2))
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	eval := func(par, grad []float64) float64 {
		p, q, v := math.Exp(par[0]), math.Exp(par[1]), math.Exp(par[2])
		for k, x := range xs2 {
			cache[k] = xTerms{lg(p*x + q), lg(p * x), mathext.Digamma(p*x + q), mathext.Digamma(p * x)}
		}
		lgQ, psiQ, lnV := lg(q), mathext.Digamma(q), math.Log(v)
		var ll, gp, gq, gv float64
		for i, s := range data {
			c := &cache[xi[i]]
			x := s.X
			lvm := math.Log(v + s.M*x)
			ll += c.lgA - c.lgB - lgQ + q*lnV + (p*x-1)*lnM[i] + p*x*lnX[i] - (p*x+q)*lvm
			if grad != nil {
				gp += x * (c.psiA - c.psiB + lnM[i] + lnX[i] - lvm)
				gq += c.psiA - psiQ + lnV - lvm
				gv += q/v - (p*x+q)/(v+s.M*x)
			}
		}
		if grad != nil {
			grad[0], grad[1], grad[2] = -gp*p, -gq*q, -gv*v
		}
		if math.IsNaN(ll) {
			return math.Inf(1)
		}
		return -ll
	}
	negLL := func(par []float64) float64 { return eval(par, nil) }
	var ctxErr error
	problem := optimize.Problem{
		Func: negLL,
		Grad: func(grad, par []float64) { eval(par, grad) },
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
	res, err := optimize.Minimize(problem, init, &optimize.Settings{GradientThreshold: 1e-9 * float64(len(data)), MajorIterations: 2000}, &optimize.LBFGS{})
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
			if math.Abs(v) > 1e-4*float64(len(data)) {
				return GammaGamma{}, fmt.Errorf("rfm: Gamma-Gamma fit stopped with gradient %.3g: %w", v, err)
			}
		}
	}
	gg := GammaGamma{P: math.Exp(res.X[0]), Q: math.Exp(res.X[1]), V: math.Exp(res.X[2]), Customers: len(data)}
	gg.LogLikelihood = -negLL(res.X)
	gg.SpendFrequencyCorrelation = stat.Correlation(xs, ms, nil)
	return gg, nil
}
