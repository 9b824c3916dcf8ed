#!/usr/bin/python3
"""scikit-learn's logistic regression on a flat leads table, whole process,
for the LR speed comparison in BENCHMARKS.md. Run with Debian's
python3-sklearn and python3-pandas:

  /usr/bin/python3 scripts/lr_leads_sklearn.py leads.csv --label won --id lead_id --time-col created [--cv]

Reads the CSV, splits out of time (earliest 80% train), preprocesses as
leadscore does (median imputation with missing indicators, standardisation,
one-hot levels seen at least 10 times, at most 50 per column, the rest
pooled), fits LogisticRegression(lbfgs, C=1) — or, with --cv,
LogisticRegressionCV over leadscore's 10 values of C with 5 folds — and
prints the validation AUC and the seconds per stage.
"""
import argparse, json, time
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ap = argparse.ArgumentParser()
ap.add_argument("csv")
ap.add_argument("--label", required=True)
ap.add_argument("--id")
ap.add_argument("--time-col")
ap.add_argument("--cv", action="store_true")
a = ap.parse_args()
t0 = time.perf_counter()
df = pd.read_csv(a.csv, low_memory=False)
t1 = time.perf_counter()
y = df.pop(a.label).astype(int).values
order = np.argsort(pd.to_datetime(df[a.time_col]).values, kind="stable")
X = df.drop(columns=[c for c in [a.id, a.time_col] if c])
cut = len(df) - int(round(0.2 * len(df)))
tr, va = order[:cut], order[cut:]
num = [c for c in X.columns if X[c].dtype != object]
cat = [c for c in X.columns if X[c].dtype == object]
pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
    ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, max_categories=51), cat)])
Cs = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 10]
lr = LogisticRegressionCV(Cs=Cs, cv=5, scoring="neg_log_loss", max_iter=1000) if a.cv else LogisticRegression(C=1.0, max_iter=1000)
model = make_pipeline(pre, lr)
model.fit(X.iloc[tr], y[tr])
t2 = time.perf_counter()
auc = roc_auc_score(y[va], model.predict_proba(X.iloc[va])[:, 1])
t3 = time.perf_counter()
print(json.dumps({"auc": round(float(auc), 4), "read_s": round(t1 - t0, 2), "fit_s": round(t2 - t1, 2),
                  "predict_s": round(t3 - t2, 2), "total_s": round(t3 - t0, 2), "cv": a.cv}))
