#!/usr/bin/env bash
# scripts/check-clock.sh on small trees: it passes this checkout, fails (exit 1, naming
# file:line) on each kind of real clock read or sleep in a production folder, ignores
# comments, tests and bench, and honours the allow-list.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
check="$here/scripts/check-clock.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$check" "$here" >/dev/null || fail "this checkout does not pass"

expect_flag() { # code, rule name
    rm -rf "$tmp/t" && mkdir -p "$tmp/t/devices"
    printf '// a driver\nvoid f() {\n    %s\n}\n' "$1" >"$tmp/t/devices/x.cpp"
    local out rc=0
    out="$("$check" "$tmp/t" 2>&1)" || rc=$?
    [[ $rc -eq 1 ]] || fail "not flagged (rc $rc): $1"
    [[ "$out" == *"devices/x.cpp:3: $2:"* ]] || fail "no file:line for $1: $out"
}
expect_flag 'auto t = std::chrono::steady_clock::now();' 'steady_clock::now'
expect_flag 'auto t = std::chrono::system_clock::now();' 'system_clock::now'
expect_flag 'std::chrono::high_resolution_clock::time_point t;' 'high_resolution_clock'
expect_flag 'std::this_thread::sleep_for(std::chrono::milliseconds(5));' 'sleep_for'
expect_flag 'std::this_thread::sleep_until(t);' 'sleep_until'
expect_flag 'usleep(1000);' 'usleep'
expect_flag 'nanosleep(&ts, nullptr);' 'nanosleep'
expect_flag 'clock_gettime(CLOCK_MONOTONIC, &ts);' 'clock_gettime'
expect_flag 'const auto now = time(nullptr);' 'time(nullptr)'
expect_flag 'gettimeofday(&tv, nullptr);' 'gettimeofday'
expect_flag 'cv.wait_for(lock, std::chrono::seconds(1));' 'wait_for'
expect_flag 'SteadyClock clock;' 'real clock'

# Comments, tests and bench are not production code; injected clocks are fine.
rm -rf "$tmp/t" && mkdir -p "$tmp/t/devices" "$tmp/t/tests" "$tmp/t/bench"
printf '// never std::this_thread::sleep_for here\nvoid f(DeviceClock& clock) { clock.wait_until(clock.now()); }\n' >"$tmp/t/devices/x.cpp"
echo 'void t() { std::this_thread::sleep_for(std::chrono::seconds(1)); }' >"$tmp/t/tests/t.cpp"
echo 'auto t0 = std::chrono::steady_clock::now();' >"$tmp/t/bench/b.cpp"
"$check" "$tmp/t" >/dev/null || fail "comments, tests or bench flagged"

# The allow-list: the clock's own file may read the system clock.
rm -rf "$tmp/t" && mkdir -p "$tmp/t/engine"
echo 'auto t = std::chrono::steady_clock::now();' >"$tmp/t/engine/clock.cpp"
"$check" "$tmp/t" >/dev/null || fail "the allow-listed clock file was flagged"
echo "check-clock tests: ok"
