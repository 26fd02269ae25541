#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
build="${STILLROOM_FUZZ_BUILD:-$here/build-fuzz}"
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTILLROOM_FUZZ=ON \
  -DBUILD_TESTING=OFF -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_loaders fuzz_m3u fuzz_durations fuzz_commands fuzz_mqtt fuzz_midi fuzz_vitals
status=0
printf '%-16s %14s %10s\n' target executions crashes
for t in loaders m3u durations commands mqtt midi vitals; do
  work="$build/corpus-$t"
  mkdir -p "$work" "$build/crashes-$t"
  log="$build/fuzz-$t.log"
  if "$build/tests/fuzz/fuzz_$t" "$work" "$here/tests/fuzz/corpus/$t" -max_total_time="$seconds" \
      -artifact_prefix="$build/crashes-$t/" -print_final_stats=1 >"$log" 2>&1; then crashes=0; else crashes=1; status=1; fi
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  printf '%-16s %14s %10s\n' "$t" "${execs:-?}" "$crashes"
done
exit $status
