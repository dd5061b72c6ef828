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

# The official SARIF 2.1.0 JSON schema, as published in an npm package
# (@microsoft/jest-sarif ships sarif-2.1.0-rtm.5.json). Schema tests fail
# loudly when it is missing.
SCHEMAS="${RAMPART_SCHEMA_CACHE:-$HOME/.cache/rampart-schemas}"
if [ -z "${RAMPART_SARIF_SCHEMA:-}" ]; then
  export RAMPART_SARIF_SCHEMA="$SCHEMAS/sarif-2.1.0-rtm.5.json"
  if [ ! -s "$RAMPART_SARIF_SCHEMA" ]; then
    echo "[test.sh] fetching the SARIF schema package from the npm registry" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && tar xzf ./*.tgz)
    mkdir -p "$SCHEMAS"
    cp "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$RAMPART_SARIF_SCHEMA"
    rm -rf "$tmp"
  fi
fi
export RAMPART_SHARED_DATA="${RAMPART_SHARED_DATA:-$(cd .. && pwd)/shared/data}"

cargo test --workspace --no-fail-fast "$@"
