#!/usr/bin/python3
"""Judge lists of open deals deal by deal, outside leadscore.

    scripts/judge_deals.py RUNS DEALS.csv DATE...

For each DATE, reads RUNS/DATE/ranked.csv (a run of an opportunity model)
and the deals file (deal_id, entity_id, ts, won, closed_at; as `datasets
generate` writes it) and prints the rows, the deals won among them, the
model's AUC (probability order, ties averaged) and the deals won among the
first 100 by probability. A row is judged by its deal_id; a list whose rows
do not name their deals (leadscore before deal_id) gives each account's
rows, which score alike, its won deals first. On lists that name their
deals it reproduces `leadscore evaluate`'s model row.
"""
import csv
import sys
from collections import defaultdict


def judge(ranked_path, deals, date):
    at = date + " 00:00:00"
    won_of_account = defaultdict(int)
    won_of_deal = {}
    for d in deals:
        if d["ts"] < at and (d["closed_at"] == "" or d["closed_at"] >= at):
            won = d["won"] == "true" and d["closed_at"] != ""
            won_of_account[d["entity_id"]] += won
            won_of_deal[d["deal_id"]] = won
    with open(ranked_path, newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: -float(r["probability"]))  # stable: rank order within ties
    given = defaultdict(int)
    y = []
    for r in rows:
        if "deal_id" in r:
            y.append(int(won_of_deal[r["deal_id"]]))
        else:
            e = r["entity_id"]
            y.append(int(given[e] < won_of_account[e]))
            given[e] += 1
    p = [float(r["probability"]) for r in rows]
    order = sorted(range(len(p)), key=lambda i: p[i])
    rank = [0.0] * len(p)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and p[order[j + 1]] == p[order[i]]:
            j += 1
        for k in range(i, j + 1):
            rank[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(y)
    neg = len(y) - pos
    auc = (sum(r for r, v in zip(rank, y) if v) - pos * (pos + 1) / 2) / (pos * neg)
    return len(y), pos, auc, sum(y[:100])


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    runs, deals_path, dates = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(deals_path, newline="") as f:
        deals = list(csv.DictReader(f))
    for date in dates:
        n, pos, auc, first = judge(f"{runs}/{date}/ranked.csv", deals, date)
        print(f"{date}: {n} open deals, {pos} won, model AUC {auc:.3f}, {first} won among the first 100")


if __name__ == "__main__":
    main()
