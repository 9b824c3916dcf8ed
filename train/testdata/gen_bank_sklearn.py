#!/usr/bin/python3
"""scikit-learn's reference on UCI bank-full without `duration`.

Run with Debian's python3-sklearn and python3-pandas:
    /usr/bin/python3 gen_bank_sklearn.py ../../../shared/data/uci_bank_marketing/bank-full.csv
Splits the rows 80/20 with train_test_split(random_state=42), fits
LogisticRegression(C=1, lbfgs) on standardised numbers and one-hot
categories, and writes bank_split.json: the validation row indexes
(0-based data rows) and the validation AUC.
"""
import json, sys
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

df = pd.read_csv(sys.argv[1], sep=";").drop(columns=["duration"])
y = (df.pop("y") == "yes").astype(int)
num = [c for c in df.columns if df[c].dtype != object]
cat = [c for c in df.columns if df[c].dtype == object]
idx = list(range(len(df)))
tr, va = train_test_split(idx, test_size=0.2, random_state=42)
pre = ColumnTransformer([("num", StandardScaler(), num), ("cat", OneHotEncoder(handle_unknown="ignore"), cat)])
model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=5000))
model.fit(df.iloc[tr], y.iloc[tr])
auc = roc_auc_score(y.iloc[va], model.predict_proba(df.iloc[va])[:, 1])
with open("bank_split.json", "w") as f:
    json.dump({"auc": auc, "valid_rows": sorted(va)}, f, separators=(",", ":"))
print(f"scikit-learn AUC {auc:.4f} on {len(va)} validation rows")
