#!/usr/bin/env bash
# Builds Stillroom if needed, makes the demo audio, and runs `stillroom demo`. The demo
# works on its own copy of the example library and keeps its state beside it, in
# $XDG_STATE_HOME/stillroom/demo (default ~/.local/state/stillroom/demo): it says where.
# usage: scripts/demo.sh [demo options, e.g. --speed 10]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
"$here/scripts/build.sh" >/dev/null
"$here/scripts/make-demo-audio.sh" "$here/examples/library"
exec "$build/app/stillroom" demo "$@"
