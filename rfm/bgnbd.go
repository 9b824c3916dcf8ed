package rfm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
)

// Summary is a customer's purchase history in BTYD terms, in the chosen
// time unit: X repeat purchases (purchase days after the first), TX the time
// from the first to the last purchase, T the time from the first purchase to
// the end of the observation.
type Summary struct {
	X, TX, T float64
}

// BGNBD holds the parameters of the beta-geometric/NBD model (Fader, Hardie
// and Lee 2005): while alive a customer buys at rate λ ~ Gamma(r, α); after
// each purchase the customer drops out with probability p ~ Beta(a, b).
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	// LogLikelihood is the sum over customers at the fitted parameters.
	LogLikelihood float64 `json:"log_likelihood"`
}

// LogLikelihood returns one customer's log-likelihood:
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+T)^(r+x))
//	  + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+tₓ)^(r+x))
func (m BGNBD) logLik(s Summary) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	x := s.X
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	a1 := lg(r+x) - lg(r) + r*math.Log(alpha)
	a2 := lg(a+b) + lg(b+x) - lg(b) - lg(a+b+x)
	a3 := -(r + x) * math.Log(alpha+s.T)
	if x == 0 {
		return a1 + a2 + a3
	}
	a4 := math.Log(a) - math.Log(b+x-1) - (r+x)*math.Log(alpha+s.TX)
	// log(e^a3 + e^a4), stably.
	hi, lo := math.Max(a3, a4), math.Min(a3, a4)
	return a1 + a2 + hi + math.Log1p(math.Exp(lo-hi))
}

// PAlive returns the probability that a customer with this history is still
// alive at T: 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)). It is 1
// for a customer with no repeat purchase: the model only lets customers drop
// out right after a purchase.
func (m BGNBD) PAlive(s Summary) float64 {
	if s.X == 0 {
		return 1
	}
	lr := math.Log(m.A) - math.Log(m.B+s.X-1) + (m.R+s.X)*(math.Log(m.Alpha+s.T)-math.Log(m.Alpha+s.TX))
	return 1 / (1 + math.Exp(lr))
}

// ExpectedPurchases returns the expected number of purchases in the next t
// time units for a customer with this history:
//
//	E[Y(t)] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
//	          / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x))
//
// The formula holds for any a ≠ 1 (CDNOW's a is 0.79); at a = 1 exactly it
// is NaN. It is 0 for t ≤ 0.
func (m BGNBD) ExpectedPurchases(s Summary, t float64) float64 {
	if t <= 0 {
		return 0
	}
	if m.A == 1 {
		return math.NaN()
	}
	r, alpha, a, b, x := m.R, m.Alpha, m.A, m.B, s.X
	z := t / (alpha + s.T + t)
	f := hyp2f1(r+x, b+x, a+b+x-1, z)
	term := math.Exp((r+x)*(math.Log(alpha+s.T)-math.Log(alpha+s.T+t))) * f
	num := (a + b + x - 1) / (a - 1) * (1 - term)
	den := 1.0
	if x > 0 {
		den += math.Exp(math.Log(a) - math.Log(b+x-1) + (r+x)*(math.Log(alpha+s.T)-math.Log(alpha+s.TX)))
	}
	return num / den
}

// ExpectedPurchasesNew returns E[X(t)], the expected number of purchases of
// a new customer in a period of length t:
//
//	E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))ʳ · ₂F₁(r, b; a+b−1; t/(α+t))]
func (m BGNBD) ExpectedPurchasesNew(t float64) float64 {
	if m.A == 1 {
		return math.NaN()
	}
	z := t / (m.Alpha + t)
	return (m.A + m.B - 1) / (m.A - 1) * (1 - math.Pow(m.Alpha/(m.Alpha+t), m.R)*hyp2f1(m.R, m.B, m.A+m.B-1, z))
}

// hyp2f1 is the Gauss hypergeometric function for 0 ≤ z < 1 (gonum's
// mathext.Hypergeo). Where that series overflows or loses itself for large
// parameters near z = 1, it uses Pfaff's transformation
// ₂F₁(a, b; c; z) = (1−z)^(−b) ₂F₁(c−a, b; c; z/(z−1)), whose argument is
// negative.
func hyp2f1(a, b, c, z float64) float64 {
	v := mathext.Hypergeo(a, b, c, z)
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		return v
	}
	return math.Pow(1-z, -b) * mathext.Hypergeo(c-a, b, c, z/(z-1))
}

// FitConfig configures FitBGNBD.
type FitConfig struct {
	// L2 is an optional penalty L2·(r² + α² + a² + b²) on the parameters
	// that keeps degenerate data from driving them to infinity (lifetimes'
	// penalizer_coef). 0 fits by plain maximum likelihood.
	L2 float64
}

// ErrNoRepeat is returned when no customer has a repeat purchase: the
// drop-out process cannot be estimated.
var ErrNoRepeat = errors.New("rfm: no customer has a repeat purchase; BG/NBD cannot be fitted")

// FitBGNBD estimates the parameters by maximum likelihood with gonum's
// L-BFGS on their logarithms (so they stay positive). Customers with the
// same (x, tₓ, T) are grouped, so the cost grows with distinct histories,
// not customers. The result is deterministic.
func FitBGNBD(ctx context.Context, data []Summary, cfg FitConfig) (BGNBD, error) {
	type group struct {
		s Summary
		n float64
	}
	idx := map[Summary]int{}
	var groups []group
	repeat := false
	for _, s := range data {
		if s.X < 0 || s.TX < 0 || s.T < s.TX || math.IsNaN(s.T) {
			return BGNBD{}, fmt.Errorf("rfm: bad summary %+v: want 0 ≤ tₓ ≤ T and x ≥ 0", s)
		}
		repeat = repeat || s.X > 0
		if i, ok := idx[s]; ok {
			groups[i].n++
			continue
		}
		idx[s] = len(groups)
		groups = append(groups, group{s, 1})
	}
	if !repeat {
		return BGNBD{}, ErrNoRepeat
	}
	sort.Slice(groups, func(i, j int) bool { // a fixed order: sums do not depend on map order
		a, b := groups[i].s, groups[j].s
		if a.X != b.X {
			return a.X < b.X
		}
		if a.TX != b.TX {
			return a.TX < b.TX
		}
		return a.T < b.T
	})
	negLL := func(p []float64) float64 {
		m := BGNBD{R: math.Exp(p[0]), Alpha: math.Exp(p[1]), A: math.Exp(p[2]), B: math.Exp(p[3])}
		ll := 0.0
		for _, g := range groups {
			ll += g.n * m.logLik(g.s)
		}
		pen := cfg.L2 * (m.R*m.R + m.Alpha*m.Alpha + m.A*m.A + m.B*m.B)
		v := -ll + pen
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	var ctxErr error
	problem := optimize.Problem{
		Func: negLL,
		Grad: func(grad, p []float64) {
			// Central differences: four parameters, cheap next to the sum.
			for i := range p {
				h := 1e-6 * math.Max(1, math.Abs(p[i]))
				q := append([]float64(nil), p...)
				q[i] = p[i] + h
				fp := negLL(q)
				q[i] = p[i] - h
				fm := negLL(q)
				grad[i] = (fp - fm) / (2 * h)
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
	init := []float64{0, 0, 0, 0} // r = α = a = b = 1
	res, err := optimize.Minimize(problem, init, &optimize.Settings{GradientThreshold: 1e-7, MajorIterations: 2000}, &optimize.LBFGS{})
	if ctxErr != nil {
		return BGNBD{}, ctxErr
	}
	if res == nil {
		return BGNBD{}, fmt.Errorf("rfm: BG/NBD fit: %w", err)
	}
	// L-BFGS can end on "linesearch: failed to converge" at the optimum;
	// accept it when the gradient is small relative to the sample.
	if err != nil {
		g := make([]float64, 4)
		problem.Grad(g, res.X)
		worst := 0.0
		for _, v := range g {
			worst = math.Max(worst, math.Abs(v))
		}
		if worst > 1e-3*math.Max(1, float64(len(data))/1000) {
			return BGNBD{}, fmt.Errorf("rfm: BG/NBD fit stopped with gradient %.3g: %w", worst, err)
		}
	}
	m := BGNBD{R: math.Exp(res.X[0]), Alpha: math.Exp(res.X[1]), A: math.Exp(res.X[2]), B: math.Exp(res.X[3])}
	for _, g := range groups {
		m.LogLikelihood += g.n * m.logLik(g.s)
	}
	return m, nil
}
