#!/usr/bin/env bash
# The test suite under sanitizers: every test with ASan + UBSan; the real-time audio path
# (mixer, rings, decoder, mix thread, sink) and the other threads under TSan.
# usage: scripts/sanitize.sh [asan|tsan|all|build]   (default all)
#   build: only build both sanitizer trees (build-asan, build-tsan), run nothing; .ci/run starts
#   it in the background at the lowest CPU priority while the release suite runs, so the later
#   `all` finds the builds done (ninja then only checks they are up to date).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
which="${1:-all}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
# libjack, PortAudio and libmosquitto are not instrumented; TSan sees their threads as
# unknown but still checks every access our code makes.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tests/tsan.supp"

# Only what the tests run is built (no benchmarks), at -O1 with line tables only (-g1): stack
# traces keep file:line, and the build takes about half the time of -O2 -g.
targets="unit_tests integration_tests stillroom stillroom-audio-sink"
flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1")

build_asan() {
  STILLROOM_BUILD_DIR="$here/build-asan" STILLROOM_BUILD_TYPE=RelWithDebInfo STILLROOM_BUILD_TARGETS="$targets" \
    STILLROOM_CMAKE_ARGS="-DSTILLROOM_SANITIZE=address,undefined ${STILLROOM_CMAKE_ARGS:-}" \
    "$here/scripts/build.sh" "${flags[@]}"
}
build_tsan() {
  STILLROOM_BUILD_DIR="$here/build-tsan" STILLROOM_BUILD_TYPE=RelWithDebInfo STILLROOM_BUILD_TARGETS="$targets" \
    STILLROOM_CMAKE_ARGS="-DSTILLROOM_SANITIZE=thread ${STILLROOM_CMAKE_ARGS:-}" \
    "$here/scripts/build.sh" "${flags[@]}"
}
case "$which" in
  asan | tsan | all) ;;
  build) build_asan; build_tsan; exit 0 ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan|all|build]" >&2 && exit 2 ;;
esac

if [ "$which" = asan ] || [ "$which" = all ]; then
  build_asan
  # Every unit test and the integration tests (the real room binary, devices, HTTP, MQTT,
  # JACK) under ASan + UBSan. crash_resume and cli time the process from outside with
  # tolerances made for a release build, and the browser and RabbitMQ add start-up time, not
  # more of our code: those run in the release suite (scripts/test.sh).
  (cd "$here/build-asan" && ctest --output-on-failure --timeout 900 -R '^(unit|integration)$')
fi
if [ "$which" = tsan ] || [ "$which" = all ]; then
  build_tsan
  "$here/build-tsan/tests/unit_tests"
  # The MIDI integration test is not run here: its virtual controller (RtMidi's JACK output,
  # in the test) hands messages to JACK through libjack's lock-free ring, which TSan cannot
  # see through; under TSan the room then receives truncated messages ("too short") and the
  # test fails. The room's MIDI code runs under TSan in the unit tests (test_midi.cpp) and
  # the MIDI integration test runs in the release suite and under ASan.
  "$here/build-tsan/tests/integration_tests" -tc="*PortAudio*,*mosquitto*"
fi
