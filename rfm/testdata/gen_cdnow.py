#!/usr/bin/env python3
"""Converts the CDNOW sample (whitespace-separated, no header) into the
orders CSV that leadscore reads: entity_id, ts, amount, cds.

Usage: python3 gen_cdnow.py ../../../shared/data/cdnow/CDNOW_sample.txt
Writes cdnow_sample.csv.gz (deterministic: gzip mtime 0).
"""
import gzip, sys

rows = []
with open(sys.argv[1]) as f:
    for line in f:
        master, sample, date, cds, dollars = line.split()
        rows.append(f"{sample},{date[:4]}-{date[4:6]}-{date[6:]},{dollars},{cds}\n")
with open("cdnow_sample.csv.gz", "wb") as raw:
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as z:
        z.write(b"entity_id,ts,amount,cds\n")
        z.write("".join(rows).encode())
print(len(rows), "orders")
