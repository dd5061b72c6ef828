#!/usr/bin/env bash
# Two builds of the scanner (OLD, NEW: scanbench or rampart binaries) and the
# peers on the same corpora in the same minutes: start-up CPU/wall, corpus
# wall (best of N) and CPU (perf stat). See docs/benchmarks/scan.md.
# Usage: OLD=/path/old NEW=/path/new compare_old_new.sh [WORKDIR]
set -u
W="${1:-/tmp/rampart-scan-bench}"; VENV="${BENCH_VENV:-/root/.cache/bench-venv}"
SAMPLES="${RAMPART_SHARED_DATA:-$(cd "$(dirname "$0")/../../../.." && pwd)/shared/data}/pickles/samples"
OLD="${OLD:?OLD binary}"; NEW="${NEW:?NEW binary}"
mkdir -p "$W/empty" "$W/tiny"; printf 'x = 1\n' > "$W/tiny/a.py"; printf 'password = "hunter2xyz"\n' > "$W/tiny/b.py"
TIMEFORMAT=%R
t() { { time "$@" > /dev/null 2>&1 || true; } 2>&1; }
best() { local n=$1; shift; local b=""; for _ in $(seq "$n"); do local x; x=$(t "$@"); if [ -z "$b" ] || awk "BEGIN{exit !($x < $b)}"; then b=$x; fi; done; echo "$b"; }
cat $W/big/model.pt > /dev/null
echo "start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
for p in $W/empty $W/tiny/a.py $W/tiny/b.py; do
  for b in $OLD $NEW; do
    c=$(perf stat -r 20 -x, -e task-clock $b scan $p 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
    echo "startup $(basename $b) $p cpu_ms=$c wall_best=$(best 10 $b scan $p)"
  done
done
for name in big samples small; do
  case $name in big) P=$W/big/model.pt ;; small) P=$W/small ;; samples) P=$SAMPLES ;; esac
  o=$(best 5 $OLD scan $P); n=$(best 5 $NEW scan $P)
  oc=$(perf stat -r 3 -x, -e task-clock $OLD scan $P 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
  nc=$(perf stat -r 3 -x, -e task-clock $NEW scan $P 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
  p=$(best 3 $VENV/bin/picklescan -p $P); m=$(best 3 $VENV/bin/modelscan -p $P)
  echo "$name old=$o new=$n old_cpu_ms=$oc new_cpu_ms=$nc picklescan=$p modelscan=$m ratio_new: p=$(awk "BEGIN{printf \"%.1f\", $p/$n}") m=$(awk "BEGIN{printf \"%.1f\", $m/$n}") ratio_old: p=$(awk "BEGIN{printf \"%.1f\", $p/$o}") m=$(awk "BEGIN{printf \"%.1f\", $m/$o}") load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
