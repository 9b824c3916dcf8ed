#!/usr/bin/python3
"""BG/NBD fitted by scipy on a raw transaction log, as pandas reads it.

The reference for rfm's TestCDNOWMaster and TestOnlineRetailBGNBD, and the
reference time beside rfm's in scripts/benchmarks.sh: pandas reads the log,
orders on or before --end count (purchases on one day count once; with
--retail or --orders, lines without a customer and returns are left out), times are
in weeks as in Fader, Hardie & Lee (2005), and scipy maximises the BG/NBD
likelihood from several starting points. Prints the customers, the repeat
buyers, the maximum-likelihood (r, alpha, a, b) and the log-likelihood, as JSON.

Usage (unset the machine's OpenBLAS settings, which slow numpy):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/bgnbd_reference.py \
      ../shared/data/cdnow/CDNOW_master.txt --end 1997-09-30
  ... scripts/bgnbd_reference.py ../shared/data/uci_online_retail/online_retail_II.csv --retail --end 2011-08-31
  ... scripts/bgnbd_reference.py orders.csv --orders --end 2024-12-31   (leadscore datasets orders)
"""
import argparse
import json

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

ap = argparse.ArgumentParser()
ap.add_argument("log")
ap.add_argument("--end", required=True)
ap.add_argument("--retail", action="store_true", help="UCI Online Retail's invoice lines (else CDNOW's log)")
ap.add_argument("--orders", action="store_true", help="an orders table (entity_id, ts, amount), as leadscore datasets orders writes it")
a = ap.parse_args()

if a.retail:
    log = pd.read_csv(a.log, encoding="cp1252", lineterminator="\r", dtype={"Customer ID": str})
    log = log.dropna(subset=["Customer ID"]).rename(columns={"Customer ID": "customer"})
    log["amount"] = log["Quantity"] * log["Price"]
    log["day"] = pd.to_datetime(log["InvoiceDate"], format="%m/%d/%y %H:%M").dt.normalize()
    log = log[log["amount"] >= 0]
elif a.orders:
    log = pd.read_csv(a.log, dtype={"entity_id": str}).rename(columns={"entity_id": "customer"})
    log["day"] = pd.to_datetime(log["ts"], format="%Y-%m-%d %H:%M:%S").dt.normalize()
    log = log[log["amount"] >= 0]
else:
    log = pd.read_csv(a.log, sep=r"\s+", dtype={"customer_id": str}).rename(columns={"customer_id": "customer"})
    log["day"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
end = pd.Timestamp(a.end)
log = log[log["day"] <= end]
days = log.groupby("customer")["day"]
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


# Parameters between e^-30 and e^15: beyond, betaln loses all precision and
# an optimiser can wander into "likelihoods" that are rounding error.
bounds = [(-30, 15)] * 4
best = None
for start in (np.zeros(4), np.log([0.5, 5, 0.5, 2]), np.log([1, 10, 0.01, 100])):
    fit = minimize(negative_ll, start, method="L-BFGS-B", bounds=bounds, options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-10})
    if best is None or fit.fun < best.fun:
        best = fit
r, alpha, a_, b = np.exp(best.x)
print(json.dumps({"customers": len(x), "repeat_buyers": int((x > 0).sum()), "r": r, "alpha": alpha, "a": a_, "b": b,
                  "log_likelihood": -best.fun}))
