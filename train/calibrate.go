package train

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"leadscore/predict"
)

// FitPlatt fits σ(A·logit + B) to outcomes by (unpenalised) maximum
// likelihood, with gonum's Newton method: two parameters, so each step is
// one pass over the rows for the loss, its gradient and its Hessian.
func FitPlatt(ctx context.Context, logits []float64, y []bool) (*predict.Calibration, error) {
	const gradTol = 1e-10
	n := float64(len(logits))
	var lastX [2]float64
	var lastF float64
	var lastG [2]float64
	var lastH [3]float64 // haa, hab, hbb
	have := false
	// best is the least loss of the points evaluated before the last one.
	best, least := math.Inf(1), math.Inf(1)
	eval := func(x []float64) {
		if have && x[0] == lastX[0] && x[1] == lastX[1] {
			return
		}
		a, b := x[0], x[1]
		var f, ga, gb, haa, hab, hbb float64
		for i, l := range logits {
			eta := a*l + b
			e := math.Exp(-math.Abs(eta))
			sig := 1 / (1 + e)
			if eta < 0 {
				sig = e / (1 + e)
			}
			yi := 0.0
			if y[i] {
				yi = 1
			}
			f += math.Max(eta, 0) + math.Log1p(e) - yi*eta
			r, w := sig-yi, sig*(1-sig)
			ga += r * l
			gb += r
			haa += w * l * l
			hab += w * l
			hbb += w
		}
		lastX, have = [2]float64{a, b}, true
		lastF, lastG, lastH = f/n, [2]float64{ga / n, gb / n}, [3]float64{haa / n, hab / n, hbb / n}
		best, least = least, math.Min(least, lastF)
	}
	var ctxErr error
	problem := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(g, x []float64) { eval(x); copy(g, lastG[:]) },
		Hess: func(h *mat.SymDense, x []float64) {
			eval(x)
			h.SetSym(0, 0, lastH[0])
			h.SetSym(0, 1, lastH[1])
			h.SetSym(1, 1, lastH[2])
		},
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				ctxErr = err
				return optimize.Failure, err
			}
			// A Newton step can land where the gradient vanishes but the
			// loss, summed in float64, comes out a rounding error above
			// the last iterate's. The line search would then spend dozens
			// of passes on that noise: stop, keeping the last iterate.
			if have && lastF >= best && math.Max(math.Abs(lastG[0]), math.Abs(lastG[1])) < gradTol {
				return optimize.Success, nil
			}
			return optimize.NotTerminated, nil
		},
	}
	// Start from the identity map, A = 1, B = 0. Newton's steps square the
	// gradient; below 1e-10 the loss no longer changes in float64.
	res, err := optimize.Minimize(problem, []float64{1, 0}, &optimize.Settings{GradientThreshold: gradTol, MajorIterations: 100}, &optimize.Newton{})
	if ctxErr != nil {
		return nil, ctxErr
	}
	if res == nil {
		return nil, fmt.Errorf("train: Platt scaling: %w", err)
	}
	// Newton may stop short of the threshold: as with L-BFGS, its line
	// search can fail to decrease the loss in float64 at the optimum, and
	// Status stops on rounding noise. Accept a point of small gradient.
	eval(res.X)
	if g := math.Max(math.Abs(lastG[0]), math.Abs(lastG[1])); g > 1e-7 {
		if err == nil {
			err = fmt.Errorf("status %v", res.Status)
		}
		return nil, fmt.Errorf("train: Platt scaling stopped with gradient %.3g: %w", g, err)
	}
	if math.IsNaN(res.X[0]) || math.IsInf(res.X[0], 0) || math.IsNaN(res.X[1]) || math.IsInf(res.X[1], 0) {
		return nil, errors.New("train: Platt scaling diverged (the logits separate the classes)")
	}
	return &predict.Calibration{Method: "platt", A: res.X[0], B: res.X[1]}, nil
}

// FitIsotonic fits a non-decreasing map from raw probabilities to outcome
// rates by pool-adjacent-violators; the map interpolates linearly between
// the pooled blocks' mean scores.
func FitIsotonic(logits []float64, y []bool) *predict.Calibration {
	return isotonic(ascending(logits), logits, y, func(int) bool { return true })
}

// ascending returns the row indexes ordered by logit, ties in row order.
func ascending(logits []float64) []int {
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(logits[a], logits[b]); c != 0 {
			return c
		}
		return a - b
	})
	return idx
}

// isotonic runs pool-adjacent-violators over the rows of order that keep
// accepts, in that order.
func isotonic(order []int, logits []float64, y []bool, keep func(int) bool) *predict.Calibration {
	type block struct{ sumX, sumY, w float64 }
	var bs []block
	for _, i := range order {
		if !keep(i) {
			continue
		}
		yv := 0.0
		if y[i] {
			yv = 1
		}
		bs = append(bs, block{predict.Sigmoid(logits[i]), yv, 1})
		// Merge while the last two blocks violate monotonicity (or tie in x).
		for len(bs) > 1 {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			if a.sumY/a.w < b.sumY/b.w && a.sumX/a.w < b.sumX/b.w {
				break
			}
			bs = append(bs[:len(bs)-2], block{a.sumX + b.sumX, a.sumY + b.sumY, a.w + b.w})
		}
	}
	c := &predict.Calibration{Method: "isotonic"}
	for _, b := range bs {
		c.X = append(c.X, b.sumX/b.w)
		c.Y = append(c.Y, b.sumY/b.w)
	}
	return c
}

// chooseCalibration fits Platt and isotonic calibration to out-of-fold
// logits, compares them by 5-fold cross-fitted log loss (each calibrator
// fitted on four fifths, scored on the fifth), and returns the better one
// refitted on all of them with both losses.
func chooseCalibration(ctx context.Context, logits []float64, y []bool, fold []int, k int) (*predict.Calibration, map[string]float64, error) {
	loss := map[string]float64{"none": LogLoss(probs(nil, logits), y)}
	order := ascending(logits)
	for _, method := range []string{"platt", "isotonic"} {
		// The folds are independent: fitted on two goroutines, summed in
		// fold order.
		part := make([]float64, k)
		var g errgroup.Group
		g.SetLimit(2)
		for f := range k {
			g.Go(func() error {
				var lt, lv []float64
				var yt, yv []bool
				for i := range logits {
					if fold[i] == f {
						lv, yv = append(lv, logits[i]), append(yv, y[i])
					} else {
						lt, yt = append(lt, logits[i]), append(yt, y[i])
					}
				}
				var c *predict.Calibration
				if method == "platt" {
					var err error
					if c, err = FitPlatt(ctx, lt, yt); err != nil {
						return err
					}
				} else {
					c = isotonic(order, logits, y, func(i int) bool { return fold[i] != f })
				}
				part[f] = LogLoss(probs(c, lv), yv) * float64(len(yv))
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, nil, err
		}
		total := 0.0
		for _, v := range part {
			total += v
		}
		loss[method] = total / float64(len(logits))
	}
	best := "none"
	for _, m := range []string{"platt", "isotonic"} {
		if loss[m] < loss[best] {
			best = m
		}
	}
	switch best {
	case "platt":
		c, err := FitPlatt(ctx, logits, y)
		return c, loss, err
	case "isotonic":
		return isotonic(order, logits, y, func(int) bool { return true }), loss, nil
	}
	return &predict.Calibration{Method: "none"}, loss, nil
}

func probs(c *predict.Calibration, logits []float64) []float64 {
	out := make([]float64, len(logits))
	for i, l := range logits {
		out[i] = c.Probability(l)
	}
	return out
}

// ECE is the expected calibration error over 10 equal-width probability
// bins: Σ (nᵦ/n) |mean predicted − observed rate|.
func ECE(p []float64, y []bool) float64 {
	var cnt, sp, sy [10]float64
	for i, q := range p {
		b := min(int(q*10), 9)
		cnt[b]++
		sp[b] += q
		if y[i] {
			sy[b]++
		}
	}
	e := 0.0
	for b := range cnt {
		if cnt[b] > 0 {
			e += math.Abs(sp[b]-sy[b]) / float64(len(p))
		}
	}
	return e
}

// CalibrationTable returns, for 10 equal-width bins of predicted
// probability, the count, mean prediction and observed rate.
func CalibrationTable(p []float64, y []bool) []predict.CalibrationBin {
	out := make([]predict.CalibrationBin, 10)
	for b := range out {
		out[b].Low, out[b].High = float64(b)/10, float64(b+1)/10
	}
	for i, q := range p {
		b := &out[min(int(q*10), 9)]
		b.Count++
		b.MeanPredicted += q
		if y[i] {
			b.Observed++
		}
	}
	for b := range out {
		if out[b].Count > 0 {
			out[b].MeanPredicted /= float64(out[b].Count)
			out[b].Observed /= float64(out[b].Count)
		}
	}
	return out
}

// ranking is the rows ordered by score, highest first, ties in row order,
// with the number of positives: Deciles, PRAUC and KS read one ranking,
// which evaluate and the report sort once.
type ranking struct {
	idx []int
	pos int
}

// rank ranks the rows of p.
func rank(p []float64, y []bool) ranking {
	return ranking{idx: rankRows(p, allRows(len(p))), pos: positives(y)}
}

// rankRows returns rows ordered by their score in p, highest first, ties in
// the order of rows. It sorts (score, place) pairs, which compare without
// reading p at random.
func rankRows(p []float64, rows []int) []int {
	type scored struct {
		p  float64
		at int
	}
	s := make([]scored, len(rows))
	for j, i := range rows {
		s[j] = scored{p[i], j}
	}
	slices.SortFunc(s, func(a, b scored) int { return cmp.Or(cmp.Compare(b.p, a.p), cmp.Compare(a.at, b.at)) })
	out := make([]int, len(rows))
	for k, e := range s {
		out[k] = rows[e.at]
	}
	return out
}

// Deciles returns lift and gain by decile of score (highest first): the
// share of positives captured so far (gain) and each decile's positive rate
// over the base rate (lift); both are undefined when no row is positive.
func Deciles(p []float64, y []bool) []predict.Decile { return rank(p, y).deciles(y) }

func (r ranking) deciles(y []bool) []predict.Decile {
	idx, pos := r.idx, r.pos
	base := float64(pos) / float64(len(idx))
	out := make([]predict.Decile, 10)
	cum := 0
	for d := range out {
		lo, hi := d*len(idx)/10, (d+1)*len(idx)/10
		k := 0
		for _, i := range idx[lo:hi] {
			if y[i] {
				k++
			}
		}
		cum += k
		out[d] = predict.Decile{Decile: d + 1, Rows: hi - lo, Positives: k}
		switch {
		case pos == 0:
			out[d].Lift, out[d].Gain = predict.Undefined(math.NaN()), predict.Undefined(math.NaN())
		case hi > lo:
			out[d].Lift, out[d].Gain = predict.Undefined(float64(k)/float64(hi-lo)/base), predict.Undefined(float64(cum)/float64(pos))
		default: // a decile of no row (fewer than ten rows)
			out[d].Lift, out[d].Gain = predict.Undefined(math.NaN()), predict.Undefined(float64(cum)/float64(pos))
		}
	}
	return out
}

// PRAUC returns the average precision: Σ (Rₖ − Rₖ₋₁) Pₖ over the ranking by
// score (ties broken by position), as scikit-learn's average_precision_score
// does without ties.
func PRAUC(p []float64, y []bool) float64 { return rank(p, y).averagePrecision(y) }

func (r ranking) averagePrecision(y []bool) float64 {
	if r.pos == 0 {
		return math.NaN()
	}
	ap, tp := 0.0, 0
	for k, i := range r.idx {
		if y[i] {
			tp++
			ap += float64(tp) / float64(k+1) / float64(r.pos)
		}
	}
	return ap
}

// KS returns the Kolmogorov–Smirnov statistic: the largest gap between the
// score distributions of positives and negatives.
func KS(p []float64, y []bool) float64 { return rank(p, y).ks(p, y) }

// ks walks the ranking from the lowest score up, measuring the gap at the
// end of each run of equal scores (where the order within a run does not
// matter).
func (r ranking) ks(p []float64, y []bool) float64 {
	idx := r.idx
	neg := len(y) - r.pos
	best, cp, cn := 0.0, 0, 0
	for k := len(idx) - 1; k >= 0; k-- {
		i := idx[k]
		if y[i] {
			cp++
		} else {
			cn++
		}
		if k > 0 && p[idx[k-1]] == p[i] {
			continue
		}
		best = math.Max(best, math.Abs(float64(cn)/float64(neg)-float64(cp)/float64(r.pos)))
	}
	return best
}
