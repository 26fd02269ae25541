#!/usr/bin/env bash
# The test suite under sanitizers: every test with ASan + UBSan; the real-time audio path
# (mixer, rings, decoder, mix thread, sink) and the other threads under TSan.
# usage: scripts/sanitize.sh [asan|tsan|all]   (default all)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
which="${1:-all}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
# libjack, PortAudio and libmosquitto are not instrumented; TSan sees their threads as
# unknown but still checks every access our code makes.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tests/tsan.supp"

if [ "$which" = asan ] || [ "$which" = all ]; then
  STILLROOM_BUILD_DIR="$here/build-asan" STILLROOM_BUILD_TYPE=Debug \
    STILLROOM_CMAKE_ARGS="-DSTILLROOM_SANITIZE=address,undefined" "$here/scripts/build.sh"
  (cd "$here/build-asan" && ctest --output-on-failure --timeout 900 -E browser)
fi
if [ "$which" = tsan ] || [ "$which" = all ]; then
  STILLROOM_BUILD_DIR="$here/build-tsan" STILLROOM_BUILD_TYPE=RelWithDebInfo \
    STILLROOM_CMAKE_ARGS="-DSTILLROOM_SANITIZE=thread" "$here/scripts/build.sh"
  "$here/build-tsan/tests/unit_tests"
  "$here/build-tsan/tests/integration_tests" -tc="*PortAudio*,*mosquitto*,*MIDI*"
fi
