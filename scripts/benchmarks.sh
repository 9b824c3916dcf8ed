#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: the machine, the commands, and the numbers.
# Usage: scripts/benchmarks.sh            (about 25 minutes on 2 cores)
#        BACKTEST=1 scripts/benchmarks.sh (also the call-list backtest, scripts/backtest.sh: about 10 minutes more)
#        SECTIONS="gbdt demo" scripts/benchmarks.sh (measures only the named sections, of generate,
#                                 features, rfm, real, gbdt, bank, gobench and demo, stamped with the commit; keeps the rest as it is)
#        DUCKDB=1 scripts/benchmarks.sh   (also DuckDB 1.1.3 and 1.5.6 on the same events in both orders, as other tools write them (Parquet and CSV), the rules, snapshot and cutoff runs on both orders, real invoice lines and web visitors, scripts/duckdb_compare.sh: about 40 minutes more; cgo; polars and parquet-rs through Node.js and npm)
set -euo pipefail
cd "$(dirname "$0")/.."
# The sections, in the file's order, by the names SECTIONS takes.
sections="generate features rfm real gbdt bank gobench demo"
for s in ${SECTIONS:-}; do
  if [[ " $sections " != *" $s "* ]]; then
    echo "benchmarks.sh: SECTIONS: no section \"$s\" (have $sections)" >&2
    exit 2
  fi
done
out=BENCHMARKS.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/leadscore" ./cmd/leadscore

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
# want KEY: whether this run measures the section KEY (every section
# unless SECTIONS names some).
want() { [ -z "${SECTIONS:-}" ] || [[ " $SECTIONS " == *" $1 "* ]]; }
# stamp: under a section's heading, the commit it was measured at when
# this run measures only some sections (a full run's commit heads the file).
stamp() {
  if [ -n "${SECTIONS:-}" ]; then
    echo "Measured at commit $commit on $(date -u +%F) on $(nproc) cores of ${cpu:-an unknown CPU}, rerun alone (\`SECTIONS=\"$SECTIONS\" scripts/benchmarks.sh\`)."
    echo
  fi
}

# median of its arguments (numbers)
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# kept TITLE: the section of the current BENCHMARKS.md headed "## TITLE",
# as it is, for sections this script does not measure (its trailing blank
# lines left out, so that reruns do not add up).
kept() {
  awk -v h="## $1" '$0 == h {on=1; print; next} on && /^## / {on=0}
    on {held = held $0 "\n"; if ($0 != "") {printf "%s", held; held = ""}}' "$out"
}

# gbdt_numeric TITLE FILE: leadscore, XGBoost and scikit-learn's HGB on an
# all-numeric leads file, three alternating runs each; prints a table.
gbdt_numeric() {
  local title=$1 file=$2
  local py=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 /usr/bin/python3 scripts/xgb_leads.py "$file" --label won --id lead_id --time-col created)
  local lw=() lt=() xw=() xt=() hw=() ht=()
  for _ in 1 2 3; do
    /usr/bin/time -f "%e" -o "$tmp/time" "$tmp/leadscore" train --table "$file" --label won --id lead_id --time-col created --model gbdt --out "$tmp/gbdtnum" > "$tmp/num.out" 2>&1
    lw+=("$(cat "$tmp/time")") lt+=("$(sed -n 's/.*msg=boosted .* duration=\([0-9.]*\)s.*/\1/p' "$tmp/num.out")")
    /usr/bin/time -f "%e" -o "$tmp/time" "${py[@]}" > "$tmp/xnum.out"
    xw+=("$(cat "$tmp/time")") xt+=("$(sed -n 's/.*"train_s": \([0-9.]*\).*/\1/p' "$tmp/xnum.out")")
    /usr/bin/time -f "%e" -o "$tmp/time" "${py[@]}" --model hgb > "$tmp/hnum.out"
    hw+=("$(cat "$tmp/time")") ht+=("$(sed -n 's/.*"train_s": \([0-9.]*\).*/\1/p' "$tmp/hnum.out")")
  done
  local mlw mxw mhw
  mlw=$(median "${lw[@]}") mxw=$(median "${xw[@]}") mhw=$(median "${hw[@]}")
  echo
  echo "$title:"
  echo
  echo "| tool | validation AUC | whole process | ratio to XGBoost | training alone |"
  echo "|---|---|---|---|---|"
  echo "| leadscore | $(sed -n 's/.*validation AUC \([0-9.]*\).*/\1/p' "$tmp/num.out") | ${mlw} s (${lw[*]}) | $(awk -v a="$mlw" -v b="$mxw" 'BEGIN{printf "%.2f", a/b}') | $(median "${lt[@]}") s (${lt[*]}) |"
  echo "| XGBoost | $(sed -n 's/.*"auc": \([0-9.]*\).*/\1/p' "$tmp/xnum.out") | ${mxw} s (${xw[*]}) | 1 | $(median "${xt[@]}") s (${xt[*]}) |"
  echo "| scikit-learn HGB | $(sed -n 's/.*"auc": \([0-9.]*\).*/\1/p' "$tmp/hnum.out") | ${mhw} s (${hw[*]}) | $(awk -v a="$mhw" -v b="$mxw" 'BEGIN{printf "%.2f", a/b}') | $(median "${ht[@]}") s (${ht[*]}) |"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# Benchmarks"
  echo
  echo "Regenerate with \`scripts/benchmarks.sh\`. Numbers below are from one run of the script (where a section says so, medians of three alternating runs); rerun on your machine before you quote them."
  echo
  if [ -n "${SECTIONS:-}" ]; then
    # The last full run's machine and commit stay: the sections it
    # measured are kept; a section rerun alone names its own.
    sed -n 's/^- machine: \(.*[^)]\)$/- machine: \1 (the last full run)/p; t; /^- machine: .*(the last full run)$/p' "$out"
    echo "- go: $(go version | cut -d' ' -f3-)"
    echo "- commit: $(sed -n 's/^- commit: \([0-9a-f]*\).*/\1/p' "$out") (the last full run; a section that names another commit was rerun alone)"
  else
    echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
    echo "- go: $(go version | cut -d' ' -f3-)"
    echo "- commit: $commit"
  fi
  echo
  if want generate; then
    echo "## Synthetic data generation (\`leadscore datasets generate\`)"
    echo
    stamp
    echo "| entities | format | events | wall time | events/s | peak RSS |"
    echo "|---|---|---|---|---|---|"
    for spec in "20000 csv" "20000 parquet" "200000 csv"; do
      set -- $spec
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" datasets generate --out "$tmp/gen" --entities "$1" --format "$2" -q > "$tmp/gen.out"
      read -r secs kb < "$tmp/time"
      events=$(sed -n 's/.* \([0-9]*\) events,.*/\1/p' "$tmp/gen.out")
      echo "| $1 | $2 | $events | ${secs} s | $(awk -v e="$events" -v s="$secs" 'BEGIN{printf "%.0f", e/s}') | $((kb / 1024)) MiB |"
      rm -rf "$tmp/gen"
    done
    echo
    echo "Command: \`leadscore datasets generate --out DIR --entities N --format F -q\`, timed with \`/usr/bin/time\`."
  else
    kept "Synthetic data generation (\`leadscore datasets generate\`)"
  fi
  echo
  if want features; then
    echo "## Feature stage at scale (\`leadscore features\`)"
    echo
    stamp
    echo "Input: \`leadscore datasets generate --entities 400000 --format parquet\` (events.parquet, Parquet in, Parquet out)."
    echo
    "$tmp/leadscore" datasets generate --out "$tmp/big" --entities 400000 --format parquet -q > "$tmp/big.out"
    nev=$(sed -n 's/.* \([0-9]*\) events,.*/\1/p' "$tmp/big.out")
    python3 - "$tmp/big/cutoffs.csv" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    f.write('entity_id,ts\n')
    for i in range(400000):
        for d in ['2024-04-01', '2024-07-01'] + (['2024-10-01 12:00:00'] if i % 2 == 0 else []):
            f.write('E%06d,%s\n' % (i, d))
PY
    echo "| mode | events | output rows | wall time | events/s | peak RSS |"
    echo "|---|---|---|---|---|---|"
    feat() {
      local label=$1; shift
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" features --events "$tmp/big/events.parquet" "$@" -q > "$tmp/feat.out"
      read -r secs kb < "$tmp/time"
      rows=$(sed -n 's/.*: \([0-9]*\) rows.*/\1/p' "$tmp/feat.out")
      echo "| $label | $nev | $rows | ${secs} s | $(awk -v e="$nev" -v s="$secs" 'BEGIN{printf "%.0f", e/s}') | $((kb / 1024)) MiB |"
    }
    feat "as-of 2025-01-01" --as-of 2025-01-01 --out "$tmp/big/asof.parquet"
    feat "as-of, default rules" --as-of 2025-01-01 --rules default --out "$tmp/big/rules.parquet"
    feat "1,000,000 cutoffs" --cutoffs "$tmp/big/cutoffs.csv" --out "$tmp/big/cut.parquet"
    # Single runs vary by a second or more on a shared machine; the ratios
    # below are taken on medians of three alternating runs.
    plain=() ruled=() cut=()
    for _ in 1 2 3; do
      /usr/bin/time -f "%e" -o "$tmp/time" "$tmp/leadscore" features --events "$tmp/big/events.parquet" --as-of 2025-01-01 --out "$tmp/big/x.parquet" -q > /dev/null
      plain+=("$(cat "$tmp/time")")
      /usr/bin/time -f "%e" -o "$tmp/time" "$tmp/leadscore" features --events "$tmp/big/events.parquet" --as-of 2025-01-01 --rules default --out "$tmp/big/x.parquet" -q > /dev/null
      ruled+=("$(cat "$tmp/time")")
      /usr/bin/time -f "%e" -o "$tmp/time" "$tmp/leadscore" features --events "$tmp/big/events.parquet" --cutoffs "$tmp/big/cutoffs.csv" --out "$tmp/big/x.parquet" -q > /dev/null
      cut+=("$(cat "$tmp/time")")
    done
    mp=$(median "${plain[@]}") mr=$(median "${ruled[@]}") mc=$(median "${cut[@]}")
    echo
    echo "Medians of three alternating runs: as-of ${mp} s (${plain[*]}); with the default rules ${mr} s (${ruled[*]}): $(awk -v a="$mp" -v b="$mr" 'BEGIN{printf "%+.0f%%", 100*(b/a-1)}');"
    echo "1,000,000 cutoffs ${mc} s (${cut[*]}): $(awk -v a="$mp" -v b="$mc" 'BEGIN{printf "%.2f", b/a}')× as-of."
    echo
    echo "Commands: \`leadscore features --events events.parquet --as-of 2025-01-01 [--rules default] --out f.parquet\`;"
    echo "\`leadscore features --events events.parquet --cutoffs cutoffs.csv --out f.parquet\` (cutoffs: 2–3 dates per entity)."
    if [ "${DUCKDB:-}" = 1 ]; then
      echo
      echo "Against DuckDB, the same aggregation from the same file (\`scripts/duckdb_compare.sh\`):"
      echo
      scripts/duckdb_compare.sh "$tmp/leadscore" "$tmp/big/events.parquet" "$tmp/big/deals.parquet"
    fi
    rm -rf "$tmp/big"
  else
    kept "Feature stage at scale (\`leadscore features\`)"
  fi
  echo
  # Measured by hand: a CPU profile's split of one run (see the section).
  kept "Where a snapshot run's time goes"
  echo
  # Measured by hand: the script cannot build the writer (see the section).
  kept "Outside check: events written by Arrow C++ 25.0.0"
  echo
  if want rfm; then
    echo "## Customers (\`leadscore rfm\`)"
    echo
    stamp
    "$tmp/leadscore" datasets orders --out "$tmp/orders.csv" --customers 1000000 --r 2 --alpha 4 --a 0.5 --b 6 > "$tmp/orders.out"
    # The generator writes each customer's orders together; a shop's order
    # log is appended in time order, which GNU sort gives (stable, by ts).
    { head -n 1 "$tmp/orders.csv"; tail -n +2 "$tmp/orders.csv" | LC_ALL=C sort -t, -k2,2 -s; } > "$tmp/orders-time.csv"
    gen=() timed=() grss=() trss=()
    for _ in 1 2 3; do
      for f in orders orders-time; do
        /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" rfm --orders "$tmp/$f.csv" --observation-end 2024-12-31 --out "$tmp/$f.parquet" -q > "$tmp/$f.rfm"
        read -r secs kb < "$tmp/time"
        if [ "$f" = orders ]; then gen+=("$secs") grss+=("$((kb / 1024))"); else timed+=("$secs") trss+=("$((kb / 1024))"); fi
      done
    done
    echo "Scale: \`leadscore datasets orders --customers 1000000 --r 2 --alpha 4 --a 0.5 --b 6\` ($(sed -n 's/.*customers, \([0-9]*\) orders/\1/p' "$tmp/orders.out") orders), then"
    echo "\`leadscore rfm --orders orders.csv --observation-end 2024-12-31 --out rfm.parquet\`, three alternating runs: $(median "${gen[@]}") s (${gen[*]}), peak RSS ${grss[*]} MiB;"
    echo "the same orders sorted by time (GNU \`sort -t, -k2,2 -s\`), as a shop's order log is appended: $(median "${timed[@]}") s (${timed[*]}), peak RSS ${trss[*]} MiB."
    echo "Fitted (true r=2, alpha=4, a=0.5, b=6, p=6, q=4, gamma=15):"
    echo
    sed -n '2,3p' "$tmp/orders.rfm" | sed 's/^/    /'
    echo
    if cmp -s "$tmp/orders.parquet" "$tmp/orders-time.parquet"; then
      echo "Both orders give byte-identical rfm.parquet."
    else
      echo "The two orders' rfm.parquet differ (\`cmp\`)."
    fi
    # The reference: pandas reads the same orders and scipy fits BG/NBD
    # (the summary and the fit alone: no Gamma-Gamma, CLV or segments),
    # one run of each file, after leadscore's.
    if /usr/bin/python3 -c "import pandas, scipy" 2> /dev/null; then
      ref=()
      for f in orders orders-time; do
        /usr/bin/time -f "%e %M" -o "$tmp/time" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/bgnbd_reference.py "$tmp/$f.csv" --orders --end 2024-12-31 > "$tmp/$f.ref"
        read -r secs kb < "$tmp/time"
        ref+=("${secs} s, peak RSS $((kb / 1024)) MiB")
      done
      echo
      echo "Beside it, pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)') and scipy $(/usr/bin/python3 -c 'import scipy; print(scipy.__version__)') on the same files (\`scripts/bgnbd_reference.py orders.csv --orders --end 2024-12-31\`: reading, the BG/NBD summary and its fit from three starting points, without Gamma-Gamma, CLV or segments), one run each: ${ref[0]} in the generator's order, ${ref[1]} sorted by time. Its fit:"
      echo
      sed 's/^/    /' "$tmp/orders.ref"
    fi
    rm -f "$tmp/orders.csv" "$tmp/orders-time.csv" "$tmp/orders.parquet" "$tmp/orders-time.parquet"
    echo
    echo "CDNOW (Fader, Hardie & Lee 2005), calibration to 1997-09-30, holdout weeks 40–78:"
    echo "\`leadscore rfm --orders rfm/testdata/cdnow_sample.csv.gz --observation-end 1997-09-30 --time-unit week --holdout-end 1998-06-30 --out rfm.parquet\`"
    echo
    "$tmp/leadscore" rfm --orders rfm/testdata/cdnow_sample.csv.gz --observation-end 1997-09-30 --time-unit week \
      --holdout-end 1998-06-30 --out "$tmp/cdnow.parquet" -q | sed -n '2,3p;/^Holdout/,$p' | sed 's/^/    /'
    echo
    echo "Published: r = 0.2426, alpha = 4.4136, a = 0.7929, b = 2.4259, LL = -9582.43; p = 6.2496, q = 3.7442, gamma = 15.4435."
    retail=../shared/data/uci_online_retail/online_retail_II.csv
    if [ -f "$retail" ]; then
      echo
      echo "UCI Online Retail (bare CR line ends, Windows-1252, price × quantity lines, cancellations):"
      echo "\`leadscore rfm --orders online_retail_II.csv --encoding cp1252 --time-format \"1/2/06 15:04\" --col entity_id=\"Customer ID\" --col ts=InvoiceDate --col amount=Price --col quantity=Quantity --as-of 2011-12-10 --time-unit day --max-bad-rows 200000 --out rfm.parquet\`"
      echo
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" rfm --orders "$retail" --encoding cp1252 --time-format "1/2/06 15:04" \
        --col entity_id="Customer ID" --col ts=InvoiceDate --col amount=Price --col quantity=Quantity --as-of 2011-12-10 \
        --time-unit day --max-bad-rows 200000 --out "$tmp/retail/rfm.parquet" -q | sed -n '1,3p' | sed 's/^/    /'
      read -r secs kb < "$tmp/time"
      echo
      echo "Wall time ${secs} s, peak RSS $((kb / 1024)) MiB. The bad rows are the lines without a Customer ID, quarantined with their line numbers."
    fi
  else
    kept "Customers (\`leadscore rfm\`)"
  fi
  echo
  if want real; then
    echo "## Training on real data (\`leadscore train --table\`)"
    echo
    stamp
    echo "| data | command | validation AUC (95% CI) | wall time |"
    echo "|---|---|---|---|"
    sharedd=../shared/data
    trainrow() {
      local name=$1; shift
      if [ -f "$1" ]; then
        /usr/bin/time -f "%e" -o "$tmp/time" "$tmp/leadscore" train --table "$@" --out "$tmp/m" -q > "$tmp/train.out" 2>&1 || true
        auc=$(sed -n 's/.*validation AUC \([0-9.]*\) (95% CI \([0-9.–]*\)).*/\1 (\2)/p' "$tmp/train.out")
        local file; file=$(basename "$1"); shift
        echo "| $name | \`leadscore train --table $file $(printf '%q ' "$@")\` | ${auc:-failed} | $(cat "$tmp/time") s |"
      fi
    }
    trainrow "UCI bank-full, no duration (random 80/20, seed 42)" "$sharedd/uci_bank_marketing/bank-full.csv" --sep ';' --label y --positive yes --drop duration --seed 42
    trainrow "X Education, all columns" "$sharedd/x_education_leads/Leads.csv" --label Converted --id "Lead Number" --drop "Prospect ID" --na Select
    trainrow "X Education, without leaking columns" "$sharedd/x_education_leads/Leads.csv" --label Converted --id "Lead Number" --drop "Prospect ID,Tags,Lead Quality,Lead Profile,Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity Score,Asymmetrique Profile Score" --na Select
    trainrow "X Education, without leaks, naive Bayes" "$sharedd/x_education_leads/Leads.csv" --model nb --label Converted --id "Lead Number" --drop "Prospect ID,Tags,Lead Quality,Lead Profile,Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity Score,Asymmetrique Profile Score" --na Select
    trainrow "Maven CRM closed deals (out of time)" "$sharedd/maven_crm/sales_pipeline.csv" --label deal_stage --positive Won --negative Lost --id opportunity_id --drop close_value,close_date --time-col engage_date
    echo
    echo "Each run chooses C by 5-fold cross-validation over 10 values and fits the calibration on out-of-fold predictions."
    echo "On scikit-learn's own split of bank-full (\`train/testdata/gen_bank_sklearn.py\`), \`go test ./train -run Bank -v\` compares the two AUCs on the same rows."
    echo
    echo "LR fit alone, 800,000 × 45 standard-normal rows, C = 1 (\`go test -run '^\$' -bench FitLogistic/rows=800000 ./train\`, below),"
    echo "against scikit-learn 1.2 lbfgs on the same design (\`/usr/bin/python3 scripts/lr_speed_sklearn.py\`):"
    echo
    if /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
      /usr/bin/python3 scripts/lr_speed_sklearn.py | sed 's/^/    /'
    else
      echo "    (python3-sklearn not installed)"
    fi
  else
    kept "Training on real data (\`leadscore train --table\`)"
  fi
  echo
  if want gbdt; then
    echo "## Gradient-boosted trees (\`leadscore train --model gbdt\`) against XGBoost"
    echo
    stamp
    xgbok=0
    /usr/bin/python3 -c "import xgboost, pandas, sklearn" 2>/dev/null && xgbok=1
    echo "Same rows, same split, 300 rounds, learning rate 0.1; XGBoost $( [ $xgbok = 1 ] && /usr/bin/python3 -c 'import xgboost; print(xgboost.__version__)' || echo '(not installed)') hist, max_depth 6, native categoricals, 2 threads (\`scripts/xgb_leads.py\`, \`train/testdata/gen_gbdt_xgboost.py\`);"
    echo "leadscore with its defaults (31 leaves, min 20 rows per leaf, lambda 1; 90% of the training rows fit the trees, 10% fit the calibration)."
    echo
    echo "Real data (\`go test ./train -run GBDTMatchesXGBoost -v\`; XGBoost's AUCs recorded in train/testdata/gbdt_xgboost.json):"
    echo
    go test ./train -run GBDTMatchesXGBoost -v -count=1 2>&1 | sed -n 's/.*realdata_test.go:[0-9]*: /    /p'
    echo
    "$tmp/leadscore" datasets leads --rows 1000000 --out "$tmp/leads1m.csv" -q > /dev/null
    "$tmp/leadscore" datasets leads --rows 800000 --out "$tmp/leads800k.csv" -q > /dev/null
    lsargs=(--label won --id lead_id --time-col created --model gbdt)
    xgargs=(--label won --id lead_id --time-col created)
    runs=(800k 1m)
    if [ $xgbok = 1 ]; then
      # The 800k rows as pandas writes them, in another order (read,
      # shuffled and written back; no tool of ours wrote this file).
      /usr/bin/python3 -c 'import sys, pandas as pd; pd.read_csv(sys.argv[1]).sample(frac=1, random_state=1).to_csv(sys.argv[2], index=False)' \
        "$tmp/leads800k.csv" "$tmp/leads800k_pandas.csv"
      runs=(800k 800k_pandas 1m)
    fi
    echo "Generated leads (\`leadscore datasets leads --rows N\`: 40 numeric and 5 categorical columns with 6 to 900 levels, about 22% won;"
    echo "split out of time on \`created\`, earliest 80% train); 800k, shuffled: the same 800k rows read, shuffled and written back by pandas"
    echo "(\`pd.read_csv(f).sample(frac=1, random_state=1).to_csv(g, index=False)\`); one run each:"
    echo
    echo "| rows | tool | validation AUC | whole process (read CSV, train, write model) | peak RSS |"
    echo "|---|---|---|---|---|"
    for n in "${runs[@]}"; do
      rows=$n
      [ "$n" = 800k_pandas ] && rows="800k, shuffled"
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" train --table "$tmp/leads$n.csv" "${lsargs[@]}" --out "$tmp/gbdt$n" -q > "$tmp/train.out" 2>&1
      read -r secs kb < "$tmp/time"
      echo "| $rows | leadscore | $(sed -n 's/.*validation AUC \([0-9.]*\).*/\1/p' "$tmp/train.out") | ${secs} s | $((kb / 1024)) MiB |"
      if [ $xgbok = 1 ]; then
        /usr/bin/time -f "%e %M" -o "$tmp/time" /usr/bin/python3 scripts/xgb_leads.py "$tmp/leads$n.csv" "${xgargs[@]}" --out "$tmp/xgb$n.json" > "$tmp/xgb$n.out"
        read -r secs kb < "$tmp/time"
        echo "| $rows | XGBoost | $(sed -n 's/.*"auc": \([0-9.]*\).*/\1/p' "$tmp/xgb$n.out") | ${secs} s (train alone $(sed -n 's/.*"train_s": \([0-9.]*\).*/\1/p' "$tmp/xgb$n.out") s) | $((kb / 1024)) MiB |"
      fi
    done
    echo
    echo "Commands: \`leadscore train --table leads.csv --label won --id lead_id --time-col created --model gbdt --out M\`;"
    echo "\`/usr/bin/python3 scripts/xgb_leads.py leads.csv --label won --id lead_id --time-col created --out xgb.json\`, timed with \`/usr/bin/time\`."
    if [ $xgbok = 1 ]; then
      # All-numeric: the 800k leads without their five categorical columns.
      cut -d, -f1-42,48 "$tmp/leads800k.csv" > "$tmp/num800k.csv"
      # The same rows as pandas writes them, in another order: read, shuffled
      # and written back by pandas (no tool of ours wrote this file).
      /usr/bin/python3 -c 'import sys, pandas as pd; pd.read_csv(sys.argv[1]).sample(frac=1, random_state=1).to_csv(sys.argv[2], index=False)' \
        "$tmp/num800k.csv" "$tmp/num800k_pandas.csv"
      echo
      echo "All-numeric rows: the 800k leads without their five categorical columns (40 numeric columns), three alternating runs,"
      echo "medians (each run in brackets); scikit-learn $(/usr/bin/python3 -c 'import sklearn; print(sklearn.__version__)')'s HistGradientBoostingClassifier with 31 leaves, 300 iterations, no early stopping, OMP_NUM_THREADS=2"
      echo "(\`scripts/xgb_leads.py ... --model hgb\`). Training alone: leadscore's boosting (the \`boosted\` log line: binning, trees;"
      echo "576,000 rows, 64,000 more held out for the calibration), the libraries' fit call (640,000 rows)."
      echo "Two files: the generator's, and the same rows read, shuffled and written back by pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)')"
      echo "(\`pd.read_csv(f).sample(frac=1, random_state=1).to_csv(g, index=False)\`)."
      gbdt_numeric "generator's file, its order" "$tmp/num800k.csv"
      gbdt_numeric "pandas-written file, shuffled" "$tmp/num800k_pandas.csv"
    fi
    echo
    echo "Predicting 200,000 rows with a 300-tree model: XGBoost's \`Booster.predict\` on the 1M run's validation rows (DMatrix built beforehand)"
    if [ $xgbok = 1 ]; then
      echo "took $(sed -n 's/.*"predict_s": \([0-9.]*\).*/\1/p' "$tmp/xgb1m.out") s; leadscore's \`BenchmarkGBDTPredict\` (from the table, encoding and calibration included, 2 goroutines; Go benchmarks below):"
    else
      echo "(XGBoost not installed); leadscore's \`BenchmarkGBDTPredict\` (Go benchmarks below):"
    fi
    echo
    go test -run '^$' -bench 'GBDTPredict' -benchtime 3x ./train 2>&1 | grep -E '^Benchmark' | sed 's/^/    /'
    echo
    # Three alternating runs of each (the machine's noise is ±20%), medians.
    full=() fullkb=() top=() topkb=()
    for run in 1 2 3; do
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" predict --model "$tmp/gbdt800k" --table "$tmp/leads1m.csv" --id lead_id --out "$tmp/ranked.parquet" -q > /dev/null 2>&1
      read -r secs kb < "$tmp/time"
      full+=("$secs") fullkb+=("$kb")
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" predict --model "$tmp/gbdt800k" --table "$tmp/leads1m.csv" --id lead_id --top 1000 --out "$tmp/top.parquet" -q > /dev/null 2>&1
      read -r secs kb < "$tmp/time"
      top+=("$secs") topkb+=("$kb")
    done
    secs=$(median "${full[@]}")
    echo "Scoring with reasons (exact TreeSHAP for every row, top 3 each way), the whole command (read the CSV, score, explain, rank, write):"
    echo "\`leadscore predict --model M --table leads1m.csv --id lead_id --out ranked.parquet\` with the 800k model (300 trees, 31 leaves):"
    echo "1,000,000 rows in ${full[*]} s in three runs, median ${secs} s ($(awk -v s="$secs" 'BEGIN{printf "%.0f", 1000000/s}') rows/s), peak RSS $(( $(median "${fullkb[@]}") / 1024 )) MiB."
    echo "The same with \`--top 1000\` (every row scored and ranked, the 1,000 written explained), run after each of those: ${top[*]} s, median $(median "${top[@]}") s, peak RSS $(( $(median "${topkb[@]}") / 1024 )) MiB."
    if [ $xgbok = 1 ]; then
      "$tmp/leadscore" models export --model "$tmp/gbdt800k" --format xgboost-json --out "$tmp/gbdt800k.xgb.json" > /dev/null
      head -20001 "$tmp/leads1m.csv" > "$tmp/leads20k.csv"
      xs=$(/usr/bin/python3 cmd/leadscore/testdata/xgb_predict.py "$tmp/gbdt800k.xgb.json" "$tmp/leads20k.csv" --contribs --time | sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p')
      echo "For scale, XGBoost's own exact TreeSHAP (\`Booster.predict(pred_contribs=True)\`, 2 threads) on the same model, exported by"
      echo "\`leadscore models export\`, and the first 20,000 of those rows (read and encoded beforehand; the call alone timed,"
      echo "\`cmd/leadscore/testdata/xgb_predict.py M.xgb.json leads20k.csv --contribs --time\`): ${xs} s, $(awk -v s="$xs" 'BEGIN{printf "%.0f", 20000/s}') rows/s."
    fi
    echo
    echo "Logistic regression, whole process on the same 800k table (read the CSV, preprocess, fit, calibrate, evaluate, write)."
    echo "Fixed C: leadscore \`--c 1\` (it still cross-fits 5 folds for the calibration, then fits on all training rows) against"
    echo "scikit-learn's LogisticRegression(lbfgs, C=1), one fit, same preprocessing"
    echo "(\`/usr/bin/python3 scripts/lr_leads_sklearn.py leads.csv --label won --id lead_id --time-col created\`)."
    echo "C by cross-validation: leadscore's default (10 values of C × 5 folds) against LogisticRegressionCV with the same"
    echo "values and folds (the script with \`--cv\`):"
    echo
    echo "| tool | validation AUC | whole process | peak RSS |"
    echo "|---|---|---|---|"
    skok=0
    /usr/bin/python3 -c "import sklearn, pandas" 2>/dev/null && skok=1
    lrpair() { # label, leadscore flags..., --, script flags...
      local label=$1; shift
      local flag=() pyflag=()
      while [ "$1" != -- ]; do flag+=("$1"); shift; done; shift
      pyflag=("$@")
      /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" train --table "$tmp/leads800k.csv" --label won --id lead_id --time-col created "${flag[@]}" --out "$tmp/lr" -q > "$tmp/train.out" 2>&1
      read -r secs kb < "$tmp/time"
      ours+=("$secs")
      echo "| leadscore LR ($label) | $(sed -n 's/.*validation AUC \([0-9.]*\).*/\1/p' "$tmp/train.out") | ${secs} s | $((kb / 1024)) MiB |"
      if [ $skok = 1 ]; then
        /usr/bin/time -f "%e %M" -o "$tmp/time" /usr/bin/python3 scripts/lr_leads_sklearn.py "$tmp/leads800k.csv" --label won --id lead_id --time-col created "${pyflag[@]}" > "$tmp/sk.out"
        read -r secs kb < "$tmp/time"
        theirs+=("$secs")
        echo "| scikit-learn ($label) | $(sed -n 's/.*"auc": \([0-9.]*\).*/\1/p' "$tmp/sk.out") | ${secs} s (fit alone $(sed -n 's/.*"fit_s": \([0-9.]*\).*/\1/p' "$tmp/sk.out") s) | $((kb / 1024)) MiB |"
      fi
    }
    ours=(); theirs=()
    for run in 1 2 3; do lrpair "C = 1, run $run" --c 1 --; done
    echo
    if [ $skok = 1 ]; then
      mo=$(median "${ours[@]}"); mt=$(median "${theirs[@]}")
      echo "C = 1, medians of the three alternating runs: leadscore ${mo} s, scikit-learn ${mt} s, ratio $(awk -v a="$mo" -v b="$mt" 'BEGIN{printf "%.2f", a/b}')."
      echo
      echo "| tool | validation AUC | whole process | peak RSS |"
      echo "|---|---|---|---|"
    fi
    ours=(); theirs=()
    lrpair "C by 5-fold CV" -- --cv
    if [ $skok = 1 ]; then
      echo
      echo "C by cross-validation: ratio $(awk -v a="${ours[0]}" -v b="${theirs[0]}" 'BEGIN{printf "%.2f", a/b}')."
    fi
    rm -f "$tmp"/leads*.csv "$tmp/score.csv"
  else
    kept "Gradient-boosted trees (\`leadscore train --model gbdt\`) against XGBoost"
  fi
  echo
  if want bank; then
    echo "## Gradient-boosted trees on rows we did not make: UCI Bank Marketing, X Education"
    echo
    stamp
    bank=../shared/data/uci_bank_marketing/bank-additional-full.csv
    bankfull=../shared/data/uci_bank_marketing/bank-full.csv
    xedu=../shared/data/x_education_leads/Leads.csv
    if [ -f "$bank" ] && [ -f "$bankfull" ] && [ -f "$xedu" ] && /usr/bin/python3 -c "import xgboost, pandas, sklearn" 2>/dev/null; then
      # The ten numeric columns of the 41,188 calls, the subscription as 1/0,
      # the file tiled 20 times in its own order; created counts the rows.
      # The same for bank-full's seven numeric columns, and for the five
      # numeric columns of X Education's 9,240 leads (converted as the
      # label; missing values kept) tiled 100 times.
      /usr/bin/python3 - "$bank" "$bankfull" "$xedu" "$tmp" <<'PY'
import sys
import numpy as np, pandas as pd
def tiled(t, times):
    t = pd.concat([t] * times, ignore_index=True)
    t.insert(0, "created", (pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(len(t)), unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ"))
    t.insert(0, "lead_id", np.arange(len(t)))
    return t
def numeric(path):
    d = pd.read_csv(path, sep=";")
    return d.select_dtypes("number").assign(won=(d["y"] == "yes").astype(int))
tmp = sys.argv[4]
t = tiled(numeric(sys.argv[1]), 20)
t.to_csv(tmp + "/bank20.csv", index=False)
t.sample(frac=1, random_state=1).to_csv(tmp + "/bank20_shuffled.csv", index=False)
t = tiled(numeric(sys.argv[2]), 20)
t.to_csv(tmp + "/bankfull20.csv", index=False)
t.sample(frac=1, random_state=1).to_csv(tmp + "/bankfull20_shuffled.csv", index=False)
x = pd.read_csv(sys.argv[3])
x = x.select_dtypes("number").drop(columns=["Lead Number"]).rename(columns={"Converted": "won"})
t = tiled(x, 100)
t.to_csv(tmp + "/xedu100.csv", index=False)
t.sample(frac=1, random_state=1).to_csv(tmp + "/xedu100_shuffled.csv", index=False)
PY
      echo "\`$bank\` (UCI, see ../shared/data): its ten numeric columns (age, duration, campaign, pdays, previous and five economic"
      echo "indicators), the subscription as the label, the 41,188 rows tiled 20 times (823,760 rows; the last 20% validate, so they repeat"
      echo "training rows, the same for every tool), written by pandas in that order and shuffled (\`sample(frac=1, random_state=1)\`)."
      echo "The same commands as above, three alternating runs, medians."
      gbdt_numeric "Bank Marketing, tiled, in the file's order" "$tmp/bank20.csv"
      gbdt_numeric "Bank Marketing, tiled, shuffled" "$tmp/bank20_shuffled.csv"
      echo
      echo "\`$bankfull\` (the older release: 45,211 calls, seven numeric columns: age, balance, day, duration, campaign, pdays,"
      echo "previous) tiled 20 times (904,220 rows), and \`$xedu\` (UCI's X Education leads, see ../shared/data: its five numeric"
      echo "columns TotalVisits, Total Time Spent on Website, Page Views Per Visit and the two Asymmetrique scores, with their missing"
      echo "values, and Converted as the label) tiled 100 times (924,000 rows); both written by pandas in that order and shuffled as above."
      gbdt_numeric "Bank Marketing (bank-full), tiled, in the file's order" "$tmp/bankfull20.csv"
      gbdt_numeric "Bank Marketing (bank-full), tiled, shuffled" "$tmp/bankfull20_shuffled.csv"
      gbdt_numeric "X Education leads, tiled, in the file's order" "$tmp/xedu100.csv"
      gbdt_numeric "X Education leads, tiled, shuffled" "$tmp/xedu100_shuffled.csv"
      rm -f "$tmp"/bank20*.csv "$tmp"/bankfull20*.csv "$tmp"/xedu100*.csv
    else
      echo "(needs ../shared/data and python3-xgboost, python3-pandas and python3-sklearn)"
    fi
  else
    kept "Gradient-boosted trees on rows we did not make: UCI Bank Marketing, X Education"
  fi
  echo
  # Measured by hand: a CPU profile's split of one run (see the section).
  kept "Where a GBDT run's time goes"
  echo
  # The call-list backtest takes about 10 minutes more: BACKTEST=1 runs it,
  # otherwise the section of the current BENCHMARKS.md is kept.
  if [ "${BACKTEST:-0}" = 1 ]; then
    scripts/backtest.sh
  else
    kept "Call list backtest"
  fi
  echo
  if want gobench; then
    echo "## Go benchmarks"
    echo
    stamp
    echo "Command: \`go test -run '^\$' -bench . -benchtime 3x ./features ./datasets ./train\`"
    echo
    echo '```'
    go test -run '^$' -bench . -benchtime 3x ./features ./datasets ./train 2>&1 | grep -E '^(Benchmark|ok)'
    echo '```'
  else
    kept "Go benchmarks"
  fi
  echo
  if want demo; then
    echo "## Demo end to end (\`leadscore demo\`)"
    echo
    stamp
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" demo --out "$tmp/demo" -q > "$tmp/demo.out"
    read -r secs kb < "$tmp/time"
    echo "- wall time ${secs} s, peak RSS $((kb / 1024)) MiB (3,000 contacts, 160,950 events, 1,382 deals)"
    echo "- $(grep 'out-of-time AUC' "$tmp/demo.out")"
    echo "- the sample's true-probability AUC (the ceiling, all deals): $(sed -n 's/.*"deal_auc_true": \([0-9.]*\).*/\1/p' datasets/sample/truth.json)"
  else
    kept "Demo end to end (\`leadscore demo\`)"
  fi
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
