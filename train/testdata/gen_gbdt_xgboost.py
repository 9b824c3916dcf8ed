#!/usr/bin/python3
"""XGBoost's reference for leadscore's gradient boosting, on the training
issue's splits. Run with Debian's python3-xgboost, python3-sklearn and
python3-pandas, from train/testdata:

    /usr/bin/python3 gen_gbdt_xgboost.py ../../../shared/data

UCI bank-full without `duration`: the validation rows of bank_split.json
(scikit-learn's train_test_split, random_state 42). X Education without
the leaky columns, "Select" as missing: train_test_split(test_size=0.2,
random_state=42) of its rows. XGBoost 1.7 hist, 300 rounds, eta 0.1,
max_depth 6, native categorical columns, 2 threads. Writes
gbdt_xgboost.json: per data set the validation AUC and the validation rows.
"""
import json, os, sys
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

data = sys.argv[1]
LEAKY = ["Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
         "Asymmetrique Activity Score", "Asymmetrique Profile Score"]


def fit(X, y, va):
    for c in X.columns:
        if X[c].dtype == object:
            X[c] = X[c].astype("category")
    mask = np.ones(len(X), bool)
    mask[va] = False
    dtr = xgb.DMatrix(X[mask], label=y[mask], enable_categorical=True)
    dva = xgb.DMatrix(X[~mask], label=y[~mask], enable_categorical=True)
    params = {"objective": "binary:logistic", "tree_method": "hist", "eta": 0.1, "max_depth": 6, "nthread": 2,
              "max_cat_to_onehot": 4}
    bst = xgb.train(params, dtr, 300)
    return float(roc_auc_score(y[~mask], bst.predict(dva)))


out = {"xgboost_version": xgb.__version__}
bank = pd.read_csv(os.path.join(data, "uci_bank_marketing", "bank-full.csv"), sep=";").drop(columns=["duration"])
yb = (bank.pop("y") == "yes").astype(int).values
vb = json.load(open("bank_split.json"))["valid_rows"]
out["bank"] = {"auc": fit(bank, yb, vb), "valid_rows": vb}

xe = pd.read_csv(os.path.join(data, "x_education_leads", "Leads.csv"), na_values=["Select"])
ye = xe.pop("Converted").astype(int).values
xe = xe.drop(columns=["Prospect ID", "Lead Number"] + LEAKY)
_, ve = train_test_split(list(range(len(xe))), test_size=0.2, random_state=42)
ve = sorted(ve)
out["x_education"] = {"auc": fit(xe, ye, ve), "valid_rows": ve}
with open("gbdt_xgboost.json", "w") as f:
    json.dump(out, f)
print(json.dumps({k: (v["auc"] if isinstance(v, dict) else v) for k, v in out.items()}))
