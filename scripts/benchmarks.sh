#!/usr/bin/env bash
# Regenerates BENCHMARKS.md: the machine, the commands, and the numbers.
# Usage: scripts/benchmarks.sh            (about two minutes on 2 cores)
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
