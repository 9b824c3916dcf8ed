#!/usr/bin/python3
"""Times scikit-learn's LogisticRegression (lbfgs, C=1) on 800,000 × 45
standard-normal rows with the same true coefficients as leadscore's
BenchmarkFitLogistic (train/bench_test.go): beta_j = ((j % 7) - 3) / 10,
intercept -1. Run with Debian's python3-sklearn: /usr/bin/python3 scripts/lr_speed_sklearn.py
"""
import time
import numpy as np
from sklearn.linear_model import LogisticRegression

n, p = 800_000, 45
rng = np.random.default_rng(1)
X = rng.standard_normal((n, p))
beta = np.array([((j % 7) - 3) / 10 for j in range(p)])
y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + X @ beta)))).astype(int)
t0 = time.perf_counter()
LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(X, y)
print(f"scikit-learn lbfgs: {time.perf_counter() - t0:.2f} s for {n} x {p}")
