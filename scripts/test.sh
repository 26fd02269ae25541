#!/usr/bin/env bash
# Builds Stillroom and runs every test (unit, integration with real components).
# usage: scripts/test.sh   (after scripts/install-deps.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
"$here/scripts/build.sh"
"$here/scripts/make-demo-audio.sh" "$here/examples/library" >/dev/null
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
