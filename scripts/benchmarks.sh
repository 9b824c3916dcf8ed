#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: the machine, the commands, and the numbers.
# Usage: scripts/benchmarks.sh            (about four minutes on 2 cores)
#        DUCKDB=1 scripts/benchmarks.sh   (also DuckDB on the same file; builds scripts/duckdb, cgo)
set -euo pipefail
cd "$(dirname "$0")/.."
out=BENCHMARKS.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/leadscore" ./cmd/leadscore

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# Benchmarks"
  echo
  echo "Regenerate with \`scripts/benchmarks.sh\`. Numbers below are from one run; rerun on your machine before you quote them."
  echo
  echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)"
  echo "- go: $(go version | cut -d' ' -f3-)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo
  echo "## Synthetic data generation (\`leadscore datasets generate\`)"
  echo
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
  echo
  echo "## Feature stage at scale (\`leadscore features\`)"
  echo
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
  echo
  echo "Commands: \`leadscore features --events events.parquet --as-of 2025-01-01 [--rules default] --out f.parquet\`;"
  echo "\`leadscore features --events events.parquet --cutoffs cutoffs.csv --out f.parquet\` (cutoffs: 2–3 dates per entity)."
  if [ "${DUCKDB:-}" = 1 ]; then
    (cd scripts/duckdb && go build -o "$tmp/duckcmp" .)
    echo
    echo "DuckDB 1.1.3 (go-duckdb v1.8.5, 2 threads), the same aggregation from the same file to Parquet, and a value-by-value comparison"
    echo "(\`cd scripts/duckdb && go run . -events events.parquet -ours asof.parquet\`):"
    echo
    "$tmp/duckcmp" -events "$tmp/big/events.parquet" -ours "$tmp/big/asof.parquet" -out "$tmp/big/duck.parquet" | sed 's/^/    /'
  fi
  rm -rf "$tmp/big"
  echo
  echo "## Go benchmarks"
  echo
  echo "Command: \`go test -run '^\$' -bench . -benchtime 3x ./features ./datasets\`"
  echo
  echo '```'
  go test -run '^$' -bench . -benchtime 3x ./features ./datasets 2>&1 | grep -E '^(Benchmark|ok)'
  echo '```'
  echo
  echo "## Demo end to end (\`leadscore demo\`)"
  echo
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$tmp/leadscore" demo --out "$tmp/demo" -q > "$tmp/demo.out"
  read -r secs kb < "$tmp/time"
  echo "- wall time ${secs} s, peak RSS $((kb / 1024)) MiB (3,000 contacts, 160,950 events, 1,382 deals)"
  echo "- $(grep 'out-of-time AUC' "$tmp/demo.out")"
  echo "- the sample's true-probability AUC (the ceiling, all deals): $(sed -n 's/.*"deal_auc_true": \([0-9.]*\).*/\1/p' datasets/sample/truth.json)"
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
