#!/usr/bin/env bash
# The sandbox's interim database while scripts/install-secantusdb.sh builds the faithful one
# for the first time: SecantusDB's Python server (PyPI, no compiler, about 20 s with uv), run
# in memory. It passes the conformance suite's correctness checks but plans some queries as
# collection scans (README, "Database"), so the tests and the bench never use it.
# Idempotent; prints the server command's path on its last line of stdout.
#   SECANTUSDB_PY_HOME   the virtualenv (default ~/.cache/plivo-mms-gateway/secantusdb-py-<version>)
set -euo pipefail
VERSION=0.7.0b3
VENV="${SECANTUSDB_PY_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/plivo-mms-gateway/secantusdb-py-$VERSION}"
SERVER="$VENV/bin/secantusd-py"

if [ -x "$SERVER" ] && "$VENV/bin/python" -c 'import secantus' >/dev/null 2>&1; then
  echo "$SERVER"
  exit 0
fi
PYTHON="$(command -v python3 || true)"
if [ -z "$PYTHON" ]; then
  echo "install-secantusdb-py: python3 is needed for the interim database" >&2
  exit 1
fi
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
# Another start may have installed it while this one waited for the lock.
if [ -x "$SERVER" ] && "$VENV/bin/python" -c 'import secantus' >/dev/null 2>&1; then
  echo "$SERVER"
  exit 0
fi
rm -rf "$VENV"
echo "install-secantusdb-py: installing SecantusDB $VERSION (Python server) into $VENV" >&2
# uv (a single wheel from PyPI) installs the server's packages in parallel: seconds, not a minute.
TOOLS="$(mktemp -d)"
trap 'rm -rf "$TOOLS"' EXIT
if "$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$TOOLS" uv >&2; then
  PYTHONPATH="$TOOLS" "$PYTHON" -m uv venv --quiet --python "$PYTHON" "$VENV" >&2
  PYTHONPATH="$TOOLS" "$PYTHON" -m uv pip install --python "$VENV/bin/python" "SecantusDB==$VERSION" >&2
else
  "$PYTHON" -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "SecantusDB==$VERSION" >&2
fi
"$VENV/bin/python" -c 'import secantus' >&2
echo "$SERVER"
