#!/usr/bin/env bash
# Configures and builds Stillroom into build/ (or $STILLROOM_BUILD_DIR). Incremental.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
generator=()
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE="${STILLROOM_BUILD_TYPE:-RelWithDebInfo}" \
      -DSTILLROOM_WERROR="$werror" ${STILLROOM_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
