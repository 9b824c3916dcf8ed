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
	// Loose stops at a gradient of 1e-5 (of the mean loss) instead of
	// 1e-7: enough to compare regularisation strengths by their held-out
	// loss, for the cross-validation's many fits.
	Loose bool
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
	d := &design{n: len(y), p: p, dense: x, denseCols: make([]int, p)}
	for j := range p {
		d.denseCols[j] = j
	}
	return fitLogistic(ctx, d, y, cfg)
}

// design is a standardised design matrix in predict.Layout's compact form:
// the dense columns row-major, and for each group of one-hot level columns
// the slot of the column that is on in each row. Column j of a group
// holds (1 − mean)/scale where it is on and −mean/scale elsewhere.
type design struct {
	n, p      int       // rows; design columns in all
	dense     []float64 // n × len(denseCols)
	denseCols []int     // the design column of each dense column
	groups    []levelColumns
	slots     []int32 // n × len(groups): the slot on, or −1 for none
}

type levelColumns struct {
	cols        []int // design column per slot
	mean, scale []float64
}

// linearTerms arranges the coefficients beta = (b₀, w) for the compact
// rows: wd per dense column, and per group the log-odds added when each
// slot is on (index slot+1; index 0 is none), with every column's "off"
// value folded into the intercept b.
func (d *design) linearTerms(beta []float64, wd []float64, on [][]float64) (b float64) {
	b = beta[0]
	w := beta[1:]
	for k, j := range d.denseCols {
		wd[k] = w[j]
	}
	for g, lc := range d.groups {
		on[g][0] = 0
		for s, j := range lc.cols {
			b -= w[j] * lc.mean[s] / lc.scale[s]
			on[g][s+1] = w[j] / lc.scale[s]
		}
	}
	return b
}

func (d *design) newOn() [][]float64 {
	on := make([][]float64, len(d.groups))
	for g, lc := range d.groups {
		on[g] = make([]float64, len(lc.cols)+1)
	}
	return on
}

// eta returns row i's linear predictor from linearTerms' arrangement.
func (d *design) eta(i int, b float64, wd []float64, on [][]float64) float64 {
	nd, ng := len(d.denseCols), len(d.groups)
	eta := b
	if nd > 0 {
		eta += floats.Dot(d.dense[i*nd:(i+1)*nd], wd)
	}
	for g, s := range d.slots[i*ng : (i+1)*ng] {
		eta += on[g][s+1]
	}
	return eta
}

// logits writes the log-odds of lr for rows into out.
func (d *design) logits(lr *predict.Logistic, rows []int, out []float64) {
	beta := append([]float64{lr.Intercept}, lr.Coef...)
	wd, on := make([]float64, len(d.denseCols)), d.newOn()
	b := d.linearTerms(beta, wd, on)
	for k, i := range rows {
		out[k] = d.eta(i, b, wd, on)
	}
}

// fitLogistic is FitLogistic on a compact design. The loss and gradient
// are those of the full design: for a level column j of a group,
// ∂F/∂wⱼ = (Σ_{rows with j on} rᵢ − meanⱼ Σ rᵢ) / scaleⱼ with rᵢ = σ(ηᵢ) − yᵢ.
func fitLogistic(ctx context.Context, d *design, y []bool, cfg LogisticConfig) (*predict.Logistic, error) {
	rows := cfg.Rows
	if rows == nil {
		rows = make([]int, d.n)
		for i := range rows {
			rows[i] = i
		}
	}
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
	obj := newObjective(d, y, rows, c, workers)
	tol := 1e-7
	if cfg.Loose {
		tol = 1e-5
	}
	beta, err := minimize(ctx, obj, d.p, maxIter, tol)
	if err != nil {
		return nil, err
	}
	return &predict.Logistic{Intercept: beta[0], Coef: append([]float64(nil), beta[1:]...), C: c}, nil
}

// objective is the L2-penalised logistic loss over the rows, divided by
// their number (for well-scaled tolerances), with its gradient, computed
// in one pass of chunks on workers goroutines.
type objective struct {
	d       *design
	rows    []int
	yf      []float64
	c       float64
	workers int
	// A chunk's partial sums: Σr, then Σ r·x per dense column, then per
	// group Σ r over the rows with each slot on (slot −1 first).
	width   int
	groupAt []int
	part    [][]float64
	partF   []float64
	sum     []float64
	wd      []float64
	on      [][]float64
}

func newObjective(d *design, y []bool, rows []int, c float64, workers int) *objective {
	n := len(rows)
	o := &objective{d: d, rows: rows, yf: make([]float64, n), c: c, workers: workers, groupAt: make([]int, len(d.groups)),
		wd: make([]float64, len(d.denseCols)), on: d.newOn()}
	for j, i := range rows {
		if y[i] {
			o.yf[j] = 1
		}
	}
	o.width = 1 + len(d.denseCols)
	for g, lc := range d.groups {
		o.groupAt[g] = o.width
		o.width += len(lc.cols) + 1
	}
	nChunks := (n + chunkRows - 1) / chunkRows
	o.part, o.partF, o.sum = make([][]float64, nChunks), make([]float64, nChunks), make([]float64, o.width)
	for k := range o.part {
		o.part[k] = make([]float64, o.width)
	}
	return o
}

// eval returns the loss at beta = (b₀, w) and, with grad set, writes its
// gradient.
func (o *objective) eval(beta, grad []float64) float64 {
	d := o.d
	nd, ng, n := len(d.denseCols), len(d.groups), len(o.rows)
	b := d.linearTerms(beta, o.wd, o.on)
	var g errgroup.Group
	g.SetLimit(o.workers)
	for k := range o.part {
		g.Go(func() error {
			lo, hi := k*chunkRows, min((k+1)*chunkRows, n)
			pk := o.part[k]
			clear(pk)
			gd := pk[1 : 1+nd]
			f, rsum := 0.0, 0.0
			for j := lo; j < hi; j++ {
				i := o.rows[j]
				eta := d.eta(i, b, o.wd, o.on)
				// One exponential serves both log(1+e^η) and σ(η): with
				// e = exp(−|η|), log(1+e^η) = max(η, 0) + log1p(e) and
				// σ(η) = 1/(1+e) for η ≥ 0, e/(1+e) otherwise.
				e := math.Exp(-math.Abs(eta))
				sig := 1 / (1 + e)
				if eta < 0 {
					sig = e / (1 + e)
				}
				f += math.Max(eta, 0) + math.Log1p(e) - o.yf[j]*eta
				r := sig - o.yf[j]
				rsum += r
				if nd > 0 {
					floats.AddScaled(gd, r, d.dense[i*nd:(i+1)*nd])
				}
				for g, s := range d.slots[i*ng : (i+1)*ng] {
					pk[o.groupAt[g]+int(s)+1] += r
				}
			}
			pk[0] = rsum
			o.partF[k] = f
			return nil
		})
	}
	g.Wait()
	f := 0.0
	clear(o.sum)
	for k := range o.part {
		f += o.partF[k]
		floats.Add(o.sum, o.part[k])
	}
	w := beta[1:]
	f += floats.Dot(w, w) / (2 * o.c)
	scale := 1 / float64(n)
	if grad != nil {
		clear(grad)
		grad[0] = o.sum[0]
		gw := grad[1:]
		for k, j := range d.denseCols {
			gw[j] = o.sum[1+k]
		}
		for g, lc := range d.groups {
			for s, j := range lc.cols {
				gw[j] = (o.sum[o.groupAt[g]+s+1] - lc.mean[s]*o.sum[0]) / lc.scale[s]
			}
		}
		floats.AddScaled(gw, 1/o.c, w)
		floats.Scale(scale, grad)
	}
	return f * scale
}

// minimize runs gonum's L-BFGS on the objective over p coefficients and
// the intercept, from the intercept at the base rate's log-odds, until the
// gradient's largest component is below tol (or the loss stops changing).
func minimize(ctx context.Context, obj *objective, p, maxIter int, tol float64) ([]float64, error) {
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
		lastF = obj.eval(beta, lastG)
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
	// Start the intercept at the log-odds of the base rate. (Warm starts
	// from a nearby fit were tried for the folds: gonum's L-BFGS then
	// needs more evaluations, not fewer, as it has no curvature yet.)
	n := float64(len(obj.yf))
	if pos := floats.Sum(obj.yf); pos > 0 && pos < n {
		init[0] = math.Log(pos / (n - pos))
	}
	settings := &optimize.Settings{
		GradientThreshold: tol,
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
		obj.eval(res.X, g)
		if floats.Norm(g, math.Inf(1)) > max(1e-5, 10*tol) {
			return nil, fmt.Errorf("train: L-BFGS stopped with gradient %.3g: %w", floats.Norm(g, math.Inf(1)), err)
		}
	}
	for _, v := range res.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("train: L-BFGS diverged (non-finite coefficients)")
		}
	}
	return res.X, nil
}
