#!/usr/bin/python3
"""The reference beside leadscore's call-list backtest (BENCHMARKS.md, "Call list
backtest"): scikit-learn's HistGradientBoostingClassifier and XGBoost trained on
exactly the snapshot rows a leadscore run trained on, scoring exactly the rows it
scored, judged like `leadscore evaluate` by who opened a won deal within the
horizon after the run's date.

  /usr/bin/python3 scripts/backtest_reference.py --run BT/runs/2024-07-01 \
      --deals data/deals.csv --leadscore /tmp/leadscore [--horizon 90]

The run must come from a pipeline.yaml whose train: section has keep_table: true
(the training rows in model/training.parquet). Parquet is read through
`leadscore export` (Debian's Python has no Parquet reader). Prints one JSON line
per ordering: leadscore's call list (ranked.csv order) and probability, HGB, XGBoost.
"""
import argparse, json, os, subprocess, sys, tempfile, time
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
import xgboost as xgb

ap = argparse.ArgumentParser()
ap.add_argument("--run", required=True)
ap.add_argument("--deals", required=True)
ap.add_argument("--leadscore", required=True)
ap.add_argument("--horizon", type=int, default=90)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()

tmp = tempfile.mkdtemp()
def export(name, src):
    out = os.path.join(tmp, name + ".csv")
    subprocess.run([a.leadscore, "export", "--in", src, "--out", out, "-q"], check=True, stdout=subprocess.DEVNULL)
    return pd.read_csv(out, low_memory=False)

train = export("training", os.path.join(a.run, "model", "training.parquet"))
today = export("features", os.path.join(a.run, "features.parquet"))
ranked = pd.read_csv(os.path.join(a.run, "ranked.csv"))
model = json.load(open(os.path.join(a.run, "model", "model.json")))
label = "converted" if model["target"]["kind"] == "conversion" else "won"

# The model's inputs are what leadscore trained on: the same columns here.
inputs = [f["name"] for f in model["features"]]
cats = [f["name"] for f in model["features"] if f["kind"] == "categorical"]

def encode(df, levels):
    x = df[inputs].copy()
    for c in cats:
        x[c] = pd.Categorical(x[c].astype("string"), categories=levels[c]).codes.astype("float64")
        x.loc[x[c] < 0, c] = np.nan
    for c in inputs:
        if c not in cats:
            x[c] = pd.to_numeric(x[c], errors="coerce").astype("float64")
    return x

levels = {c: sorted(train[c].dropna().astype(str).unique())[:254] for c in cats}
xt, yt = encode(train, levels), train[label].astype(str).str.lower().isin(["true", "1"]).to_numpy()
xs = encode(today, levels)

# Who converted: a won deal opened in [D, D + horizon).
asof = pd.Timestamp(ranked["as_of"].iloc[0]).tz_localize(None)
deals = pd.read_csv(a.deals)
opened = pd.to_datetime(deals["ts"]).dt.tz_localize(None)
won = deals["won"].astype(str).str.lower().isin(["true", "1"])
conv = set(deals.loc[won & (opened >= asof) & (opened < asof + pd.Timedelta(days=a.horizon)), "entity_id"].astype(str))
ys = today["entity_id"].astype(str).isin(conv).to_numpy()

def judge(name, score, y, seconds=None):
    order = np.argsort(-np.asarray(score), kind="stable")
    row = {"ordering": name, "as_of": str(asof.date()), "rows": int(len(y)), "converted": int(y.sum()),
           "auc": round(float(roc_auc_score(y, score)), 4), "p_at_100": float(y[order[:100]].mean()), "p_at_500": float(y[order[:500]].mean())}
    if seconds is not None:
        row["fit_seconds"] = round(seconds, 2)
    print(json.dumps(row))

ry = ranked["entity_id"].astype(str).isin(conv).to_numpy()
judge("leadscore call list", -ranked["rank"].to_numpy(dtype=float), ry)
judge("leadscore probability", ranked["probability"].to_numpy(), ry)
if "rule_points" in ranked:  # ranked.csv has it when the run had rules
    judge("leadscore rules", ranked["rule_points"].to_numpy(dtype=float), ry)

mask = np.array([c in cats for c in inputs])
t0 = time.perf_counter()
hgb = HistGradientBoostingClassifier(categorical_features=mask if mask.any() else None, random_state=0)
hgb.fit(xt, yt)
judge("scikit-learn HGB", hgb.predict_proba(xs)[:, 1], ys, time.perf_counter() - t0)

t0 = time.perf_counter()
xtc, xsc = xt.copy(), xs.copy()
for c in cats:
    xtc[c] = pd.Categorical(xt[c]); xsc[c] = pd.Categorical(xs[c], categories=xtc[c].cat.categories)
bst = xgb.XGBClassifier(tree_method="hist", enable_categorical=True, nthread=a.threads)  # defaults: 100 rounds, eta 0.3, depth 6
bst.fit(xtc, yt)
judge("XGBoost", bst.predict_proba(xsc)[:, 1], ys, time.perf_counter() - t0)
