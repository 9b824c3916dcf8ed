package train

import (
	"context"
	"fmt"
	"log/slog"

	"leadscore/features"
	"leadscore/predict"
)

// Small data: when the validation part would hold fewer than
// smallValidRows rows or smallValidPositives positives, one split says
// little (an AUC on 30 rows has an interval wider than the question), so
// Train measures by repeated stratified k-fold cross-validation instead.
const (
	smallValidRows      = 200
	smallValidPositives = 20
	smallFolds          = 5
	smallRepeats        = 5
	// smallMinClass is the fewest positives and negatives small data
	// needs: a few of each in every fold.
	smallMinClass = 4 * smallFolds
)

// isSmall reports whether the validation part of n rows with pos
// positives would be too small to judge by.
func isSmall(n, pos int, frac float64) bool {
	return float64(n)*frac < smallValidRows || float64(pos)*frac < smallValidPositives
}

// trainSmall measures the model by repeated stratified cross-validation
// (smallRepeats × smallFolds fits, each measured on its held-out fold),
// then fits it on every row: the AUC is the mean of each repetition's
// out-of-fold AUC, its interval the mean of their intervals (AUCInterval),
// and the "no better than chance" gate reads that interval.
func trainSmall(ctx context.Context, t *features.Table, y []bool, cfg Config, log *slog.Logger) (*predict.Model, error) {
	pos := positives(y)
	if pos < smallMinClass || len(y)-pos < smallMinClass {
		return nil, &TooFewError{Positives: pos, Negatives: len(y) - pos, Min: smallMinClass}
	}
	quiet := cfg
	quiet.Logger, quiet.Report, quiet.Compare, quiet.Refit, quiet.MinClass = slog.New(slog.DiscardHandler), nil, nil, false, 1
	var auc, lo, hi float64
	var oof0 []float64 // the first repetition's predictions, for the report
	for r := range smallRepeats {
		fold := stratifiedFolds(y, smallFolds, cfg.Seed+uint64(r))
		oof := make([]float64, len(y))
		for f := range smallFolds {
			valid := foldRows(fold, f)
			quiet.ValidRows = valid
			m, err := Train(ctx, t, quiet)
			if err != nil {
				return nil, fmt.Errorf("train: cross-validation, repeat %d, fold %d: %w", r+1, f+1, err)
			}
			p, _ := scoreRows(m, t, valid, cfg.workers())
			for j, i := range valid {
				oof[i] = p[j]
			}
		}
		if r == 0 {
			oof0 = oof
		}
		a := AUC(oof, y)
		l, h := AUCInterval(oof, y, 1000, cfg.Seed+uint64(r))
		auc, lo, hi = auc+a, lo+l, hi+h
		log.Debug("cross-validation repeat", "repeat", r+1, "auc", round4(a))
	}
	auc, lo, hi = auc/smallRepeats, lo/smallRepeats, hi/smallRepeats
	// The model itself: fitted on every row (measured once on a fold
	// first, then refitted).
	final := cfg
	final.ValidRows, final.Refit, final.MinClass, final.Report = foldRows(stratifiedFolds(y, smallFolds, cfg.Seed), 0), true, 1, nil
	m, err := Train(ctx, t, final)
	if err != nil {
		return nil, err
	}
	m.Metrics.AUC, m.Metrics.AUCLow, m.Metrics.AUCHigh = auc, lo, hi
	m.Metrics.Split = fmt.Sprintf("repeated stratified %d-fold cross-validation (%d repeats) on all %d rows: a held-out part would have been too small to judge by",
		smallFolds, smallRepeats, len(y))
	m.NoBetterThanChance = !(lo > 0.5)
	if m.NoBetterThanChance {
		m.Blend = nil
	}
	log.Info("small data: measured by cross-validation", "rows", len(y), "positives", pos, "auc", round4(auc), "auc_ci_low", round4(lo), "auc_ci_high", round4(hi))
	if err := m.Finish(); err != nil {
		return nil, err
	}
	if cfg.Report != nil {
		if err := writeReport(cfg.Report, m, oof0, y, rank(oof0, y), nil); err != nil {
			return nil, fmt.Errorf("train: report: %w", err)
		}
	}
	return m, nil
}

// foldRows returns the rows of fold f.
func foldRows(fold []int, f int) []int {
	var out []int
	for i, g := range fold {
		if g == f {
			out = append(out, i)
		}
	}
	return out
}
