// Package train fits predict models on labelled tables.
//
// Train learns the preprocessing on the training rows only (median
// imputation with missing indicators, log1p for skewed non-negative
// features, standardisation, one-hot levels with rare levels pooled), picks
// the L2 strength by stratified k-fold cross-validation on the training
// rows, fits a logistic regression with gonum's L-BFGS (FitLogistic), and
// measures it on held-out rows: out of time when a time column is given.
//
// The objective, for design rows xᵢ and labels yᵢ ∈ {0, 1}, is
//
//	F(b₀, w) = Σᵢ [log(1 + exp(b₀ + xᵢ·w)) − yᵢ (b₀ + xᵢ·w)] + ‖w‖² / (2C)
//
// (scikit-learn's, divided by C; the intercept is not penalised).
//
// FitGBDT boosts trees with logistic loss on binned values (quantile bins,
// at most 255 per feature, bin 0 for missing values): per-node gradient and
// hessian histograms (float64 sums, each feature summed by one goroutine in
// row order, four features per pass over a node's rows and five over the
// root's, a bin's pair added by one SSE2
// instruction on amd64; the larger child by subtraction from its parent;
// large leaves partitioned on every core), leaf-wise
// growth bounded by Leaves and MaxDepth, L2 on leaf values, shrinkage, row
// and column sampling, learned default directions for missing values,
// categorical splits on levels ordered by G/(H + smoothing), and early
// stopping on held-out rows. Row counts for MinDataInLeaf are estimated from
// the hessians, as LightGBM does. Train fits the trees on 90% of the training
// rows and calibrates on the other 10%.
//
// Metrics: AUC (gonum's ROC curve integrated by the trapezoidal rule, ties
// counting one half) with a 95% interval (a percentile bootstrap on fewer
// than 20,000 rows, DeLong's from 20,000), log loss and
// Brier score. A model whose interval includes 0.5 is marked no better than
// chance. Everything is deterministic for a seed, whatever the number of
// workers: partial sums are added in a fixed order.
package train
