#!/usr/bin/env bash
# Installs the MongoDB stand-in used when neither MONGODB_URI nor a real mongod is available:
# SecantusDB's Rust server `secantusd-rs` (WiredTiger, MongoDB's own storage engine, behind the
# MongoDB wire protocol), built from crates.io with cargo into a cache folder shared by every
# clone on this machine. It runs as a separate process and is never bundled with or linked into
# the service (it is GPL-2.0 and beta). Why this server: README, "Database".
#
# Idempotent: when the binary is there it prints its path and exits. The first build compiles
# WiredTiger and the server (about 8 minutes on 2 cores); cargo's progress is shown.
#
#   SECANTUSDB_HOME   install root (default ~/.cache/plivo-mms-gateway/secantusdb-<version>)
#   --check           print the server's path if it is installed (exit 0); else exit 4 while a
#                     build is running, 3 when none is; never builds
# Prints the server's path on its last line of stdout; everything else goes to stderr. Two
# builds never run at once (a lock file): the second waits, then finds the first one's binary.
set -euo pipefail
VERSION=0.5.3-beta.196
ROOT="${SECANTUSDB_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/plivo-mms-gateway/secantusdb-$VERSION}"
SERVER="$ROOT/bin/secantusd-rs"

installed() { [ -x "$SERVER" ] && "$SERVER" --version >/dev/null 2>&1; }
if installed; then
  echo "$SERVER"
  exit 0
fi
mkdir -p "$ROOT"
exec 9>"$ROOT.lock"
if [ "${1:-}" = "--check" ]; then
  if flock -n 9; then exit 3; else exit 4; fi
fi
if ! flock -n 9; then
  echo "install-secantusdb: another build is running (lock $ROOT.lock); waiting for it" >&2
  flock 9
  if installed; then
    echo "$SERVER"
    exit 0
  fi
fi

CARGO="$(command -v cargo || true)"
if [ -z "$CARGO" ] && [ -x "$HOME/.cargo/bin/cargo" ]; then CARGO="$HOME/.cargo/bin/cargo"; fi
if [ -z "$CARGO" ]; then
  cat >&2 <<EOF
install-secantusdb: no MongoDB server and no Rust toolchain to build the stand-in.
Either set MONGODB_URI to a MongoDB server, put mongod on PATH (or set MONGOD_PATH),
or install Rust (https://rustup.rs) and run: bash scripts/install-secantusdb.sh
EOF
  exit 1
fi
for tool in cc make cmake; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-secantusdb: '$tool' is needed to build WiredTiger (apt-get install build-essential cmake)" >&2
    exit 1
  fi
done

echo "install-secantusdb: building SecantusDB $VERSION (secantusd-rs) into $ROOT" >&2
echo "install-secantusdb: first build only, about 8 minutes on 2 cores; cargo's progress follows" >&2
# --locked: the crate's own lock file; --ignore-rust-version: it declares a newer rust-version
# than it needs (builds and passes the conformance suite with Rust 1.95).
"$CARGO" install secantus-mdb --version "=$VERSION" --locked --ignore-rust-version \
  --root "$ROOT" --bin secantusd-rs >&2
"$SERVER" --version >&2
echo "$SERVER"
