#!/usr/bin/env bash
# Installs FerretDB 1.24.2 (a MongoDB-wire server on SQLite) into $(go env GOPATH)/bin.
# A plain `go install …@v1.24.2` builds a binary that panics at start-up, because the module
# zip lacks the generated build/version/version.txt; so we build from a copy with that file written.
set -euo pipefail
VERSION=v1.24.2
GOBIN_DIR="$(go env GOPATH)/bin"
TARGET="$GOBIN_DIR/ferretdb"
if [ -x "$TARGET" ] && "$TARGET" --version >/dev/null 2>&1; then
  echo "ferretdb already installed: $TARGET"
  exit 0
fi
echo "building FerretDB $VERSION (about a minute)…"
go mod download -json "github.com/FerretDB/FerretDB@$VERSION" >/dev/null
SRC="$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
WORK="$(mktemp -d)"
trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
mkdir -p "$GOBIN_DIR"
(cd "$WORK" && GOFLAGS=-mod=mod go build -o "$TARGET" ./cmd/ferretdb)
"$TARGET" --version | head -1
