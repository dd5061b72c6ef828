#!/usr/bin/env bash
# Run Rampart's whole test suite on a fresh machine.
#
# 1. Creates (or reuses) a Python venv holding the peer tools that the
#    interoperability tests drive (openai SDK, model-signing, cyclonedx).
# 2. Runs every Rust test in the workspace. Tests that need PostgreSQL, Redis
#    or NATS read their address from RAMPART_TEST_* variables (defaults: the
#    local services) and run for real.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rampart-target}"
VENV="${RAMPART_VENV:-$HOME/.cache/rampart-venv}"
REQ=scripts/requirements-test.txt
STAMP="$VENV/.rampart-req.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "[test.sh] preparing Python venv $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  echo "$want" > "$STAMP"
fi
export RAMPART_PYTHON="$VENV/bin/python"
export RAMPART_SHARED_DATA="${RAMPART_SHARED_DATA:-$(cd .. && pwd)/shared/data}"

cargo test --workspace --no-fail-fast "$@"
