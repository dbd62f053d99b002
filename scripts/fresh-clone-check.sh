#!/usr/bin/env bash
# Tries the README's quick start as a new user would: clones this repository (its committed
# HEAD) into a temporary folder, runs `npm install && npm start`, sends the README's curl,
# starts a second time, then runs `npm test`; prints the timings.
#
#   --cold     as on a machine that never ran the project: a temporary HOME, so the npm cache and
#              the database builds start empty (the toolchains themselves stay reachable)
#   --no-test  stop after the two starts
# Uses ports 3000 and 3001 like the README; stops with a message when they are taken.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
COLD=0
RUN_TESTS=1
for arg in "$@"; do
  case "$arg" in
    --cold) COLD=1 ;;
    --no-test) RUN_TESTS=0 ;;
    *) echo "usage: $0 [--cold] [--no-test]" >&2; exit 2 ;;
  esac
done
for port in 3000 3001; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "fresh-clone-check: port $port is in use; stop what listens there first" >&2
    exit 1
  fi
done

WORK="$(mktemp -d)"
if [ "$COLD" = 1 ]; then
  REAL_HOME="$HOME"
  export CARGO_HOME="${CARGO_HOME:-$REAL_HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$REAL_HOME/.rustup}"
  export PYENV_ROOT="${PYENV_ROOT:-$REAL_HOME/.pyenv}" GOPATH="${GOPATH:-$REAL_HOME/go}"
  export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache" npm_config_cache="$WORK/home/.npm"
  mkdir -p "$HOME"
fi
APP=""
# npm start runs in a process group of its own (setsid): stopping it stops the sandbox under
# npm too, as Ctrl-C does in a terminal; then wait until its ports are free again.
stop_sandbox() {
  [ -n "$APP" ] || return 0
  kill -TERM -- "-$APP" 2>/dev/null || true
  wait "$APP" 2>/dev/null || true
  APP=""
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/3001) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null || return 0
    sleep 0.1
  done
}
cleanup() { stop_sandbox; }
trap cleanup EXIT
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

git clone -q "$REPO" "$WORK/repo"
cd "$WORK/repo"
echo "fresh-clone-check: $WORK/repo ($([ "$COLD" = 1 ] && echo cold || echo warm) caches)"

# Starts `npm start` in the background; returns when it listens (or fails, or 15 minutes pass).
start_sandbox() {
  local log="$1" t0="$2" waited=0
  : >"$log"
  setsid npm start >"$log" 2>&1 &
  APP=$!
  until grep -q 'listening on port' "$log"; do
    if ! kill -0 "$APP" 2>/dev/null || [ "$waited" -gt 4500 ]; then
      echo "fresh-clone-check: npm start exited or did not listen within 15 minutes:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  LISTEN_S="$(since "$t0")"
  echo "  listening after $LISTEN_S s"
}
verdict() { # measured seconds, target seconds
  if [ "$(echo "$1 <= $2" | bc)" = 1 ]; then echo "within the $2 s target"; else echo "OVER the $2 s target"; fi
}

t0="$(now)"
echo "1. npm install && npm start"
npm install --no-audit --no-fund >install.log 2>&1
echo "  npm install: $(since "$t0") s"
start_sandbox start-1.log "$t0"
status="$(curl -s -o curl.json -w '%{http_code}' -X POST http://localhost:3000/send-mms \
  -H "Content-Type: application/json" \
  -d '{"destinationNumber": "+14157654321", "messageText": "Hello from Plivo MMS!", "mediaUrl": "https://media.giphy.com/media/26gscSULUcfKU7dHq/source.gif"}')"
FIRST_202="$(since "$t0")"
echo "  README curl: HTTP $status after $FIRST_202 s ($(verdict "$FIRST_202" 120)): $(head -c 120 curl.json)"
[ "$status" = 202 ] || exit 1
grep '^sandbox:' start-1.log | sed 's/^/  | /'
stop_sandbox

echo "2. npm start again"
start_sandbox start-2.log "$(now)"
echo "  ($(verdict "$LISTEN_S" 10))"
grep '^sandbox:' start-2.log | sed 's/^/  | /'
stop_sandbox

if [ "$RUN_TESTS" = 1 ]; then
  echo "3. npm test"
  t2="$(now)"
  if npm test >test.log 2>&1; then result=passed; else result=FAILED; fi
  TEST_S="$(since "$t2")"
  echo "  npm test $result in $TEST_S s ($(verdict "$TEST_S" 300)): $(grep -E '^Tests:' test.log | tail -1)"
  [ "$result" = passed ] || { tail -40 test.log; exit 1; }
fi
echo "fresh-clone-check: done ($WORK kept for inspection)"
