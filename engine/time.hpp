// Time types shared by the engine and everything above it.
// Durations are milliseconds in a std::chrono type; points are on the monotonic clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace stillroom {

using Ms = std::chrono::milliseconds;

// A point on the monotonic clock. Not a wall-clock time: it survives wall-clock jumps.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, Ms>;

inline constexpr Ms kZeroMs{0};

// Seconds as a double, for display and JSON output only (never for arithmetic).
inline double to_seconds(Ms d) { return static_cast<double>(d.count()) / 1000.0; }

} // namespace stillroom
