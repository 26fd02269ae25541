#!/usr/bin/env bash
# Every project header compiles on its own: a translation unit that includes just that
# header is compiled with -fsyntax-only, with the project's include directory and the same
# pkg-config flags the libraries build with. A unity build (16 sources per compiler run)
# can hide a header that forgets an include, because the batch's earlier sources included it
# (issue 26: control/mqtt_bridge.hpp used DeviceClock without engine/clock.hpp), which
# breaks the non-unity build README.md recommends for incremental work.
# Lists every header that fails, with the compiler's first errors, and exits 1 if any does.
# usage: scripts/check-headers.sh [ROOT]   (ROOT: the source tree; default: this checkout)
#   CXX (default g++) is the compiler; JOBS (default 2) how many run at once.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"
folders=(engine library runtime playlists scenes devices control clinic app record)
packages=(nlohmann_json sndfile soxr libebur128 libsodium portaudio-2.0 alsa libmosquitto rtmidi
          cpp-httplib openssl)
cxx="${CXX:-g++}"
jobs="${JOBS:-2}"
existing=()
for f in "${folders[@]}"; do [ -d "$f" ] && existing+=("$f"); done
# shellcheck disable=SC2207 # pkg-config prints flags separated by spaces
pkg_flags=($(pkg-config --cflags "${packages[@]}"))
out="$(mktemp -d "${TMPDIR:-/tmp}/check-headers.XXXXXX")"
trap 'rm -rf "$out"' EXIT
export cxx out root
export pkg_flags_joined="${pkg_flags[*]}"
# One header: a TU that includes only it (so "#pragma once in main file" never fires).
check_one() {
    local header="$1"
    local log="$out/$(echo "$header" | tr '/' '_').log"
    # shellcheck disable=SC2086 # the flags are words
    if ! echo "#include \"$header\"" |
        $cxx -std=c++20 -fsyntax-only -x c++ -I"$root" $pkg_flags_joined - >"$log" 2>&1; then
        echo "$header" >"$log.failed"
    fi
}
export -f check_one
find "${existing[@]}" -name '*.hpp' -print0 | sort -z |
    xargs -0 -n 1 -P "$jobs" bash -c 'check_one "$0"'
total=$(find "${existing[@]}" -name '*.hpp' | wc -l)
failed=()
for f in "$out"/*.failed; do
    [ -e "$f" ] || continue
    failed+=("$(cat "$f")")
done
if [ "${#failed[@]}" -eq 0 ]; then
    echo "check-headers: all $total headers compile on their own"
    exit 0
fi
echo "check-headers: ${#failed[@]} of $total headers do not compile on their own:"
for h in "${failed[@]}"; do
    echo "--- $h"
    grep -m 5 -E 'error' "$out/$(echo "$h" | tr '/' '_').log" || head -5 "$out/$(echo "$h" | tr '/' '_').log"
done
exit 1
