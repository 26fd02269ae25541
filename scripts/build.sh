#!/usr/bin/env bash
# Configures and builds Stillroom into build/ (or $STILLROOM_BUILD_DIR). Incremental.
# Extra arguments go to cmake at configure time.
# STILLROOM_BUILD_TARGETS="a b" builds only those targets (the sanitizer builds skip benchmarks).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${STILLROOM_BUILD_DIR:-$here/build}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
generator=()
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE="${STILLROOM_BUILD_TYPE:-RelWithDebInfo}" \
      -DSTILLROOM_WERROR="$werror" ${STILLROOM_CMAKE_ARGS:-} "$@" >/dev/null
targets=()
for t in ${STILLROOM_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
