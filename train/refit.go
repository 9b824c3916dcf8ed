package train

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"leadscore/features"
	"leadscore/predict"
)

// refit fits the measured model again on the training and validation rows
// together, with what the first fit chose: the inputs and their
// preprocessing, the regularisation (LR), the number of trees (GBDT,
// without early stopping) and the calibration. The validation metrics stay
// those of the first fit, measured on rows it had not seen; the refit adds
// the latest rows, which, for snapshots, are the ones most like the
// population scored next.
func refit(ctx context.Context, m *predict.Model, t *features.Table, y []bool, sp *rowSplit, cfg Config, log *slog.Logger) error {
	all := append(slices.Clone(sp.train), sp.valid...)
	slices.Sort(all)
	start := time.Now()
	switch m.Type {
	case predict.TypeGBDT:
		p := m.Trees.Params
		gcfg := cfg.GBDT
		gcfg.Seed, gcfg.Workers = cfg.Seed, cfg.workers()
		gcfg.Rounds, gcfg.EarlyStoppingRounds = p.BestIteration, 0
		ens, err := FitGBDT(ctx, gbdtColumns(m, t, gcfg.Workers), y, all, nil, gcfg)
		if err != nil {
			return err
		}
		ens.Params.EarlyStoppingRounds, ens.Params.Rounds = p.EarlyStoppingRounds, p.Rounds
		m.Trees = ens
	case predict.TypeNaiveBayes:
		fitNB(m, t, y, all)
	default:
		x := compactDesign(m, t, all, cfg.workers())
		lr, err := fitLogistic(ctx, x, pick(y, all), LogisticConfig{C: m.Logistic.C, Workers: cfg.Workers})
		if err != nil {
			return err
		}
		m.Logistic = lr
	}
	m.Training.Refit = true
	m.Training.Rows, m.Training.Positives = len(all), countTrue(y, all)
	log.Info("refitted on the training and validation rows", "rows", len(all), "duration", time.Since(start).Round(time.Millisecond))
	return nil
}
