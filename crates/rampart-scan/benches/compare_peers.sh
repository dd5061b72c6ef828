#!/usr/bin/env bash
# Side-by-side timing of `rampart scan` with picklescan and modelscan on the
# same files (see docs/benchmarks/scan.md). Peers come from a separate venv:
#   python3 -m venv /root/.cache/bench-venv && /root/.cache/bench-venv/bin/pip install picklescan==1.0.5 modelscan
# Usage: crates/rampart-scan/benches/compare_peers.sh [WORKDIR] [GB] [SMALL_FILES]
# RAMPART: an already-built `rampart` binary (default: build the release-like
#   mlbench profile), or a scanbench (same `scan PATH` command line);
#   SCANBENCH: an already-built scanbench (corpus generator); OLD: an older
#   build to time in the same rounds; RUNS / RUNS_OURS / RUNS_MODELSCAN: runs
#   of picklescan / ours / modelscan per corpus.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
W="${1:-/tmp/rampart-scan-bench}"
GB="${2:-1}"
N="${3:-2000}"
RUNS="${RUNS:-5}"
RUNS_OURS="${RUNS_OURS:-30}"
RUNS_MODELSCAN="${RUNS_MODELSCAN:-3}"
VENV="${BENCH_VENV:-/root/.cache/bench-venv}"
SAMPLES="${RAMPART_SHARED_DATA:-$(cd .. && pwd)/shared/data}/pickles/samples"
if [ -z "${RAMPART:-}" ]; then
  CARGO_PROFILE_MLBENCH_INHERITS=release cargo build -q --profile mlbench -p rampart
fi
R="${RAMPART:-$CARGO_TARGET_DIR/mlbench/rampart}"
if [ -z "${SCANBENCH:-}" ]; then
  CARGO_PROFILE_MLBENCH_INHERITS=release cargo build -q --profile mlbench -p rampart-scan --example scanbench
fi
GEN="${SCANBENCH:-$CARGO_TARGET_DIR/mlbench/examples/scanbench}"
[ -f "$W/big/model.pt" ] || "$GEN" gen "$W" "$GB" "$N"
mkdir -p "$W/empty" "$W/tiny"
printf 'x = 1\n' > "$W/tiny/a.py"
# Warm the page cache so every tool reads from memory.
cat "$W/big/model.pt" > /dev/null
TIMEFORMAT=%R
t() { { time "$@" > /dev/null 2>&1 || true; } 2>&1; }
best() { local b=""; for _ in $(seq "$RUNS"); do local x; x=$(t "$@"); if [ -z "$b" ] || awk "BEGIN{exit !($x < $b)}"; then b=$x; fi; done; echo "$b"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS wall seconds"
echo "startup (rampart scan, mean of 50 runs via perf stat):"
for p in "$W/empty" "$W/tiny/a.py"; do
  if command -v perf > /dev/null; then
    perf stat -r 50 -x, -e task-clock "$R" scan "$p" 2>&1 >/dev/null | awk -F, -v p="$p" '/task-clock/{printf "  %-40s task-clock %.2f ms\n", p, $1}'
  fi
  printf "  %-40s wall (best) %s s\n" "$p" "$(RUNS=20 best "$R" scan "$p")"
done
# Wall (min and median) and CPU (user + system) of whole processes, run
# round-robin; OLD=path adds an older build of ours to compare with.
python3 "$HERE/peer_timing.py" "$RUNS_OURS" "$RUNS" "$RUNS_MODELSCAN" \
  big="$W/big/model.pt" samples="$SAMPLES" small="$W/small" -- \
  ${OLD:+old="$OLD scan"} ours="$R scan" picklescan="$VENV/bin/picklescan -p" modelscan="$VENV/bin/modelscan -p"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "in-process scan times (scanbench):"
"$GEN" scan "$W/big/model.pt" --repeat 5
"$GEN" scan "$W/small" --repeat 3
