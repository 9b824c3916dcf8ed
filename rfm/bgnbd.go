package rfm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
)

// fitChunk is how many distinct summaries a core sums at a time in
// FitBGNBD's log-likelihood.
const fitChunk = 1 << 14

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
	return m.expectation(s).at(t)
}

// expectation is ExpectedPurchases for one customer, with what does not
// depend on t worked out once: CLV asks for it at every month of the
// horizon.
type expectation struct {
	m      BGNBD
	s      Summary
	lT     float64 // ln(α+T)
	lead   float64 // (a+b+x−1)/(a−1)
	scaled float64 // the denominator
}

func (m BGNBD) expectation(s Summary) expectation {
	a, b, x := m.A, m.B, s.X
	e := expectation{m: m, s: s, lT: math.Log(m.Alpha + s.T), lead: (a + b + x - 1) / (a - 1), scaled: 1}
	if x > 0 {
		e.scaled += math.Exp(math.Log(a) - math.Log(b+x-1) + (m.R+x)*(e.lT-math.Log(m.Alpha+s.TX)))
	}
	return e
}

// at returns the expected purchases in the next t time units.
func (e expectation) at(t float64) float64 {
	if t <= 0 {
		return 0
	}
	if e.m.A == 1 {
		return math.NaN()
	}
	r, alpha, a, b, x := e.m.R, e.m.Alpha, e.m.A, e.m.B, e.s.X
	z := t / (alpha + e.s.T + t)
	f := hyp2f1(r+x, b+x, a+b+x-1, z)
	term := math.Exp((r+x)*(e.lT-math.Log(alpha+e.s.T+t))) * f
	return e.lead * (1 - term) / e.scaled
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
	// The terms of the log-likelihood that depend on x alone (gamma
	// functions and their derivatives) are computed once per distinct x;
	// each group then costs two logarithms. Gradients are analytic:
	//
	//	∂ℓ/∂r = ψ(r+x) − ψ(r) + ln α − w₃ ln(α+T) − w₄ ln(α+tₓ)
	//	∂ℓ/∂α = r/α − (r+x) (w₃/(α+T) + w₄/(α+tₓ))
	//	∂ℓ/∂a = ψ(a+b) − ψ(a+b+x) + w₄/a
	//	∂ℓ/∂b = ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x) − w₄/(b+x−1)
	//
	// with w₃, w₄ the shares of the two terms of L (w₄ = 0 when x = 0).
	// L-BFGS works on log-parameters, so each is scaled by its parameter.
	maxX := 0
	for _, g := range groups {
		maxX = max(maxX, int(g.s.X))
	}
	type xTerms struct{ lgRX, lgBX, lgABX, psiRX, psiBX, psiABX float64 }
	cache := make([]xTerms, maxX+1)
	lg := func(v float64) float64 { l, _ := math.Lgamma(v); return l }
	// eval returns −ℓ − penalty… as a minimisation objective, and its
	// gradient in log-parameters when grad is not nil.
	eval := func(p, grad []float64) float64 {
		r, alpha, a, b := math.Exp(p[0]), math.Exp(p[1]), math.Exp(p[2]), math.Exp(p[3])
		for x := range cache {
			fx := float64(x)
			cache[x] = xTerms{lg(r + fx), lg(b + fx), lg(a + b + fx), mathext.Digamma(r + fx), mathext.Digamma(b + fx), mathext.Digamma(a + b + fx)}
		}
		lgR, lgB, lgAB := lg(r), lg(b), lg(a+b)
		psiR, psiB, psiAB := mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
		la, lalpha := math.Log(a), math.Log(alpha)
		// The sums over the groups, a chunk of them at a time on every
		// core; the chunks' sums are added in chunk order, so the result
		// does not depend on the cores.
		type sums struct{ ll, gr, galpha, ga, gb float64 }
		sumChunk := func(chunk []group) (s sums) {
			for _, g := range chunk {
				x := g.s.X
				c := &cache[int(x)]
				lT := math.Log(alpha + g.s.T)
				a1 := c.lgRX - lgR + r*lalpha
				a2 := lgAB + c.lgBX - lgB - c.lgABX
				a3 := -(r + x) * lT
				w3, w4, lTx, l := 1.0, 0.0, 0.0, a1+a2+a3
				if x > 0 {
					lTx = math.Log(alpha + g.s.TX)
					a4 := la - math.Log(b+x-1) - (r+x)*lTx
					hi, lo := math.Max(a3, a4), math.Min(a3, a4)
					l = a1 + a2 + hi + math.Log1p(math.Exp(lo-hi))
					w4 = 1 / (1 + math.Exp(a3-a4))
					w3 = 1 - w4
				}
				s.ll += g.n * l
				if grad != nil {
					s.gr += g.n * (c.psiRX - psiR + lalpha - w3*lT - w4*lTx)
					s.galpha += g.n * (r/alpha - (r+x)*(w3/(alpha+g.s.T)+w4/(alpha+g.s.TX)))
					s.ga += g.n * (psiAB - c.psiABX + w4/a)
					d := 0.0
					if x > 0 {
						d = w4 / (b + x - 1)
					}
					s.gb += g.n * (psiAB + c.psiBX - psiB - c.psiABX - d)
				}
			}
			return s
		}
		chunks := make([]sums, (len(groups)+fitChunk-1)/fitChunk)
		var eg errgroup.Group
		eg.SetLimit(runtime.GOMAXPROCS(0))
		for k := range chunks {
			eg.Go(func() error {
				chunks[k] = sumChunk(groups[k*fitChunk : min((k+1)*fitChunk, len(groups))])
				return nil
			})
		}
		eg.Wait()
		var ll, gr, galpha, ga, gb float64
		for _, c := range chunks {
			ll, gr, galpha, ga, gb = ll+c.ll, gr+c.gr, galpha+c.galpha, ga+c.ga, gb+c.gb
		}
		pen := cfg.L2 * (r*r + alpha*alpha + a*a + b*b)
		if grad != nil {
			grad[0] = -(gr - 2*cfg.L2*r) * r
			grad[1] = -(galpha - 2*cfg.L2*alpha) * alpha
			grad[2] = -(ga - 2*cfg.L2*a) * a
			grad[3] = -(gb - 2*cfg.L2*b) * b
		}
		v := -ll + pen
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	var ctxErr error
	problem := optimize.Problem{
		Func: func(p []float64) float64 { return eval(p, nil) },
		Grad: func(grad, p []float64) { eval(p, grad) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				ctxErr = err
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	init := []float64{0, 0, 0, 0} // r = α = a = b = 1
	res, err := optimize.Minimize(problem, init, &optimize.Settings{GradientThreshold: 1e-9 * float64(len(data)), MajorIterations: 2000}, &optimize.LBFGS{})
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
		eval(res.X, g)
		for _, v := range g {
			if math.Abs(v) > 1e-4*float64(len(data)) {
				return BGNBD{}, fmt.Errorf("rfm: BG/NBD fit stopped with gradient %.3g: %w", v, err)
			}
		}
	}
	m := BGNBD{R: math.Exp(res.X[0]), Alpha: math.Exp(res.X[1]), A: math.Exp(res.X[2]), B: math.Exp(res.X[3])}
	for _, g := range groups {
		m.LogLikelihood += g.n * m.logLik(g.s)
	}
	return m, nil
}
