// Sleeping on the real-time mix thread: clock_nanosleep on CLOCK_MONOTONIC, no lock,
// no allocation. Lives with the clock (STYLE.md habit 2).
#pragma once

#include "engine/time.hpp"

#include <chrono>

namespace stillroom {

// Sleeps until the monotonic clock reaches `deadline` (microsecond resolution).
void realtime_sleep_until(std::chrono::steady_clock::time_point deadline);
std::chrono::steady_clock::time_point realtime_now();

} // namespace stillroom
