#!/usr/bin/python3
"""Loads a model written by `leadscore models export --format xgboost-json`
into XGBoost, encodes a CSV table as FILE.features.json says (numeric values
as they are, categorical levels by their code, other levels by other_code,
empty cells as NaN), and prints XGBoost's probabilities, one per line.

With --contribs it prints, per row, XGBoost's TreeSHAP contributions
(one per feature, then the bias), space-separated. With --time (for
scripts/benchmarks.sh) it prints instead, as JSON, the rows and the seconds
the prediction call took on two threads, the table read and encoded
beforehand.

usage: xgb_predict.py MODEL.json TABLE.csv [--contribs] [--time]
"""
import csv, json, math, sys, time
import numpy as np
import xgboost as xgb

model_path, table = sys.argv[1], sys.argv[2]
spec = json.load(open(model_path[: -len(".json")] + ".features.json"))
feats = spec["features"]
with open(table, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
X = np.full((len(rows), len(feats)), np.nan, dtype=np.float64)
for i, r in enumerate(rows):
    for f in feats:
        v = r[f["name"]]
        if v == "":
            continue
        if f["type"] == "q":
            X[i, f["index"]] = float(v)
        else:
            X[i, f["index"]] = f["codes"].get(v, f["other_code"])
booster = xgb.Booster()
booster.load_model(model_path)
if "--time" in sys.argv[3:]:
    booster.set_param({"nthread": 2})
d = xgb.DMatrix(X, missing=math.nan, feature_names=[f["xgb_name"] for f in feats],
                feature_types=[f["type"] for f in feats], enable_categorical=True)
if "--time" in sys.argv[3:]:
    t0 = time.perf_counter()
    booster.predict(d, pred_contribs="--contribs" in sys.argv[3:])
    print(json.dumps({"rows": len(rows), "seconds": round(time.perf_counter() - t0, 2)}))
elif "--contribs" in sys.argv[3:]:
    for row in booster.predict(d, pred_contribs=True):
        print(" ".join(repr(float(v)) for v in row))
else:
    for p in booster.predict(d):
        print(repr(float(p)))
