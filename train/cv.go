package train

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"leadscore/predict"
)

// cvResult is what cross-validation on the training rows yields.
type cvResult struct {
	c    float64           // the chosen C
	lr   *predict.Logistic // fitted on all training rows at c
	oof  []float64         // out-of-fold logits at c, per training row
	fold []int             // each training row's fold
	k    int
}

// crossValidate picks the C of the grid (or Config.C alone, when set) with
// the lowest mean validation log loss over k stratified folds of the
// training rows, and keeps the out-of-fold logits at that C for
// calibration, and the fit on all training rows at that C. The folds
// reuse the preprocessing fitted on all training rows; validation rows
// never take part.
func crossValidate(ctx context.Context, x *design, y []bool, cfg Config, log *slog.Logger) (cvResult, error) {
	grid := cfg.CGrid
	if grid == nil {
		grid = []float64{0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 10}
	}
	if cfg.C != 0 {
		grid = []float64{cfg.C}
	}
	k := cfg.folds()
	n := len(y)
	fold := stratifiedFolds(y, k, cfg.Seed)
	train, held := make([][]int, k), make([][]int, k)
	for i, f := range fold {
		held[f] = append(held[f], i)
		for g := range k {
			if g != f {
				train[g] = append(train[g], i)
			}
		}
	}
	best := cvResult{fold: fold, k: k}
	bestLoss := math.Inf(1)
	for _, c := range grid {
		oof := make([]float64, n)
		for f := range k {
			lr, err := fitLogistic(ctx, x, y, LogisticConfig{C: c, Workers: cfg.Workers, Rows: train[f], Loose: true})
			if err != nil {
				return cvResult{}, fmt.Errorf("train: cross-validation fold %d, C=%g: %w", f+1, c, err)
			}
			out := make([]float64, len(held[f]))
			x.logits(lr, held[f], out)
			for j, i := range held[f] {
				oof[i] = out[j]
			}
		}
		loss := LogLoss(probs(nil, oof), y)
		log.Debug("cross-validation", "c", c, "log_loss", loss)
		if loss < bestLoss {
			best.c, best.oof, bestLoss = c, oof, loss
		}
	}
	log.Info("cross-validated", "c", best.c, "folds", k, "cv_log_loss", round4(bestLoss), "grid", len(grid))
	lr, err := fitLogistic(ctx, x, y, LogisticConfig{C: best.c, Workers: cfg.Workers})
	if err != nil {
		return cvResult{}, err
	}
	best.lr = lr
	return best, nil
}
