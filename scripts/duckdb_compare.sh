#!/usr/bin/env bash
# The feature stage against DuckDB on the same events: DuckDB 1.1.3
# (go-duckdb v1.8.5) and DuckDB 1.5.6 (duckdb-go v2, -tags duckdb15),
# both computing the default feature set as of 2025-01-01 from the same
# file, their values compared with leadscore's, and beside them each
# side's reading alone (DuckDB's bare scan of the four columns, leadscore's
# BenchmarkReadColumns): in the generator's order;
# in time order as DuckDB writes it (ZSTD, 1M-row groups); in time order as
# Spark and pyarrow write it (Snappy, 122,880-row groups, timestamps
# without time zone); in time order as pyarrow writes a pandas frame
# (Arrow's Parquet writer: every column dictionary-encoded, falling back to
# plain, Snappy, 1Mi-row groups, nanoseconds); as CSV in time order; and
# that CSV rewritten by writers neither leadscore nor DuckDB controls:
# pandas (Debian's /usr/bin/python3; skipped without it) as CSV, polars
# (Node.js and the npm registry; skipped without them) as Parquet and as
# CSV, and parquet-rs (likewise) as Parquet. Then, on the generator's
# Parquet and on the time-ordered one, the as-of run with the default
# rules, the snapshot table (12
# monthly dates, 2023-11-01 to 2024-10-01, each with its 90 days of deals
# before --last) and 1,000,000 cutoffs against one as-of run, with peak
# memory. Then real invoice lines (UCI Online Retail from ../shared, as
# pandas reads them, tiled 50 times by DuckDB; skipped without them).
# Last, web visitors: millions of ids with a few events each.
# Five alternating runs each; prints a Markdown section for BENCHMARKS.md.
# Usage: scripts/duckdb_compare.sh                      (generates 400,000 contacts, about 40 minutes)
#        scripts/duckdb_compare.sh LEADSCORE EVENTS.parquet DEALS.parquet   (benchmarks.sh passes its own)
#        scripts/duckdb_compare.sh --file EVENTS DATE [LABEL]   (one table row, as of DATE, on an events
#                                                              file of your own: Parquet or CSV from any tool)
#        scripts/duckdb_compare.sh --modes EVENTS DEALS [LABEL] (the rules, snapshot and cutoff runs against
#                                                              as-of on one events file, as generated)
#        scripts/duckdb_compare.sh --visitors                  (the web visitors alone, about 10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# footer_start F: where a Parquet file's footer (the schema, the row group
# offsets and the key-value metadata) begins; the data pages come before.
footer_start() { local len; len=$(tail -c 8 "$1" | head -c 4 | od -An -tu4 | tr -d ' '); echo $(($(stat -c %s "$1") - 8 - len)); }
# same_pages A B: whether two Parquet files hold the same bytes before
# their footers (footers record the input's name, size and SHA-256).
same_pages() { local n; n=$(footer_start "$1"); [ "$(footer_start "$2")" = "$n" ] && cmp -s -n "$n" "$1" "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
# with_npm DIR PACKAGE... -- SCRIPT ARG...: installs the npm packages into
# DIR and runs the Node.js script with them; fails without node, npm or
# the registry (the input it writes is then left out).
with_npm() {
  local dir=$1 pkgs=()
  shift
  while [ "$1" != -- ]; do pkgs+=("$1"); shift; done
  shift
  command -v node > /dev/null && command -v npm > /dev/null &&
    npm install --silent --no-audit --no-fund --prefix "$dir" "${pkgs[@]}" > /dev/null 2>&1 &&
    NODE_PATH="$dir/node_modules" node "$@" > /dev/null
}

# read_alone FILE: the median of five runs of leadscore reading the events
# in FILE as a features run does, keeping nothing (BenchmarkReadColumns,
# from the test binary built once below).
read_alone() {
  local runs
  runs=$(LEADSCORE_BENCH_EVENTS=$1 "$tmp/features.test" -test.run '^$' -test.bench 'ReadColumns/file$' -test.benchtime 1x -test.count 5 |
    awk '/^BenchmarkReadColumns\/file/ {printf "%.2f\n", $3 / 1e9}')
  median $runs
}

# table_head: the header of the tables whose rows versus prints.
table_head() {
  echo "| input | leadscore | DuckDB 1.1.3 | ratio | DuckDB 1.5.6 | ratio | reading alone (leadscore / DuckDB 1.1.3 / 1.5.6) | leadscore peak RSS | values compared |"
  echo "|---|---|---|---|---|---|---|---|---|"
}

# versus FILE DATE LABEL: five alternating runs of leadscore and DuckDB
# 1.1.3 and 1.5.6 on the events in FILE as of DATE, each DuckDB table's
# values compared with leadscore's, and each DuckDB's bare scan of the
# four columns timed; then leadscore's reading alone; prints the table
# row. leadscore's last table stays in $tmp/ours.parquet, the last
# comparison in $tmp/duck.out.
versus() {
  local file=$1 asof=$2 label=$3 ls=() d11=() d15=() s11=() s15=() rss=() diff="" secs kb s c ml m11 m15
  for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$leadscore" features --events "$file" --as-of "$asof" --out "$tmp/ours.parquet" -q > /dev/null
    read -r secs kb < "$tmp/time"
    ls+=("$secs") rss+=("$((kb / 1024))")
    for v in 11 15; do
      "$tmp/duck$v" -events "$file" -as-of "$asof" -ours "$tmp/ours.parquet" -out "$tmp/duck.parquet" > "$tmp/duck.out"
      s=$(sed -n 's/^duckdb: .* in \([0-9.]*\) s.*/\1/p' "$tmp/duck.out")
      c=$(sed -n 's/^duckdb scan: \([0-9.]*\) s/\1/p' "$tmp/duck.out")
      if [ "$v" = 11 ]; then d11+=("$s") s11+=("$c"); else d15+=("$s") s15+=("$c"); fi
      diff="$diff $(sed -n 's/.*features each: \([0-9]*\) values differ/\1/p' "$tmp/duck.out")"
    done
  done
  ml=$(median "${ls[@]}") m11=$(median "${d11[@]}") m15=$(median "${d15[@]}")
  echo "| $label | ${ml} s (${ls[*]}) | ${m11} s (${d11[*]}) | $(ratio "$ml" "$m11") | ${m15} s (${d15[*]}) | $(ratio "$ml" "$m15") | $(read_alone "$file") / $(median "${s11[@]}") / $(median "${s15[@]}") s | ${rss[*]} MiB | values differing per comparison:${diff} |"
}

# modes EVENTS DEALS LABEL: five alternating runs of the feature stage's
# other modes on EVENTS beside an as-of run of the same file (the default
# rules, a snapshot table of 12 monthly dates labelled from DEALS, and
# 1,000,000 cutoffs, 2-3 dates per contact), each as a multiple of as-of.
# Each run writes a new file, the last run's removed first (untimed), as
# a nightly run writes into a folder of its own: writing over a 278 MB
# snapshot table adds the kernel's freeing of the old file's pages (some
# 0.2 s in the rename) to that run alone.
modes() {
  local f=$1 deals=$2 label=$3 secs kb
  [ -f "$tmp/cutoffs.csv" ] || awk 'BEGIN { print "entity_id,ts"; for (i = 0; i < 400000; i++) { id = sprintf("E%06d", i); print id ",2024-04-01"; print id ",2024-07-01"; if (i % 2 == 0) print id ",2024-10-01 12:00:00" } }' > "$tmp/cutoffs.csv"
  local snap=() asof=() cut=() ruled=() arss=() srss=() crss=() rrss=()
  for _ in 1 2 3 4 5; do
    rm -f "$tmp/ours.parquet" "$tmp/ruled.parquet" "$tmp/snap.parquet" "$tmp/cut.parquet"
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$leadscore" features --events "$f" --as-of 2025-01-01 --out "$tmp/ours.parquet" -q > /dev/null
    read -r secs kb < "$tmp/time"
    asof+=("$secs") arss+=("$((kb / 1024))")
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$leadscore" features --events "$f" --as-of 2025-01-01 --rules default --out "$tmp/ruled.parquet" -q > /dev/null
    read -r secs kb < "$tmp/time"
    ruled+=("$secs") rrss+=("$((kb / 1024))")
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$leadscore" features --events "$f" --snapshots monthly --first 2023-11-01 \
      --last 2025-01-01 --horizon 90d --outcomes "$deals" --out "$tmp/snap.parquet" -q > "$tmp/snap.out"
    read -r secs kb < "$tmp/time"
    snap+=("$secs") srss+=("$((kb / 1024))")
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$leadscore" features --events "$f" --cutoffs "$tmp/cutoffs.csv" --out "$tmp/cut.parquet" -q > /dev/null
    read -r secs kb < "$tmp/time"
    cut+=("$secs") crss+=("$((kb / 1024))")
  done
  local ma ms mc mr
  ma=$(median "${asof[@]}") ms=$(median "${snap[@]}") mc=$(median "${cut[@]}") mr=$(median "${ruled[@]}")
  echo
  echo "On ${label}, five alternating runs: as of 2025-01-01 ${ma} s (${asof[*]}), peak RSS ${arss[*]} MiB;"
  echo "the same with the default rules (\`--rules default\`) ${mr} s (${ruled[*]}), $(ratio "$mr" "$ma")× as-of, peak RSS ${rrss[*]} MiB;"
  echo "snapshot table, $(sed -n 's/.*: \([0-9]*\) rows, \([0-9]*\) columns/\1 rows × \2 columns/p' "$tmp/snap.out") (12 monthly dates): ${ms} s (${snap[*]}), $(ratio "$ms" "$ma")× as-of, peak RSS ${srss[*]} MiB;"
  echo "1,000,000 cutoffs (2-3 dates per contact): ${mc} s (${cut[*]}), $(ratio "$mc" "$ma")× as-of, peak RSS ${crss[*]} MiB."
}

# Web visitors: many entities with few events each, as a site's tracker
# logs anonymous visitors (15,000,000 page and email events of 5,000,000
# ids, three each on average, over 2023-2024), which neither the generator
# nor DuckDB's sample shape: awk draws them, DuckDB writes them in time
# order as CSV and as Spark writes Parquet.
visitors() {
  local rows=() ents
  awk 'BEGIN { srand(7); print "entity_id,ts,type,value"; split("page_view,email_open,form_submit,webinar", t, ",")
    for (i = 0; i < 15000000; i++) printf "anon-%07d,%s,%s,\n", int(rand() * 5000000),
      strftime("%Y-%m-%dT%H:%M:%SZ", 1672531200 + int(rand() * 700) * 86400 + int(rand() * 86400), 1), t[1 + int(rand() * 4)] }' > "$tmp/visitors-raw.csv"
  "$tmp/duck11" -events "$tmp/visitors-raw.csv" -time-ordered "$tmp/visitors.csv" > /dev/null
  "$tmp/duck11" -events "$tmp/visitors-raw.csv" -time-ordered "$tmp/visitors.parquet" -spark-like > /dev/null
  rm "$tmp/visitors-raw.csv"
  rows+=("$(versus "$tmp/visitors.csv" 2025-01-01 "web visitors, time order, CSV written by DuckDB")")
  rows+=("$(versus "$tmp/visitors.parquet" 2025-01-01 "web visitors, time order, Snappy, 122,880-row groups, timestamps without time zone")")
  ents=$(sed -n 's/^compared \([0-9]*\) entities.*/\1/p' "$tmp/duck.out")
  echo
  echo "Web visitors: 15,000,000 events of $ents ids (\`anon-0012345\`, three events each on average, drawn by awk in \`scripts/duckdb_compare.sh\`), written in time order by \`scripts/duckdb -time-ordered\`, as of 2025-01-01, five alternating runs:"
  echo
  table_head
  printf '%s\n' "${rows[@]}"
}

if [ "${1:-}" = --modes ]; then # leadscore alone: no DuckDB to build
  go build -o "$tmp/leadscore" ./cmd/leadscore
  leadscore=$tmp/leadscore
  modes "$2" "$3" "${4:-$2}"
  exit
fi
(cd scripts/duckdb && go build -o "$tmp/duck11" . && go build -tags duckdb15 -o "$tmp/duck15" .)
go test -c -o "$tmp/features.test" ./features
if [ "${1:-}" = --file ]; then
  go build -o "$tmp/leadscore" ./cmd/leadscore
  leadscore=$tmp/leadscore
  table_head
  versus "$2" "$3" "${4:-$2}"
  exit
fi
if [ "${1:-}" = --visitors ]; then
  go build -o "$tmp/leadscore" ./cmd/leadscore
  leadscore=$tmp/leadscore
  visitors
  exit
fi
if [ $# -ge 3 ]; then
  leadscore=$1 events=$2 deals=$3
else
  go build -o "$tmp/leadscore" ./cmd/leadscore
  leadscore=$tmp/leadscore events=$tmp/events.parquet deals=$tmp/deals.parquet
  "$leadscore" datasets generate --out "$tmp/gen" --entities 400000 --format parquet -q > /dev/null
  mv "$tmp/gen/events.parquet" "$events"
  mv "$tmp/gen/deals.parquet" "$deals"
  rm -rf "$tmp/gen"
fi
"$tmp/duck11" -events "$events" -time-ordered "$tmp/time.parquet" > /dev/null
"$tmp/duck11" -events "$events" -time-ordered "$tmp/spark.parquet" -spark-like > /dev/null
"$tmp/duck11" -events "$events" -time-ordered "$tmp/pyarrow.parquet" -pyarrow-like > /dev/null
"$tmp/duck11" -events "$events" -time-ordered "$tmp/int96.parquet" -pyarrow-like -int96 > /dev/null
"$tmp/duck11" -events "$events" -time-ordered "$tmp/time.csv" > /dev/null
inputs=(generator time spark pyarrow int96 csv)
if /usr/bin/python3 -c "import pandas" 2> /dev/null; then
  # pandas parses the timestamps and writes them back its own way
  # ("2024-01-01 09:30:00+00:00"), floats as "12.0", missing values empty.
  /usr/bin/python3 - "$tmp/time.csv" "$tmp/pandas.csv" <<'PY'
import sys
import pandas as pd
text = {c: str for c in ("entity_id", "type", "channel", "page", "justified")}
df = pd.read_csv(sys.argv[1], dtype=text, keep_default_na=False, na_values={"value": [""]})
df["ts"] = pd.to_datetime(df["ts"], utc=True)
df.to_csv(sys.argv[2], index=False)
PY
  inputs+=(pandas)
fi
# polars 0.26 (Rust, through its Node.js package from the npm registry;
# skipped without node and npm or the registry) reads that CSV and writes
# it back with its defaults: Parquet (uncompressed, dictionary-encoded
# text, 309,065-row groups, microseconds UTC) and CSV (timestamps as
# 2024-01-01T09:30:00.000000+0000, nulls empty).
if with_npm "$tmp/polars" nodejs-polars@0.26.1 nodejs-polars-linux-x64-gnu@0.26.1 -- \
  scripts/polars_write.js "$tmp/time.csv" "$tmp/polars.parquet" "$tmp/polars.csv"; then
  inputs+=(polars polarscsv)
fi
# parquet-rs 59.3 (arrow-rs's Parquet writer, through parquet-wasm 0.8.0
# from the npm registry; skipped like polars) reads the time-ordered
# Parquet and writes it back with its defaults: uncompressed, every column
# dictionary-encoded (falling back to plain), 1Mi-row groups.
if with_npm "$tmp/parquetrs" parquet-wasm@0.8.0 -- scripts/parquetrs_write.js "$tmp/time.parquet" "$tmp/parquetrs.parquet"; then
  inputs+=(parquetrs)
fi

table_head
for order in "${inputs[@]}"; do
  case $order in
    generator) file=$events label="generator's order (each contact's events together)" ;;
    time) file=$tmp/time.parquet label="time order, written by DuckDB" ;;
    spark) file=$tmp/spark.parquet label="time order, Snappy, 122,880-row groups, timestamps without time zone (as Spark and pyarrow write), written by DuckDB" ;;
    pyarrow) file=$tmp/pyarrow.parquet label="time order, as pyarrow writes a pandas frame (every column dictionary-encoded, falling back to plain; Snappy; 1Mi-row groups; nanoseconds, UTC), written by Arrow's Parquet writer" ;;
    int96) file=$tmp/int96.parquet label="time order, timestamps as INT96 (as Spark writes them by default), otherwise as pyarrow writes but without the Arrow schema, by Arrow's Parquet writer" ;;
    csv) file=$tmp/time.csv label="time order, CSV written by DuckDB" ;;
    pandas) file=$tmp/pandas.csv label="time order, CSV written by pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)')" ;;
    polars) file=$tmp/polars.parquet label="time order, Parquet as polars 0.26 writes it by default (uncompressed, dictionary-encoded text, 309,065-row groups, microseconds, UTC)" ;;
    polarscsv) file=$tmp/polars.csv label="time order, CSV written by polars 0.26" ;;
    parquetrs) file=$tmp/parquetrs.parquet label="time order, Parquet as parquet-rs 59.3 writes it by default (uncompressed, every column dictionary-encoded, falling back to plain; 1Mi-row groups; microseconds, UTC)" ;;
  esac
  versus "$file" 2025-01-01 "$label"
  cp "$tmp/ours.parquet" "$tmp/ours-$order.parquet"
done
rows=$(sed -n 's/^compared \([0-9]*\) entities.*/\1/p' "$tmp/duck.out")
# The same events in any order and format give the same table: the data
# pages of every input's table equal the generator-order table's byte for
# byte; the footers differ in the input's name, size and SHA-256, which the
# metadata records.
n=$(footer_start "$tmp/ours-generator.parquet") same=() differ=()
for order in "${inputs[@]:1}"; do
  if same_pages "$tmp/ours-generator.parquet" "$tmp/ours-$order.parquet"; then
    same+=("$order")
  else
    differ+=("$order")
  fi
done
echo
echo "Order and format: the tables from ${same[*]:-no input} have data pages byte-identical to the generator-order table's (\`cmp -n\` of the ${n} bytes before each footer; the footers record the input's name, size and SHA-256)${differ:+; they differ for ${differ[*]}}."
modes "$events" "$deals" "the generator's Parquet"
modes "$tmp/time.parquet" "$deals" "the time-ordered Parquet"
echo "Commands: \`leadscore features --events F --snapshots monthly --first 2023-11-01 --last 2025-01-01 --horizon 90d --outcomes deals.parquet --out snap.parquet\`; \`... --cutoffs cutoffs.csv --out cut.parquet\`; \`scripts/duckdb_compare.sh --modes F deals.parquet LABEL\` prints one such paragraph."
echo
echo "Input: \`leadscore datasets generate --entities 400000 --format parquet\` ($(($(wc -c < "$events") / 1048576)) MiB, ${rows} contacts with rows). Medians of five alternating runs (leadscore, 1.1.3, 1.5.6), times of each run in brackets; ratio = leadscore's median / DuckDB's. Commands: \`leadscore features --events F --as-of 2025-01-01 --out ours.parquet\`; \`scripts/duckdb -events F -ours ours.parquet\` (built with and without \`-tags duckdb15\`), which times DuckDB's aggregation to Parquet, compares every value with leadscore's, then times a bare scan of the four columns (\`count(*)\`, \`max\` of the lengths and of ts, \`sum(value)\`: the floor under any aggregation of the file); leadscore's reading alone is the median of five runs of \`LEADSCORE_BENCH_EVENTS=F go test -run '^\$' -bench 'ReadColumns/file\$' -benchtime 1x -count 5 ./features\` (the events read as a features run reads them, nothing kept), after the alternating runs; \`scripts/duckdb -time-ordered F.parquet [-spark-like | -pyarrow-like [-int96]]\` and \`F.csv\` write the time-ordered files (DuckDB reads the CSV with \`read_csv\`, value typed DOUBLE, the other types detected)."

# Real invoice lines, which the generator did not write: UCI Online
# Retail (2010-12 to 2011-12) read by pandas (Windows-1252, bare CR line
# ends) into events, one per line with a customer: the customer, the
# invoice time, purchase or return (invoice numbers starting with C),
# quantity × price. DuckDB tiles them 50 times (see -tile) in time order,
# as Spark writes Parquet. Few types, so few columns (DuckDB's cost grows
# with them, leadscore's mostly with events), and half the lines share
# their instant with the rest of their invoice.
retail=../shared/data/uci_online_retail/online_retail_II.csv
if [ -f "$retail" ] && /usr/bin/python3 -c "import pandas" 2> /dev/null; then
  /usr/bin/python3 - "$retail" "$tmp/lines.csv" <<'PY'
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1], encoding="cp1252", lineterminator="\r", dtype={"Invoice": str, "StockCode": str, "Customer ID": "Int64"})
df = df[df["Customer ID"].notna()]
pd.DataFrame({
    "entity_id": "C" + df["Customer ID"].astype(str),
    "ts": pd.to_datetime(df["InvoiceDate"], format="%m/%d/%y %H:%M", utc=True),
    "type": df["Invoice"].str.startswith("C").map({True: "return", False: "purchase"}),
    "value": df["Quantity"] * df["Price"],
}).to_csv(sys.argv[2], index=False)
PY
  "$tmp/duck11" -events "$tmp/lines.csv" -time-ordered "$tmp/retail.parquet" -spark-like -tile 50 > /dev/null
  row=$(versus "$tmp/retail.parquet" 2011-12-10 "invoice lines, time order, Snappy, 122,880-row groups")
  cols=$(sed -n 's/.*entities (.*), \([0-9]*\) features each.*/\1/p' "$tmp/duck.out")
  rows=$(sed -n 's/^compared \([0-9]*\) entities.*/\1/p' "$tmp/duck.out")
  echo
  echo "Real invoice lines, UCI Online Retail tiled 50 times ($(($(wc -c < "$tmp/retail.parquet") / 1048576)) MiB, $rows customers, $cols features; \`scripts/duckdb -events lines.csv -time-ordered retail.parquet -spark-like -tile 50\` from pandas' events; as of 2011-12-10), five alternating runs:"
  echo
  table_head
  echo "$row"
  # The same tiled lines as DuckDB writes them by default (ZSTD, 1M-row
  # groups): its sort by time is not stable, so an invoice's lines come in
  # another order; the table's data pages must not change.
  "$tmp/duck11" -events "$tmp/lines.csv" -time-ordered "$tmp/retail-zstd.parquet" -tile 50 > /dev/null
  cp "$tmp/ours.parquet" "$tmp/ours-retail.parquet"
  "$leadscore" features --events "$tmp/retail-zstd.parquet" --as-of 2011-12-10 --out "$tmp/ours-zstd.parquet" -q > /dev/null
  n=$(footer_start "$tmp/ours-retail.parquet")
  same="identical"
  same_pages "$tmp/ours-retail.parquet" "$tmp/ours-zstd.parquet" || same="different"
  echo
  echo "The same tiled lines written by DuckDB with its defaults (ZSTD, 1M-row groups; its sort by time is not stable, so the lines of an invoice come in another order): table data pages ${same} (\`cmp -n\` of the ${n} bytes before the footer)."
fi

visitors
