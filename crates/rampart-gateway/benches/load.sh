#!/usr/bin/env bash
# Load benchmark of the gateway against the mock upstream, side by side with
# the same load sent straight to the mock. Needs `wrk` and a release build:
#   cargo build --release -p rampart -p rampart-mockllm
# Usage: crates/rampart-gateway/benches/load.sh [duration_seconds]
# Results: docs/benchmarks/gateway.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN="${CARGO_TARGET_DIR:-target}/release"
DUR="${1:-20}"
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
KEY=bench-key-0123456789
HASH=$(printf %s "$KEY" | "$BIN/rampart" hash-key)

cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.body = '{"model":"mock-1","messages":[{"role":"system","content":"You are a helpful assistant for Acme."},{"role":"user","content":"What are your opening hours on Saturday? My order number is 12345."}]}'
LUA

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

run_pair() { # latency_ms connections label
  local lat=$1 conns=$2 label=$3
  "$BIN/rampart-mockllm" --listen 127.0.0.1:19100 --latency-ms "$lat" >/dev/null 2>&1 &
  local mock=$!
  write_cfg
  "$BIN/rampart" gateway --config "$WORK/gw.toml" 2>/dev/null &
  local gw=$!
  sleep 1.5
  echo "== $label: straight to the mock (latency ${lat} ms, ${conns} connections, ${DUR}s)"
  wrk -t2 -c"$conns" -d"${DUR}s" --latency -s "$WORK/post.lua" http://127.0.0.1:19100/v1/chat/completions
  echo "== $label: through the gateway"
  wrk -t2 -c"$conns" -d"${DUR}s" --latency -s "$WORK/post.lua" http://127.0.0.1:19101/v1/chat/completions
  kill $gw $mock 2>/dev/null || true; wait $gw $mock 2>/dev/null || true
}

soak() { # seconds
  local secs=$1
  "$BIN/rampart-mockllm" --listen 127.0.0.1:19100 --latency-ms 5 >/dev/null 2>&1 &
  local mock=$!
  SOAK=1 write_cfg
  "$BIN/rampart" gateway --config "$WORK/gw.toml" 2>/dev/null &
  local gw=$!
  sleep 1.5
  echo "== soak: ${secs}s, 16 connections, mock latency 5 ms"
  echo "RSS start: $(grep VmRSS /proc/$gw/status)"
  wrk -t2 -c16 -d"${secs}s" --latency -s "$WORK/post.lua" http://127.0.0.1:19101/v1/chat/completions
  echo "RSS end:   $(grep VmRSS /proc/$gw/status)"
  curl -s http://127.0.0.1:19101/metrics | grep -E '^rampart_(requests_total|upstream_errors_total|telemetry_sink_events_total)'
  kill $gw $mock 2>/dev/null || true; wait $gw $mock 2>/dev/null || true
}

if [ "${MODE:-load}" = soak ]; then
  soak "$DUR"
else
  # ~2,000 req/s: 20 connections each waiting 10 ms on the mock.
  run_pair 10 20 "added latency at ~2000 req/s"
  # Throughput: no upstream latency, enough connections to saturate.
  run_pair 0 64 "throughput"
fi
