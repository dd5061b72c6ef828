#!/usr/bin/env bash
# Side-by-side timing of rampart-scan with picklescan and modelscan on the
# same files (see docs/benchmarks/scan.md). Peers come from a separate venv:
#   python3 -m venv /root/.cache/bench-venv && /root/.cache/bench-venv/bin/pip install picklescan modelscan
# Usage: crates/rampart-scan/benches/compare_peers.sh [WORKDIR] [GB] [SMALL_FILES]
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
W="${1:-/tmp/rampart-scan-bench}"
GB="${2:-1}"
N="${3:-2000}"
VENV="${BENCH_VENV:-/root/.cache/bench-venv}"
SAMPLES="${RAMPART_SHARED_DATA:-$(cd .. && pwd)/shared/data}/pickles/samples"
# SCANBENCH: an already-built binary (skips the build).
if [ -z "${SCANBENCH:-}" ]; then
  cargo build --release -q -p rampart-scan --example scanbench
fi
BIN="${SCANBENCH:-$CARGO_TARGET_DIR/release/examples/scanbench}"
[ -f "$W/big/model.pt" ] || "$BIN" gen "$W" "$GB" "$N"
# Warm the page cache so every tool reads from memory.
cat "$W/big/model.pt" > /dev/null
TIMEFORMAT=%R
t() { { time "$@" > /dev/null 2>&1 || true; } 2>&1; }
best() { local b=""; for _ in 1 2 3; do local x; x=$(t "$@"); if [ -z "$b" ] || awk "BEGIN{exit !($x < $b)}"; then b=$x; fi; done; echo "$b"; }
echo "corpus               rampart  picklescan  modelscan"
for name in big small samples; do
  case $name in
    big) P="$W/big/model.pt" ;;
    small) P="$W/small" ;;
    samples) P="$SAMPLES" ;;
  esac
  r=$(best "$BIN" scan "$P")
  p=$(best "$VENV/bin/picklescan" -p "$P")
  m=$(best "$VENV/bin/modelscan" -p "$P")
  printf "%-18s %8s %11s %10s   ratio picklescan/rampart=%s modelscan/rampart=%s\n" "$name" "$r" "$p" "$m" \
    "$(awk "BEGIN{printf \"%.1f\", $p/$r}")" "$(awk "BEGIN{printf \"%.1f\", $m/$r}")"
done
echo "in-process scan times (rampart, 5 runs):"
"$BIN" scan "$W/big/model.pt" --repeat 5
"$BIN" scan "$W/small" --repeat 3
