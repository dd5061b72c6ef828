#!/usr/bin/env bash
# Load benchmark of the gateway against the mock upstream, side by side with
# the same load sent straight to the mock. Results: docs/benchmarks/gateway.md.
#
# Needs `oha` (cargo install oha --locked), `jq`, `taskset`, and release-like
# builds of the gateway and `rampart-mockllm`, e.g.
#   CARGO_PROFILE_MLBENCH_INHERITS=release cargo build --profile mlbench \
#     -p rampart-gateway --example serve -p rampart-mockllm
#   BIN=$CARGO_TARGET_DIR/mlbench crates/rampart-gateway/benches/load.sh
# The gateway command is GATEWAY (default: `$BIN/examples/serve`, the same
# server as `rampart gateway --config`; `GATEWAY="$BIN/rampart gateway --config"`
# runs the CLI instead).
#
# Modes (MODE=...):
#   latency     (default) open-loop constant rate: RATE req/s for DUR seconds
#               straight to the mock, then through the gateway, REPS times;
#               oha's latencies are corrected for coordinated omission
#               (measured from each request's scheduled send time).
#   throughput  closed loop, CONNS connections, no rate limit, mock latency 0.
#   soak        DUR seconds through the gateway (16 connections, mock latency
#               5 ms), RSS sampled every SAMPLE seconds, error counters at the end;
#               closed loop, or SOAK_RATE req/s open loop when set (leaves CPU
#               to other work on a shared machine).
#
# Placement (2-core machine): the gateway runs on GW_CPUS, the mock and the
# load generator on LOAD_CPUS, so the gateway's own CPU time is not mixed
# with the generator's. Both runs of a pair use the same placement.
# NICE (default 0) runs all three at that nice level: on a machine shared
# with compile jobs, NICE=-15 keeps the builds from preempting the measured
# processes (root only); the figures say which level was used.
# Usage: [MODE=latency] [RATE=2000] [REPS=1] load.sh [duration_seconds]
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/release}"
MODE="${MODE:-latency}"
DUR="${1:-30}"
RATE="${RATE:-2000}"
REPS="${REPS:-1}"
CONNS="${CONNS:-64}"
LAT_MS="${LAT_MS:-10}"
SAMPLE="${SAMPLE:-30}"
GW_CPUS="${GW_CPUS:-1}"
LOAD_CPUS="${LOAD_CPUS:-0}"
NICE="${NICE:-0}"
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
KEY=bench-key-0123456789
# Same format as `rampart hash-key`.
HASH="sha256:$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)"
GATEWAY="${GATEWAY:-$BIN/examples/serve}"
BODY='{"model":"mock-1","messages":[{"role":"system","content":"You are a helpful assistant for Acme."},{"role":"user","content":"What are your opening hours on Saturday? My order number is 12345."}]}'

# Every non-ML guard on: auth, rate/token/concurrency limits (set high so
# they never refuse), input guards (injection rules + classifier, jailbreak,
# PII, secrets; the learned `harm` and `suffix` detectors off), RAG controls,
# output guards (PII, secrets, canary + n-gram leak, link allowlist),
# JSONL telemetry.
write_cfg() {
  cat > "$WORK/gw.toml" <<TOML
[server]
listen = "127.0.0.1:19101"
[[keys]]
id = "bench"
hash = "$HASH"
models = ["*"]
requests_per_minute = 100000000
tokens_per_minute = 1000000000
[limits]
per_ip_requests_per_minute = 100000000
per_ip_tokens_per_minute = 1000000000
per_key_concurrency = 100000
[[routes]]
model = "*"
upstream = "http://127.0.0.1:19100/v1"
[guards.input]
disabled_detectors = ["harm", "suffix"]
[guards.output]
allowed_domains = ["example.com"]
[telemetry]
[[telemetry.sinks]]
type = "jsonl"
path = "$WORK/events.jsonl"
TOML
}

start() { # mock_latency_ms
  nice -n "$NICE" taskset -c "$LOAD_CPUS" "$BIN/rampart-mockllm" --listen 127.0.0.1:19100 --latency-ms "$1" >/dev/null 2>&1 &
  MOCK=$!
  write_cfg
  nice -n "$NICE" taskset -c "$GW_CPUS" $GATEWAY "$WORK/gw.toml" 2>/dev/null &
  GW=$!
  sleep 1.5
}

gw_ticks() { # utime + stime of the gateway, in clock ticks
  awk '{print $14 + $15}' /proc/"$GW"/stat
}

stop() {
  kill "$GW" "$MOCK" 2>/dev/null || true
  wait "$GW" "$MOCK" 2>/dev/null || true
}

# oha run; prints one summary line (milliseconds) and keeps the JSON.
load() { # label url rate_or_0 conns secs
  local label=$1 url=$2 rate=$3 conns=$4 secs=$5 q=()
  [ "$rate" != 0 ] && q=(-q "$rate" --latency-correction)
  nice -n "$NICE" taskset -c "$LOAD_CPUS" oha --no-tui --output-format json -z "${secs}s" -c "$conns" "${q[@]}" \
    -m POST -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d "$BODY" \
    "$url" > "$WORK/$label.json"
  jq -r --arg l "$label" '
    def ms: . * 1000 | . * 1000 | round / 1000;
    "\($l): rps \(.summary.requestsPerSec | round) ok \(.summary.successRate)" +
    " p50 \(.latencyPercentiles.p50 | ms) p90 \(.latencyPercentiles.p90 | ms)" +
    " p99 \(.latencyPercentiles.p99 | ms) p99.9 \(.latencyPercentiles["p99.9"] | ms)" +
    " max \(.summary.slowest | ms) ms; status \(.statusCodeDistribution | tostring)"' "$WORK/$label.json"
}

pair() { # rate conns mock_latency secs tag
  start "$3"
  # Warm both paths (connection pools, allocator) before measuring.
  load "warm-direct" http://127.0.0.1:19100/v1/chat/completions "$1" "$2" 2 >/dev/null
  load "warm-gateway" http://127.0.0.1:19101/v1/chat/completions "$1" "$2" 2 >/dev/null
  echo "uptime before direct:  $(uptime)"
  load "direct$5" http://127.0.0.1:19100/v1/chat/completions "$1" "$2" "$4"
  echo "uptime before gateway: $(uptime)"
  local c0 c1
  c0=$(gw_ticks)
  load "gateway$5" http://127.0.0.1:19101/v1/chat/completions "$1" "$2" "$4"
  c1=$(gw_ticks)
  # The gateway's own CPU time (user + system) over the measured run.
  jq -r --argjson t "$((c1 - c0))" --argjson hz "$(getconf CLK_TCK)" '
    ([.statusCodeDistribution[]] | add) as $n
    | "gateway CPU: \($t / $hz * 1000000 / $n | round) us per request (\($t / $hz) s for \($n))"' \
    "$WORK/gateway$5.json"
  jq -rn --slurpfile d "$WORK/direct$5.json" --slurpfile g "$WORK/gateway$5.json" '
    def ms: . * 1000 | . * 1000 | round / 1000;
    "added: " + ([("p50","p90","p99","p99.9") as $p
      | "\($p) +\((($g[0].latencyPercentiles[$p]) - ($d[0].latencyPercentiles[$p])) | ms)"] | join(" ")) + " ms"'
  stop
}

soak() { # seconds
  local secs=$1
  start 5
  echo "== soak: ${secs}s, 16 connections, rate ${SOAK_RATE:-0} (0: closed loop), mock latency 5 ms; gateway on CPU $GW_CPUS"
  echo "uptime: $(uptime)"
  (
    t=0
    while kill -0 "$GW" 2>/dev/null; do
      echo "RSS t=${t}s: $(awk '/VmRSS/ {print $2, $3}' /proc/"$GW"/status)"
      sleep "$SAMPLE"
      t=$((t + SAMPLE))
    done
  ) &
  local sampler=$!
  load "soak" http://127.0.0.1:19101/v1/chat/completions "${SOAK_RATE:-0}" 16 "$secs"
  echo "RSS end: $(awk '/VmRSS/ {print $2, $3}' /proc/"$GW"/status)"
  kill "$sampler" 2>/dev/null || true
  curl -s http://127.0.0.1:19101/metrics | grep -E '^rampart_(requests_total|upstream_errors_total|telemetry_sink_events_total)'
  stop
}

case "$MODE" in
  soak) soak "$DUR" ;;
  throughput)
    echo "== throughput: mock latency 0, $CONNS connections, ${DUR}s each way; gateway on CPU $GW_CPUS, mock + oha on CPU $LOAD_CPUS"
    pair 0 "$CONNS" 0 "$DUR" "-tput"
    ;;
  latency)
    for i in $(seq "$REPS"); do
      echo "== latency $i/$REPS: open loop ${RATE} req/s, mock latency ${LAT_MS} ms, ${DUR}s each way; gateway on CPU $GW_CPUS, mock + oha on CPU $LOAD_CPUS"
      pair "$RATE" "$CONNS" "$LAT_MS" "$DUR" "-$i"
    done
    ;;
  *) echo "MODE must be latency, throughput or soak" >&2; exit 2 ;;
esac
