#!/usr/bin/env bash
# `npm test` on a fresh machine: the e2e suite needs a MongoDB-wire server. Nothing to do when
# MONGODB_URI is set or mongod is on PATH; otherwise make sure FerretDB is built.
set -euo pipefail
if [ -n "${MONGODB_URI:-}" ] || command -v mongod >/dev/null 2>&1; then exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "No MONGODB_URI, no mongod and no Go toolchain: set MONGODB_URI to a MongoDB server to run the e2e tests." >&2
  exit 1
fi
exec bash "$(dirname "$0")/install-ferretdb.sh"
