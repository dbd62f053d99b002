#!/usr/bin/env bash
# Schemathesis against the running gateway's OpenAPI document (/docs-json), by hand: the same
# run as test/e2e/schemathesis.e2e-spec.ts (part of `npm test`), with more cases.
# It boots the sandbox (sandbox/main.ts: Plivo simulator, embedded database in a temporary data
# dir unless MONGODB_URI is set, a free port, an API key so the declared auth is enforced),
# waits for /health, runs `st run` with every check and test/support/schemathesis-hooks.py,
# and stops the app again.
#
#   scripts/schemathesis.sh                    # defaults below
#   MAX_EXAMPLES=300 SEED=1 scripts/schemathesis.sh --phases fuzzing
#
# Extra arguments go to `st run`. Schemathesis comes from $SCHEMATHESIS (a `st` binary), else
# scripts/install-schemathesis.sh (the pinned version, installed once per machine).
# Reports (JUnit, NDJSON) and its cache go to .data/schemathesis-report (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

MAX_EXAMPLES="${MAX_EXAMPLES:-100}"
SEED="${SEED:-20250611}"
REPORT_DIR="${REPORT_DIR:-$ROOT/.data/schemathesis-report}"

if [[ -n "${SCHEMATHESIS:-}" ]]; then
  ST="$SCHEMATHESIS"
else
  ST="$(bash "$ROOT/scripts/install-schemathesis.sh" | tail -n 1)"
fi
echo "Using $("$ST" --version)" >&2

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
DATA_DIR="$(mktemp -d -t mms-schemathesis-XXXXXX)"
API_KEY="schemathesis-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
LOG="$DATA_DIR/app.log"

if [[ -f .env ]]; then
  echo "warning: .env exists and is loaded by the app; sandbox mode needs no Plivo/MongoDB settings" >&2
fi

# The sandbox: simulated Plivo, the embedded database (or MONGODB_URI), not production.
env -u PLIVO_AUTH_ID -u PLIVO_AUTH_TOKEN -u PLIVO_SENDER_NUMBER -u PLIVO_API_URL \
  NODE_ENV=development \
  SERVER_PORT="$PORT" \
  PUBLIC_BASE_URL="$BASE" \
  PLIVO_SIMULATOR_PORT="$(free_port)" \
  SANDBOX_DATA_DIR="$DATA_DIR/db" \
  API_KEYS="$API_KEY" \
  THROTTLE_LIMIT=1000000 \
  WEBHOOK_THROTTLE_LIMIT=1000000 \
  LOG_LEVEL="${LOG_LEVEL:-error}" \
  TS_NODE_PROJECT=tsconfig.json \
  node -r ts-node/register/transpile-only sandbox/main.ts >"$LOG" 2>&1 &
APP_PID=$!

stop_app() {
  if kill -0 "$APP_PID" 2>/dev/null; then
    kill -TERM "$APP_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$APP_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$APP_PID" 2>/dev/null || true
  fi
  echo "App log: $LOG" >&2
}
trap stop_app EXIT

echo "Waiting for $BASE/health…" >&2
for _ in $(seq 1 240); do
  if curl -fsS "$BASE/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$APP_PID" 2>/dev/null; then
    echo "The app exited before answering /health:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$BASE/health" >/dev/null

mkdir -p "$REPORT_DIR"
set +e
# From the report dir, so Schemathesis' own cache (.schemathesis/) stays out of the repository.
(cd "$REPORT_DIR" && SCHEMATHESIS_HOOKS="$ROOT/test/support/schemathesis-hooks.py" "$ST" run "$BASE/docs-json" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --header "X-API-Key: $API_KEY" \
  --request-timeout 30 \
  --report junit,ndjson \
  --report-dir "$REPORT_DIR" \
  --no-color \
  "$@")
STATUS=$?
set -e

if grep -q '"statusCode":5[0-9][0-9]\|Unhandled error' "$LOG"; then
  echo "The app logged server errors during the run (see $LOG)." >&2
fi
exit "$STATUS"
