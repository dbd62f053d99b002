#!/usr/bin/env bash
# Schemathesis (PyPI) for test/e2e/schemathesis.e2e-spec.ts and scripts/schemathesis.sh, in a
# virtualenv of its own with the versions pinned in scripts/schemathesis-requirements.txt.
# Idempotent; the first install takes about 30 s (a few seconds with uv on PATH). Prints the
# `st` command's path on its last line of stdout; everything else goes to stderr.
#
# Python 3.11 or later: the pinned schemathesis and hypothesis declare Requires-Python >=3.11.
# The interpreter is $SCHEMATHESIS_PYTHON, else the first of python3, python3.14 … python3.11
# that is 3.11 or later (and, without uv, has venv and ensurepip: Debian's python3.X-venv);
# with none, uv (when on PATH) finds or fetches one (`--python '>=3.11'`); else it stops and
# says what to install.
#   SCHEMATHESIS_HOME   the virtualenv (default ~/.cache/plivo-mms-gateway/schemathesis-<version>-<pins digest>)
#   SCHEMATHESIS_PYTHON the interpreter to build it with (must be 3.11 or later)
#   --check             print the path if it is installed (exit 0), else exit 3; never installs
#   --can-install       exit 0 if it is installed or could be installed here; else the reason on
#                       stderr and exit 4 when a Debian package would do (its name on stdout:
#                       python3.X-venv), 5 when no Python 3.11 or later is found (and no uv)
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

MIN_PYTHON=3.11
# "3.X" for an interpreter that runs, else nothing.
version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true; }
recent_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
has_venv() { "$1" -c 'import ensurepip, venv' >/dev/null 2>&1; }
HAVE_UV=false
if command -v uv >/dev/null 2>&1; then HAVE_UV=true; fi

# PYTHON: the interpreter to build with ("" with uv: it finds or fetches one). SEEN: the
# interpreters that run but are too old; NO_VENV: the first recent one without venv.
PYTHON=""
SEEN=""
NO_VENV=""
if [ -n "${SCHEMATHESIS_PYTHON:-}" ]; then
  CANDIDATES=("$SCHEMATHESIS_PYTHON")
else
  CANDIDATES=(python3 python3.14 python3.13 python3.12 python3.11)
fi
for name in "${CANDIDATES[@]}"; do
  path="$(command -v "$name" || true)"
  [ -n "$path" ] || continue
  version="$(version_of "$path")"
  [ -n "$version" ] || continue
  if ! recent_enough "$path"; then
    SEEN="${SEEN:+$SEEN, }$name $version"
  elif $HAVE_UV || has_venv "$path"; then
    PYTHON="$path"
    break
  elif [ -z "$NO_VENV" ]; then
    NO_VENV="$path"
  fi
done

if [ -z "$PYTHON" ] && { ! $HAVE_UV || [ -n "${SCHEMATHESIS_PYTHON:-}" ]; }; then
  if [ -n "$NO_VENV" ]; then
    PKG="python$(version_of "$NO_VENV")-venv"
    echo "install-schemathesis: $NO_VENV cannot make a virtualenv (no venv or ensurepip): install $PKG (Debian, Ubuntu) or uv" >&2
    if [ "${1:-}" = "--can-install" ]; then echo "$PKG"; fi
    exit 4
  fi
  echo "install-schemathesis: Schemathesis $VERSION needs Python $MIN_PYTHON or later (its pinned packages" \
    "declare Requires-Python >=$MIN_PYTHON); found ${SEEN:-no ${SCHEMATHESIS_PYTHON:-python3}}." \
    "Install Python $MIN_PYTHON or later (Debian, Ubuntu: apt-get install python3.11 python3.11-venv)," \
    "or uv (https://docs.astral.sh/uv/: it fetches one), or set SCHEMATHESIS_PYTHON to one." >&2
  exit 5
fi
if [ "${1:-}" = "--can-install" ]; then exit 0; fi

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
if $HAVE_UV; then
  uv venv --quiet --python "${PYTHON:->=$MIN_PYTHON}" "$VENV" >&2
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
