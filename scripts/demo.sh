#!/usr/bin/env bash
# Builds Stillroom if needed, makes the demo audio, and runs `stillroom demo`.
# usage: scripts/demo.sh [demo options, e.g. --speed 10]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
"$here/scripts/build.sh" >/dev/null
"$here/scripts/make-demo-audio.sh" "$here/examples/library"
exec "$build/app/stillroom" demo --library "$here/examples/library" "$@"
