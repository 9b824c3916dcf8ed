#!/usr/bin/python3
"""Reference coefficients for train.FitLogistic from scikit-learn.

Run with Debian's python3-sklearn (/usr/bin/python3):
    /usr/bin/python3 gen_lr_sklearn.py
Writes lr_fixture.csv (a standardised design matrix and labels; seeded) and
lr_sklearn.json (intercept and coefficients of LogisticRegression with an L2
penalty for several C, lbfgs with a tight tolerance).
"""
import json
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(20261122)
n, p = 1200, 6
X = rng.normal(size=(n, p))
X[:, 3] = (rng.random(n) < 0.3).astype(float)          # a 0/1 indicator
X[:, 4] = np.log1p(rng.exponential(3.0, size=n))          # a skewed count, logged
X[:, 5] = 0.6 * X[:, 0] + 0.8 * rng.normal(size=n)        # correlated with column 0
X = np.round((X - X.mean(axis=0)) / X.std(axis=0), 6)  # what the CSV holds
beta = np.array([0.8, -0.5, 0.0, 0.4, 0.9, -0.3])
y = (rng.random(n) < 1 / (1 + np.exp(-(-0.7 + X @ beta)))).astype(int)

with open("lr_fixture.csv", "w") as f:
    f.write(",".join([f"x{j}" for j in range(p)] + ["y"]) + "\n")
    for i in range(n):
        f.write(",".join(f"{v:.6f}" for v in X[i]) + f",{y[i]}\n")

out = {"sklearn": sklearn.__version__, "fits": []}
for C in [0.01, 0.5, 100.0]:
    m = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000).fit(X, y)
    out["fits"].append({"C": C, "intercept": float(m.intercept_[0]), "coef": [float(c) for c in m.coef_[0]]})
with open("lr_sklearn.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote lr_fixture.csv and lr_sklearn.json with scikit-learn", sklearn.__version__)
