#!/usr/bin/env bash
# Schemathesis (PyPI) for test/e2e/schemathesis.e2e-spec.ts and scripts/schemathesis.sh, in a
# virtualenv of its own with the versions pinned in scripts/schemathesis-requirements.txt.
# Idempotent; the first install takes about 30 s (a few seconds with uv on PATH). Prints the
# `st` command's path on its last line of stdout; everything else goes to stderr.
#   SCHEMATHESIS_HOME   the virtualenv (default ~/.cache/plivo-mms-gateway/schemathesis-<version>-<pins digest>)
#   --check             print the path if it is installed (exit 0), else exit 3; never installs
set -euo pipefail
VERSION=4.32.5
REQUIREMENTS="$(cd "$(dirname "$0")" && pwd)/schemathesis-requirements.txt"
grep -qx "schemathesis==$VERSION" "$REQUIREMENTS" || {
  echo "install-schemathesis: $REQUIREMENTS does not pin schemathesis==$VERSION" >&2
  exit 1
}
PINS="$(sha256sum "$REQUIREMENTS" | cut -c1-12)"
VENV="${SCHEMATHESIS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/plivo-mms-gateway/schemathesis-$VERSION-$PINS}"
ST="$VENV/bin/st"

installed() { [ -x "$ST" ] && "$ST" --version 2>/dev/null | grep -qx "st, version $VERSION"; }
if installed; then
  echo "$ST"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then exit 3; fi
PYTHON="$(command -v python3 || true)"
if [ -z "$PYTHON" ]; then
  echo "install-schemathesis: python3 (3.9 or later) is needed to run Schemathesis" >&2
  exit 1
fi
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
# Another run may have installed it while this one waited for the lock.
if installed; then
  echo "$ST"
  exit 0
fi
rm -rf "$VENV"
echo "install-schemathesis: installing Schemathesis $VERSION into $VENV" >&2
if command -v uv >/dev/null 2>&1; then
  uv venv --quiet --python "$PYTHON" "$VENV" >&2
  uv pip install --quiet --python "$VENV/bin/python" -r "$REQUIREMENTS" >&2
else
  "$PYTHON" -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
fi
installed || {
  echo "install-schemathesis: $ST does not report version $VERSION" >&2
  exit 1
}
echo "$ST"
