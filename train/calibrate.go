package train

import (
	"context"
	"math"
	"sort"

	"leadscore/predict"
)

// FitPlatt fits σ(A·logit + B) to outcomes by (unpenalised) maximum
// likelihood.
func FitPlatt(ctx context.Context, logits []float64, y []bool) (*predict.Calibration, error) {
	lr, err := FitLogistic(ctx, logits, y, 1, LogisticConfig{C: 1e12, Workers: 1})
	if err != nil {
		return nil, err
	}
	return &predict.Calibration{Method: "platt", A: lr.Coef[0], B: lr.Intercept}, nil
}

// FitIsotonic fits a non-decreasing map from raw probabilities to outcome
// rates by pool-adjacent-violators; the map interpolates linearly between
// the pooled blocks' mean scores.
func FitIsotonic(logits []float64, y []bool) *predict.Calibration {
	n := len(logits)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] < logits[idx[b]] })
	type block struct{ sumX, sumY, w float64 }
	var bs []block
	for _, i := range idx {
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
	for _, method := range []string{"platt", "isotonic"} {
		total := 0.0
		for f := range k {
			var lt, lv []float64
			var yt, yv []bool
			for i := range logits {
				if fold[i] == f {
					lv, yv = append(lv, logits[i]), append(yv, y[i])
				} else {
					lt, yt = append(lt, logits[i]), append(yt, y[i])
				}
			}
			c, err := fitCalibration(ctx, method, lt, yt)
			if err != nil {
				return nil, nil, err
			}
			total += LogLoss(probs(c, lv), yv) * float64(len(yv))
		}
		loss[method] = total / float64(len(logits))
	}
	best := "none"
	for _, m := range []string{"platt", "isotonic"} {
		if loss[m] < loss[best] {
			best = m
		}
	}
	if best == "none" {
		return &predict.Calibration{Method: "none"}, loss, nil
	}
	c, err := fitCalibration(ctx, best, logits, y)
	return c, loss, err
}

func fitCalibration(ctx context.Context, method string, logits []float64, y []bool) (*predict.Calibration, error) {
	if method == "platt" {
		return FitPlatt(ctx, logits, y)
	}
	return FitIsotonic(logits, y), nil
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

// rankBy returns row indexes ordered by score, descending or ascending
// (ties keep row order), and the number of positives.
func rankBy(p []float64, y []bool, desc bool) ([]int, int) {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if desc {
			return p[idx[a]] > p[idx[b]]
		}
		return p[idx[a]] < p[idx[b]]
	})
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	return idx, pos
}

// Deciles returns lift and gain by decile of score (highest first): the
// share of positives captured so far (gain) and each decile's positive rate
// over the base rate (lift).
func Deciles(p []float64, y []bool) []predict.Decile {
	idx, pos := rankBy(p, y, true)
	base := float64(pos) / float64(len(p))
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
		out[d] = predict.Decile{Decile: d + 1, Rows: hi - lo, Positives: k, Gain: float64(cum) / float64(max(pos, 1))}
		if hi > lo && base > 0 {
			out[d].Lift = float64(k) / float64(hi-lo) / base
		}
	}
	return out
}

// PRAUC returns the average precision: Σ (Rₖ − Rₖ₋₁) Pₖ over the ranking by
// score (ties broken by position), as scikit-learn's average_precision_score
// does without ties.
func PRAUC(p []float64, y []bool) float64 {
	idx, pos := rankBy(p, y, true)
	if pos == 0 {
		return math.NaN()
	}
	ap, tp := 0.0, 0
	for k, i := range idx {
		if y[i] {
			tp++
			ap += float64(tp) / float64(k+1) / float64(pos)
		}
	}
	return ap
}

// KS returns the Kolmogorov–Smirnov statistic: the largest gap between the
// score distributions of positives and negatives.
func KS(p []float64, y []bool) float64 {
	idx, pos := rankBy(p, y, false)
	neg := len(y) - pos
	best, cp, cn := 0.0, 0, 0
	for k, i := range idx {
		if y[i] {
			cp++
		} else {
			cn++
		}
		// Only at the end of a run of equal scores.
		if k+1 < len(idx) && p[idx[k+1]] == p[i] {
			continue
		}
		best = math.Max(best, math.Abs(float64(cn)/float64(neg)-float64(cp)/float64(pos)))
	}
	return best
}
