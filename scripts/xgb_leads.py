#!/usr/bin/python3
"""XGBoost on a flat leads table, the way leadscore trains on it, for the
accuracy and speed comparisons in BENCHMARKS.md. Run with Debian's
python3-xgboost and python3-pandas:

  /usr/bin/python3 scripts/xgb_leads.py leads.csv --label won --id lead_id \
      --time-col created --out xgb.json [--threads 2] [--rounds 300]

Reads the CSV, splits out of time (earliest 80% train, latest 20% validate)
or, without --time-col, takes the validation rows from --valid-rows (a file
of 0-based row numbers, as train/testdata/bank_split.json holds them),
trains XGBoost hist (eta 0.1, max_depth 6, native categorical columns),
writes the model, and prints the validation AUC and the seconds per stage.
With --model hgb it trains scikit-learn's HistGradientBoostingClassifier
instead (31 leaves, learning rate 0.1, --rounds iterations, no early
stopping; all-numeric tables only: scikit-learn 1.2 takes categories as
codes), on OMP_NUM_THREADS threads (set it to --threads).
"""
import argparse, json, time
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

ap = argparse.ArgumentParser()
ap.add_argument("csv")
ap.add_argument("--label", required=True)
ap.add_argument("--positive", default=None)
ap.add_argument("--id", default=None)
ap.add_argument("--time-col", default=None)
ap.add_argument("--drop", default="")
ap.add_argument("--na", default="")
ap.add_argument("--sep", default=",")
ap.add_argument("--valid-rows", default=None)
ap.add_argument("--out", default=None)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--rounds", type=int, default=300)
ap.add_argument("--max-depth", type=int, default=6)
ap.add_argument("--model", choices=["xgboost", "hgb"], default="xgboost")
a = ap.parse_args()

t0 = time.perf_counter()
na = [v for v in a.na.split(",") if v]
df = pd.read_csv(a.csv, sep=a.sep, na_values=na or None, low_memory=False)
t1 = time.perf_counter()
lab = df[a.label]
y = (lab.astype(str) == a.positive).astype(int).values if a.positive else lab.astype(int).values
drop = [c for c in [a.label, a.id, a.time_col] + a.drop.split(",") if c]
X = df.drop(columns=[c for c in drop if c in df.columns])
for c in X.columns:
    if X[c].dtype == object or X[c].dtype == bool:
        X[c] = X[c].astype("category")
n = len(df)
if a.time_col:
    order = np.argsort(pd.to_datetime(df[a.time_col]).values, kind="stable")
    cut = n - int(round(0.2 * n))
    tr, va = order[:cut], order[cut:]
else:
    va = np.array(json.load(open(a.valid_rows))["valid_rows"])
    mask = np.ones(n, bool); mask[va] = False
    tr = np.nonzero(mask)[0]
if a.model == "hgb":
    from sklearn.ensemble import HistGradientBoostingClassifier
    if any(X[c].dtype.name == "category" for c in X.columns):
        raise SystemExit("--model hgb takes all-numeric tables")
    Xtr, Xva = X.iloc[tr].to_numpy(np.float64), X.iloc[va].to_numpy(np.float64)
    t2 = time.perf_counter()
    hgb = HistGradientBoostingClassifier(max_leaf_nodes=31, learning_rate=0.1, max_iter=a.rounds, early_stopping=False)
    hgb.fit(Xtr, y[tr])
    t3 = time.perf_counter()
    t4 = t3
    p = hgb.predict_proba(Xva)[:, 1]
    t5 = time.perf_counter()
else:
    dtr = xgb.DMatrix(X.iloc[tr], label=y[tr], enable_categorical=True, nthread=a.threads)
    dva = xgb.DMatrix(X.iloc[va], label=y[va], enable_categorical=True, nthread=a.threads)
    t2 = time.perf_counter()
    params = {"objective": "binary:logistic", "tree_method": "hist", "eta": 0.1, "max_depth": a.max_depth,
              "nthread": a.threads, "max_cat_to_onehot": 4, "eval_metric": "auc"}
    bst = xgb.train(params, dtr, a.rounds)
    t3 = time.perf_counter()
    if a.out:
        bst.save_model(a.out)
    t4 = time.perf_counter()
    p = bst.predict(dva)
    t5 = time.perf_counter()
print(json.dumps({"auc": round(float(roc_auc_score(y[va], p)), 4), "rows_train": int(len(tr)), "rows_valid": int(len(va)),
                  "read_s": round(t1 - t0, 2), "dmatrix_s": round(t2 - t1, 2), "train_s": round(t3 - t2, 2),
                  "save_s": round(t4 - t3, 2), "predict_s": round(t5 - t4, 2), "total_s": round(t5 - t0, 2)}))
