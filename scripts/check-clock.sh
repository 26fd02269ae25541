#!/usr/bin/env bash
# The one-clock check (STYLE.md habit 2, after Envoy's check_format.py "Don't reference
# real-world time sources"): production code reads time and sleeps only through a Clock or
# DeviceClock it was given (engine/clock.hpp), and only a command's wiring (app/cmd_*.cpp)
# constructs a real clock. Fails (exit 1) naming file:line for every direct clock read,
# sleep, timed condition wait or real clock constructed elsewhere in the production folders;
# tests and bench are exempt. True exceptions are listed, each with its reason, in
# scripts/check-clock.allow.
# usage: scripts/check-clock.sh [ROOT]   (ROOT: the source tree; default: this checkout)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
allow="$(cd "$(dirname "$0")" && pwd)/check-clock.allow"
cd "$root"
folders=(engine playlists scenes devices control clinic app library runtime)
# name|extended regex (matched on code with // comments removed)
rules=(
  'steady_clock::now|steady_clock::now'
  'system_clock::now|system_clock::now'
  'high_resolution_clock|high_resolution_clock'
  'sleep_for|sleep_for[[:space:]]*\('
  'sleep_until|sleep_until[[:space:]]*\('
  'usleep|(^|[^[:alnum:]_])usleep[[:space:]]*\('
  'nanosleep|nanosleep[[:space:]]*\('
  'clock_gettime|clock_gettime[[:space:]]*\('
  'time(nullptr)|(^|[^[:alnum:]_.>])time[[:space:]]*\([[:space:]]*(nullptr|NULL|0)[[:space:]]*\)'
  'gettimeofday|gettimeofday[[:space:]]*\('
  'wait_for|\.wait_for[[:space:]]*\('
  'real clock|(^|[^[:alnum:]_])(Steady|SteadyDevice|Scaled)Clock[[:space:]]+[[:alnum:]_]+[[:space:];({]|make_unique<(Steady|SteadyDevice|Scaled)Clock>'
)

allowed() { # file rule -> 0 when scripts/check-clock.allow excuses it
    local file="$1" rule="$2" glob name
    while IFS=$'\t' read -r glob name _reason; do
        [[ -z "$glob" || "$glob" == \#* ]] && continue
        # shellcheck disable=SC2053 # the allow-list holds globs
        if [[ "$file" == $glob && ( "$name" == "*" || "$name" == "$rule" ) ]]; then return 0; fi
    done <"$allow"
    return 1
}

failed=0
present=()
for f in "${folders[@]}"; do [[ -d "$f" ]] && present+=("$f"); done
files=()
[[ ${#present[@]} -gt 0 ]] && mapfile -t files < <(find "${present[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \) | sort)
[[ ${#files[@]} -eq 0 ]] && { echo "check-clock: ok (no production sources)"; exit 0; }
for entry in "${rules[@]}"; do
    rule="${entry%%|*}"
    regex="${entry#*|}"
    # One grep per rule over every file; a hit only in a // comment does not count.
    while IFS= read -r hit; do
        [[ -z "$hit" ]] && continue
        file="${hit%%:*}"
        rest="${hit#*:}"
        line="${rest%%:*}"
        code="${rest#*:}"
        code="${code%%//*}"
        grep -qE -- "$regex" <<<"$code" || continue
        allowed "$file" "$rule" && continue
        echo "$file:$line: $rule: don't read or sleep on a real clock here; take a Clock or DeviceClock (engine/clock.hpp)"
        failed=1
    done < <(grep -nHE -- "$regex" "${files[@]}" || true)
done
if [[ $failed -ne 0 ]]; then
    echo "check-clock: failed (a true exception goes in scripts/check-clock.allow, with its reason)" >&2
    exit 1
fi
echo "check-clock: ok"
