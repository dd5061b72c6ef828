#!/usr/bin/env bash
# Wall-clock figures for docs/benchmarks/inventory.md: `rampart inventory` on a
# synthetic 10,000-file repository and `rampart data scan` on ~200 MB of CSV
# and JSONL, with the release-like `mlbench` profile.
#
#   crates/rampart-inventory/benches/speed.sh [WORKDIR]
#
# Prints one line per run with the load average; the figure reported is the
# median of RUNS runs (default 5). Set THREADS=1 to pin the inventory to
# one core (`data scan` is single-threaded per file anyway).
set -euo pipefail
cd "$(dirname "$0")/../../.."
W=${1:-/tmp/invbench}
RUNS=${RUNS:-5}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/rampart-target}
CARGO_PROFILE_MLBENCH_INHERITS=release cargo build --profile mlbench -p rampart
BIN=$CARGO_TARGET_DIR/mlbench/rampart
[ -d "$W/repo" ] || python3 crates/rampart-inventory/benches/gen_corpus.py repo "$W/repo" 10000
[ -d "$W/data" ] || python3 crates/rampart-inventory/benches/gen_corpus.py data "$W/data" 200
echo "files: $(find "$W/repo" -type f | wc -l), data bytes: $(cat "$W"/data/big.* | wc -c)"

run() { # label, command...
  local label=$1; shift
  for i in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    echo "$label run $i: $(echo "$t1 - $t0" | bc) s  load: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
}
cat "$W"/data/big.* >/dev/null # warm the page cache
run inventory "$BIN" inventory "$W/repo" --format json --output /dev/null
run data-scan-csv "$BIN" data scan "$W/data/big.csv" --no-poison --format json --output /dev/null
run data-scan-jsonl "$BIN" data scan "$W/data/big.jsonl" --no-poison --format json --output /dev/null
run data-scan-csv-poison "$BIN" data scan "$W/data/big.csv" --format json --output /dev/null
echo "sizes: csv $(stat -c %s "$W/data/big.csv") B, jsonl $(stat -c %s "$W/data/big.jsonl") B"
