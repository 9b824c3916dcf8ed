#!/usr/bin/env bash
# Times leadscore-beam on the embedded Prism runner beside leadscore run,
# on the same generated data (1M and 10M events) and the same model, and
# prints the table docs/scale.md shows. Three alternating runs per cell,
# medians reported; "workers" are the cores the process may use
# (GOMAXPROCS), since Prism runs its SDK worker in the same process.
# Two inputs: the generator's CSV (each contact's events together) and
# the same events as DuckDB writes them sorted by time (Parquet, ZSTD,
# 1M-row groups: scripts/duckdb -time-ordered), as event logs arrive.
# Usage: scripts/beam_bench.sh   (about 25 minutes on 2 cores; 12 GB RAM; cgo for scripts/duckdb)
#        ORDERS=time CORES=2 scripts/beam_bench.sh   (a part of the table)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/leadscore" ./cmd/leadscore
(cd cmd/leadscore-beam && go build -o "$tmp/leadscore-beam" .)
(cd scripts/duckdb && go build -o "$tmp/duckdb" .)
orders=${ORDERS:-generator time} cores_list=${CORES:-1 2}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

cd "$tmp"
for spec in "d1 19000 1" "d10 190000 2"; do
  set -- $spec
  ./leadscore datasets generate --out "$1" --entities "$2" --seed "$3" -q > /dev/null
  ./leadscore datasets generate --out "$1-pq" --entities "$2" --seed "$3" --format parquet -q > /dev/null
  ./duckdb -events "$1-pq/events.parquet" -time-ordered "$1/time.parquet" > /dev/null
  rm -rf "$1-pq"
done
cat > train.yaml <<'EOF'
out: trained
events: {path: d1/events.csv}
entities: {path: d1/entities.csv}
deals: {path: d1/deals.csv}
rules: default
train: {target: conversion, horizon: 90d, snapshots: monthly, model: gbdt}
EOF
./leadscore run --config train.yaml --as-of 2024-10-01 -q > /dev/null

# one ENGINE SIZE CORES EVENTS: prints "features_seconds wall_seconds peak_rss_mib"
one() {
  local engine=$1 size=$2 cores=$3 events=$4 out="out-$1-$2-$3"
  cat > "$out.yaml" <<EOF
out: $out
events: {path: $size/$events}
entities: {path: $size/entities.csv}
deals: {path: $size/deals.csv}
rules: default
model: trained/2024-10-01/model/model.json
EOF
  local cmd=(./leadscore run -q)
  [ "$engine" = beam ] && cmd=(./leadscore-beam run --runner prism)
  GOMAXPROCS=$cores /usr/bin/time -f "%e %M" -o time.txt "${cmd[@]}" --config "$out.yaml" --as-of 2024-10-01 > /dev/null 2> log.txt
  read -r wall kb < time.txt
  local feat
  feat=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seconds']['features'])" "$out/2024-10-01/manifest.json")
  rm -rf "$out"
  echo "$feat $wall $((kb / 1024))"
}

echo "| events | input | engine | workers | feature stage | events/s (feature stage) | whole run | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
for size in d1 d10; do
  events=$(($(wc -l < "$size/events.csv") - 1))
  for order in $orders; do
    file=events.csv input="generator's CSV"
    if [ "$order" = time ]; then file=time.parquet input="time-ordered Parquet (DuckDB)"; fi
    for cores in $cores_list; do
      declare -A f w m
      for engine in run beam; do f[$engine]=""; w[$engine]=""; m[$engine]=""; done
      for rep in 1 2 3; do
        for engine in run beam; do
          read -r a b c < <(one "$engine" "$size" "$cores" "$file")
          f[$engine]+=" $a"; w[$engine]+=" $b"; m[$engine]+=" $c"
        done
      done
      for engine in run beam; do
        fs=$(median ${f[$engine]}); ws=$(median ${w[$engine]}); ms=$(median ${m[$engine]})
        name="leadscore run"; [ "$engine" = beam ] && name="leadscore-beam (Prism)"
        echo "| $events | $input | $name | $cores | ${fs} s | $(awk -v e="$events" -v s="$fs" 'BEGIN{printf "%.0f", e/s}') | ${ws} s | ${ms} MiB |"
      done
    done
  done
done
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(go version | cut -d' ' -f3-); commit $(git -C "$root" rev-parse --short HEAD)."
