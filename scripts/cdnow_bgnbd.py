#!/usr/bin/python3
"""BG/NBD fitted by scipy on CDNOW's raw transaction log, as pandas reads it.

The reference for rfm's TestCDNOWMaster: pandas reads CDNOW_master.txt
(whitespace-aligned columns, YYYYMMDD dates), the calibration period ends on
1997-09-30 (orders on or before that day), purchases on one day count once,
and times are in weeks, as in Fader, Hardie & Lee (2005). Prints the
customers, the repeat buyers and the maximum-likelihood (r, alpha, a, b) with
the log-likelihood, as JSON.

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
         scripts/cdnow_bgnbd.py ../shared/data/cdnow/CDNOW_master.txt
"""
import json
import sys

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

log = pd.read_csv(sys.argv[1], sep=r"\s+", dtype={"customer_id": str})
log["day"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
end = pd.Timestamp("1997-09-30")
log = log[log["day"] <= end]
days = log.groupby("customer_id")["day"]
first, last = days.min(), days.max()
x = (days.nunique() - 1).to_numpy(dtype=float)
t_x = ((last - first).dt.days / 7).to_numpy()
T = ((end - first).dt.days / 7).to_numpy()


def negative_ll(logp):
    r, alpha, a, b = np.exp(logp)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        dropped = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return -np.sum(common + np.logaddexp(alive, dropped))


start = minimize(negative_ll, np.zeros(4), method="Nelder-Mead", options={"maxiter": 20000, "xatol": 1e-10, "fatol": 1e-10})
fit = minimize(negative_ll, start.x, method="BFGS")
r, alpha, a, b = np.exp(fit.x)
print(json.dumps({"customers": len(x), "repeat_buyers": int((x > 0).sum()), "r": r, "alpha": alpha, "a": a, "b": b,
                  "log_likelihood": -fit.fun}))
